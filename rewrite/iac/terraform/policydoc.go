package terraform

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

func (f *file) locateDocRef(d *iac.Document, x *hclsyntax.ScopeTraversalExpr) error {
	return unsupported(x.Range(), "policy is %s", f.st.text(x.Range()))
}
