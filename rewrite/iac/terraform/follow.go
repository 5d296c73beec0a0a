package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// locateFollow reads policy = file("...") and templatefile("...", {...}):
// the policy lives in another file, which the caller reads and hands to
// LocateTemplate with FollowVars.
func (f *file) locateFollow(d *iac.Document, x *hclsyntax.FunctionCallExpr) error {
	p, err := f.followPath(x.Args[0])
	if err != nil {
		return err
	}
	d.Format = iac.FormatTerraformFile
	d.Follow = p
	if x.Name == "templatefile" {
		d.FollowVars = map[string]iac.Symbol{}
	}
	if x.Name == "templatefile" && len(x.Args) > 1 {
		obj, ok := unwrap(x.Args[1]).(*hclsyntax.ObjectConsExpr)
		if !ok {
			return unsupported(x.Args[1].Range(), "templatefile's variables are %s, which the file does not define", f.st.text(x.Args[1].Range()))
		}
		for _, it := range obj.Items {
			k, ok := objectKey(it.KeyExpr)
			if !ok {
				return unsupported(it.KeyExpr.Range(), "a computed template variable name")
			}
			ve := unwrapWrap(it.ValueExpr)
			ph := f.st.symbol(ve)
			if m := bucketAttr.FindStringSubmatch(f.st.text(ve.Range())); m != nil {
				// A template sees the bucket as a symbol even when the
				// resource names it literally: a variable is not a literal.
				ph = f.st.bucketResource(m[1])
				if m[2] == "arn" {
					ph = s3ARNPrefix + ph
				}
			}
			for _, s := range f.st.list {
				if s.Placeholder == strings.TrimPrefix(ph, s3ARNPrefix) {
					sym := *s
					if ph != s.Placeholder { // aws_s3_bucket.b.arn: the template sees the ARN
						sym.Expr = f.st.bucketRes[s.Placeholder]
						sym.Interp = "${" + sym.Expr + "}"
					}
					d.FollowVars[k] = sym
				}
			}
		}
	}
	return nil
}

// followPath is the path of file()'s argument relative to the module:
// a literal, or "${path.module}/..." (path.root, path.cwd alike).
func (f *file) followPath(e hclsyntax.Expression) (string, error) {
	if s, ok := literalString(e); ok {
		return s, nil
	}
	t, ok := unwrap(e).(*hclsyntax.TemplateExpr)
	if ok && len(t.Parts) == 2 {
		if ref := f.st.text(t.Parts[0].Range()); ref == "path.module" || ref == "path.root" || ref == "path.cwd" {
			if s, ok := literalString(&hclsyntax.TemplateExpr{Parts: t.Parts[1:]}); ok {
				return strings.TrimPrefix(s, "/"), nil
			}
		}
	}
	return "", unsupported(e.Range(), "the policy file is %s, which fixpolicy cannot resolve", f.st.text(e.Range()))
}
