// Package cfn finds the bucket policies of a CloudFormation template (YAML
// or JSON; SAM and CDK-synthesised templates too): every
// AWS::S3::BucketPolicy resource, its PolicyDocument rendered as JSON with
// the template's open values (!Ref VpceId, ${AWS::AccountId},
// !GetAtt Role.Arn) as iac placeholders, and an editor that writes a patch
// back as minimal splices in the template's own syntax.
//
// Intrinsic functions, in short (!Sub) or long (Fn::Sub) form:
//
//   - Ref and Fn::GetAtt are symbols; Ref AWS::AccountId, AWS::Partition
//     and AWS::Region have the account, partition and region roles, a Ref
//     to the bucket the policy is attached to the bucket role. GetAtt
//     Bucket.Arn of an AWS::S3::Bucket is its ARN built from the bucket's
//     symbol, so it agrees with !Sub "arn:${AWS::Partition}:s3:::${Bucket}".
//   - Fn::Sub (both forms) and Fn::Join over a literal list are strings
//     with placeholders inside.
//   - Fn::ImportValue, Fn::Select, Fn::FindInMap, Fn::Base64 and other
//     string-valued functions are opaque symbols (any value).
//   - Fn::If, a Condition, Ref AWS::NoValue, list-valued functions
//     (Fn::Split, Fn::GetAZs, Fn::Cidr, a List parameter) and
//     Fn::Transform make the Document Unsupported: one policy per branch
//     is not what the analysis proves, and an opaque symbol would not be
//     sound for a choice between two known values.
package cfn

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Locate returns one Document per AWS::S3::BucketPolicy resource of a
// CloudFormation template, in template order. A file that is not a
// template (no Resources mapping with AWS:: types) has none. A template
// that does not parse is an error "file:line:col: message".
func Locate(file string, src []byte) ([]iac.Document, error) {
	isJSON := looksJSON(src)
	var root *node
	var err error
	if isJSON {
		root, err = parseJSON(src)
	} else {
		root, err = parseYAML(src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s:%w", file, err)
	}
	t := newTemplate(file, src, root, isJSON)
	if t == nil {
		return nil, nil
	}
	var docs []iac.Document
	for i, id := range t.ids {
		r := t.resources.vals[i]
		if strings.HasPrefix(id.str, "Fn::ForEach") && mentions(r, "AWS::S3::BucketPolicy", 0) {
			// Resources made by a loop (AWS::LanguageExtensions): one
			// policy per loop value, which fixpolicy does not expand.
			docs = append(docs, iac.Document{File: file, Address: id.str, Format: t.format(), Pos: t.pos(id.start),
				Unsupported: "bucket policies made by Fn::ForEach are not supported: one policy per loop value"})
			continue
		}
		if typeOf(r) != "AWS::S3::BucketPolicy" {
			continue
		}
		docs = append(docs, t.document(id.str, r))
	}
	return docs, nil
}

// mentions reports whether a scalar s occurs in n.
func mentions(n *node, s string, depth int) bool {
	if n == nil || depth > maxDepth {
		return false
	}
	if n.kind == scalarNode && n.str == s {
		return true
	}
	for _, c := range append(append(append([]*node(nil), n.keys...), n.vals...), n.elems...) {
		if mentions(c, s, depth+1) {
			return true
		}
	}
	return false
}

func (t *template) format() string {
	if t.isJSON {
		return iac.FormatCloudFormationJSON
	}
	return iac.FormatCloudFormationYAML
}

// looksJSON: the first significant byte opens a JSON object.
func looksJSON(src []byte) bool {
	s := bytes.TrimLeft(bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(s) > 0 && s[0] == '{'
}

// template is a parsed template with its symbol table.
type template struct {
	file      string
	src       []byte
	lines     *lines
	isJSON    bool
	root      *node
	resources *node
	ids       []*node
	params    map[string]string // parameter name → Type
	syms      map[string]*iac.Symbol
	order     []*iac.Symbol
}

// newTemplate returns nil when root is not a CloudFormation template.
func newTemplate(file string, src []byte, root *node, isJSON bool) *template {
	res := root.get("Resources")
	if res == nil || res.kind != mapNode {
		return nil
	}
	aws := false
	for _, r := range res.vals {
		if strings.HasPrefix(typeOf(r), "AWS::") {
			aws = true
		}
	}
	if !aws {
		return nil
	}
	t := &template{file: file, src: src, lines: newLines(src), isJSON: isJSON, root: root, resources: res,
		ids: res.keys, params: map[string]string{}, syms: map[string]*iac.Symbol{}}
	if ps := root.get("Parameters"); ps != nil && ps.kind == mapNode {
		for i, k := range ps.keys {
			ty := ""
			if tn := ps.vals[i].get("Type"); tn != nil && tn.kind == scalarNode {
				ty = tn.str
			}
			t.params[k.str] = ty
		}
	}
	// The account and the partition are always declared, so that an editor
	// can write the values the patch introduces with them.
	t.symbol(refKey("AWS::AccountId"), nil)
	t.symbol(refKey("AWS::Partition"), nil)
	return t
}

func typeOf(r *node) string {
	if ty := r.get("Type"); ty != nil && ty.kind == scalarNode && ty.tag == "" {
		return ty.str
	}
	return ""
}

// resourceType returns the Type of the resource with logical id id.
func (t *template) resourceType(id string) string {
	return typeOf(t.resources.get(id))
}

// A symKey identifies a symbol: Ref X, GetAtt X.A, or an opaque expression.
type symKey struct {
	kind string // "Ref", "GetAtt", "expr"
	name string // X, X.A, or the canonical form of the expression
}

func refKey(name string) symKey { return symKey{"Ref", name} }

// symbol returns the file's symbol for k, declaring it on first use; n is
// the expression's node for opaque expressions.
func (t *template) symbol(k symKey, n *node) *iac.Symbol {
	if s, ok := t.syms[k.kind+" "+k.name]; ok {
		return s
	}
	s := &iac.Symbol{Placeholder: iac.NewPlaceholder(len(t.order) + 1)}
	switch k.kind {
	case "Ref":
		s.Expr, s.Interp = "!Ref "+k.name, "${"+k.name+"}"
		if t.isJSON {
			s.Expr = `{"Ref": ` + jsonast.Quote(k.name) + `}`
		}
		switch k.name {
		case "AWS::AccountId":
			s.Role = iac.RoleAccount
		case "AWS::Partition":
			s.Role = iac.RolePartition
		case "AWS::Region":
			s.Role = iac.RoleRegion
		}
	case "GetAtt":
		s.Expr, s.Interp = "!GetAtt "+k.name, "${"+k.name+"}"
		if t.isJSON {
			res, attr, _ := strings.Cut(k.name, ".")
			s.Expr = `{"Fn::GetAtt": [` + jsonast.Quote(res) + `, ` + jsonast.Quote(attr) + `]}`
		}
	default:
		// No ${} form: an editor writes it through Fn::Sub's variable map.
		s.Expr = k.name
	}
	t.syms[k.kind+" "+k.name] = s
	t.order = append(t.order, s)
	return s
}

// document locates the policy of the BucketPolicy resource r.
func (t *template) document(id string, r *node) iac.Document {
	d := iac.Document{File: t.file, Address: id, Format: t.format()}
	d.Pos = t.pos(r.start)
	props := r.get("Properties")
	pd := props.get("PolicyDocument")
	ev := &evaluator{t: t, used: map[*iac.Symbol]bool{}}
	if b := props.get("Bucket"); b != nil {
		if name, _, ok := intrinsic(b); ok && name == "Ref" {
			ev.bucketRef = b.str
			if b.tag == "" {
				ev.bucketRef = b.vals[0].str
			}
		}
		if s, err := ev.str(b); err == nil {
			d.Bucket = s
		}
	}
	switch {
	case isIntrinsic(props) || isIntrinsic(r):
		name, _, _ := intrinsic(props)
		if name == "" {
			name, _, _ = intrinsic(r)
		}
		d.Unsupported = "the resource's Properties are computed by " + name + ", which fixpolicy does not evaluate"
	case pd == nil:
		d.Unsupported = "the resource has no Properties.PolicyDocument"
	case pd.kind != mapNode || isIntrinsic(pd):
		d.Pos = t.pos(pd.start)
		d.Unsupported = "the PolicyDocument is not a mapping written in the template (" + describe(pd) + ")"
	default:
		d.Pos = t.pos(pd.start)
		v, err := ev.eval(pd)
		if err != nil {
			d.Unsupported = err.Error()
			break
		}
		d.Policy = jsonast.Indent(v, "", "  ")
		if st := pd.get("Statement"); st != nil && st.kind == seqNode {
			for _, e := range st.elems {
				d.Statements = append(d.Statements, t.pos(e.start))
			}
		} else if st != nil {
			d.Statements = []iac.Pos{t.pos(st.start)}
		}
		d.Editor = &editor{t: t, policy: pd, address: id, before: d.Policy}
	}
	d.Symbols = ev.symbols()
	if e, ok := d.Editor.(*editor); ok {
		e.syms = d.Symbols
	}
	return d
}

func describe(n *node) string {
	if name, _, ok := intrinsic(n); ok {
		return name
	}
	switch n.kind {
	case mapNode:
		return "mapping"
	case seqNode:
		return "list"
	case scalarNode:
		return "scalar"
	}
	return "alias"
}

// pos returns the source position of byte offset off (column in bytes).
func (t *template) pos(off int) iac.Pos {
	l := sort.Search(len(t.lines.start), func(i int) bool { return t.lines.start[i] > off })
	return iac.Pos{Offset: off, Line: l, Col: off - t.lines.start[l-1] + 1}
}
