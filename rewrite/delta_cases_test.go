package rewrite

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// A mutation makes a (usually) real change; ok is false when it does not
// apply to the policy.
type mutation func(r *rand.Rand, p gPolicy) (gPolicy, bool)

var realChanges = []struct {
	name string
	fn   mutation
}{
	{"drop-condition", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		for _, i := range r.Perm(len(q.Stmts)) {
			if n := len(q.Stmts[i].Conds); n > 0 {
				j := r.IntN(n)
				q.Stmts[i].Conds = slices.Delete(q.Stmts[i].Conds, j, j+1)
				return q, true
			}
		}
		return q, false
	}},
	{"change-cidr", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		for _, i := range r.Perm(len(q.Stmts)) {
			for j, c := range q.Stmts[i].Conds {
				if strings.Contains(c.Op, "IpAddress") {
					v := &q.Stmts[i].Conds[j].Values[r.IntN(len(c.Values))]
					if strings.Contains(*v, ":") {
						*v = "2001:db8:ffff::/48"
					} else {
						*v = "198.51.100.0/24"
					}
					return q, true
				}
			}
		}
		return q, false
	}},
	{"add-deny", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		s := genStmt(r, 99)
		s.Effect, s.NotPrincipal = "Deny", false
		q.Stmts = slices.Insert(q.Stmts, r.IntN(len(q.Stmts)+1), s)
		return q, true
	}},
	{"remove-action", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		for _, i := range r.Perm(len(q.Stmts)) {
			if n := len(q.Stmts[i].Actions); n > 1 {
				j := r.IntN(n)
				q.Stmts[i].Actions = slices.Delete(q.Stmts[i].Actions, j, j+1)
				return q, true
			}
		}
		return q, false
	}},
	{"flip-effect", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		i := r.IntN(len(q.Stmts))
		if q.Stmts[i].Effect == "Deny" {
			q.Stmts[i].Effect = "Allow"
			q.Stmts[i].NotPrincipal = false
		} else {
			q.Stmts[i].Effect = "Deny"
		}
		return q, true
	}},
	{"change-principal", func(r *rand.Rand, p gPolicy) (gPolicy, bool) {
		q := p.clone()
		i := r.IntN(len(q.Stmts))
		switch q.Stmts[i].Principal.(type) {
		case string:
			q.Stmts[i].Principal = map[string][]string{"AWS": {"arn:aws:iam::" + genOther + ":root"}}
		default:
			if q.Stmts[i].NotPrincipal {
				q.Stmts[i].Principal = map[string][]string{"AWS": {"arn:aws:iam::" + genOwner + ":role/Admin"}}
			} else {
				q.Stmts[i].Principal = "*"
			}
		}
		return q, true
	}},
}

// sampler draws concrete requests from pools that include the generator's
// accounts, roles, actions, resources and condition values, inside and
// outside the CIDRs, and absent keys.
type sampler struct {
	r       *rand.Rand
	actions []string
}

type samplePrincipal struct {
	arn, userid string
}

var samplePrincipals = []samplePrincipal{
	{"arn:aws:iam::" + genOwner + ":root", genOwner},
	{"arn:aws:iam::" + genOwner + ":user/alice", "AIDAALICE00000000001"},
	{"arn:aws:iam::" + genOwner + ":user/bob", "AIDABOB0000000000001"},
	{"arn:aws:sts::" + genOwner + ":assumed-role/Admin/s1", "AROAADMIN00000000001:s1"},
	{"arn:aws:sts::" + genOwner + ":assumed-role/AWSBackupDefaultServiceRole/AWSBackup-x", genRoleID + ":AWSBackup-x"},
	{"arn:aws:sts::" + genOwner + ":assumed-role/Other/s", "AROAOTHERROLEID00002:s"},
	{"arn:aws:iam::" + genOther + ":root", genOther},
	{"arn:aws:iam::" + genOther + ":user/mallory", "AIDAMALLORY000000001"},
	{"arn:aws:sts::" + genOther + ":assumed-role/Admin/s2", "AROAPARTNER000000001:s2"},
	{"arn:aws:iam::999999999999:user/eve", "AIDAEVE0000000000001"},
	{"anonymous", ""},
}

func newSampler(seed uint64) *sampler {
	s := &sampler{r: newRand(seed ^ 0xabcdef)}
	s.actions = append(s.actions, s3actions.Names()...)
	s.actions = append(s.actions, "s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketVersioning",
		"s3:GetBucketLocation", "s3:PutBucketPolicy", "s3:DeleteObject", "s3:GetFutureFeature", "s3:PutFutureFeature", "s3:ZzzNew")
	return s
}

