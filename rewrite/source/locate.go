package source

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/rewrite/iac"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/cfn"
	"github.com/fixpolicy/fixpolicy/rewrite/iac/tfplan"
)

// Locate returns the bucket policies of a file of the given kind (Detect's).
// vars are a followed template's variables (Document.FollowVars).
func Locate(kind, name string, src []byte, vars map[string]iac.Symbol) ([]iac.Document, error) {
	switch kind {
	case KindCloudFormation:
		return cfn.Locate(name, src)
	case KindPlan:
		return tfplan.Locate(name, src)
	default:
		return nil, fmt.Errorf("%s: not a source fixpolicy reads (%s)", name, kind)
	}
}
