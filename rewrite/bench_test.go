package rewrite

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Benchmarks of Policy.Decide, the evaluator behind `fixpolicy simulate`.
// Each reports evals/s (one eval = one request decided against the whole
// policy). Run with:
//
//	go test -run '^$' -bench 'Decide|Prepare' -benchmem ./rewrite/

const (
	benchOwner  = "012345678901"
	largeBucket = "datalake"
	largeBytes  = 20_000
)

// benchRequests is a mix of callers (a backup role session, a user of the
// owner account, a user of another account, anonymous, a service), actions
// and resources, with the context keys bucket policies usually test.
func benchRequests(bucket string) []Request {
	ctx := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	return []Request{
		{Principal: "arn:aws:sts::012345678901:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-AWSBackupDefaultServiceRole", Action: "s3:GetObject", Resource: "arn:aws:s3:::" + bucket + "/data/2026/11/part-0001.parquet",
			Context: ctx("aws:SourceIp", "52.95.1.10", "aws:userid", "AROAEXAMPLEROLEID0001:AWSBackup-AWSBackupDefaultServiceRole", "aws:SecureTransport", "true")},
		{Principal: "arn:aws:iam::012345678901:user/alice", Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/home/alice/notes.txt",
			Context: ctx("aws:SourceVpce", "vpce-12345678901234567", "aws:SourceIp", "10.0.3.4", "aws:SecureTransport", "true", "aws:userid", "AIDAEXAMPLEUSER00001")},
		{Principal: "arn:aws:iam::012345678901:user/alice", Action: "s3:GetBucketVersioning", Resource: "arn:aws:s3:::" + bucket,
			Context: ctx("aws:SourceIp", "192.0.2.44", "aws:SecureTransport", "true", "aws:userid", "AIDAEXAMPLEUSER00001")},
		{Principal: "arn:aws:iam::100000000040:user/bob", Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket,
			Context: ctx("aws:SourceIp", "203.0.113.9", "aws:SecureTransport", "true", "s3:prefix", "partners/40/", "aws:PrincipalOrgID", "o-exampleorg1")},
		{Principal: "arn:aws:sts::100000000020:assumed-role/PartnerReader/session-20", Action: "s3:GetObject", Resource: "arn:aws:s3:::" + bucket + "/partners/20/export:2026-11-24/a.csv",
			Context: ctx("aws:SourceIp", "198.51.100.7", "aws:SecureTransport", "true", "aws:TagKeys", "team", "aws:TagKeys", "cost-center")},
		{Principal: "anonymous", Action: "s3:GetObject", Resource: "arn:aws:s3:::" + bucket + "/public/index4.html",
			Context: ctx("aws:SourceIp", "2001:db8::1", "aws:SecureTransport", "false")},
		{Principal: "cloudtrail.amazonaws.com", Action: "s3:PutObject", Resource: "arn:aws:s3:::" + bucket + "/AWSLogs/012345678901/CloudTrail/x.json.gz",
			Context: ctx("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:012345678901:trail/t08", "s3:x-amz-acl", "bucket-owner-full-control", "aws:SecureTransport", "true")},
		{Principal: "arn:aws:sts::012345678901:assumed-role/DataEngineer/jane@example.com", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::" + bucket + "/raw/09/a/2026-11-24.json",
			Context: ctx("aws:SourceVpce", "vpce-0aaaabbbbcccc0009", "aws:SecureTransport", "true", "aws:CurrentTime", "2026-11-24T10:00:00Z")},
	}
}

// genLargePolicy builds a policy of at most maxBytes without whitespace
// (about 20 KB and 93 statements for largeBytes): Allows for partner
// accounts, roles and unique IDs, services; Denies with VPC-endpoint, IP,
// TLS, organization, MFA and userid conditions; wildcards in actions and
// resources; NotAction, NotResource and NotPrincipal statements, a set
// operator, IfExists and a policy variable.
func genLargePolicy(bucket string, maxBytes int) []byte {
	const head, tail = `{"Version":"2012-10-17","Statement":[`, `]}`
	var stmts []string
	size := len(head) + len(tail)
	res := func(suffix string) string { return fmt.Sprintf("%q", "arn:aws:s3:::"+bucket+suffix) }
	for i := 0; ; i++ {
		if n := len(stmts); n > 0 && size+len(stmts[n-1])+1 > maxBytes {
			stmts = stmts[:n-1]
			break
		} else if n > 0 {
			size += len(stmts[n-1]) + 1
		}
		switch i % 10 {
		case 0:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Partner%02d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1000000000%02d:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":[%s,%s]}`,
				i, i, res(""), res(fmt.Sprintf("/partners/%02d/*", i))))
		case 1:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Vpce%02d","Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:DeleteObject*"],"Resource":%s,"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0aaaabbbbcccc%04d"}}}`,
				i, res(fmt.Sprintf("/raw/%02d/*", i)), i))
		case 2:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Team%02d","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::012345678901:role/team-%02d","AROAEXAMPLE%09d"]},"Action":"s3:Get*","Resource":%s}`,
				i, i, i, res(fmt.Sprintf("/team-%02d/*", i))))
		case 3:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Ip%02d","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":%s,"Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8:%x::/48"]}}}`,
				i, res(fmt.Sprintf("/secure-%02d/*", i)), i))
		case 4:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Tls%02d","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":%s,"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
				i, res(fmt.Sprintf("/*%d*", i/10))))
		case 5:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Org%02d","Effect":"Deny","Principal":"*","NotAction":"s3:GetBucketLocation","Resource":%s,"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-exampleorg1"},"ForAnyValue:StringLike":{"aws:TagKeys":"secret*"}}}`,
				i, res(fmt.Sprintf("/org-%02d/*", i))))
		case 6:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Home%02d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::012345678901:root"},"Action":"s3:*Object","Resource":%s,"Condition":{"DateLessThan":{"aws:CurrentTime":"2027-01-%02d"}}}`,
				i, res("/home/${aws:username}/*"), i%28+1))
		case 7:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Admin%02d","Effect":"Deny","NotPrincipal":{"AWS":["012345678901","arn:aws:iam::012345678901:role/Admin%02d"]},"Action":"s3:PutBucketPolicy","NotResource":%s}`,
				i, i, res(fmt.Sprintf("/x-%02d", i))))
		case 8:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Logs%02d","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":%s,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:*:trail/t%02d"}}}`,
				i, res("/AWSLogs/*"), i))
		case 9:
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"Mfa%02d","Effect":"Deny","Principal":"*","Action":["s3:Delete*","s3:Put?ifecycle*"],"Resource":%s,"Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"StringNotLike":{"aws:userid":"AROAEXAMPLEROLEID0001:*"}}}`,
				i, res(fmt.Sprintf("/raw/%02d/*/2026-??-*", i))))
		}
	}
	return []byte(head + strings.Join(stmts, ",") + tail)
}

