package rewrite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Differential soundness harness for Delta. Policy pairs (a, b) are made by
// mutating seed policies (the fixtures' bucket policies and a few synthetic
// ones) with the edits people make to bucket policies; each pair is decided
// symbolically by Delta and concretely, by Decide, on a few hundred boundary
// requests (callers, actions, resources and condition values the policies
// single out, and their near misses). Every request that a and b decide
// differently must lie in a class Delta reports; a request Delta's classes
// cover must be decided differently; every class's example replays.

const (
	soundOwner = "123456789012"
	soundOther = "999999999999"
)

// ---------------------------------------------------------------------------
// Seeds

type soundSeed struct {
	name string
	src  []byte
}

// syntheticSeeds are policies that exercise what the fixtures do not.
var syntheticSeeds = []soundSeed{
	{"syn-vpce-deny", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"],
	  "Condition":{"StringNotEquals":{"aws:SourceVpce":["vpce-1111aaaa","vpce-2222bbbb"]}}},
	 {"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"]}]}`)},
	{"syn-ip-deny", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Ip","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"],
	  "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/25","2001:db8:1234::/48"]}}},
	 {"Sid":"Tls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::syn-bucket/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)},
	{"syn-notprincipal", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/app-role","arn:aws:sts::123456789012:assumed-role/app-role/sess"]},
	  "Action":"s3:*","Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"]}]}`)},
	{"syn-cross-account", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":["999999999999","arn:aws:iam::999999999999:role/partner"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}},
	 {"Sid":"List","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:role/partner"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::syn-bucket",
	  "Condition":{"StringLike":{"s3:prefix":["shared/*","public/"]}}}]}`)},
	{"syn-tags", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"TagKeys","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["project","owner"]}}},
	 {"Sid":"Tagging","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:PutObjectTagging","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]},"ForAnyValue:StringLike":{"aws:CalledVia":"athena.amazonaws.com"}}},
	 {"Sid":"Org","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"ForAllValues:StringNotLike":{"aws:PrincipalOrgPaths":"o-abc123/r-ab12/ou-ab12-1111/*"}}}]}`)},
	{"syn-null-ifexists", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"NeedVpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::syn-bucket/*","Condition":{"Null":{"aws:SourceVpce":"true"}}},
	 {"Sid":"Vpc","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"],
	  "Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-12345678"},"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/16"}}}]}`)},
	{"syn-numeric-date", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"MaxKeys","Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::syn-bucket","Condition":{"NumericGreaterThan":{"s3:max-keys":"100"}}},
	 {"Sid":"Window","Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"},"DateLessThanEquals":{"aws:CurrentTime":"2030-06-30T12:00:00Z"}}},
	 {"Sid":"Mfa","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}},
	 {"Sid":"Sig","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::syn-bucket/*","Condition":{"NumericLessThanEquals":{"s3:signatureversion":"3"}}}]}`)},
	{"syn-variables", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Home","Effect":"Allow","Principal":{"AWS":["999999999999","arn:aws:iam::123456789012:user/alice"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::syn-bucket/home/${aws:username}/*"},
	 {"Sid":"ListHome","Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::syn-bucket",
	  "Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*",""]}}},
	 {"Sid":"Owner","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/owner":"${aws:userid}"}}}]}`)},
	{"syn-userid-exempt", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Exempt","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::syn-bucket","arn:aws:s3:::syn-bucket/*"],
	  "Condition":{"StringNotLike":{"aws:userid":["AROAEXAMPLEROLEID0001:*","AIDAALICE0000000001","123456789012"]},"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}]}`)},
	{"syn-principalarn", []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Arn","Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::syn-bucket/*",
	  "Condition":{"ArnNotLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/backup-*","arn:aws:iam::999999999999:user/ci"]},"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Finance"}}},
	 {"Sid":"Private","Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::syn-bucket/public/*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`)},
}

var (
	soundSeedsOnce sync.Once
	soundSeedList  []soundSeed
)

// soundSeeds are the fixtures' bucket policies that parse, then the
// synthetic seeds.
func soundSeeds(tb testing.TB) []soundSeed {
	soundSeedsOnce.Do(func() {
		paths, _ := filepath.Glob("../fixtures/*/policy.json")
		sort.Strings(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if _, err := Parse(b); err != nil {
				continue
			}
			soundSeedList = append(soundSeedList, soundSeed{filepath.Base(filepath.Dir(p)), b})
		}
		for _, s := range syntheticSeeds {
			if _, err := Parse(s.src); err != nil {
				panic(fmt.Sprintf("synthetic seed %s: %v", s.name, err))
			}
			soundSeedList = append(soundSeedList, s)
		}
	})
	if len(soundSeedList) == 0 {
		tb.Fatal("no seed policies")
	}
	return soundSeedList
}