func (s *sampler) request() Request {
	r := s.r
	pr := samplePrincipals[r.IntN(len(samplePrincipals))]
	ctx := map[string][]string{}
	if pr.userid != "" {
		ctx["aws:userid"] = []string{pr.userid}
	}
	// An action is requested on the kinds of resource it applies to (an
	// action the catalogue does not know, on either).
	var action string
	var bucketOK, objectOK bool
	for !bucketOK && !objectOK {
		action = s.actions[r.IntN(len(s.actions))]
		bucketOK, objectOK = resourceKinds(action)
	}
	var res string
	for {
		// Only the policy's own bucket: S3 evaluates a bucket policy only
		// for requests on its bucket and its objects.
		res = []string{"arn:aws:s3:::b", "arn:aws:s3:::b/x.csv", "arn:aws:s3:::b/logs/2026/a", "arn:aws:s3:::b/logs",
			"arn:aws:s3:::b/logs/", "arn:aws:s3:::b/public/a"}[r.IntN(6)]
		if _, obj := splitS3(res); obj && objectOK || !obj && bucketOK {
			break
		}
	}
	if v := []string{"", "vpce-1111", "vpce-2222", "vpce-9999"}[r.IntN(4)]; v != "" {
		ctx["aws:SourceVpce"] = []string{v}
	}
	ips := []string{"", "192.0.2.5", "192.0.2.255", "203.0.113.9", "10.1.2.3", "198.51.100.7", "8.8.8.8",
		"2001:db8::1", "2001:db8:1::5", "2001:db8:ffff::1", "2600:1f18::5"}
	if v := ips[r.IntN(len(ips))]; v != "" {
		ctx["aws:SourceIp"] = []string{v}
	}
	if v := []string{"", "true", "false"}[r.IntN(3)]; v != "" {
		ctx["aws:SecureTransport"] = []string{v}
	}
	return Request{Principal: pr.arn, Action: action, Resource: res, Context: ctx}
}

// checkNothingInvented asserts that each class's example request is decided
// as the class says, and that the class says a change.
func checkNothingInvented(t *testing.T, a, b *Policy, d *DeltaResult, owner string) {
	t.Helper()
	for _, c := range d.Changes {
		if c.Before == c.After {
			t.Errorf("class %s: before == after", c)
		}
		ex, err := Prepare(c.Example)
		if err != nil {
			t.Errorf("class %s: example %+v does not prepare: %v", c, c.Example, err)
			continue
		}
		da, db := a.Decide(ex, owner).Decision, b.Decide(ex, owner).Decision
		if da != c.Before || db != c.After {
			t.Errorf("class %s: example %+v is decided %s → %s", c, c.Example, da, db)
		}
		if len(c.Actions) == 0 || c.Principals == "" || c.Resource == "" {
			t.Errorf("class %+v: empty description", c)
		}
	}
}

// TestDeltaRealChanges applies real changes to generated policies. Each
// reported class holds an example that the evaluator decides differently,
// as reported; and random concrete requests decided differently make Delta
// report a change. Across the run, each mutation is found at least once.
func TestDeltaRealChanges(t *testing.T) {
	seeds, samples := 30, 300
	if testing.Short() {
		seeds, samples = 15, 100
	}
	for _, m := range realChanges {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			found, applied, known := 0, 0, 0
			for seed := range uint64(seeds) {
				r := newRand(seed + 1000)
				gp := genPolicy(r)
				q, ok := m.fn(r, gp)
				if !ok {
					continue
				}
				applied++
				srcA, srcB := gp.render(renderOpts{}), q.render(renderOpts{})
				a, b := mustParse(t, srcA), mustParse(t, srcB)
				for _, owner := range []string{genOwner, ""} {
					d, err := Delta(a, b, DeltaOptions{Owner: owner})
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					checkNothingInvented(t, a, b, d, owner)
					if d.Equivalent != (len(d.Changes) == 0) {
						t.Errorf("seed %d: Equivalent=%v with %d changes", seed, d.Equivalent, len(d.Changes))
					}
					if !d.Equivalent && owner == genOwner {
						found++
					}
					// Soundness by sampling.
					sm := newSampler(seed)
					for range samples {
						req := sm.request()
						er, err := Prepare(req)
						if err != nil {
							t.Fatalf("sample %+v: %v", req, err)
						}
						da, db := a.Decide(er, owner).Decision, b.Decide(er, owner).Decision
						if da != db && d.Equivalent {
							if why := knownGap(a, b); why != "" {
								// Bug 1/2 (TestDeltaKnownGaps): principals,
								// derived keys or resources that only
								// unchanged statements name are not
								// enumerated.
								known++
								t.Logf("known gap (%s): seed %d owner %q: %+v decided %s → %s", why, seed, owner, req, da, db)
								continue
							}
							t.Fatalf("seed %d owner %q: Delta says equivalent, but %+v is decided %s → %s\nA: %s\nB: %s", seed, owner, req, da, db, srcA, srcB)
						}
						if da != db && !describedBy(d, req, da, db) {
							t.Logf("seed %d owner %q: %+v (%s → %s) is in no reported class %v\nA: %s\nB: %s", seed, owner, req, da, db, d.Changes, srcA, srcB)
						}
					}
				}
			}
			t.Logf("%s: %d of %d mutated policies changed access; %d sampled requests missed by known gaps", m.name, found, applied, known)
			if found == 0 {
				t.Errorf("no change found for %s in %d policies", m.name, applied)
			}
		})
	}
}

