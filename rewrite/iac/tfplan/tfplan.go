// Package tfplan finds the bucket policies of a Terraform plan in JSON form
// (terraform show -json plan.out): every aws_s3_bucket_policy, and every
// aws_s3_bucket with an inline policy, in planned_values' root module and
// its child modules, with the planned policy as Terraform resolved it.
//
// A plan is derived data, so its Documents have no Editor: the fix belongs
// in the configuration the plan came from. A policy the plan does not know
// yet (after_unknown: it depends on a value known only after apply) is
// reported Unsupported with that reason; a bucket the plan does not know
// yet is a symbol with the bucket role.
package tfplan

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// ReadOnly is why a plan's Documents cannot be written.
const ReadOnly = "a Terraform plan is derived data: fix the configuration it came from"

// maxModuleDepth bounds the child_modules recursion.
const maxModuleDepth = 100

// Locate returns one Document per bucket policy planned in a Terraform plan
// JSON file, in module order (root first, then child modules depth first),
// resources in plan order. A file that is not a plan (no format_version,
// or neither planned_values nor resource_changes) has none; a plan with an
// unsupported major format_version, or JSON that does not parse, is an
// error "file:line:col: message".
func Locate(file string, src []byte) ([]iac.Document, error) {
	if !looksJSON(src) {
		return nil, nil
	}
	root, err := jsonast.Parse(src)
	if err != nil {
		if se, ok := err.(*jsonast.SyntaxError); ok {
			return nil, fmt.Errorf("%s:%d:%d: %s", file, se.Line, se.Col, se.Msg)
		}
		return nil, fmt.Errorf("%s:1:1: %v", file, err)
	}
	fv := str(root, "format_version")
	if root.Kind != jsonast.Object || fv == nil || (root.Get("planned_values") == nil && root.Get("resource_changes") == nil) {
		return nil, nil
	}
	if major, _, _ := strings.Cut(fv.Str, "."); major != "1" && major != "0" {
		p := jsonast.Position(src, fv.Offset)
		return nil, fmt.Errorf("%s:%d:%d: unsupported plan format_version %q (this reads major version 1)", file, p.Line, p.Col, fv.Str)
	}
	l := &locator{file: file, src: src, unknown: afterUnknown(root), config: obj(obj(root, "configuration"), "root_module")}
	if pv := obj(root, "planned_values"); pv != nil {
		l.module(obj(pv, "root_module"), 0)
	}
	return l.docs, nil
}

