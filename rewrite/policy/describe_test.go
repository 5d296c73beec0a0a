package policy

import (
	"strings"
	"testing"
)

// TestDescribeConditionWords: each operator gets the word for its type
// (numbers are below or above, dates before or after), and the set
// operators say what they mean for a request without the key, where
// ForAllValues holds and a Deny applies.
func TestDescribeConditionWords(t *testing.T) {
	for _, tc := range []struct{ cond, want string }{
		{`{"NumericLessThan": {"s3:TlsVersion": "1.2"}}`, "when s3:TlsVersion is below 1.2"},
		{`{"NumericGreaterThan": {"s3:max-keys": "3600"}}`, "when s3:max-keys is above 3600"},
		{`{"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}`, "when aws:CurrentTime is before 2026-01-01T00:00:00Z"},
		{`{"DateGreaterThanEquals": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}`, "when aws:CurrentTime is at or after 2026-01-01T00:00:00Z"},
		{`{"ForAllValues:StringNotEquals": {"aws:SourceVpce": "vpce-1"}}`,
			"when no value of aws:SourceVpce is vpce-1 (which holds too when the request has no aws:SourceVpce)"},
		{`{"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}`,
			"when every value of aws:TagKeys is team (which holds too when the request has no aws:TagKeys)"},
		{`{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}}`, "when some value of aws:TagKeys is not team"},
		{`{"ForAnyValue:StringLike": {"aws:TagKeys": "team*"}}`, "when some value of aws:TagKeys matches team*"},
	} {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":` + tc.cond + `}]}`
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.cond, err)
		}
		if got := p.Statements[0].Describe(); !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", tc.cond, got, tc.want)
		}
	}
}
