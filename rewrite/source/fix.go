package source

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Fixed is one Document after the analysis, patch and proof.
type Fixed struct {
	Doc *iac.Document
	// Result is rewrite.Fix's on the Document's policy with the symbols
	// whose value is known (the account, the partition, the backup role)
	// written as those values.
	Result *rewrite.Result
	// Splices change the source file to the patched policy; none when
	// nothing changes or the Document cannot be written (Doc.Editor nil).
	Splices []iac.Splice
	// Assumed says, one sentence per symbol, what the analysis took each
	// value the source leaves open to be.
	Assumed []string

	facts  rewrite.Facts     // resolved
	bucket string            // the bucket the caller named, or ""
	known  map[string]string // placeholder → value
	// standIns are the typed stand-ins of placeholders the analysis saw
	// (iac.TypedStandIns): stand-in → placeholder.
	standIns map[string]string
}

var placeholderRe = regexp.MustCompile(regexp.QuoteMeta(iac.PlaceholderPrefix) + `[0-9]+`)

// Fix analyses and patches the policy of doc, as rewrite.Fix does a JSON
// policy, and turns the patch into splices of doc's source with its Editor.
// opt.Facts.Bucket, when set, names the bucket a symbolic bucket stands for.
func Fix(doc *iac.Document, opt rewrite.Options, eo iac.EditOptions) (*Fixed, error) {
	if doc.Unsupported != "" {
		return nil, fmt.Errorf("the policy cannot be analysed: %s", doc.Unsupported)
	}
	fx := &Fixed{Doc: doc, facts: opt.Facts.Resolved(), bucket: opt.Facts.Bucket}
	fx.known = fx.knownValues(doc)
	fx.Assumed = fx.assumptions()
	if opt.Facts.Bucket == "" {
		opt.Facts.Bucket = doc.Bucket
	}
	policy, standIns := iac.TypedStandIns(fx.substitute(doc.Policy))
	fx.standIns = standIns
	res, err := rewrite.Fix(policy, opt)
	if err != nil {
		return nil, err
	}
	fx.Result = res
	res.Warnings = append(res.Warnings, fx.Assumed...)
	if res.Status != rewrite.StatusNeedsChange || doc.Editor == nil {
		return fx, nil
	}
	before, err1 := jsonast.Parse(policy)
	after, err2 := jsonast.Parse(res.After)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("the patched policy does not parse (a bug in fixpolicy; please report it)")
	}
	ops := iac.Diff(before, after)
	fx.resymbolize(ops)
	fx.Splices, err = doc.Editor.Edit(ops, eo)
	if err != nil {
		return nil, fmt.Errorf("cannot write the patch into %s: %v", doc.Target(), err)
	}
	return fx, nil
}

// knownValues maps the placeholders of doc whose value the run knows to
// that value: the account, the partition, the backup role's RoleId and ARN,
// and the bucket when the caller named it.
func (fx *Fixed) knownValues(doc *iac.Document) map[string]string {
	f := fx.facts
	known := map[string]string{}
	for _, s := range doc.Symbols {
		v := ""
		switch s.Role {
		case iac.RoleAccount:
			v = f.AccountID
		case iac.RolePartition:
			v = f.Partition
		case iac.RoleRoleID:
			if s.RoleName == f.RoleName {
				v = f.RoleID
			}
		case iac.RoleRoleARN:
			if s.RoleName == f.RoleName {
				v = f.RoleARN
			}
		case iac.RoleBucket:
			if s.Placeholder == doc.Bucket {
				v = fx.bucket
			}
		}
		if v != "" {
			known[s.Placeholder] = v
		}
	}
	return known
}

