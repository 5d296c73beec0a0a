package rewrite

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/sym"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// DeltaOptions tune Delta.
type DeltaOptions struct {
	// Owner is the bucket owner's account, "" when unknown (an Allow naming
	// only an account then counts as allowing, as in simulate).
	Owner string
	// Facts, when set, adds the backup role's sessions (and a re-created
	// role of the same name) to the principals, for fixpolicy's own gate.
	Facts *Facts
	// CatalogueOnly limits actions to the S3 action catalogue. Without it,
	// S3 actions that the catalogue does not know yet (but a wildcard in
	// the policies would match) are a class of their own.
	CatalogueOnly bool
	// Actions and Resources are told apart besides those of S3 and those
	// the statements name: for a policy of another service (a KMS key
	// policy), its actions, so that a wildcard such as "kms:*" is not
	// empty, and its resources (the key's ARN).
	Actions, Resources []string
}

// AccessChange is one class of requests whose decision differs.
type AccessChange struct {
	Principals string   `json:"principals"`
	Actions    []string `json:"actions"`
	Resource   string   `json:"resource"`
	Context    string   `json:"context,omitempty"`
	Before     Decision `json:"before"`
	After      Decision `json:"after"`
	Example    Request  `json:"example"`
	// Partial: the class bounds more changes than a delta lists; only some
	// of its requests change (with these decisions).
	Partial bool `json:"partial,omitempty"`

	resources []string
	actions   []string
	backup    bool // the backup role's sessions (gate class a)
	recreated bool // a re-created role of the backup role's name
	account   bool // principals of the owner's account
	callers   []Caller
}

func (c AccessChange) String() string {
	ctx := ""
	if c.Context != "" {
		ctx = ", " + c.Context
	}
	some := ""
	if c.Partial {
		some = "some requests of: "
	}
	return fmt.Sprintf("%s%s, %s on %s%s: %s → %s", some, c.Principals, policy.JoinList(c.Actions, 4), c.Resource, ctx, c.Before, c.After)
}

// DeltaResult is the access delta between two policies.
type DeltaResult struct {
	Equivalent bool           `json:"equivalent"`
	Changes    []AccessChange `json:"changes"`
	Requests   int            `json:"requests"`   // request classes the proof ranged over
	Statements int            `json:"statements"` // statements that differ

	u       *universe // for Covers
	covered sym.Set
}

func keySpellings(stmts []*Statement) map[string]string {
	out := map[string]string{}
	for _, s := range stmts {
		for _, c := range s.Conditions {
			if _, ok := out[c.KeyLower]; !ok {
				out[c.KeyLower] = c.Key
			}
		}
	}
	return out
}

// mergeEveryAction joins classes that differ only in resource when each
// covers every S3 action on its resources ("on the bucket" and "on its
// objects" become "on the bucket and its objects").
func mergeEveryAction(in []AccessChange, sp *space) []AccessChange {
	var out []AccessChange
	for _, c := range in {
		every := len(c.Actions) == 1 && c.Actions[0] == "every S3 action"
		merged := false
		for i := range out {
			o := &out[i]
			if every && len(o.Actions) == 1 && o.Actions[0] == "every S3 action" && o.Principals == c.Principals &&
				o.Context == c.Context && o.Before == c.Before && o.After == c.After {
				o.resources = append(o.resources, c.resources...)
				o.actions = append(o.actions, c.actions...)
				o.Resource = describeResourceSet(o.resources, sp)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, c)
		}
	}
	return out
}

func spellOf(spell map[string]string, k string) string {
	if s, ok := spell[k]; ok {
		return s
	}
	return k
}

// describeValues says which of a key's candidate values a set holds:
// "aws:SourceVpce absent or other than vpce-1", "aws:SourceVpce vpce-1".
func describeValues(key string, set map[int]bool, cands []*string, literals []string) string {
	if d, ok := describeIPValues(key, set, cands, literals); ok {
		return d
	}
	absent := false
	var named, unnamed []string
	var allUnnamed = true
	lits := make(map[string]bool, len(literals))
	for _, l := range literals {
		lits[l] = true
	}
	for i, c := range cands {
		isLit := c != nil && lits[*c]
		if !set[i] {
			if c != nil && !isLit {
				allUnnamed = false
			}
			continue
		}
		switch {
		case c == nil:
			absent = true
		case isLit:
			named = append(named, *c)
		default:
			unnamed = append(unnamed, fmt.Sprintf("%q", *c))
		}
	}
	var alts []string
	if absent {
		alts = append(alts, "absent")
	}
	if len(named) > 0 {
		alts = append(alts, policy.JoinValues(named, false))
	}
	if len(unnamed) > 0 {
		if allUnnamed {
			var all []string
			for _, c := range cands {
				if c != nil && lits[*c] {
					all = append(all, *c)
				}
			}
			if len(all) > 0 {
				alts = append(alts, "any value other than "+policy.JoinValues(all, false))
			} else {
				alts = append(alts, "any value")
			}
		} else {
			alts = append(alts, strings.Join(unnamed, " or "))
		}
	}
	return key + " " + strings.Join(alts, " or ")
}

