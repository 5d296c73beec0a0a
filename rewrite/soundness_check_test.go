package rewrite

import (
	"net/netip"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// shrinkJSON lists the policy's one-step reductions: a statement, a
// condition, an element or one value of a list removed.
func shrinkJSON(src []byte) [][]byte {
	p, err := decodeJSON(src)
	if err != nil {
		return nil
	}
	var out [][]byte
	try := func(edit func(q jmap) bool) {
		q := cloneJSON(p).(jmap)
		if edit(q) {
			out = append(out, encodeJSON(q))
		}
	}
	n := len(statements(p))
	for i := range n {
		try(func(q jmap) bool {
			ss := statements(q)
			q["Statement"] = append(append([]any{}, ss[:i]...), ss[i+1:]...)
			return len(ss) > 1
		})
		st, _ := statements(p)[i].(jmap)
		for _, ce := range condEntries(st) {
			try(func(q jmap) bool {
				qs := statements(q)[i].(jmap)
				for _, qe := range condEntries(qs) {
					if qe.op == ce.op && qe.key == ce.key {
						removeCond(qs, qe)
						return true
					}
				}
				return false
			})
			for j := range strs(ce.block[ce.key]) {
				try(func(q jmap) bool {
					qs := statements(q)[i].(jmap)
					for _, qe := range condEntries(qs) {
						if qe.op == ce.op && qe.key == ce.key {
							l := strs(qe.block[qe.key])
							if len(l) < 2 {
								return false
							}
							setStrs(qe.block, qe.key, removed(l, j))
							return true
						}
					}
					return false
				})
			}
		}
		for _, k := range []string{"Sid", "Action", "NotAction", "Resource", "NotResource"} {
			if k == "Sid" {
				if _, ok := st[k]; ok {
					try(func(q jmap) bool { delete(statements(q)[i].(jmap), k); return true })
				}
				continue
			}
			for j := range strs(st[k]) {
				try(func(q jmap) bool {
					qs := statements(q)[i].(jmap)
					l := strs(qs[k])
					if len(l) < 2 {
						return false
					}
					setStrs(qs, k, removed(l, j))
					return true
				})
			}
		}
		for _, k := range []string{"Principal", "NotPrincipal"} {
			m, ok := st[k].(jmap)
			if !ok {
				continue
			}
			for typ := range m {
				for j := range strs(m[typ]) {
					try(func(q jmap) bool {
						qm := statements(q)[i].(jmap)[k].(jmap)
						l := strs(qm[typ])
						if len(l) < 2 {
							if len(qm) < 2 {
								return false
							}
							delete(qm, typ)
							return true
						}
						setStrs(qm, typ, removed(l, j))
						return true
					})
				}
			}
		}
	}
	return out
}

// minimise shrinks a failing pair (both policies and the request's
// context) while it fails the same way.
func minimise(f soundFailure) soundFailure {
	srcA, srcB, req := f.pair.srcA, f.pair.srcB, f.req
	deadline := time.Now().Add(5 * time.Second)
	for changed := true; changed && time.Now().Before(deadline); {
		changed = false
		for side := range 2 {
			src := srcA
			if side == 1 {
				src = srcB
			}
			for _, cand := range shrinkJSON(src) {
				a, b := srcA, srcB
				if side == 0 {
					a = cand
				} else {
					b = cand
				}
				if stillFails(f.kind, a, b, req) {
					srcA, srcB, changed = a, b, true
					break
				}
			}
		}
		// The same reduction on both sides (unchanged statements).
		ca, cb := shrinkJSON(srcA), shrinkJSON(srcB)
		for i := range ca {
			for j := range cb {
				if stillFails(f.kind, ca[i], cb[j], req) {
					srcA, srcB, changed = ca[i], cb[j], true
					break
				}
			}
			if changed {
				break
			}
		}
		for k := range req.Context {
			if k == "aws:userid" {
				continue
			}
			q := req
			q.Context = map[string][]string{}
			for kk, v := range req.Context {
				if kk != k {
					q.Context[kk] = v
				}
			}
			if stillFails(f.kind, srcA, srcB, q) {
				req, changed = q, true
				break
			}
		}
	}
	out := f
	out.pair.srcA, out.pair.srcB, out.req = srcA, srcB, req
	if a, err := Parse(srcA); err == nil {
		out.pair.a = a
	}
	if b, err := Parse(srcB); err == nil {
		out.pair.b = b
	}
	if er, err := Prepare(req); err == nil && out.pair.a != nil && out.pair.b != nil {
		out.da, out.db = out.pair.a.Decide(er, soundOwner).Decision, out.pair.b.Decide(er, soundOwner).Decision
		if res, err := Delta(out.pair.a, out.pair.b, DeltaOptions{Owner: soundOwner}); err == nil {
			out.equivalent = res.Equivalent
			out.detail = "Delta: " + changeList(res)
			out.diag = diagnose(res, out.pair.a, out.pair.b, er)
		}
	}
	return out
}

// heavySeeds are seeds whose pairs cost Delta far more than the others
// (measured without -race: about 0.4 s a pair for the 28 KB
// large-many-statements and 0.8 s for syn-tags's multi-valued keys, against
// about 5 ms for the rest). They take one turn in ten, so that they do not
// dominate the run.
var heavySeeds = map[string]bool{"large-many-statements": true, "syn-tags": true}

// scheduledSeed is the seed of pair i: the seeds in turn, each heavy seed
// in one round out of ten.
func scheduledSeed(seeds []soundSeed, i int) soundSeed {
	round, k := i/len(seeds), i%len(seeds)
	for heavySeeds[seeds[k].name] && round%10 != 0 {
		k = (k + 1) % len(seeds)
	}
	return seeds[k]
}

// maxDiagnosed bounds the failures diagnosed (each diagnosis maps the
// request many times); later ones are counted as "undiagnosed".
const maxDiagnosed = 64

// soundRun checks at least n pairs (pair i: seed i mod seeds, mutations
// from rand seed i; pairs that do not parse are skipped and do not count)
// with up to perPair requests each, on a pool of workers.
func soundRun(t *testing.T, n, perPair int) {
	start := time.Now()
	seeds := soundSeeds(t)
	var next, checked atomic.Int64
	var mu sync.Mutex
	var total soundStats
	var failures []soundFailure
	kinds := map[string]int{}
	skipped := 0
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var st soundStats
			var mine []soundFailure
			skips := 0
			for checked.Load() < int64(n) {
				i := next.Add(1) - 1
				r := newRand(uint64(i) + 0x50d)
				pr, ok := makePair(r, scheduledSeed(seeds, int(i)))
				if !ok {
					skips++
					continue
				}
				checked.Add(1)
				reqs := boundaryRequests(r, perPair, pr.a, pr.b)
				checkSoundPair(pr, reqs, &st, func(f soundFailure) { mine = append(mine, f) })
			}
			mu.Lock()
			defer mu.Unlock()
			total.pairs += st.pairs
			total.requests += st.requests
			total.diffs += st.diffs
			total.classes += st.classes
			total.equivalent += st.equivalent
			failures = append(failures, mine...)
			skipped += skips
		})
	}
	wg.Wait()
	t.Logf("checked in %v on %d workers", time.Since(start).Round(time.Millisecond), workers)
	t.Logf("%d pairs checked (%d did not parse, skipped; %d equivalent), %d requests decided, %d concrete differences checked against %d reported classes",
		total.pairs, skipped, total.equivalent, total.requests, total.diffs, total.classes)
	if len(failures) == 0 {
		return
	}
	// Report each kind of failure per (seed, mutations) once, minimised.
	sort.SliceStable(failures, func(i, j int) bool { return len(failures[i].pair.srcB) < len(failures[j].pair.srcB) })
	seen := map[string]int{}
	shown := 0
	for _, f := range failures {
		sig := f.kind + ": " + category(f.diag)
		kinds[sig]++
		if seen[sig] >= 1 || shown >= 6 {
			continue
		}
		seen[sig]++
		shown++
		t.Errorf("%s\n  minimised: %s", f, minimise(f))
	}
	t.Errorf("%d failures: %v", len(failures), kinds)
}

