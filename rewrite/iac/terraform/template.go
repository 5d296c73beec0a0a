package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// LocateTemplate reads a policy file that a Terraform file leads to:
// with vars (templatefile's variables, Document.FollowVars, possibly
// empty) a JSON template whose ${name} interpolations become symbols (the
// variable's, or unknown ones for names vars lacks); with vars nil a file
// read by file(), where ${ is literal text. The Document's Editor splices
// the JSON text and writes symbols back as ${name}; the backup role is
// written as a literal, since a template can refer to nothing else.
func LocateTemplate(name string, src []byte, vars map[string]iac.Symbol) ([]iac.Document, error) {
	if err := checkUTF8(name, src); err != nil {
		return nil, err
	}
	f := &file{name: name, src: src, st: newSymtab(src), roles: map[string]string{}, template: true}
	var ins []interp
	if vars != nil {
		e, diags := hclsyntax.ParseTemplate(src, name, hcl.Pos{Line: 1, Column: 1})
		if diags.HasErrors() {
			return nil, diagError(name, diags)
		}
		var parts []hclsyntax.Expression
		switch x := e.(type) {
		case *hclsyntax.TemplateExpr:
			parts = x.Parts
		case *hclsyntax.TemplateWrapExpr:
			parts = []hclsyntax.Expression{x.Wrapped}
		}
		var err error
		ins, err = interpolations(src, parts, func(p hclsyntax.Expression) string { return f.st.templateVar(p, vars) })
		if err != nil {
			return nil, err
		}
	}
	d := iac.Document{File: name, Format: iac.FormatTemplate, Pos: f.posAt(firstNonSpace(src))}
	b, err := newBody(f, 0, len(src), ins, false, vars != nil)
	if err != nil {
		d.Unsupported = err.Error()
		return []iac.Document{d}, nil
	}
	d.Policy = []byte(b.json)
	d.Statements = b.statements()
	d.Editor = b
	f.check(&d)
	d.Symbols = f.st.used(b.json)
	for _, s := range d.Symbols {
		if s.Role == iac.RoleBucket {
			d.Bucket = s.Placeholder
			break
		}
	}
	return []iac.Document{d}, nil
}

// templateVar is the placeholder of an interpolation in a template.
func (t *symtab) templateVar(p hclsyntax.Expression, vars map[string]iac.Symbol) string {
	name := t.text(p.Range())
	if s := t.syms[name]; s != nil {
		if arn, ok := t.bucketRes[s.Placeholder]; ok && arn == name {
			return s3ARNPrefix + s.Placeholder
		}
		return s.Placeholder
	}
	v, ok := vars[name]
	if !ok {
		return t.add(name, name, iac.RoleUnknown).Placeholder
	}
	s := t.add(name, name, v.Role)
	if v.Role == iac.RoleBucket && strings.HasSuffix(v.Expr, ".arn") {
		// The variable is the bucket's ARN: the placeholder names the
		// bucket and the ARN is built on it, as for aws_s3_bucket.b.arn.
		t.bucketRes[s.Placeholder] = name
		return s3ARNPrefix + s.Placeholder
	}
	return s.Placeholder
}

func firstNonSpace(src []byte) int {
	for i, c := range src {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return 0
}