// describeCallers names a set of callers by their classes where a class is
// complete, else one by one.
func describeCallers(group []*callerCand, all []callerCand) string {
	if len(group) == len(all) && len(all) > 1 {
		return "every principal"
	}
	classSize := map[string]int{}
	for i := range all {
		classSize[all[i].classOf()]++
	}
	inGroup := map[string][]*callerCand{}
	var order []string
	for _, cc := range group {
		cl := cc.classOf()
		if _, ok := inGroup[cl]; !ok {
			order = append(order, cl)
		}
		inGroup[cl] = append(inGroup[cl], cc)
	}
	var names []string
	add := func(n string) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, cl := range order {
		if len(inGroup[cl]) == classSize[cl] && classSize[cl] > 1 {
			add(cl)
			continue
		}
		if strings.HasPrefix(cl, "principals of account ") && len(inGroup[cl]) > classSize[cl]/2 {
			// Most of the account: name the few it leaves out.
			var out []string
			for i := range all {
				if all[i].classOf() == cl && !slices.Contains(inGroup[cl], &all[i]) && !slices.Contains(out, all[i].label) {
					out = append(out, all[i].label)
				}
			}
			add(cl + " except " + policy.JoinList(out, 3))
			continue
		}
		for _, cc := range inGroup[cl] {
			add(cc.label)
		}
	}
	return policy.JoinList(names, 4)
}

// classOf is the class a caller belongs to for summaries.
func (cc *callerCand) classOf() string {
	switch {
	case cc.class != "":
		return cc.class
	case cc.backup:
		return "the backup role's sessions"
	case cc.c.Authenticated():
		return "principals of account " + cc.c.Account
	}
	return cc.label
}

// summarizeActions lists the actions, or says "every S3 action" when the
// group holds every enumerated action that applies to its resources.
func summarizeActions(acts, resources []string, sp *space) []string {
	want := map[string]bool{}
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			if contains(resources, r) {
				want[a] = true
			}
		}
	}
	// "every S3 action" when the group holds every catalogue action that
	// applies to its kinds of resource.
	every := len(acts) == len(want) && len(sp.catalogue) > 0
	for _, name := range sp.catalogue {
		if !every {
			break
		}
		b, o := resourceKinds(name)
		for _, r := range resources {
			_, isObj := splitS3(r)
			if (isObj && o || !isObj && b) && !want[name] {
				every = false
			}
		}
	}
	if every {
		return []string{"every S3 action"}
	}
	sort.Strings(acts)
	return acts
}

// describeResourceSet names a set of resources: "arn:aws:s3:::b and its objects".
func describeResourceSet(res []string, sp *space) string {
	all := map[string]bool{}
	for _, a := range sp.actions {
		for _, r := range sp.resources(a) {
			all[r] = true
		}
	}
	buckets := map[string]bool{}
	objects := map[string]int{}
	total := map[string]int{}
	for r := range all {
		b, isObj := splitS3(r)
		if isObj {
			total[b]++
		}
	}
	var rest []string
	for _, r := range res {
		b, isObj := splitS3(r)
		switch {
		case !isObj && b != "":
			buckets[b] = true
		case isObj:
			objects[b]++
		default:
			rest = appendUnique(rest, r)
		}
	}
	var names []string
	seen := map[string]bool{}
	for _, r := range res {
		b, _ := splitS3(r)
		if b == "" || seen[b] {
			continue
		}
		allObjs := objects[b] == total[b] && total[b] > 0
		named := namedBucket(b, sp.patterns)
		switch {
		case buckets[b] && allObjs && named:
			names = append(names, "arn:aws:s3:::"+b+" and its objects")
			seen[b] = true
		case allObjs && named:
			names = append(names, "objects in arn:aws:s3:::"+b)
			seen[b] = true
		default:
			names = appendUnique(names, describeResource(r, sp.patterns))
		}
	}
	return policy.JoinList(append(names, rest...), 4)
}

