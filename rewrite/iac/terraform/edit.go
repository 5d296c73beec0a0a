package terraform

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// rolePlaceholderBase numbers the stand-ins for the role reference an edit
// introduces, far above any file's own placeholders.
const rolePlaceholderBase = 1 << 20

// edit is what one Edit call shares: the writer with the file's symbols
// and the role reference, and whether the reference was used.
type edit struct {
	f        *file
	w        *writer
	label    string // data "aws_iam_role" label of the role reference
	roleUsed bool
	roleSyms []iac.Symbol
}

// newEdit prepares an edit of f with opt.
func (f *file) newEdit(opt iac.EditOptions, bare bool) *edit {
	ed := &edit{f: f}
	syms := make([]iac.Symbol, 0, len(f.st.list)+2)
	for _, s := range f.st.list {
		syms = append(syms, *s)
	}
	if !opt.LiteralRoleID && opt.RoleName != "" && !f.template {
		ed.label = f.roleLabel(opt.RoleName)
		ref := "data.aws_iam_role." + ed.label
		ed.roleSyms = []iac.Symbol{
			{Placeholder: iac.NewPlaceholder(rolePlaceholderBase), Expr: ref + ".unique_id", Interp: "${" + ref + ".unique_id}", Role: iac.RoleRoleID, RoleName: opt.RoleName},
			{Placeholder: iac.NewPlaceholder(rolePlaceholderBase + 1), Expr: ref + ".arn", Interp: "${" + ref + ".arn}", Role: iac.RoleRoleARN, RoleName: opt.RoleName},
		}
		syms = append(syms, ed.roleSyms...)
	}
	ed.w = &writer{syms: syms, bucketRes: f.st.bucketRes, bareKeys: bare, listSyms: f.st.listSyms, partitions: map[string]bool{}}
	for _, s := range syms {
		if s.Role == iac.RolePartition {
			ed.w.partitions[s.Expr] = true
		}
	}
	return ed
}

// roleLabel is the label of the file's data "aws_iam_role" for the role
// called name, or the label a new block gets.
func (f *file) roleLabel(name string) string {
	var labels []string
	for label, n := range f.roles {
		if n == name && identRe.MatchString(label) {
			labels = append(labels, label)
		}
	}
	if len(labels) > 0 {
		sort.Strings(labels)
		return labels[0]
	}
	label := "backup"
	for i := 2; ; i++ {
		if _, taken := f.roles[label]; !taken {
			return label
		}
		label = "backup" + strconv.Itoa(i)
	}
}

// value prepares a new value of an op: the role's RoleId and ARN become
// the role reference's placeholders (unless opt asks for literals).
func (ed *edit) value(v *jsonast.Value, opt iac.EditOptions) *jsonast.Value {
	if v == nil || ed.roleSyms == nil {
		return v
	}
	v = v.Clone()
	ed.subst(v, opt)
	return v
}

func (ed *edit) subst(v *jsonast.Value, opt iac.EditOptions) {
	switch v.Kind {
	case jsonast.String:
		s := v.Str
		if opt.RoleARN != "" && strings.Contains(s, opt.RoleARN) {
			s = strings.ReplaceAll(s, opt.RoleARN, ed.roleSyms[1].Placeholder)
		}
		if opt.RoleID != "" && strings.Contains(s, opt.RoleID) {
			s = strings.ReplaceAll(s, opt.RoleID, ed.roleSyms[0].Placeholder)
		}
		if s != v.Str {
			ed.roleUsed = true
			v.Str = s
		}
	case jsonast.Array:
		for _, e := range v.Elems {
			ed.subst(e, opt)
		}
	case jsonast.Object:
		for _, m := range v.Members {
			ed.subst(m.Value, opt)
		}
	}
}

// finish adds the data "aws_iam_role" block the role reference needs when
// the file has none: at the end of the file, the same text for every
// Document of the file, so ApplySplices keeps it once.
func (ed *edit) finish(sp []iac.Splice, opt iac.EditOptions) ([]iac.Splice, error) {
	if ed.w.bad != "" {
		return nil, fmt.Errorf("cannot write %q back: a reference is followed by a digit", ed.w.bad)
	}
	sp = ed.addRole(sp, opt)
	if crlf(ed.f.src) {
		for i := range sp {
			sp[i].Text = strings.ReplaceAll(strings.ReplaceAll(sp[i].Text, "\r\n", "\n"), "\n", "\r\n")
		}
	}
	return ed.f.fmtRepair(sp), nil
}

// crlf reports whether most lines of src end in "\r\n".
func crlf(src []byte) bool {
	n := bytes.Count(src, []byte("\n"))
	return n > 0 && 2*bytes.Count(src, []byte("\r\n")) > n
}

func (ed *edit) addRole(sp []iac.Splice, opt iac.EditOptions) []iac.Splice {
	if !ed.roleUsed {
		return sp
	}
	if _, ok := ed.f.roles[ed.label]; ok {
		return sp
	}
	text := "\ndata \"aws_iam_role\" \"" + ed.label + "\" {\n  name = " + ed.w.str(opt.RoleName) + "\n}\n"
	if n := len(ed.f.src); n > 0 && ed.f.src[n-1] != '\n' {
		text = "\n" + text
	}
	return append(sp, iac.Splice{Start: len(ed.f.src), End: len(ed.f.src), Text: text})
}

// lineStart is the offset of the start of the line holding off.
func lineStart(src []byte, off int) int {
	for off > 0 && src[off-1] != '\n' {
		off--
	}
	return off
}

// lineEnd is the offset just past the newline ending the line holding off
// (len(src) on the last line).
func lineEnd(src []byte, off int) int {
	for off < len(src) && src[off] != '\n' {
		off++
	}
	if off < len(src) {
		off++
	}
	return off
}

// indentAt is the leading whitespace of the line holding off.
func indentAt(src []byte, off int) string {
	s := lineStart(src, off)
	e := s
	for e < len(src) && (src[e] == ' ' || src[e] == '\t') {
		e++
	}
	return string(src[s:e])
}

// firstOnLine reports whether only blanks precede off on its line.
func firstOnLine(src []byte, off int) bool {
	return strings.TrimLeft(string(src[lineStart(src, off):off]), " \t") == ""
}