// ---------------------------------------------------------------------------
// The check

type soundFailure struct {
	kind       string // "delta-error", "missed", "not-covered", "overclaim", "bad-example"
	pair       soundPair
	req        Request
	da, db     Decision
	detail     string
	diag       string // diagnose's answer
	equivalent bool
}

func (f soundFailure) String() string {
	req, _ := json.Marshal(f.req)
	return fmt.Sprintf("%s (seed %s, mutations %v): %s\n  request %s\n  decided %s → %s; Delta equivalent=%v\n  diagnosis: %s\n  A: %s\n  B: %s",
		f.kind, f.pair.seed, f.pair.ops, f.detail, req, f.da, f.db, f.equivalent, f.diag, compactJSON(f.pair.srcA), compactJSON(f.pair.srcB))
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

type soundStats struct {
	pairs, requests, diffs, classes, equivalent int64
	diagnosed                                   int
}

// overclaimEvery: one request in this many that a and b decide alike is
// also checked to lie outside the reported classes.
const overclaimEvery = 4

// checkSoundPair runs the differential check on one pair.
func checkSoundPair(pr soundPair, reqs []Request, st *soundStats, fail func(soundFailure)) {
	res, err := Delta(pr.a, pr.b, DeltaOptions{Owner: soundOwner})
	st.pairs++
	if err != nil {
		fail(soundFailure{kind: "delta-error", pair: pr, detail: err.Error()})
		return
	}
	if res.Equivalent {
		st.equivalent++
	}
	st.classes += int64(len(res.Changes))
	for _, c := range res.Changes {
		ex, err := Prepare(c.Example)
		if err != nil {
			fail(soundFailure{kind: "bad-example", pair: pr, req: c.Example, detail: fmt.Sprintf("class %s: example does not prepare: %v", c, err)})
			continue
		}
		da, db := pr.a.Decide(ex, soundOwner).Decision, pr.b.Decide(ex, soundOwner).Decision
		if da != c.Before || db != c.After {
			fail(soundFailure{kind: "bad-example", pair: pr, req: c.Example, da: da, db: db, detail: fmt.Sprintf("class %s", c)})
		}
	}
	for i, q := range reqs {
		er, err := Prepare(q)
		if err != nil {
			panic(fmt.Sprintf("request %+v: %v", q, err))
		}
		st.requests++
		da, db := pr.a.Decide(er, soundOwner).Decision, pr.b.Decide(er, soundOwner).Decision
		if da == db {
			if i%overclaimEvery == 0 && res.Covers(er) {
				fail(soundFailure{kind: "overclaim", pair: pr, req: q, da: da, db: db, equivalent: res.Equivalent,
					diag: st.diagnose(res, pr.a, pr.b, er), detail: "decided alike, but in a reported class"})
			}
			continue
		}
		st.diffs++
		switch {
		case res.Equivalent:
			fail(soundFailure{kind: "missed", pair: pr, req: q, da: da, db: db, equivalent: true,
				diag: st.diagnose(res, pr.a, pr.b, er), detail: "Delta says equivalent"})
		case res.Covers(er):
			// Covers itself maps a caller whose derived values no policy
			// names onto the universe's callers (renaming them throughout
			// and checking both policies decide the renamed request
			// alike); the harness adds no relaxation of its own.
		default:
			fail(soundFailure{kind: "not-covered", pair: pr, req: q, da: da, db: db,
				diag: st.diagnose(res, pr.a, pr.b, er), detail: "in no reported class: " + changeList(res)})
		}
	}
}

// diagnose says, for a request Delta does not place in its classes, why:
// the request lies outside Delta's universe (and which part of it: the
// caller, action, resource or a context key; found by replacing that part
// with one of the universe's own until the request maps), or it maps to a
// point whose representative request is decided like it (the encoding
// misses a real difference) or differently (the request was put in the
// wrong class).
func diagnose(res *DeltaResult, a, b *Policy, er *EvalRequest) string {
	u := res.u
	if u == nil {
		return "no universe (statements equal by meaning)"
	}
	p, ok := u.point(er)
	if ok {
		rep := u.request(p)
		ra, rb := a.Decide(rep, soundOwner).Decision, b.Decide(rep, soundOwner).Decision
		if ra == rb {
			return fmt.Sprintf("mapped to the class of %s, which is decided %s both times: the request is in the wrong class", fmtReq(rep.Request()), ra)
		}
		return fmt.Sprintf("mapped to the class of %s, decided %s → %s, but that class is not reported", fmtReq(rep.Request()), ra, rb)
	}
	try := func(q *EvalRequest) bool { _, ok := u.point(q); return ok }
	for _, res := range u.resources {
		q := cloneEval(er)
		q.Resource = res
		if try(q) {
			return "unmapped resource " + er.Resource
		}
	}
	for _, act := range u.sp.actions {
		q := cloneEval(er)
		q.Action = act
		if try(q) {
			return "unmapped action " + er.Action
		}
	}
	for _, base := range u.base {
		q := cloneEval(er)
		q.Caller = base.Caller
		for _, k := range derivedKeys {
			delete(q.Ctx, k)
		}
		for k, v := range base.Ctx {
			q.Ctx[k] = v
		}
		if try(q) {
			return "unmapped caller " + er.Caller.ARN
		}
	}
	for k := range er.Ctx {
		if isDerived(k) {
			continue
		}
		q := cloneEval(er)
		delete(q.Ctx, k)
		if try(q) {
			return "unmapped value of " + k
		}
	}
	return "unmapped"
}

// category is the diagnosis without the request's particulars.
func category(diag string) string {
	switch {
	case strings.HasPrefix(diag, "mapped to"):
		if strings.Contains(diag, "wrong class") {
			return "wrong class"
		}
		return "class not reported"
	case strings.HasPrefix(diag, "unmapped value of "):
		return diag
	case strings.HasPrefix(diag, "unmapped "):
		f := strings.Fields(diag)
		return f[0] + " " + f[1]
	}
	return diag
}

func fmtReq(q Request) string {
	b, _ := json.Marshal(q)
	return string(b)
}

func (st *soundStats) diagnose(res *DeltaResult, a, b *Policy, er *EvalRequest) string {
	if st.diagnosed >= maxDiagnosed {
		return "undiagnosed"
	}
	st.diagnosed++
	return diagnose(res, a, b, er)
}

func changeList(res *DeltaResult) string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, c.String())
	}
	if len(out) > 6 {
		out = append(out[:6], fmt.Sprintf("... %d more", len(out)-6))
	}
	return "[" + strings.Join(out, "; ") + "]"
}

// stillFails reports whether the pair still fails the same way on req.
func stillFails(kind string, srcA, srcB []byte, req Request) bool {
	a, err := Parse(srcA)
	if err != nil {
		return false
	}
	b, err := Parse(srcB)
	if err != nil {
		return false
	}
	res, err := Delta(a, b, DeltaOptions{Owner: soundOwner})
	if kind == "delta-error" {
		return err != nil
	}
	if err != nil {
		return false
	}
	if kind == "bad-example" {
		for _, c := range res.Changes {
			ex, err := Prepare(c.Example)
			if err != nil {
				return true
			}
			if a.Decide(ex, soundOwner).Decision != c.Before || b.Decide(ex, soundOwner).Decision != c.After {
				return true
			}
		}
		return false
	}
	er, err := Prepare(req)
	if err != nil {
		return false
	}
	da, db := a.Decide(er, soundOwner).Decision, b.Decide(er, soundOwner).Decision
	switch kind {
	case "missed":
		return da != db && res.Equivalent
	case "not-covered":
		return da != db && !res.Equivalent && !res.Covers(er)
	case "overclaim":
		return da == db && res.Covers(er)
	}
	return false
}
