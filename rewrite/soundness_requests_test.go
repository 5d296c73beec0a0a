package rewrite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// ---------------------------------------------------------------------------
// Boundary requests

// sCaller is a request principal and its aws:userid ("" when it has none or
// Prepare derives it).
type sCaller struct {
	arn, userid string
}

func (c sCaller) derived() map[string]string {
	er, err := Prepare(c.request("s3:GetObject", "arn:aws:s3:::x/y", nil))
	if err != nil {
		panic(err)
	}
	out := map[string]string{}
	for _, k := range derivedKeys {
		if v, ok := er.Ctx[k]; ok && len(v) == 1 {
			out[k] = v[0]
		}
	}
	return out
}

func (c sCaller) request(action, resource string, ctx map[string][]string) Request {
	m := make(map[string][]string, len(ctx)+1)
	for k, v := range ctx {
		m[k] = v
	}
	if c.userid != "" {
		m["aws:userid"] = []string{c.userid}
	}
	return Request{Principal: c.arn, Action: action, Resource: resource, Context: m}
}

var fixedCallers = []sCaller{
	{"arn:aws:iam::" + soundOwner + ":root", soundOwner},
	{"arn:aws:iam::" + soundOwner + ":user/alice", "AIDAALICE0000000001"},
	{"arn:aws:sts::" + soundOwner + ":assumed-role/app-role/sess", "AROAAPPROLE00000001:sess"},
	{"arn:aws:iam::" + soundOther + ":root", soundOther},
	{"arn:aws:iam::" + soundOther + ":user/mallory", "AIDAMALLORY00000001"},
	{"arn:aws:sts::" + soundOther + ":assumed-role/partner/s2", "AROAPARTNER00000001:s2"},
	{"anonymous", ""},
	{"backup.amazonaws.com", ""},
}

func idPart(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func sessionCaller(acct, role, sess string) sCaller {
	return sCaller{fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", acct, role, sess), "AROA" + idPart(role) + ":" + sess}
}

func userCaller(acct, name string) sCaller {
	return sCaller{fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, name), "AIDA" + idPart(name) + acct[:4]}
}

var globRepl = strings.NewReplacer("*", "x", "?", "q")

// pairCallers are the fixed callers and those the policies single out.
func pairCallers(ps ...*Policy) []sCaller {
	out := append([]sCaller{}, fixedCallers...)
	seen := map[sCaller]bool{}
	for _, c := range out {
		seen[c] = true
	}
	add := func(c sCaller) {
		if _, err := ParseCaller(c.arn); err != nil || seen[c] {
			return
		}
		seen[c] = true
		out = append(out, c)
	}
	fromARN := func(e string) {
		c, err := ParseCaller(e)
		if err != nil {
			return
		}
		switch c.Kind {
		case AccountRoot:
			add(sCaller{e, c.Account})
			add(userCaller(c.Account, "someone"))
		case IAMUser:
			add(sCaller{e, "AIDA" + idPart(c.Name) + c.Account[:4]})
		case IAMRole:
			add(sessionCaller(c.Account, c.Name, "sess"))
		case AssumedRole:
			add(sCaller{e, "AROA" + idPart(c.Name) + ":" + c.Session})
			add(sessionCaller(c.Account, c.Name, "other-session"))
		}
	}
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, e := range s.Principal.Values["AWS"] {
				switch {
				case e == "*":
				case policy.IsAccountID(e):
					add(sCaller{"arn:aws:iam::" + e + ":root", e})
					add(userCaller(e, "someone"))
				case strings.HasPrefix(e, "AROA"):
					add(sCaller{"arn:aws:sts::" + soundOwner + ":assumed-role/r-" + e + "/sess", e + ":sess"})
				case strings.HasPrefix(e, "AIDA"):
					add(sCaller{"arn:aws:iam::" + soundOwner + ":user/u-" + e, e})
				default:
					fromARN(e)
				}
			}
			for _, svc := range s.Principal.Values["Service"] {
				add(sCaller{svc, ""})
			}
			for _, c := range s.Conditions {
				for _, v := range c.Values {
					if strings.Contains(v, "${") {
						continue
					}
					switch c.KeyLower {
					case "aws:userid":
						id, sess, ok := strings.Cut(v, ":")
						id = globRepl.Replace(id)
						// Only callers AWS can have: a role session's userid
						// is ROLEID:session, a federated user's account:name,
						// a root user's the account, an IAM user's AIDA...
						// (IAM User Guide, "Unique identifiers").
						switch {
						case ok && strings.HasPrefix(id, "AROA"):
							sess = globRepl.Replace(sess)
							if sess == "" {
								sess = "s"
							}
							add(sCaller{"arn:aws:sts::" + soundOwner + ":assumed-role/r-" + idPart(id) + "/" + sess, id + ":" + sess})
							add(sCaller{"arn:aws:sts::" + soundOwner + ":assumed-role/r-" + idPart(id) + "X/" + sess, id + "X:" + sess})
						case ok && policy.IsAccountID(id) && sess != "" && !strings.ContainsAny(sess, "*?/:"):
							add(sCaller{"arn:aws:sts::" + id + ":federated-user/" + sess, id + ":" + sess})
						case !ok && policy.IsAccountID(id):
							add(sCaller{"arn:aws:iam::" + id + ":root", id})
						case !ok && strings.HasPrefix(id, "AIDA"):
							add(sCaller{"arn:aws:iam::" + soundOwner + ":user/u-" + idPart(id), id})
							add(sCaller{"arn:aws:iam::" + soundOwner + ":user/u-" + idPart(id) + "x", id + "x"})
						}
					case "aws:principalarn":
						fromARN(globRepl.Replace(v))
						fromARN(globRepl.Replace(v) + "x")
					case "aws:principalaccount":
						if policy.IsAccountID(v) {
							add(sCaller{"arn:aws:iam::" + v + ":root", v})
							add(userCaller(v, "someone"))
						}
					case "aws:username":
						add(userCaller(soundOwner, globRepl.Replace(v)))
						add(userCaller(soundOwner, globRepl.Replace(v)+"x"))
					}
				}
			}
		}
	}
	return out
}