// describedBy is a loose check that some reported class covers the
// request: same before/after, and its actions name the request's action
// (or "every S3 action"). Principals and context are prose and are not
// parsed.
func describedBy(d *DeltaResult, req Request, before, after Decision) bool {
	for _, c := range d.Changes {
		if c.Before != before || c.After != after {
			continue
		}
		for _, a := range c.actions {
			if strings.EqualFold(a, req.Action) {
				return true
			}
		}
		for _, a := range c.Actions {
			if a == "every S3 action" || strings.EqualFold(a, req.Action) {
				return true
			}
		}
		// Actions the catalogue does not know are enumerated as
		// representative instances of the policies' wildcards.
		for _, a := range c.actions {
			if strings.Contains(a, "FixpolicyUnlisted") || strings.EqualFold(a, "s3:FixpolicyUnlistedAction") {
				return true
			}
		}
	}
	return false
}

// TestDeltaHandPicked pins down a few classes by hand.
func TestDeltaHandPicked(t *testing.T) {
	vpce := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1111"}}}]}`
	ip := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}}]}`
	cases := []struct {
		name, a, b string
		equivalent bool
		want       []string // substrings of the classes' String()
	}{
		{"drop-condition", vpce, strings.Replace(vpce, `,"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1111"}}`, "", 1), false,
			[]string{"aws:SourceVpce vpce-1111", "none → deny"}},
		{"change-cidr", ip, strings.Replace(ip, "192.0.2.0/24", "198.51.100.0/24", 1), false,
			[]string{"deny"}},
		{"add-tls-deny", vpce, strings.Replace(vpce, `]}`, `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, 1), false,
			[]string{"aws:SecureTransport", "none → deny"}},
		{"key-and-action-case", vpce, strings.NewReplacer("aws:SourceVpce", "AWS:SOURCEVPCE", "s3:*", "S3:*").Replace(vpce), true, nil},
		{"ipv6-ipv4-order", ip, strings.Replace(ip, `["192.0.2.0/24","2001:db8::/32"]`, `["2001:db8::/32","192.0.2.0/24"]`, 1), true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustParse(t, []byte(tc.a)), mustParse(t, []byte(tc.b))
			d, err := Delta(a, b, DeltaOptions{Owner: genOwner})
			if err != nil {
				t.Fatal(err)
			}
			if d.Equivalent != tc.equivalent {
				t.Fatalf("Equivalent = %v, want %v: %v", d.Equivalent, tc.equivalent, d.Changes)
			}
			checkNothingInvented(t, a, b, d, genOwner)
			var all []string
			for _, c := range d.Changes {
				all = append(all, c.String())
			}
			text := strings.Join(all, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("classes do not mention %q:\n%s", w, text)
				}
			}
			// Symmetry: the reverse delta has the same number of classes,
			// with Before and After swapped.
			r, err := Delta(b, a, DeltaOptions{Owner: genOwner})
			if err != nil {
				t.Fatal(err)
			}
			if r.Equivalent != d.Equivalent {
				t.Errorf("reverse Equivalent = %v", r.Equivalent)
			}
			checkNothingInvented(t, b, a, r, genOwner)
		})
	}
}