func looksJSON(src []byte) bool {
	s := bytes.TrimLeft(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(s) > 0 && s[0] == '{'
}

// obj returns the object member k of v, or nil.
func obj(v *jsonast.Value, k string) *jsonast.Value {
	if v == nil || v.Kind != jsonast.Object {
		return nil
	}
	if m := v.Get(k); m != nil && m.Value.Kind == jsonast.Object {
		return m.Value
	}
	return nil
}

// str returns the string member k of v, or nil.
func str(v *jsonast.Value, k string) *jsonast.Value {
	if v == nil || v.Kind != jsonast.Object {
		return nil
	}
	if m := v.Get(k); m != nil && m.Value.Kind == jsonast.String {
		return m.Value
	}
	return nil
}

// afterUnknown maps each resource address of resource_changes to its
// change's after_unknown object.
func afterUnknown(root *jsonast.Value) map[string]*jsonast.Value {
	out := map[string]*jsonast.Value{}
	rc := root.Get("resource_changes")
	if rc == nil || rc.Value.Kind != jsonast.Array {
		return out
	}
	for _, r := range rc.Value.Elems {
		addr := str(r, "address")
		if au := obj(obj(r, "change"), "after_unknown"); addr != nil && au != nil {
			out[addr.Str] = au
		}
	}
	return out
}

type locator struct {
	file    string
	src     []byte
	unknown map[string]*jsonast.Value
	config  *jsonast.Value // configuration.root_module
	docs    []iac.Document
	nsyms   int
}

func (l *locator) module(m *jsonast.Value, depth int) {
	if m == nil || depth > maxModuleDepth {
		return
	}
	if rs := m.Get("resources"); rs != nil && rs.Value.Kind == jsonast.Array {
		for _, r := range rs.Value.Elems {
			l.resource(r)
		}
	}
	if cm := m.Get("child_modules"); cm != nil && cm.Value.Kind == jsonast.Array {
		for _, c := range cm.Value.Elems {
			l.module(c, depth+1)
		}
	}
}

func (l *locator) pos(off int) iac.Pos {
	p := jsonast.Position(l.src, off)
	// Columns in bytes, as iac.Pos has them.
	ls := bytes.LastIndexByte(l.src[:max(0, min(off, len(l.src)))], '\n') + 1
	return iac.Pos{Offset: off, Line: p.Line, Col: off - ls + 1}
}

// unknownAttr reports whether after_unknown marks attribute k of addr.
func (l *locator) unknownAttr(addr, k string) bool {
	au := l.unknown[addr]
	if au == nil {
		return false
	}
	m := au.Get(k)
	return m != nil && m.Value.Kind == jsonast.Bool && m.Value.Bool
}

func (l *locator) resource(r *jsonast.Value) {
	typ, addr := str(r, "type"), str(r, "address")
	if typ == nil || addr == nil {
		return
	}
	if mode := str(r, "mode"); mode != nil && mode.Str != "managed" {
		return
	}
	if typ.Str != "aws_s3_bucket_policy" && typ.Str != "aws_s3_bucket" {
		return
	}
	vals := obj(r, "values")
	var policy *jsonast.Value
	if m := vals.Get("policy"); vals != nil && m != nil {
		policy = m.Value
	}
	unknown := l.unknownAttr(addr.Str, "policy")
	empty := policy == nil || policy.Kind == jsonast.Null || policy.Kind == jsonast.String && policy.Str == ""
	if typ.Str == "aws_s3_bucket" && (empty && !unknown || unknown && !l.configured(addr.Str, "policy")) {
		// A bucket without an inline policy. The provider's policy
		// attribute of aws_s3_bucket is also computed, so a new bucket
		// has it unknown even when the configuration sets none.
		return
	}
	d := iac.Document{File: l.file, Address: addr.Str, Format: iac.FormatTerraformPlan, ReadOnly: ReadOnly, Pos: l.pos(r.Offset)}
	d.Bucket = l.bucket(&d, vals)
	switch {
	case unknown:
		d.Unsupported = "the planned policy is known only after apply (after_unknown): it depends on a value the plan does not have; check the configuration instead"
	case empty || policy.Kind != jsonast.String:
		d.Unsupported = "the plan has no policy value for this resource"
	default:
		d.Pos = l.pos(policy.Offset)
		pv, err := jsonast.Parse([]byte(policy.Str))
		if err != nil {
			d.Unsupported = "the planned policy is not JSON: " + err.Error()
			break
		}
		d.Policy = []byte(policy.Str)
		d.Statements = l.statements(pv, policy.Offset)
	}
	l.docs = append(l.docs, d)
}

// statements returns the plan-file positions of the policy's statements:
// inside the JSON string that starts at offset str, each statement's
// first character.
func (l *locator) statements(pv *jsonast.Value, str int) []iac.Pos {
	st := pv.Get("Statement")
	if st == nil {
		return nil
	}
	elems := []*jsonast.Value{st.Value}
	if st.Value.Kind == jsonast.Array {
		elems = st.Value.Elems
	}
	raw := rawOffsets(l.src, str)
	var out []iac.Pos
	for _, e := range elems {
		if e.Offset < 0 || e.Offset >= len(raw) {
			return nil
		}
		out = append(out, l.pos(raw[e.Offset]))
	}
	return out
}

// rawOffsets maps each byte of the decoded JSON string starting at
// src[start] (its opening quote) to the offset in src of the character or
// escape it came from.
func rawOffsets(src []byte, start int) []int {
	var out []int
	for i := start + 1; i < len(src) && src[i] != '"'; {
		if src[i] != '\\' || i+1 >= len(src) {
			out = append(out, i)
			i++
			continue
		}
		if src[i+1] != 'u' {
			out = append(out, i)
			i += 2
			continue
		}
		r, size := unicodeEscape(src[i:])
		for range utf8.RuneLen(r) {
			out = append(out, i)
		}
		i += size
	}
	return out
}

// unicodeEscape decodes \uXXXX (a surrogate pair when there are two) at the
// start of b, as encoding/json does: an invalid one is U+FFFD.
func unicodeEscape(b []byte) (rune, int) {
	hex := func(b []byte) rune {
		if len(b) < 6 {
			return -1
		}
		n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	r := hex(b)
	if r < 0 {
		return utf8.RuneError, min(len(b), 6)
	}
	if utf16.IsSurrogate(r) {
		if len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
			if d := utf16.DecodeRune(r, hex(b[6:])); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// bucket returns the policy's bucket: values.bucket of a bucket policy (the
// bucket's own name for an inline policy), or a symbol when the plan does
// not know it yet.
func (l *locator) bucket(d *iac.Document, vals *jsonast.Value) string {
	if b := str(vals, "bucket"); b != nil && b.Str != "" {
		return b.Str
	}
	if !l.unknownAttr(d.Address, "bucket") {
		return ""
	}
	l.nsyms++
	s := iac.Symbol{Placeholder: iac.NewPlaceholder(l.nsyms), Expr: d.Address + ".bucket (known after apply)", Role: iac.RoleBucket}
	d.Symbols = append(d.Symbols, s)
	return s.Placeholder
}

// configured reports whether the configuration of the resource at addr
// sets attribute attr.
func (l *locator) configured(addr, attr string) bool {
	mods, res, ok := splitAddress(addr)
	if !ok {
		return false
	}
	m := l.config
	for _, name := range mods {
		m = obj(obj(obj(m, "module_calls"), name), "module")
	}
	if m == nil {
		return false
	}
	rs := m.Get("resources")
	if rs == nil || rs.Value.Kind != jsonast.Array {
		return false
	}
	for _, r := range rs.Value.Elems {
		if a := str(r, "address"); a != nil && a.Str == res {
			return obj(r, "expressions").Get(attr) != nil
		}
	}
	return false
}

// splitAddress splits a resource address into its module call names and
// the resource's module-relative address without an instance key:
// module.a["x"].module.b.aws_s3_bucket.c[0] → [a b], aws_s3_bucket.c.
func splitAddress(addr string) (mods []string, res string, ok bool) {
	rest := addr
	for strings.HasPrefix(rest, "module.") {
		rest = rest[len("module."):]
		i := strings.IndexAny(rest, ".[")
		if i <= 0 {
			return nil, "", false
		}
		mods = append(mods, rest[:i])
		rest = rest[i:]
		if rest[0] == '[' {
			j := keyEnd(rest)
			if j < 0 {
				return nil, "", false
			}
			rest = rest[j:]
		}
		if !strings.HasPrefix(rest, ".") {
			return nil, "", false
		}
		rest = rest[1:]
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		rest = rest[:i]
	}
	return mods, rest, rest != ""
}

// keyEnd returns the offset past the instance key "[...]" that s starts
// with (a quoted key may hold brackets), or -1.
func keyEnd(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ']':
			return i + 1
		}
	}
	return -1
}
