package source

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/cfn"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/terraform"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/tfplan"
)

// Locate returns the bucket policies of a file of the given kind (Detect's).
// vars are a template's variables: a followed templatefile's
// (Document.FollowVars), none for a file read by file() (then "${" is
// literal text), or an empty map for a template found on its own, whose
// interpolations are all unknown.
func Locate(kind, name string, src []byte, vars map[string]iac.Symbol) ([]iac.Document, error) {
	switch kind {
	case KindCloudFormation:
		return cfn.Locate(name, src)
	case KindPlan:
		return tfplan.Locate(name, src)
	case KindTerraform:
		return terraform.Locate(name, src)
	case KindTemplate:
		return terraform.LocateTemplate(name, src, vars)
	default:
		return nil, fmt.Errorf("%s: not a source fixpolicy reads (%s)", name, kind)
	}
}

// LocateInModule is Locate for a Terraform file of a module whose other
// files declare IAM roles (ModuleRoles): the patch refers to the backup
// role through a data block declared there rather than declaring it again.
func LocateInModule(name string, src []byte, moduleRoles map[string]string) ([]iac.Document, error) {
	return terraform.LocateInModule(name, src, moduleRoles)
}

// ModuleRoles reads the data "aws_iam_role" blocks of a module's other
// files (name → content): label → the role's literal name, or "".
func ModuleRoles(files map[string][]byte) map[string]string { return terraform.ModuleRoles(files) }