// otherBucket names the representative of the buckets no policy names
// (deltaResources); descriptions say "other buckets".
const otherBucket = "fixpolicy-other-bucket"

// resourcePatterns are the statements' Resource and NotResource patterns.
func resourcePatterns(stmts []*Statement) []string {
	var out []string
	for _, s := range stmts {
		for _, r := range s.Resources {
			out = appendUnique(out, r)
		}
	}
	return out
}

// namedBucket reports whether a pattern names bucket b literally (as the
// bucket or as its objects' prefix).
func namedBucket(b string, pats []string) bool {
	for _, p := range pats {
		if pb, _ := splitS3(p); pb == b && !strings.ContainsAny(pb, "*?$") {
			return true
		}
	}
	return false
}

// describeResource names a representative resource by the policies'
// patterns it matches and does not match, never by its made-up name:
// "objects in arn:aws:s3:::b matching arn:aws:s3:::b/logs/* other than
// arn:aws:s3:::b/logs/private/*", "other buckets".
func describeResource(r string, pats []string) string {
	if contains(pats, r) && !strings.ContainsAny(r, "*?") {
		return r
	}
	b, isObj := splitS3(r)
	base := "arn:aws:s3:::" + b
	if !namedBucket(b, pats) {
		base = "other buckets"
	}
	var in, out []string
	for _, p := range pats {
		pb, pObj := splitS3(p)
		wild := strings.ContainsAny(pb, "*?$")
		switch {
		case pb == "" || pObj != isObj:
			continue // "*", or the other kind of resource
		case !wild && pb != b:
			continue // another named bucket
		case pObj && !wild && p == "arn:aws:s3:::"+pb+"/*":
			continue // every object of the bucket: says nothing here
		}
		if cond.MatchResource(p, r, nil) {
			in = appendUnique(in, p)
		} else {
			out = appendUnique(out, p)
		}
	}
	d := base
	switch {
	case isObj && len(in) > 0 && base != "other buckets":
		d = "objects" // the patterns name the bucket
	case isObj && base == "other buckets":
		d = "objects of other buckets"
	case isObj:
		d = "objects in " + base
	}
	if len(in) > 0 {
		d += " matching " + policy.JoinList(in, 3)
	}
	if len(out) > 0 {
		d += " other than " + policy.JoinList(out, 3)
	}
	return d
}

func splitS3(r string) (bucket string, object bool) {
	const pre = "arn:aws:s3:::"
	if !strings.HasPrefix(r, pre) {
		return "", false
	}
	rest := r[len(pre):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], true
	}
	return rest, false
}

// policyLiterals maps each condition key to the values the statements name.
func policyLiterals(stmts []*Statement) map[string][]string {
	out := map[string][]string{}
	for _, s := range stmts {
		for _, c := range s.Conditions {
			for _, v := range c.Values {
				out[c.KeyLower] = appendUnique(out[c.KeyLower], v)
			}
		}
	}
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// describeIPValues describes address candidates by the literal ranges:
// "aws:SourceIp outside 192.0.2.0/24 and 203.0.113.0/24 (or absent)".
func describeIPValues(key string, set map[int]bool, cands []*string, literals []string) (string, bool) {
	var ranges []netip.Prefix
	for _, l := range literals {
		p, err := parsePrefix(l)
		if err != nil {
			return "", false
		}
		ranges = append(ranges, p)
	}
	if len(ranges) == 0 {
		return "", false
	}
	inside := func(c string) bool {
		a, err := netip.ParseAddr(c)
		if err != nil {
			return false
		}
		for _, r := range ranges {
			if r.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	allOut, allIn, anyOut, anyIn, absent := true, true, false, false, false
	for i, c := range cands {
		if c == nil {
			absent = set[i]
			continue
		}
		in := inside(*c)
		switch {
		case in && set[i]:
			anyIn = true
		case in:
			allIn = false
		case set[i]:
			anyOut = true
		default:
			allOut = false
		}
	}
	// A long list of ranges (a policy may name 800) is summarised.
	lits := strings.Join(literals, ", ")
	if len(literals) > 8 {
		lits = strings.Join(literals[:5], ", ") + fmt.Sprintf(" and %d more ranges", len(literals)-5)
	}
	var alts []string
	switch {
	case anyOut && allOut && !anyIn:
		alts = append(alts, key+" outside "+lits)
	case anyIn && allIn && !anyOut:
		alts = append(alts, key+" inside "+lits)
	case anyIn || anyOut:
		return "", false
	}
	if absent {
		alts = append(alts, "no "+key)
	}
	return strings.Join(alts, " or "), true
}
