package fleet

import (
	"strings"
	"testing"
)

// TestCheckSaved: a saved policy must parse and may name only its own
// bucket: not another, not several, not any.
func TestCheckSaved(t *testing.T) {
	t.Parallel()
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}]}`
	for _, tc := range []struct {
		name, policy, want string
	}{
		{"own bucket", own, ""},
		{"any bucket (issue 13, item 5)", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "--from f.json names resources on any bucket"},
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

// TestCheckSavedRefusesWildcardsAndSeveralBuckets: a saved policy whose
// resources name any bucket, or several, is not restored (issue 13, item
// 5).
func TestCheckSavedRefusesWildcardsAndSeveralBuckets(t *testing.T) {
	for _, tc := range []struct{ resource, want string }{
		{`"*"`, "names resources on any bucket"},
		{`"arn:aws:s3:::*/*"`, "names resources on any bucket"},
		{`"arn:aws:s3:::bkt-*"`, "names resources on any bucket"},
		{`["arn:aws:s3:::bkt-a/*","arn:aws:s3:::bkt-b/*"]`, "names several buckets (bkt-a, bkt-b)"},
		{`"arn:aws:s3:::bkt-a/*"`, ""},
	} {
		saved := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":` + tc.resource + `}]}`)
		err := CheckSaved("bkt-a", "saved.json", saved)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.resource, err, tc.want)
		}
	}
}