// assumptions says what the analysis took each symbol of the Document to
// be, one sentence each.
func (fx *Fixed) assumptions() []string {
	var out []string
	for _, s := range fx.Doc.Symbols {
		v, ok := fx.known[s.Placeholder]
		switch {
		case !strings.Contains(string(fx.Doc.Policy), s.Placeholder) || s.Role == iac.RolePartition:
		case ok:
			out = append(out, fmt.Sprintf("Took %s to be %s.", s.Expr, v))
		case s.Placeholder == fx.Doc.Bucket:
			out = append(out, fmt.Sprintf("Took %s to be the bucket the policy is attached to, whatever its name.", s.Expr))
		default:
			out = append(out, fmt.Sprintf("Treated %s as unknown: the analysis considers every value it may take.", s.Expr))
		}
	}
	return out
}

// substitute writes the known symbols' values over their placeholders.
func (fx *Fixed) substitute(b []byte) []byte {
	if len(fx.known) == 0 {
		return b
	}
	return placeholderRe.ReplaceAllFunc(b, func(p []byte) []byte {
		if v, ok := fx.known[string(p)]; ok {
			return []byte(v)
		}
		return p
	})
}

// resymbolize writes the known values in the ops' new values back as the
// source's symbols: the role ARN, the account, the bucket and the partition
// the patch copies or introduces are written as the source writes them.
func (fx *Fixed) resymbolize(ops []iac.Op) {
	f := fx.facts
	type rep struct{ from, to string }
	var reps []rep
	for p, v := range fx.known {
		reps = append(reps, rep{v, p})
	}
	for v, p := range fx.standIns {
		reps = append(reps, rep{v, p})
	}
	// Longest values first (the role ARN before the account inside it);
	// the partition only as an ARN's second field.
	sort.Slice(reps, func(i, j int) bool {
		if len(reps[i].from) != len(reps[j].from) {
			return len(reps[i].from) > len(reps[j].from)
		}
		return reps[i].from < reps[j].from
	})
	var r []string
	for _, x := range reps {
		if x.from == f.Partition {
			r = append(r, "arn:"+x.from+":", "arn:"+x.to+":")
			continue
		}
		r = append(r, x.from, x.to)
	}
	if len(r) == 0 {
		return
	}
	rp := strings.NewReplacer(r...)
	for i := range ops {
		if ops[i].Value != nil {
			ops[i].Value = mapStrings(ops[i].Value.Clone(), rp.Replace)
		}
	}
}

func mapStrings(v *jsonast.Value, f func(string) string) *jsonast.Value {
	switch v.Kind {
	case jsonast.String:
		if s := f(v.Str); s != v.Str {
			return jsonast.NewString(s)
		}
	case jsonast.Array:
		for i, e := range v.Elems {
			v.Elems[i] = mapStrings(e, f)
		}
	case jsonast.Object:
		for _, m := range v.Members {
			m.Value = mapStrings(m.Value, f)
		}
	}
	return v
}

// canonical is a policy of doc with the known symbols substituted and the
// others written as their expressions, compact: the policy before and after
// an edit that renumbers placeholders compare equal.
func (fx *Fixed) canonical(doc *iac.Document, policy []byte) ([]byte, error) {
	known := fx.knownValues(doc)
	expr := map[string]string{}
	for _, s := range doc.Symbols {
		q := jsonast.Quote("<<" + s.Expr + ">>") // inside a JSON string
		expr[s.Placeholder] = q[1 : len(q)-1]
	}
	if doc == fx.Doc {
		policy = fx.unstand(policy)
	}
	b := placeholderRe.ReplaceAllFunc(policy, func(p []byte) []byte {
		if v, ok := known[string(p)]; ok {
			return []byte(v)
		}
		if v, ok := expr[string(p)]; ok {
			return []byte(v)
		}
		return p
	})
	v, err := jsonast.Parse(b)
	if err != nil {
		return nil, err
	}
	return jsonast.Compact(v), nil
}

// unstand writes the typed stand-ins in b back as their placeholders.
func (fx *Fixed) unstand(b []byte) []byte {
	for v, p := range fx.standIns {
		b = bytes.ReplaceAll(b, []byte(v), []byte(p))
	}
	return b
}