// substitute replaces the policy variables in s from vals (lower-case
// keys); a variable without a value takes its default, or stays.
func substitute(s string, vals map[string]string) string {
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[2 : len(m)-1]
		switch inner {
		case "*", "?", "$":
			return inner
		}
		k, def, hasDef := strings.Cut(inner, ",")
		if v, ok := vals[strings.ToLower(strings.TrimSpace(k))]; ok {
			return v
		}
		if hasDef {
			return strings.Trim(strings.TrimSpace(def), "'")
		}
		return m
	})
}

func caseFlip(s string) string {
	b := []rune(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

var soundMultiValued = map[string]bool{
	"aws:tagkeys": true, "aws:calledvia": true, "aws:principalorgpaths": true, "aws:principalservicenameslist": true,
	"aws:sourceorgpaths": true, "aws:resourceorgpaths": true, "s3:requestobjecttagkeys": true,
}

// nearMisses are the values at and around a policy value.
func nearMisses(v string, c Condition) []string {
	out := []string{v}
	switch c.Op.Family.String() {
	case "IP":
		pf, err := parsePrefix(v)
		if err != nil {
			return out
		}
		first, last := pf.Masked().Addr(), lastAddr(pf)
		out = append(out, first.String(), last.String())
		if x := first.Prev(); x.IsValid() {
			out = append(out, x.String())
		}
		if x := last.Next(); x.IsValid() {
			out = append(out, x.String())
		}
		return out[1:]
	case "Numeric":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return append(out, strconv.FormatInt(n-1, 10), strconv.FormatInt(n+1, 10))
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return append(out, strconv.FormatFloat(f-0.5, 'f', -1, 64), strconv.FormatFloat(f+0.5, 'f', -1, 64))
		}
	case "Date":
		var t time.Time
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			t = time.Unix(n, 0).UTC()
			out = append(out, strconv.FormatInt(n-1, 10), strconv.FormatInt(n+1, 10))
		} else if x, err := time.Parse(time.RFC3339, v); err == nil {
			t = x
		} else if x, err := time.Parse("2006-01-02", v); err == nil {
			t = x
		} else {
			return out
		}
		return append(out, t.Add(-time.Second).Format(time.RFC3339), t.Add(time.Second).Format(time.RFC3339), t.Format(time.RFC3339))
	case "Bool":
		return append(out, "true", "false", caseFlip(v))
	case "Null":
		return nil
	}
	out = append(out, v+"x", caseFlip(v))
	if strings.ContainsAny(v, "*?") {
		out = append(out, strings.NewReplacer("*", "", "?", "q").Replace(v), strings.NewReplacer("*", "zz/z", "?", "q").Replace(v))
	}
	if len(v) > 1 {
		out = append(out, v[:len(v)-1])
	}
	return out
}