// TestDeltaSoundness: the differential check over mutated seed policies,
// at least 5,000 pairs. Under the race detector (README's test command) it
// checks the first 1,000 pairs: the race detector watches the worker pool
// and the engine, which those exercise as well, and .ci/run runs the full
// 5,000 without it.
func TestDeltaSoundness(t *testing.T) {
	n, perPair := 5000, 120
	switch {
	case testing.Short():
		n = 300
	case raceDetector:
		n = 1000
	}
	soundRun(t, n, perPair)
}

// FuzzDeltaSoundness runs the check on one pair: the seed policy by index,
// the mutations and requests from a random seed.
func FuzzDeltaSoundness(f *testing.F) {
	if raceDetector {
		// Its seeds run in .ci/run's pass without the race detector, with
		// TestDeltaSoundness; the race detector learns nothing new here.
		f.Skip("run without -race (see .ci/run)")
	}
	seeds := soundSeeds(f)
	for i := range uint64(2 * len(seeds)) {
		f.Add(uint8(i), i*7919+1)
	}
	f.Fuzz(func(t *testing.T, seedIdx uint8, mut uint64) {
		r := newRand(mut)
		pr, ok := makePair(r, seeds[int(seedIdx)%len(seeds)])
		if !ok {
			return
		}
		reqs := boundaryRequests(r, 300, pr.a, pr.b)
		var st soundStats
		var failures []soundFailure
		checkSoundPair(pr, reqs, &st, func(f soundFailure) { failures = append(failures, f) })
		if len(failures) > 0 {
			t.Fatalf("%d failures; first: %s", len(failures), failures[0])
		}
	})
}

// wellFormedValue reports whether v can be the value of k in a real request:
// keys AWS always sets in their type's format (wellFormedKeys) take only
// values of that format.
func wellFormedValue(k, v string) bool {
	if !wellFormedKeys[k] {
		return true
	}
	switch k {
	case "aws:sourceip", "aws:vpcsourceip":
		_, err := netip.ParseAddr(v)
		return err == nil
	case "aws:currenttime", "aws:tokenissuetime":
		if _, err := time.Parse(time.RFC3339, v); err == nil {
			return true
		}
		_, err := strconv.ParseInt(v, 10, 64)
		return err == nil
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

// cloneEval copies a prepared request, its context map included.
func cloneEval(r *EvalRequest) *EvalRequest {
	ctx := make(map[string][]string, len(r.Ctx))
	for k, v := range r.Ctx {
		ctx[k] = v
	}
	return &EvalRequest{Caller: r.Caller, Action: r.Action, Resource: r.Resource, Ctx: ctx}
}