// Verify checks that doc, the same policy located again in the patched
// source, holds exactly the patched policy: the edit wrote what was proved.
func (fx *Fixed) Verify(doc *iac.Document) error {
	got, err := fx.canonical(doc, doc.Policy)
	if err != nil {
		return err
	}
	want, err := fx.canonical(fx.Doc, fx.Result.After)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("the edited source holds %s, not the patched policy %s", got, want)
	}
	return nil
}

// Apply returns src with the Document's splices applied: the source file as
// this one patch changes it.
func (fx *Fixed) Apply(src []byte) ([]byte, error) { return iac.ApplySplices(src, fx.Splices) }

// PatchFile applies the splices of every Document of one source file, locates
// the policies again in the result with locate, and checks that each patched
// one holds exactly its patched policy. It returns the new file, or an error
// and nothing to write.
func PatchFile(src []byte, fixed []*Fixed, locate func([]byte) ([]iac.Document, error)) ([]byte, error) {
	var sp []iac.Splice
	for _, fx := range fixed {
		sp = append(sp, fx.Splices...)
	}
	if len(sp) == 0 {
		return src, nil
	}
	out, err := iac.ApplySplices(src, sp)
	if err != nil {
		return nil, err
	}
	docs, err := locate(out)
	if err != nil {
		return nil, fmt.Errorf("the patched file does not parse (a bug in fixpolicy; please report it): %v", err)
	}
	for _, fx := range fixed {
		if len(fx.Splices) == 0 {
			continue
		}
		var again *iac.Document
		for i := range docs {
			if docs[i].Address == fx.Doc.Address && docs[i].Format == fx.Doc.Format && docs[i].File == fx.Doc.File {
				again = &docs[i]
				break
			}
		}
		if again == nil {
			return nil, fmt.Errorf("%s is not found in the patched file (a bug in fixpolicy; please report it)", fx.Doc.Target())
		}
		if err := fx.Verify(again); err != nil {
			return nil, fmt.Errorf("%s: %v (a bug in fixpolicy; please report it)", fx.Doc.Target(), err)
		}
	}
	return out, nil
}

// Display writes the placeholders in a text of the analysis (an
// explanation, an access change) as the source's expressions, so reports
// never show a made-up value: "unless aws:SourceVpce is var.vpce_id", and
// inside a longer word as an interpolation: "arn:aws:s3:::${DataBucket}/*".
func (fx *Fixed) Display(s string) string {
	s = string(fx.unstand([]byte(s)))
	if !strings.Contains(s, iac.PlaceholderPrefix) {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range placeholderRe.FindAllStringIndex(s, -1) {
		sym := fx.symbol(s[m[0]:m[1]])
		if sym == nil {
			continue
		}
		b.WriteString(s[last:m[0]])
		inWord := m[0] > 0 && !strings.ContainsRune(" ([{\"'", rune(s[m[0]-1])) || m[1] < len(s) && strings.ContainsRune("/*", rune(s[m[1]]))
		if inWord && sym.Interp != "" {
			b.WriteString(sym.Interp)
		} else {
			b.WriteString(sym.Expr)
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func (fx *Fixed) symbol(placeholder string) *iac.Symbol {
	for i := range fx.Doc.Symbols {
		if fx.Doc.Symbols[i].Placeholder == placeholder {
			return &fx.Doc.Symbols[i]
		}
	}
	return nil
}

// DisplayJSON is Display for a JSON text: inside strings the expression is
// written as an interpolation ("${var.vpce_id}") so the text stays JSON
// and reads as Terraform or CloudFormation writes it.
func (fx *Fixed) DisplayJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte(iac.PlaceholderPrefix)) {
		return b
	}
	return placeholderRe.ReplaceAllFunc(b, func(p []byte) []byte {
		if sym := fx.symbol(string(p)); sym != nil {
			q := jsonast.Quote(sym.Interp)
			return []byte(q[1 : len(q)-1])
		}
		return p
	})
}
