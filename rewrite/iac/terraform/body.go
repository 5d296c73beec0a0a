package terraform

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// A jsonBody is JSON text inside Terraform text: a heredoc's body or a
// policy template. Its JSON is the raw text with interpolations replaced
// by placeholders, $${ and %%{ unescaped and, in a flush heredoc (<<-),
// the common indentation removed; segs map the JSON back to the raw text.
type jsonBody struct {
	f          *file
	start, end int    // the raw text: f.src[start:end]
	json       string // the JSON with placeholders
	segs       []seg
	indent     string // the flush heredoc's removed indentation
	tree       *jsonast.Value
	template   bool // ${ and %{ are interpolations (not in a file() read as is)
}

// seg maps json[j:j+jl] to raw src[r:r+rl]; verbatim segments are equal
// text, the others (placeholders, escapes, removed indentation) map as a
// whole.
type seg struct {
	j, jl, r, rl int
	verb         bool
}

// interp is an interpolation's raw range and the placeholder text that
// stands for it.
type interp struct {
	start, end int
	text       string
}

// interpolations finds the ${...} around each non-literal part.
func interpolations(src []byte, parts []hclsyntax.Expression, sym func(hclsyntax.Expression) string) ([]interp, error) {
	var out []interp
	for _, p := range parts {
		if _, ok := p.(*hclsyntax.LiteralValueExpr); ok {
			continue
		}
		r := p.Range()
		s := r.Start.Byte
		for s > 0 && (src[s-1] == ' ' || src[s-1] == '\t' || src[s-1] == '\n' || src[s-1] == '~') {
			s--
		}
		e := r.End.Byte
		for e < len(src) && (src[e] == ' ' || src[e] == '\t' || src[e] == '\n' || src[e] == '~') {
			e++
		}
		if s < 2 || src[s-1] != '{' || src[s-2] != '$' || e >= len(src) || src[e] != '}' {
			return nil, unsupported(r, "a template directive")
		}
		switch p.(type) {
		case *hclsyntax.ConditionalExpr, *hclsyntax.ForExpr:
			return nil, unsupported(r, "a template directive")
		}
		out = append(out, interp{start: s - 2, end: e + 1, text: sym(p)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out, nil
}

// newBody builds the JSON of src[start:end].
func newBody(f *file, start, end int, ins []interp, flush, template bool) (*jsonBody, error) {
	b := &jsonBody{f: f, start: start, end: end, template: template}
	src := f.src
	n := 0
	if flush {
		n = minIndent(src[start:end])
	}
	var out strings.Builder
	add := func(jl, r, rl int, verb bool) {
		if k := len(b.segs) - 1; verb && k >= 0 && b.segs[k].verb && b.segs[k].r+b.segs[k].rl == r {
			b.segs[k].jl += jl
			b.segs[k].rl += rl
			return
		}
		b.segs = append(b.segs, seg{j: out.Len() - jl, jl: jl, r: r, rl: rl, verb: verb})
	}
	k := 0
	for i := start; i < end; {
		if flush && (i == start || src[i-1] == '\n') {
			w := 0
			for w < n && i+w < end && (src[i+w] == ' ' || src[i+w] == '\t') {
				w++
			}
			if w > 0 {
				if b.indent == "" && w == n {
					b.indent = string(src[i : i+w])
				}
				add(0, i, w, false)
				i += w
				continue
			}
		}
		switch {
		case k < len(ins) && ins[k].start == i:
			out.WriteString(ins[k].text)
			add(len(ins[k].text), i, ins[k].end-i, false)
			i = ins[k].end
			k++
		case template && i+2 < end && (src[i] == '$' || src[i] == '%') && src[i+1] == src[i] && src[i+2] == '{':
			out.WriteByte(src[i])
			out.WriteByte('{')
			add(2, i, 3, false)
			i += 3
		case template && i+1 < end && src[i] == '%' && src[i+1] == '{':
			return nil, fmt.Errorf("a template directive (%%{) at byte %d", i)
		default:
			out.WriteByte(src[i])
			add(1, i, 1, true)
			i++
		}
	}
	b.json = out.String()
	tree, err := jsonast.Parse([]byte(b.json))
	if err != nil {
		return nil, fmt.Errorf("the policy is not JSON: %v", err)
	}
	b.tree = tree
	return b, nil
}

// minIndent is the smallest indentation of the non-blank lines of s.
func minIndent(s []byte) int {
	n := -1
	for _, line := range strings.SplitAfter(string(s), "\n") {
		t := strings.TrimLeft(line, " \t")
		if strings.TrimSpace(t) == "" {
			continue
		}
		if w := len(line) - len(t); n < 0 || w < n {
			n = w
		}
	}
	return max(n, 0)
}

// raw maps a JSON offset to the raw text: the start of the raw text of
// the segment holding it, or within a verbatim one.
func (b *jsonBody) raw(j int) int {
	for _, s := range b.segs {
		if j >= s.j && j < s.j+s.jl {
			if s.verb {
				return s.r + j - s.j
			}
			return s.r
		}
	}
	return b.end
}

// snap moves a JSON offset off the inside of a non-verbatim segment:
// down (for the end of a common prefix) or up (for the start of a common
// suffix).
func (b *jsonBody) snap(j int, up bool) int {
	for _, s := range b.segs {
		if !s.verb && j > s.j && j < s.j+s.jl {
			if up {
				return s.j + s.jl
			}
			return s.j
		}
	}
	return j
}

// statements are the source positions of the policy's statements.
func (b *jsonBody) statements() []iac.Pos {
	st := b.tree.Get("Statement")
	if st == nil {
		return nil
	}
	if st.Value.Kind != jsonast.Array {
		return []iac.Pos{b.f.posAt(b.raw(st.Value.Offset))}
	}
	var out []iac.Pos
	for _, e := range st.Value.Elems {
		out = append(out, b.f.posAt(b.raw(e.Offset)))
	}
	return out
}

// posAt is the position of a byte offset of the file.
func (f *file) posAt(off int) iac.Pos {
	line := 1 + strings.Count(string(f.src[:off]), "\n")
	return iac.Pos{Offset: off, Line: line, Col: off - lineStart(f.src, off) + 1}
}

var rePlaceholderRef = regexp.MustCompile(`(` + regexp.QuoteMeta(s3ARNPrefix) + `)?` + iac.PlaceholderPrefix + `[0-9]+`)

// Edit implements iac.Editor: the ops applied to the JSON tree, rendered
// keeping the untouched text, and the changed middle written back as raw
// text (escapes, interpolations, indentation).
func (b *jsonBody) Edit(ops []iac.Op, opt iac.EditOptions) ([]iac.Splice, error) {
	ed := b.f.newEdit(opt, false)
	prepared := make([]iac.Op, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case iac.RemoveMember, iac.RemoveElem:
			return nil, fmt.Errorf("%s: fixpolicy does not remove parts of a policy", op)
		}
		op.Value = ed.value(op.Value, opt)
		prepared[i] = op
	}
	after, err := iac.Apply(b.tree, prepared)
	if err != nil {
		return nil, err
	}
	text := string(jsonast.Render(after))
	p := 0
	for p < len(text) && p < len(b.json) && text[p] == b.json[p] {
		p++
	}
	s := 0
	for s < len(text)-p && s < len(b.json)-p && text[len(text)-1-s] == b.json[len(b.json)-1-s] {
		s++
	}
	p = b.snap(p, false)
	q := b.snap(len(b.json)-s, true)
	s = len(b.json) - q
	if p > q {
		p = q
	}
	mid := b.rawText(ed, text[p:len(text)-s], len(text)-s < len(text))
	sp := []iac.Splice{{Start: b.raw(p), End: b.raw(q), Text: mid}}
	if p == q && p == len(b.json) {
		sp[0].Start, sp[0].End = b.end, b.end
	}
	return ed.finish(sp, opt)
}

// rawText writes new JSON text back as the body's raw text.
func (b *jsonBody) rawText(ed *edit, s string, more bool) string {
	if b.template {
		s = strings.ReplaceAll(s, "${", "$${")
		s = strings.ReplaceAll(s, "%{", "%%{")
	}
	s = rePlaceholderRef.ReplaceAllStringFunc(s, func(m string) string {
		var out strings.Builder
		for _, p := range ed.w.pieces(m) {
			if p.ref != "" {
				out.WriteString("${" + p.ref + "}")
			} else {
				out.WriteString(p.text)
			}
		}
		return out.String()
	})
	if b.indent == "" {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		out.WriteByte(s[i])
		if s[i] == '\n' && (i+1 < len(s) && s[i+1] != '\n' || i+1 == len(s) && more) {
			out.WriteString(b.indent)
		}
	}
	return out.String()
}
