package rewrite

import (
	"fmt"
	"strings"
	"testing"
)

var warnFacts = Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}

// fillTo is a compact policy with the given statements and as many Allow
// statements as keep it at most size bytes (within one statement of it).
func fillTo(size int, stmts ...string) []byte {
	render := func(stmts []string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	for i := 0; ; i++ {
		next := append(stmts, fmt.Sprintf(`{"Sid":"Fill%03d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::012345678901:role/r%03d"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/p%03d/*"}`, i, i, i))
		if len(render(next)) > size {
			return []byte(render(stmts))
		}
		stmts = next
	}
}

const vpceDeny = `{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`

// TestWarnings: an action S3 does not have and a policy over S3's size
// limit are said, with the patch unchanged (issue 13, items 10 and 11).
func TestWarnings(t *testing.T) {
	src := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Typo","Effect":"Deny","Principal":"*","NotAction":["s3:GetObjekt"],"Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	res, err := Fix(src, Options{Facts: warnFacts})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "s3:GetObjekt in its NotAction, which is not an S3 action") {
		t.Errorf("warnings %q", res.Warnings)
	}
	big := fillTo(MaxPolicySize + 400)
	res, err = Fix(big, Options{Facts: warnFacts})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusCompliant || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "over S3's limit of 20480 bytes") {
		t.Errorf("status %s, warnings %q", res.Status, res.Warnings)
	}
}

// TestRefusalSuggestsNoSplit: when the split makes the patch too large but
// the backup role's exemptions alone fit, the refusal says --no-split
// would fit, and it does (issue 13, item 11).
func TestRefusalSuggestsNoSplit(t *testing.T) {
	src := fillTo(MaxPolicySize-100, vpceDeny)
	res, err := Fix(src, Options{Facts: warnFacts})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRefused || !strings.Contains(res.Refusal, "with --no-split") {
		t.Fatalf("status %s, refusal %q", res.Status, res.Refusal)
	}
	res, err = Fix(src, Options{Facts: warnFacts, NoSplit: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusNeedsChange || res.Proof == nil {
		t.Errorf("--no-split: status %s (%s)", res.Status, res.Refusal)
	}
}