// TestDeltaSampledCIDRBoundaries: the sampler's addresses really sit
// inside and outside the generator's ranges (so soundness sampling can
// tell the ranges apart).
func TestDeltaSampledCIDRBoundaries(t *testing.T) {
	in := map[string]bool{}
	for _, c := range genCIDRs {
		p := netip.MustParsePrefix(c)
		for _, a := range []string{"192.0.2.5", "192.0.2.255", "203.0.113.9", "10.1.2.3", "2001:db8::1", "2001:db8:1::5"} {
			if p.Contains(netip.MustParseAddr(a)) {
				in[a] = true
			}
		}
	}
	for _, a := range []string{"192.0.2.5", "203.0.113.9", "10.1.2.3", "2001:db8::1", "2001:db8:1::5"} {
		if !in[a] {
			t.Errorf("%s is inside none of %v", a, genCIDRs)
		}
	}
}

// knownGap says why Delta may miss a difference between a and b because of
// the known gaps: an unchanged statement names principals (Principal
// values, NotPrincipal, principal-derived condition keys such as
// aws:userid) or resources (NotResource, other patterns) that the changed
// statements do not, and Delta enumerates only the changed statements'.
func knownGap(a, b *Policy) string {
	removed, added := policy.SemanticDelta(a, b)
	changed := map[string]bool{}
	names := map[string]bool{}
	for _, s := range append(removed, added...) {
		changed[s.Canonical()] = true
		for _, v := range s.Principal.Values["AWS"] {
			names[v] = true
		}
		for _, r := range s.Resources {
			names[r] = true
		}
	}
	for _, p := range []*Policy{a, b} {
		for _, s := range p.Statements {
			if changed[s.Canonical()] {
				continue
			}
			switch {
			case s.NotPrincipal:
				return "unchanged NotPrincipal"
			case s.NotResource:
				return "unchanged NotResource"
			}
			for _, v := range s.Principal.Values["AWS"] {
				if !names[v] && v != "*" {
					return "principal " + v + " only in unchanged statements"
				}
			}
			for _, r := range s.Resources {
				if !names[r] {
					return "resource " + r + " only in unchanged statements"
				}
			}
			for _, c := range s.Conditions {
				if isDerived(c.KeyLower) {
					return c.Key + " only in unchanged statements"
				}
			}
		}
	}
	return ""
}

// TestDeltaKnownGaps are minimal cases of the gaps the property tests
// found in the enumerating Delta, kept as regressions for the symbolic one
// (which encodes every statement of both policies): a principal or a
// resource that only an unchanged statement names, and a key that only an
// unchanged statement reads, whose value splits a class's Before/After.
func TestDeltaKnownGaps(t *testing.T) {
	const others = `{"Sid":"Others","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`
	const private = `{"Sid":"Private","Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/public/*"}`
	const vpce = `{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1111"}}}`
	const vpceAll = `{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	const office = `{"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
	pol := func(stmts ...string) *Policy {
		return mustParse(t, []byte(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`))
	}
	vpceReq := func(principal, res string) Request {
		return Request{Principal: principal, Action: "s3:GetObject", Resource: res, Context: map[string][]string{"aws:SourceVpce": {"vpce-1111"}}}
	}
	cases := []struct {
		name string
		a, b *Policy
		req  Request
	}{
		{"1-principal-only-in-unchanged-statement", pol(others, vpce), pol(others, vpceAll), vpceReq("arn:aws:iam::444455556666:root", "arn:aws:s3:::b/x")},
		{"2-resource-only-in-unchanged-statement", pol(private, vpce), pol(private, vpceAll), vpceReq("arn:aws:iam::444455556666:root", "arn:aws:s3:::b/public/x")},
		{"3-before-after-per-unchanged-key", pol(office, vpceAll), pol(office),
			Request{Principal: "arn:aws:iam::444455556666:root", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x", Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			er, err := Prepare(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			da, db := tc.a.Decide(er, genOwner).Decision, tc.b.Decide(er, genOwner).Decision
			if da == db {
				t.Fatalf("the case is wrong: %s both times", da)
			}
			d, err := Delta(tc.a, tc.b, DeltaOptions{Owner: genOwner})
			if err != nil {
				t.Fatal(err)
			}
			if d.Equivalent {
				t.Fatalf("Delta says equivalent, but %+v is decided %s → %s", tc.req, da, db)
			}
			if !d.Covers(er) {
				t.Errorf("no class covers %+v (%s → %s): %v", tc.req, da, db, d.Changes)
			}
			for _, c := range d.Changes {
				if c.Before == da && c.After == db {
					return
				}
			}
			t.Errorf("no class %s → %s for %+v: %v", da, db, tc.req, d.Changes)
		})
	}
}
