package rewrite

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// Property tests of Delta over generated bucket policies (issue 5):
// equivalence-preserving rewrites are reported equivalent; real changes are
// found; every reported class carries an example request that the evaluator
// decides as the class says (nothing is invented); and no request that a
// random sample finds decided differently is missed (soundness).

const (
	genOwner  = "012345678901"
	genOther  = "444455556666"
	genRoleID = "AROAEXAMPLEROLEID0001"
	genBucket = "b"
)

// gPolicy is a generated policy in a form that can be rewritten and then
// rendered with chosen shapes and member orders.
type gPolicy struct {
	Version string
	Stmts   []gStmt
}

type gStmt struct {
	Sid          string
	Effect       string
	NotPrincipal bool
	Principal    any // "*" or map with key "AWS" -> []string
	NotAction    bool
	Actions      []string
	NotResource  bool
	Resources    []string
	Conds        []gCond
}

type gCond struct {
	Op     string
	Key    string
	Values []string
}

func (s gStmt) clone() gStmt {
	c := s
	c.Actions = slices.Clone(s.Actions)
	c.Resources = slices.Clone(s.Resources)
	c.Conds = make([]gCond, len(s.Conds))
	for i, x := range s.Conds {
		c.Conds[i] = gCond{x.Op, x.Key, slices.Clone(x.Values)}
	}
	if m, ok := s.Principal.(map[string][]string); ok {
		c.Principal = map[string][]string{"AWS": slices.Clone(m["AWS"])}
	}
	return c
}

func (p gPolicy) clone() gPolicy {
	c := gPolicy{Version: p.Version}
	for _, s := range p.Stmts {
		c.Stmts = append(c.Stmts, s.clone())
	}
	return c
}

