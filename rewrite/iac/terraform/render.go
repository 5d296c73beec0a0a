package terraform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// writer renders new policy values as HCL, the way terraform fmt leaves
// them: two-space indentation, '=' aligned in runs of one-line members.
type writer struct {
	syms      []iac.Symbol
	bucketRes map[string]string // bucket placeholder → "aws_s3_bucket.b.arn"
	bareKeys  bool              // write identifier-like keys bare
	listSyms  map[string]bool   // placeholders standing for a whole list
	// bad is a string the writer could not write back (see pieces).
	bad string
	// colon: the source writes objects as JSON does ("key" : value,).
	colon bool
	// partitions are the expressions of partition symbols.
	partitions map[string]bool
}

var rePlaceholder = regexp.MustCompile(`^` + iac.PlaceholderPrefix + `[0-9]+$`)

// listSym is the reference a one-element list stands for when its element
// is a symbol for a whole list.
func (w *writer) listSym(v *jsonast.Value) (string, bool) {
	if len(v.Elems) != 1 || v.Elems[0].Kind != jsonast.String || !w.listSyms[v.Elems[0].Str] {
		return "", false
	}
	return w.str(v.Elems[0].Str), true
}

// piece is one part of a string as the writer emits it: literal text or a
// reference (an expression).
type piece struct {
	text string
	ref  string // the expression, when not ""
}

// pieces cuts s at placeholders; an aws_s3_bucket's ARN becomes its arn
// attribute.
func (w *writer) pieces(s string) []piece {
	var out []piece
	for _, p := range iac.SplitPlaceholders(s, w.syms) {
		if p.Symbol == nil {
			if strings.Contains(p.Text, iac.PlaceholderPrefix) && w.bad == "" {
				// A symbol followed by a digit reads as another placeholder:
				// writing it back would put the placeholder in the file.
				w.bad = p.Text
			}
			out = append(out, piece{text: p.Text})
			continue
		}
		ref := p.Symbol.Expr
		if res, ok := w.bucketRes[p.Symbol.Placeholder]; ok {
			if n := len(out); n > 0 && out[n-1].ref == "" && strings.HasSuffix(out[n-1].text, s3ARNPrefix) {
				out[n-1].text = strings.TrimSuffix(out[n-1].text, s3ARNPrefix)
				if out[n-1].text == "" {
					out = out[:n-1]
				}
				ref = res
			}
		}
		out = append(out, piece{ref: ref})
	}
	return w.partitionARNs(out)
}

// partitionARNs collapses "arn:" partition ":s3:::" bucket into the
// bucket's ARN reference.
func (w *writer) partitionARNs(ps []piece) []piece {
	var out []piece
	for i := 0; i < len(ps); i++ {
		if i+3 < len(ps) && ps[i].ref == "" && strings.HasSuffix(ps[i].text, "arn:") && w.partitions[ps[i+1].ref] &&
			ps[i+2].ref == "" && ps[i+2].text == ":s3:::" && w.bucketRef(ps[i+3].ref) {
			if t := strings.TrimSuffix(ps[i].text, "arn:"); t != "" {
				out = append(out, piece{text: t})
			}
			out = append(out, piece{ref: w.arnOf(ps[i+3].ref)})
			i += 3
			continue
		}
		out = append(out, ps[i])
	}
	return out
}

func (w *writer) bucketRef(ref string) bool { return w.arnOf(ref) != "" }

// arnOf is the ARN reference of a bucket symbol's expression.
func (w *writer) arnOf(ref string) string {
	for _, s := range w.syms {
		if s.Expr == ref {
			return w.bucketRes[s.Placeholder]
		}
	}
	return ""
}

