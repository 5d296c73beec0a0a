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

// TestDescribeNotPrincipalRole: a NotPrincipal naming a role says that the
// role's sessions, which make the requests, are not excepted (issue 13,
// item 19).
func TestDescribeNotPrincipalRole(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::012345678901:role/Admin"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "everyone except arn:aws:iam::012345678901:role/Admin (the sessions of role Admin are not excepted"
	if got := p.Statements[0].Describe(); !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
	// The evaluator agrees: a session of the role is denied.
	r, err := Prepare(Request{Principal: "arn:aws:sts::012345678901:assumed-role/Admin/alice", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Decide(r, "012345678901").Decision; got != Deny {
		t.Errorf("a session of the role: %s, want deny", got)
	}
}

// TestDescribeResources: resources in the policy's own terms: a prefix is
// the objects under it, not "its objects"; "its objects" only after the
// bucket itself; NotResource is every resource except them (issue 13,
// item 15).
func TestDescribeResources(t *testing.T) {
	for _, tc := range []struct{ res, want string }{
		{`"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]`, "on the bucket b and its objects"},
		{`"Resource":"arn:aws:s3:::b/*"`, "on the objects of b"},
		{`"Resource":"arn:aws:s3:::b/taxdocuments/*"`, "on the objects of b under taxdocuments/"},
		{`"NotResource":"arn:aws:s3:::b/taxdocuments/*"`, "on every resource except the objects of b under taxdocuments/"},
		{`"Resource":"arn:aws:s3:::b/home/${aws:username}/*"`, "on arn:aws:s3:::b/home/${aws:username}/*"},
		{`"Resource":"arn:aws:s3:::b/*.pdf"`, "on arn:aws:s3:::b/*.pdf"},
		{`"Resource":"*"`, "on every resource"},
	} {
		src := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",` + tc.res + `}]}`
		p, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.res, err)
		}
		if got := p.Statements[0].Describe(); !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant it to contain %q", tc.res, got, tc.want)
		}
	}
}
