package terraform

import (
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// A data "aws_iam_policy_document" renders as JSON the way the AWS
// provider renders it (internal/service/iam: policy_document_data_source.go
// and policy_model.go): Version defaults to 2012-10-17, effect to Allow; a
// list of one string becomes the string; principals of type "*" with the
// one identifier "*" become "*", others {"TYPE": identifiers} merged by
// type; condition blocks merge into {test: {variable: values}}, values of
// several blocks with the same test and variable appended; "&{" becomes
// "${" in resources, identifiers and values.
//
// The provider sorts sets (actions, resources, identifiers) in reverse and
// map keys alphabetically, so element and key order carry no meaning; the
// Document keeps the source's order instead, so that a patch located again
// is the same JSON.

// attrKeys maps a statement's list attributes to their JSON keys.
var attrKeys = map[string]string{
	"actions": "Action", "not_actions": "NotAction",
	"resources": "Resource", "not_resources": "NotResource",
}

// jsonAttrs is attrKeys the other way round.
var jsonAttrs = map[string]string{
	"Action": "actions", "NotAction": "not_actions",
	"Resource": "resources", "NotResource": "not_resources",
}

// reDocRef matches a reference to a policy document's JSON, also of one
// instance of a counted block (data.aws_iam_policy_document.x[0].json).
var reDocRef = regexp.MustCompile(`^data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.(?:json|minified_json)$`)

// pdStmt is a statement block and where its JSON comes from.
type pdStmt struct {
	block *hclsyntax.Block
	attrs map[string]*hclsyntax.Attribute // by JSON key
	conds []*hclsyntax.Block
}

// pdDoc is a policy document block.
type pdDoc struct {
	f     *file
	block *hclsyntax.Block
	stmts []*pdStmt
}

// locateDocRef reads policy = data.aws_iam_policy_document.NAME.json.
func (f *file) locateDocRef(d *iac.Document, x *hclsyntax.ScopeTraversalExpr) error {
	ref := f.st.text(x.Range())
	m := reDocRef.FindStringSubmatch(ref)
	if m == nil {
		return unsupported(x.Range(), "the policy is %s, which the file does not define", ref)
	}
	b := f.docs[m[1]]
	if b == nil {
		return unsupported(x.Range(), "the policy document %s is not in this file", m[1])
	}
	d.Format = iac.FormatTerraformPolicyDocument
	d.Pos = pos(b.Range().Start)
	doc := &pdDoc{f: f, block: b}
	v, err := doc.render()
	if err != nil {
		return err
	}
	d.Policy = render(v)
	for _, s := range doc.stmts {
		d.Statements = append(d.Statements, pos(s.block.Range().Start))
	}
	d.Editor = doc
	return nil
}

// render builds the document's JSON.
func (doc *pdDoc) render() (*jsonast.Value, error) {
	body := doc.block.Body
	for _, name := range []string{"source_policy_documents", "override_policy_documents", "source_json", "override_json"} {
		if a := body.Attributes[name]; a != nil {
			return nil, unsupported(a.Range(), "the policy document merges %s, which fixpolicy does not analyse", name)
		}
	}
	for _, b := range body.Blocks {
		if b.Type == "dynamic" {
			return nil, unsupported(b.Range(), "a dynamic block in the policy document")
		}
	}
	out := jsonast.NewObject()
	version := jsonast.NewString("2012-10-17")
	if a := body.Attributes["version"]; a != nil {
		v, err := doc.f.st.toJSON(a.Expr)
		if err != nil {
			return nil, err
		}
		version = v
	}
	out.Members = append(out.Members, jsonast.NewMember("Version", version))
	if a := body.Attributes["policy_id"]; a != nil {
		v, err := doc.f.st.toJSON(a.Expr)
		if err != nil {
			return nil, err
		}
		out.Members = append(out.Members, jsonast.NewMember("Id", v))
	}
	stmts := jsonast.NewArray()
	for _, b := range body.Blocks {
		if b.Type != "statement" {
			continue
		}
		s, v, err := doc.statement(b)
		if err != nil {
			return nil, err
		}
		doc.stmts = append(doc.stmts, s)
		stmts.Elems = append(stmts.Elems, v)
	}
	if len(stmts.Elems) > 0 {
		out.Members = append(out.Members, jsonast.NewMember("Statement", stmts))
	}
	return out, nil
}

// item is an attribute or a nested block, for walking a body in source
// order.
type item struct {
	attr  *hclsyntax.Attribute
	block *hclsyntax.Block
	start int
}

func items(body *hclsyntax.Body) []item {
	var out []item
	for _, a := range body.Attributes {
		out = append(out, item{attr: a, start: a.Range().Start.Byte})
	}
	for _, b := range body.Blocks {
		out = append(out, item{block: b, start: b.Range().Start.Byte})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

// statement renders one statement block, its keys in source order. (One
// walk over the block's items in order, a case per kind of item: longer
// than most functions here, clearer in one piece.)
func (doc *pdDoc) statement(b *hclsyntax.Block) (*pdStmt, *jsonast.Value, error) {
	st := doc.f.st
	s := &pdStmt{block: b, attrs: map[string]*hclsyntax.Attribute{}}
	obj := jsonast.NewObject()
	var princ, notPrinc []*hclsyntax.Block
	for _, it := range items(b.Body) {
		if a := it.attr; a != nil {
			switch a.Name {
			case "sid", "effect":
				v, err := st.toJSON(a.Expr)
				if err != nil {
					return nil, nil, err
				}
				k := "Sid"
				if a.Name == "effect" {
					k = "Effect"
				}
				s.attrs[k] = a
				if !(k == "Sid" && v.Kind == jsonast.String && v.Str == "") {
					obj.Members = append(obj.Members, jsonast.NewMember(k, v))
				}
			case "actions", "not_actions", "resources", "not_resources":
				vals, err := doc.strings(a.Expr, strings.HasSuffix(a.Name, "resources"))
				if err != nil {
					return nil, nil, err
				}
				s.attrs[attrKeys[a.Name]] = a
				if len(vals) > 0 {
					obj.Members = append(obj.Members, jsonast.NewMember(attrKeys[a.Name], oneOrMany(vals)))
				}
			default:
				return nil, nil, unsupported(a.Range(), "the statement attribute %q", a.Name)
			}
			continue
		}
		switch nb := it.block; nb.Type {
		case "principals", "not_principals":
			k := "Principal"
			if nb.Type == "not_principals" {
				k, notPrinc = "NotPrincipal", append(notPrinc, nb)
			} else {
				princ = append(princ, nb)
			}
			if obj.Get(k) == nil {
				obj.Members = append(obj.Members, jsonast.NewMember(k, jsonast.NewNull()))
			}
		case "condition":
			s.conds = append(s.conds, nb)
			if obj.Get("Condition") == nil {
				obj.Members = append(obj.Members, jsonast.NewMember("Condition", jsonast.NewNull()))
			}
		default:
			return nil, nil, unsupported(nb.Range(), "a %s block in a statement", nb.Type)
		}
	}
	if obj.Get("Effect") == nil {
		eff := jsonast.NewMember("Effect", jsonast.NewString("Allow"))
		if obj.Get("Sid") != nil {
			obj.InsertMember(1, eff)
		} else {
			obj.InsertMember(0, eff)
		}
	}
	for k, blocks := range map[string][]*hclsyntax.Block{"Principal": princ, "NotPrincipal": notPrinc} {
		if len(blocks) > 0 {
			v, err := doc.principals(blocks)
			if err != nil {
				return nil, nil, err
			}
			obj.Get(k).Value = v
		}
	}
	if len(s.conds) > 0 {
		v, err := doc.conditions(s.conds)
		if err != nil {
			return nil, nil, err
		}
		obj.Get("Condition").Value = v
	}
	return s, obj, nil
}

// strings renders a list attribute's elements (a var or other reference
// stands for one element).
func (doc *pdDoc) strings(e hclsyntax.Expression, vars bool) (out []*jsonast.Value, err error) {
	var elems []hclsyntax.Expression
	if t, ok := unwrap(e).(*hclsyntax.TupleConsExpr); ok {
		elems = t.Exprs
	} else {
		elems = []hclsyntax.Expression{e}
		defer func() {
			if len(out) == 1 && out[0].Kind == jsonast.String && rePlaceholder.MatchString(out[0].Str) {
				doc.f.st.listSyms[out[0].Str] = true
			}
		}()
	}
	for _, el := range elems {
		v, err := doc.f.st.toJSON(el)
		if err != nil {
			return nil, err
		}
		if v.Kind != jsonast.String {
			return nil, unsupported(el.Range(), "a list element that is not a string")
		}
		if vars {
			v.Str = strings.ReplaceAll(v.Str, "&{", "${")
		}
		out = append(out, v)
	}
	return out, nil
}

func oneOrMany(vals []*jsonast.Value) *jsonast.Value {
	if len(vals) == 1 {
		return vals[0]
	}
	return jsonast.NewArray(vals...)
}

// literalAttr is a block attribute's literal string value.
func literalAttr(b *hclsyntax.Block, name string) (string, bool) {
	a := b.Body.Attributes[name]
	if a == nil {
		return "", false
	}
	return literalString(a.Expr)
}

// principals renders principals blocks: "*" for one {type="*",
// identifiers=["*"]}, else identifiers merged by type.
func (doc *pdDoc) principals(blocks []*hclsyntax.Block) (*jsonast.Value, error) {
	obj := jsonast.NewObject()
	var all [][]*jsonast.Value
	for _, b := range blocks {
		typ, ok := literalAttr(b, "type")
		ids := b.Body.Attributes["identifiers"]
		if !ok || ids == nil {
			return nil, unsupported(b.Range(), "a principals block without a literal type and identifiers")
		}
		vals, err := doc.strings(ids.Expr, true)
		if err != nil {
			return nil, err
		}
		if len(blocks) == 1 && typ == "*" && len(vals) == 1 && vals[0].Str == "*" {
			return jsonast.NewString("*"), nil
		}
		if m := obj.Get(typ); m != nil {
			i := obj.Index(typ)
			all[i] = append(all[i], vals...)
			continue
		}
		obj.Members = append(obj.Members, jsonast.NewMember(typ, nil))
		all = append(all, vals)
	}
	for i, m := range obj.Members {
		m.Value = oneOrMany(all[i])
	}
	return obj, nil
}

// conditions renders condition blocks: {test: {variable: values}}.
func (doc *pdDoc) conditions(blocks []*hclsyntax.Block) (*jsonast.Value, error) {
	obj := jsonast.NewObject()
	vals := map[[2]string][]*jsonast.Value{}
	for _, b := range blocks {
		test, ok1 := literalAttr(b, "test")
		variable, ok2 := literalAttr(b, "variable")
		va := b.Body.Attributes["values"]
		if !ok1 || !ok2 || va == nil {
			return nil, unsupported(b.Range(), "a condition block without a literal test and variable, or without values")
		}
		v, err := doc.strings(va.Expr, true)
		if err != nil {
			return nil, err
		}
		tm := obj.Get(test)
		if tm == nil {
			tm = jsonast.NewMember(test, jsonast.NewObject())
			obj.Members = append(obj.Members, tm)
		}
		if tm.Value.Get(variable) == nil {
			tm.Value.Members = append(tm.Value.Members, jsonast.NewMember(variable, nil))
		}
		k := [2]string{test, variable}
		vals[k] = append(vals[k], v...)
	}
	for _, tm := range obj.Members {
		for _, vm := range tm.Value.Members {
			vm.Value = oneOrMany(vals[[2]string{tm.Key, vm.Key}])
		}
	}
	return obj, nil
}