// keyValues are, for every condition key the policies name (or a policy
// variable reads), the values to try: each literal and its near misses, the
// variables' values for each caller, and one unrelated value. Derived keys
// are left to the callers.
func keyValues(callers []sCaller, ps ...*Policy) (keys []string, vals map[string][]string) {
	vals = map[string][]string{}
	add := func(k, v string) {
		if isDerived(k) || v != "" && !wellFormedValue(k, v) {
			return
		}
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
			vals[k] = nil
		}
		if v != "" || len(vals[k]) == 0 {
			vals[k] = appendUnique(vals[k], v)
		}
	}
	callerVals := make([]map[string]string, len(callers))
	for i, c := range callers {
		callerVals[i] = c.derived()
	}
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, c := range s.Conditions {
				if isDerived(c.KeyLower) {
					continue
				}
				add(c.KeyLower, "")
				for _, v := range c.Values {
					if strings.Contains(v, "${") {
						for _, k := range varKeys(v) {
							add(k, "")
						}
						for _, cv := range callerVals {
							for _, w := range nearMisses(substitute(v, cv), c) {
								add(c.KeyLower, w)
							}
						}
						continue
					}
					for _, w := range nearMisses(v, c) {
						add(c.KeyLower, w)
					}
				}
			}
			for _, r := range s.Resources {
				for _, k := range varKeys(r) {
					add(k, "")
				}
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		// One unrelated value, and a cap on the list.
		l := vals[k]
		if len(l) == 1 && l[0] == "" {
			l = nil
		}
		l = appendUnique(l, "zz-unrelated")
		if k == "aws:sourceip" {
			l = appendUnique(l, "8.8.8.8")
			l = appendUnique(l, "2600:1f18::5")
		}
		l = slices.DeleteFunc(l, func(v string) bool { return !wellFormedValue(k, v) })
		if len(l) > 40 {
			l = l[:40]
		}
		vals[k] = l
	}
	return keys, vals
}

// pairActions: every action the policies name literally, an instance of
// each S3 wildcard, and a few common actions.
func pairActions(ps ...*Policy) []string {
	out := []string{"s3:GetObject", "s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:DeleteObject"}
	seen := map[string]bool{}
	for _, a := range out {
		seen[strings.ToLower(a)] = true
	}
	add := func(a string) {
		if !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			out = append(out, a)
		}
	}
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, a := range s.Actions {
				switch {
				case !strings.ContainsAny(a, "*?"):
					if policy.CheckRequestAction(a) == nil {
						add(a)
					}
				case strings.HasPrefix(strings.ToLower(a), "s3:"):
					add(strings.NewReplacer("*", "Zz", "?", "Q").Replace(a))
				}
			}
		}
	}
	return out
}

