package terraform

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

func (f *file) locateHeredoc(d *iac.Document, x *hclsyntax.TemplateExpr) error {
	return unsupported(x.Range(), "heredoc policies are not read yet")
}