var (
	genActions = []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:Get*", "s3:*", "s3:DeleteObject",
		"s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:PutBucketPolicy", "s3:List*", "s3:Put*"}
	genResources = []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::b/logs/*"}
	genAWS       = []string{genOwner, "arn:aws:iam::" + genOwner + ":root", "arn:aws:iam::" + genOther + ":root",
		"arn:aws:iam::" + genOwner + ":role/Admin", "arn:aws:iam::" + genOwner + ":user/alice", genOther}
	genCIDRs = []string{"192.0.2.0/24", "203.0.113.0/24", "10.0.0.0/8", "2001:db8::/32", "2001:db8:1::/48"}
)

// genCondPool is the pool of conditions a statement draws from.
func genCond(r *rand.Rand) gCond {
	pick := func(list ...string) string { return list[r.IntN(len(list))] }
	some := func(list ...string) []string {
		n := 1 + r.IntN(2)
		out := []string{}
		for _, i := range r.Perm(len(list))[:min(n, len(list))] {
			out = append(out, list[i])
		}
		return out
	}
	switch r.IntN(11) {
	case 0:
		return gCond{"StringNotEquals", "aws:SourceVpce", some("vpce-1111", "vpce-2222")}
	case 1:
		return gCond{"StringEquals", "aws:SourceVpce", some("vpce-1111", "vpce-2222")}
	case 2:
		return gCond{"NotIpAddress", "aws:SourceIp", some(genCIDRs...)}
	case 3:
		return gCond{"IpAddress", "aws:SourceIp", some(genCIDRs...)}
	case 4:
		return gCond{"Bool", "aws:SecureTransport", []string{pick("true", "false")}}
	case 5:
		return gCond{"StringNotLike", "aws:userid", some(genRoleID+":*", "AROAOTHERROLEID00002:*")}
	case 6:
		return gCond{"StringNotEquals", "aws:PrincipalAccount", []string{genOwner}}
	case 7:
		return gCond{"StringNotEqualsIfExists", "aws:SourceVpce", some("vpce-1111", "vpce-2222")}
	case 8:
		return gCond{"NotIpAddressIfExists", "aws:SourceIp", some(genCIDRs...)}
	case 9:
		return gCond{"Null", "aws:SourceVpce", []string{pick("true", "false")}}
	default:
		return gCond{"StringEqualsIfExists", "aws:SourceVpce", []string{"vpce-1111"}}
	}
}

func genStmt(r *rand.Rand, i int) gStmt {
	s := gStmt{Sid: fmt.Sprintf("S%d", i), Effect: "Deny"}
	if r.IntN(3) == 0 {
		s.Effect = "Allow"
	}
	switch r.IntN(5) {
	case 0:
		s.Principal = "*"
	case 1:
		s.Principal = map[string][]string{"AWS": {"*"}}
	default:
		n := 1 + r.IntN(2)
		var vals []string
		for _, j := range r.Perm(len(genAWS))[:n] {
			vals = append(vals, genAWS[j])
		}
		s.Principal = map[string][]string{"AWS": vals}
		s.NotPrincipal = s.Effect == "Deny" && r.IntN(4) == 0
	}
	n := 1 + r.IntN(3)
	for _, j := range r.Perm(len(genActions))[:n] {
		s.Actions = append(s.Actions, genActions[j])
	}
	s.NotAction = r.IntN(6) == 0
	n = 1 + r.IntN(2)
	for _, j := range r.Perm(len(genResources))[:n] {
		s.Resources = append(s.Resources, genResources[j])
	}
	s.NotResource = r.IntN(10) == 0
	seen := map[string]bool{}
	for range r.IntN(3) {
		c := genCond(r)
		if k := c.Op + "|" + strings.ToLower(c.Key); !seen[k] {
			seen[k] = true
			s.Conds = append(s.Conds, c)
		}
	}
	return s
}

func genPolicy(r *rand.Rand) gPolicy {
	p := gPolicy{Version: "2012-10-17"}
	for i := range 1 + r.IntN(6) {
		p.Stmts = append(p.Stmts, genStmt(r, i))
	}
	return p
}

// renderOpts choose the form: shapes of one-element lists and member order.
type renderOpts struct {
	r       *rand.Rand // nil: fixed order, strings for one-element lists
	arrays  bool       // one-element lists as arrays
	shuffle bool       // shuffle member order of statements and conditions
}

func jstr(s string) string { b, _ := json.Marshal(s); return string(b) }

func (o renderOpts) list(vals []string) string {
	if len(vals) == 1 && !o.arrays {
		return jstr(vals[0])
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = jstr(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (o renderOpts) object(members []string) string {
	if o.shuffle && o.r != nil {
		o.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	}
	return "{" + strings.Join(members, ",") + "}"
}

func (p gPolicy) render(o renderOpts) []byte {
	var stmts []string
	for _, s := range p.Stmts {
		var m []string
		if s.Sid != "" {
			m = append(m, `"Sid":`+jstr(s.Sid))
		}
		m = append(m, `"Effect":`+jstr(s.Effect))
		pk := "Principal"
		if s.NotPrincipal {
			pk = "NotPrincipal"
		}
		switch pr := s.Principal.(type) {
		case string:
			m = append(m, jstr(pk)+":"+jstr(pr))
		case map[string][]string:
			m = append(m, jstr(pk)+`:{"AWS":`+o.list(pr["AWS"])+"}")
		}
		ak, rk := "Action", "Resource"
		if s.NotAction {
			ak = "NotAction"
		}
		if s.NotResource {
			rk = "NotResource"
		}
		m = append(m, jstr(ak)+":"+o.list(s.Actions), jstr(rk)+":"+o.list(s.Resources))
		if len(s.Conds) > 0 {
			byOp := map[string][]string{}
			var ops []string
			for _, c := range s.Conds {
				if _, ok := byOp[c.Op]; !ok {
					ops = append(ops, c.Op)
				}
				byOp[c.Op] = append(byOp[c.Op], jstr(c.Key)+":"+o.list(c.Values))
			}
			var cm []string
			for _, op := range ops {
				cm = append(cm, jstr(op)+":"+o.object(byOp[op]))
			}
			m = append(m, `"Condition":`+o.object(cm))
		}
		stmts = append(stmts, o.object(m))
	}
	return []byte(`{"Version":` + jstr(p.Version) + `,"Statement":[` + strings.Join(stmts, ",") + "]}")
}

func mustParse(t testing.TB, src []byte) *Policy {
	t.Helper()
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return p
}

// A rewrite returns an equivalent policy and its rendering options.
type rewriteFn func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts)

func shuffled[T any](r *rand.Rand, s []T) []T {
	s = slices.Clone(s)
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// splitActions splits every statement with an Action list into one
// statement per action, everything else the same.
func splitActions(p gPolicy) gPolicy {
	var out []gStmt
	for i, s := range p.Stmts {
		if s.NotAction || len(s.Actions) < 2 {
			out = append(out, s.clone())
			continue
		}
		for j, a := range s.Actions {
			c := s.clone()
			c.Actions = []string{a}
			c.Sid = fmt.Sprintf("Split%d%d", i, j)
			out = append(out, c)
		}
	}
	return gPolicy{Version: p.Version, Stmts: out}
}

// mergeActions merges statements that differ only in their Action lists.
func mergeActions(p gPolicy) gPolicy {
	key := func(s gStmt) string {
		c := s.clone()
		c.Sid, c.Actions = "", nil
		b, _ := json.Marshal(c)
		return string(b)
	}
	var out []gStmt
	at := map[string]int{}
	for _, s := range p.Stmts {
		if s.NotAction {
			out = append(out, s.clone())
			continue
		}
		k := key(s)
		if i, ok := at[k]; ok {
			for _, a := range s.Actions {
				if !slices.Contains(out[i].Actions, a) {
					out[i].Actions = append(out[i].Actions, a)
				}
			}
			continue
		}
		at[k] = len(out)
		out = append(out, s.clone())
	}
	return gPolicy{Version: p.Version, Stmts: out}
}

func respell(r *rand.Rand, key string) string {
	switch r.IntN(3) {
	case 0:
		return strings.ToLower(key)
	case 1:
		return strings.ToUpper(key)
	}
	b := []byte(key)
	for i := range b {
		if r.IntN(2) == 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		}
	}
	return string(b)
}

var equivalentRewrites = []struct {
	name       string
	structural bool // Equivalent (the structural check) must agree too
	fn         rewriteFn
}{
	{"reorder-statements", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		q.Stmts = shuffled(r, q.Stmts)
		return q, renderOpts{}
	}},
	{"split-actions", false, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		return splitActions(p), renderOpts{}
	}},
	{"split-then-merge", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		return mergeActions(splitActions(p)), renderOpts{}
	}},
	{"merge", false, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		return mergeActions(p), renderOpts{}
	}},
	{"string-to-array", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		return p.clone(), renderOpts{arrays: true}
	}},
	{"condition-key-case", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		for i := range q.Stmts {
			for j := range q.Stmts[i].Conds {
				q.Stmts[i].Conds[j].Key = respell(r, q.Stmts[i].Conds[j].Key)
			}
		}
		return q, renderOpts{}
	}},
	{"action-case", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		for i := range q.Stmts {
			for j := range q.Stmts[i].Actions {
				q.Stmts[i].Actions[j] = respell(r, q.Stmts[i].Actions[j])
			}
		}
		return q, renderOpts{}
	}},
	{"sid-change-or-removal", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		for i := range q.Stmts {
			if r.IntN(2) == 0 {
				q.Stmts[i].Sid = ""
			} else {
				q.Stmts[i].Sid = fmt.Sprintf("Renamed%d", i)
			}
		}
		return q, renderOpts{}
	}},
	{"duplicate-statement", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		i := r.IntN(len(q.Stmts))
		d := q.Stmts[i].clone()
		d.Sid = "Dup"
		q.Stmts = slices.Insert(q.Stmts, r.IntN(len(q.Stmts)+1), d)
		return q, renderOpts{}
	}},
	{"reorder-conditions-and-values", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		for i := range q.Stmts {
			s := &q.Stmts[i]
			s.Conds = shuffled(r, s.Conds)
			for j := range s.Conds {
				s.Conds[j].Values = shuffled(r, s.Conds[j].Values)
			}
			s.Actions = shuffled(r, s.Actions)
			s.Resources = shuffled(r, s.Resources)
			if m, ok := s.Principal.(map[string][]string); ok {
				m["AWS"] = shuffled(r, m["AWS"])
			}
		}
		return q, renderOpts{r: r, shuffle: true}
	}},
	{"account-id-as-root-arn", true, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := p.clone()
		for i := range q.Stmts {
			if m, ok := q.Stmts[i].Principal.(map[string][]string); ok {
				for j, v := range m["AWS"] {
					if policy.IsAccountID(v) {
						m["AWS"][j] = "arn:aws:iam::" + v + ":root"
					}
				}
			}
		}
		return q, renderOpts{}
	}},
	{"all-at-once", false, func(r *rand.Rand, p gPolicy) (gPolicy, renderOpts) {
		q := splitActions(p)
		for i := range q.Stmts {
			q.Stmts[i].Sid = ""
			for j := range q.Stmts[i].Conds {
				q.Stmts[i].Conds[j].Key = respell(r, q.Stmts[i].Conds[j].Key)
			}
			for j := range q.Stmts[i].Actions {
				q.Stmts[i].Actions[j] = respell(r, q.Stmts[i].Actions[j])
			}
		}
		q.Stmts = shuffled(r, q.Stmts)
		return q, renderOpts{r: r, arrays: true, shuffle: true}
	}},
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// TestDeltaEquivalentRewrites: every equivalence-preserving rewrite of a
// generated policy gives Delta(...).Equivalent == true, both with and
// without an owner account, and no changes.
func TestDeltaEquivalentRewrites(t *testing.T) {
	for _, rw := range equivalentRewrites {
		t.Run(rw.name, func(t *testing.T) {
			t.Parallel()
			// Splitting makes every statement differ, so Delta enumerates
			// the whole space: fewer seeds for those.
			seeds := 80
			if !rw.structural {
				seeds = 8
			}
			if testing.Short() {
				seeds /= 4
			}
			for seed := range uint64(seeds) {
				r := newRand(seed)
				gp := genPolicy(r)
				q, o := rw.fn(r, gp)
				srcA, srcB := gp.render(renderOpts{}), q.render(o)
				a, b := mustParse(t, srcA), mustParse(t, srcB)
				for _, owner := range []string{genOwner, ""} {
					d, err := Delta(a, b, DeltaOptions{Owner: owner})
					if err != nil {
						t.Fatalf("seed %d: %v", seed, err)
					}
					if !d.Equivalent || len(d.Changes) != 0 {
						t.Fatalf("seed %d owner %q: not equivalent: %v\nA: %s\nB: %s", seed, owner, d.Changes, srcA, srcB)
					}
				}
				if rw.structural && !Equivalent(a, b) {
					t.Errorf("seed %d: the structural check Equivalent says different\nA: %s\nB: %s", seed, srcA, srcB)
				}
			}
		})
	}
}

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
