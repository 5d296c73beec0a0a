package fleet

import (
	"strings"
	"testing"
)

// TestCheckSaved: a saved policy must parse and may name only its own
// bucket (or none).
func TestCheckSaved(t *testing.T) {
	t.Parallel()
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`
	for _, tc := range []struct {
		name, policy, want string
	}{
		{"own bucket", own, ""},
		{"no bucket named", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, ""},
		{"other bucket", strings.ReplaceAll(own, ":::data", ":::logs"), "--from f.json is the policy of another bucket (its resources name logs, not data)"},
		{"not json", "{not json", "--from f.json is not a bucket policy: "},
		{"no statement", `{"Version":"2012-10-17"}`, "--from f.json is not a bucket policy: "},
	} {
		err := CheckSaved("data", "f.json", []byte(tc.policy))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