func benchPolicy(b *testing.B, src []byte) *Policy {
	b.Helper()
	p, err := Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func prepareAll(b *testing.B, reqs []Request) []*EvalRequest {
	b.Helper()
	out := make([]*EvalRequest, len(reqs))
	for i, r := range reqs {
		er, err := Prepare(r)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = er
	}
	return out
}

var sinkOutcome Outcome

func benchDecide(b *testing.B, p *Policy, reqs []*EvalRequest) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		sinkOutcome = p.Decide(reqs[n%len(reqs)], benchOwner)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}

func fixturePolicy(b *testing.B, dir string) []byte {
	b.Helper()
	src, err := os.ReadFile("../fixtures/" + dir + "/policy.json")
	if err != nil {
		b.Fatal(err)
	}
	return src
}

func BenchmarkDecideSeed000VpceOnly(b *testing.B) {
	p := benchPolicy(b, fixturePolicy(b, "seed000-vpce-only"))
	benchDecide(b, p, prepareAll(b, benchRequests("mtzml-20231208")))
}

func BenchmarkDecideSeed001OfficeIP(b *testing.B) {
	p := benchPolicy(b, fixturePolicy(b, "seed001-office-ip"))
	benchDecide(b, p, prepareAll(b, benchRequests("awsbackup-test-001")))
}

func BenchmarkDecideLarge100Statements(b *testing.B) {
	src := genLargePolicy(largeBucket, largeBytes)
	p := benchPolicy(b, src)
	benchDecide(b, p, prepareAll(b, benchRequests(largeBucket)))
	b.ReportMetric(float64(len(p.Compact())), "policy-bytes")
	b.ReportMetric(float64(len(p.Statements)), "statements")
}

// BenchmarkPrepareDecide includes preparing the request (parsing the
// principal, normalising the context), as simulate does for every line.
func BenchmarkPrepareDecideSeed000(b *testing.B) {
	p := benchPolicy(b, fixturePolicy(b, "seed000-vpce-only"))
	reqs := benchRequests("mtzml-20231208")
	b.ReportAllocs()
	n := 0
	var er EvalRequest
	for b.Loop() {
		if err := er.Reset(reqs[n%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		sinkOutcome = p.Decide(&er, benchOwner)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}

func BenchmarkPrepareDecideLarge(b *testing.B) {
	p := benchPolicy(b, genLargePolicy(largeBucket, largeBytes))
	reqs := benchRequests(largeBucket)
	b.ReportAllocs()
	n := 0
	var er EvalRequest
	for b.Loop() {
		if err := er.Reset(reqs[n%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		sinkOutcome = p.Decide(&er, benchOwner)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
}

// TestGeneratedLargePolicy keeps the benchmark's policy honest: about 20 KB
// without whitespace, 100 statements, every request decidable, and a mix of
// decisions.
func TestGeneratedLargePolicy(t *testing.T) {
	p, err := Parse(genLargePolicy(largeBucket, largeBytes))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Statements); n < 90 || n > 110 {
		t.Errorf("%d statements, want about 100", n)
	}
	if n := len(p.Compact()); n < 19_000 || n > largeBytes {
		t.Errorf("%d bytes, want about 20 KB and at most %d", n, MaxPolicySize)
	}
	seen := map[Decision]int{}
	for _, r := range benchRequests(largeBucket) {
		er, err := Prepare(r)
		if err != nil {
			t.Fatal(err)
		}
		d := p.Decide(er, benchOwner)
		t.Logf("%s %s %s: %v", r.Principal, r.Action, r.Resource, d)
		seen[d.Decision]++
	}
	if seen[Deny] == 0 || seen[Allow] == 0 || seen[None] == 0 {
		t.Errorf("decisions %v: want a mix of deny, allow and none", seen)
	}
}