// str renders a string value as an HCL expression: a bare reference when
// the string is one symbol, else a quoted template.
func (w *writer) str(s string) string {
	ps := w.pieces(s)
	if len(ps) == 1 && ps[0].ref != "" {
		return ps[0].ref
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range ps {
		if p.ref != "" {
			b.WriteString("${" + p.ref + "}")
			continue
		}
		b.WriteString(quoteHCL(p.text))
	}
	b.WriteByte('"')
	return b.String()
}

// quoteHCL escapes literal text for a quoted HCL string.
func quoteHCL(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '$', '%':
			b.WriteRune(r)
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteRune(r) // $${ and %%{ are literal
			}
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04X`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// key renders an object key, bare when the source writes keys bare and k
// is an identifier.
func (w *writer) key(k string, bare bool) string {
	if bare && identRe.MatchString(k) && k != "null" && k != "true" && k != "false" {
		return k
	}
	return `"` + quoteHCL(k) + `"`
}

func scalar(v *jsonast.Value) bool { return v.Kind != jsonast.Array && v.Kind != jsonast.Object }

// oneLine reports whether v renders on one line: scalars and lists of
// scalars.
func oneLine(v *jsonast.Value) bool {
	if v.Kind == jsonast.Object {
		return len(v.Members) == 0
	}
	if v.Kind == jsonast.Array {
		for _, e := range v.Elems {
			if !scalar(e) {
				return false
			}
		}
	}
	return true
}

// value renders v as an HCL expression whose first line continues a line
// indented by indent.
func (w *writer) value(v *jsonast.Value, indent string) string {
	switch v.Kind {
	case jsonast.String:
		return w.str(v.Str)
	case jsonast.Number:
		return v.Num
	case jsonast.Bool:
		if v.Bool {
			return "true"
		}
		return "false"
	case jsonast.Null:
		return "null"
	case jsonast.Array:
		if ref, ok := w.listSym(v); ok {
			return ref
		}
		if oneLine(v) {
			parts := make([]string, len(v.Elems))
			for i, e := range v.Elems {
				parts[i] = w.value(e, indent)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for _, e := range v.Elems {
			b.WriteString(indent + "  " + w.value(e, indent+"  ") + ",\n")
		}
		b.WriteString(indent + "]")
		return b.String()
	}
	if len(v.Members) == 0 {
		return "{}"
	}
	return "{\n" + w.members(v.Members, indent+"  ", w.bareKeys) + indent + "}"
}

// members renders object members one a line at indent, aligning '=' in
// runs of one-line members as terraform fmt does.
func (w *writer) members(ms []*jsonast.Member, indent string, bare bool) string {
	keys := make([]string, len(ms))
	vals := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = w.key(m.Key, bare)
		vals[i] = w.value(m.Value, indent)
	}
	var b strings.Builder
	if w.colon {
		for i := range ms {
			b.WriteString(indent + keys[i] + " : " + vals[i])
			if i < len(ms)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	for i := 0; i < len(ms); {
		j := i + 1
		width := len(keys[i])
		if !strings.Contains(vals[i], "\n") {
			for j < len(ms) && !strings.Contains(vals[j], "\n") {
				width = max(width, len(keys[j]))
				j++
			}
		}
		for k := i; k < j; k++ {
			pad := 1
			if !strings.Contains(vals[k], "\n") {
				pad = width - len(keys[k]) + 1
			}
			b.WriteString(indent + keys[k] + strings.Repeat(" ", pad) + "= " + vals[k] + "\n")
		}
		i = j
	}
	return b.String()
}

// inline renders v on one line: { a = 1, b = "x" }.
func (w *writer) inline(v *jsonast.Value, bare bool) string {
	switch v.Kind {
	case jsonast.Object:
		if len(v.Members) == 0 {
			return "{}"
		}
		parts := make([]string, len(v.Members))
		for i, m := range v.Members {
			parts[i] = w.key(m.Key, bare) + w.sep() + w.inline(m.Value, bare)
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	case jsonast.Array:
		if ref, ok := w.listSym(v); ok {
			return ref
		}
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = w.inline(e, bare)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return w.value(v, "")
}

// sep is what separates a key from its value.
func (w *writer) sep() string {
	if w.colon {
		return " : "
	}
	return " = "
}
