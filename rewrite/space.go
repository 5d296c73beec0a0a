package rewrite

import (
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
)

// A space describes a family of requests: callers, actions and resources are
// listed; context keys are known (fixed values), known to be absent,
// restricted to a few choices, derived from the caller, or free. A universe
// (symbolic.go) encodes it for a set of statements, with each free key
// ranging over a partition of all its values.
type space struct {
	catalogue []string // every S3 action the catalogue knows (for summaries)
	callers   []callerCand
	actions   []string
	resources func(action string) []string
	// patterns are the policies' resource patterns, for describing a
	// representative resource in the policies' own terms.
	patterns []string
	known    map[string][]string // lower-case key -> values (present)
	absent   map[string]bool     // lower-case key -> known to be absent
	// choices restricts a key to a finite set of values (absentChoice for
	// "absent"): s3:TlsVersion is 1.2 or 1.3, say.
	choices map[string][]string
}

// callerCand is one principal of a space, with the context keys that follow
// from who it is.
type callerCand struct {
	c         Caller
	derived   map[string][]string // aws:userid, aws:principalarn, ... (absent when missing)
	label     string
	class     string // the class it is summarised under, when not the default
	backup    bool   // a session of the backup role
	recreated bool   // a session of a re-created role of the backup role's name
	account   bool   // a principal of the bucket owner's account
}

// derivedKeys are the context keys a callerCand fixes.
var derivedKeys = []string{"aws:userid", "aws:principalarn", "aws:principalaccount", "aws:username", "aws:principaltype"}

func isDerived(k string) bool {
	for _, d := range derivedKeys {
		if k == d {
			return true
		}
	}
	return false
}

var varRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// varKeys returns the lower-cased context keys that the policy variables in
// s read (${key} or ${key, 'default'}), leaving out the escapes ${*} ${?} ${$}.
func varKeys(s string) []string {
	var out []string
	for _, m := range varRE.FindAllStringSubmatch(s, -1) {
		k := strings.ToLower(strings.TrimSpace(strings.SplitN(m[1], ",", 2)[0]))
		if k != "*" && k != "?" && k != "$" {
			out = append(out, k)
		}
	}
	return out
}

func literalValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		if !strings.Contains(v, "${") {
			out = append(out, v)
		}
	}
	return out
}

func mustOp(name string) cond.Operator {
	op, err := cond.ParseOperator(name)
	if err != nil {
		panic(err)
	}
	return op
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// witnessCache memoises cond.Witnesses: analysis and proof ask for the same
// keys' witnesses many times. Keys are the conditions' operators and values.
var witnessCache sync.Map

const maxWitnessCache = 4096

var witnessCacheSize atomic.Int64

func witnessesCached(conds []cond.KeyCond) []string {
	var b strings.Builder
	for _, c := range conds {
		b.WriteString(c.Op.Name)
		for _, v := range c.Values {
			b.WriteByte(0)
			b.WriteString(v)
		}
		b.WriteByte(1)
	}
	key := b.String()
	if v, ok := witnessCache.Load(key); ok {
		return v.([]string)
	}
	ws := cond.Witnesses(conds)
	ws = ws[:len(ws):len(ws)] // shared: any append must copy
	if witnessCacheSize.Add(1) > maxWitnessCache {
		witnessCache.Clear()
		witnessCacheSize.Store(0)
	}
	witnessCache.Store(key, ws)
	return ws
}

// exactWitnesses is cond.Witnesses for the common case of conditions that
// compare with literal strings or prefixes (StringEquals, StringNotEquals,
// and StringLike or StringNotLike whose only wildcard is one final '*',
// under any set prefix or IfExists). A value's outcome under them depends
// only on which literals it equals and which prefixes it starts with; for a
// value x that is none of the literals and prefixes, take the longest of
// them that x starts with, q: x behaves as q followed by a character no
// literal or prefix uses. So each literal and prefix, each followed by such
// a character, and that character alone are every class. It reports false
// for any other condition.
func exactWitnesses(conds []cond.KeyCond) ([]string, bool) {
	var stems []string
	seen := map[string]bool{}
	for _, c := range conds {
		if c.Vars != nil {
			return nil, false
		}
		switch c.Op.Base {
		case "StringEquals", "StringNotEquals", "StringLike", "StringNotLike":
		default:
			return nil, false
		}
		like := c.Op.Base == "StringLike" || c.Op.Base == "StringNotLike"
		for _, v := range c.Values {
			if strings.Contains(v, "${") {
				return nil, false
			}
			stem := v
			if like {
				stem = strings.TrimSuffix(v, "*")
				if strings.ContainsAny(stem, "*?") {
					return nil, false
				}
			}
			if !seen[stem] {
				seen[stem] = true
				stems = append(stems, stem)
			}
		}
	}
	fresh := ""
	for _, r := range "~§¤¦" {
		used := false
		for _, v := range stems {
			used = used || strings.ContainsRune(v, r)
		}
		if !used {
			fresh = string(r)
			break
		}
	}
	if fresh == "" {
		return nil, false
	}
	out := append([]string{}, stems...)
	for _, v := range stems {
		out = append(out, v+fresh)
	}
	if !seen[""] {
		out = append(out, "")
	}
	return append(out, fresh), true
}

// parallel calls fn(0) ... fn(n-1) on every processor and returns when all
// have returned. fn must be safe to run concurrently with itself.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