// pairResources: each bucket's ARN and an object in it, instances of the
// resource patterns (for each caller when they hold variables), and another
// bucket.
func pairResources(callers []sCaller, ps ...*Policy) []string {
	var out []string
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, r := range s.Resources {
				if b, _ := splitS3(r); b != "" && !strings.ContainsAny(b, "*?$") {
					out = appendUnique(out, "arn:aws:s3:::"+b)
					out = appendUnique(out, "arn:aws:s3:::"+b+"/some/key")
				}
			}
		}
	}
	out = appendUnique(out, "arn:aws:s3:::another-bucket")
	out = appendUnique(out, "arn:aws:s3:::another-bucket/some/key")
	var extra []string
	for _, p := range ps {
		for _, s := range p.Statements {
			for _, r := range s.Resources {
				if !strings.HasPrefix(r, "arn:aws:s3:::") || r == "arn:aws:s3:::*" {
					continue
				}
				insts := []string{r}
				if strings.Contains(r, "${") {
					insts = nil
					for _, c := range callers {
						insts = append(insts, substitute(r, c.derived()))
					}
				}
				for _, x := range insts {
					if strings.Contains(x, "${") {
						continue
					}
					extra = appendUnique(extra, strings.NewReplacer("*", "x/y", "?", "q").Replace(x))
				}
			}
		}
	}
	for _, x := range extra {
		if len(out) >= 24 {
			break
		}
		if policy.CheckRequestResource(x) == nil {
			out = appendUnique(out, x)
		}
	}
	return out
}

type triple struct {
	caller           sCaller
	action, resource string
}

// boundaryRequests returns up to max requests for the pair: every
// single-key variation (from two base contexts) first, then (caller,
// action, resource) triples with no context, then random combinations;
// sampled deterministically from r when there are more.
func boundaryRequests(r *rand.Rand, max int, a, b *Policy) []Request {
	callers := pairCallers(a, b)
	actions := pairActions(a, b)
	resources := pairResources(callers, a, b)
	keys, vals := keyValues(callers, a, b)
	var triples []triple
	for _, c := range callers {
		for _, act := range actions {
			bk, ok := resourceKinds(act)
			for _, res := range resources {
				_, isObj := splitS3(res)
				if isObj && ok || !isObj && bk {
					triples = append(triples, triple{c, act, res})
				}
			}
		}
	}
	if len(triples) == 0 {
		return nil
	}
	// value draws a value for a key: one of its values, or for a
	// multi-valued key a set of 0-3 of them.
	value := func(k string) []string {
		l := vals[k]
		if !soundMultiValued[k] {
			return []string{l[r.IntN(len(l))]}
		}
		n := r.IntN(4)
		set := []string{}
		for _, i := range r.Perm(len(l))[:min(n, len(l))] {
			set = append(set, l[i])
		}
		return set
	}
	randomCtx := func() map[string][]string {
		ctx := map[string][]string{}
		for _, k := range keys {
			if r.IntN(3) > 0 {
				ctx[k] = value(k)
			}
		}
		return ctx
	}
	bases := []map[string][]string{{}, randomCtx()}
	var singles []Request
	for _, k := range keys {
		variants := [][]string{nil}
		if soundMultiValued[k] {
			variants = append(variants, []string{})
			for _, v := range vals[k] {
				variants = append(variants, []string{v})
			}
			for range 4 {
				variants = append(variants, value(k))
			}
		} else {
			for _, v := range vals[k] {
				variants = append(variants, []string{v})
			}
		}
		for _, base := range bases {
			for _, v := range variants {
				ctx := map[string][]string{}
				for kk, vv := range base {
					ctx[kk] = vv
				}
				if v == nil {
					delete(ctx, k)
				} else {
					ctx[k] = v
				}
				t := triples[r.IntN(len(triples))]
				singles = append(singles, t.caller.request(t.action, t.resource, ctx))
			}
		}
	}
	var out []Request
	if len(singles) > max/2 {
		r.Shuffle(len(singles), func(i, j int) { singles[i], singles[j] = singles[j], singles[i] })
		singles = singles[:max/2]
	}
	out = append(out, singles...)
	nt := min(len(triples), (max-len(out))/2)
	for _, i := range r.Perm(len(triples))[:nt] {
		t := triples[i]
		out = append(out, t.caller.request(t.action, t.resource, bases[r.IntN(2)]))
	}
	for len(out) < max {
		t := triples[r.IntN(len(triples))]
		out = append(out, t.caller.request(t.action, t.resource, randomCtx()))
	}
	return out
}
