package rewrite

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// Regression tests and benchmarks over the worst-case corpus (see
// CorpusShapes). Run the benchmarks with
//
//	go test -run '^$' -bench 'FixCorpus|DiffCorpus' -benchmem ./rewrite/

// corpusBound bounds each shape in TestCorpus, so that an engine that
// explodes fails with the shape's name instead of hanging the package
// until go test's own timeout. It is a guard, not a timing target: the
// targets are measured by the benchmarks and whole-process timings.
const corpusBound = 30 * time.Second

func corpusPolicy(tb testing.TB, src []byte) *Policy {
	tb.Helper()
	p, err := Parse(src)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// corpusOptions are the options Fix runs the corpus with: the offline run's
// facts (--role-id AROAEXAMPLEROLEID0001 --account-id 012345678901).
func corpusOptions(ctx context.Context) Options {
	return Options{Facts: corpusFacts(), Context: ctx}
}

// corpusDeltaOptions are Delta's options as `fixpolicy diff --account-id
// 012345678901` sets them.
func corpusDeltaOptions() DeltaOptions { return DeltaOptions{Owner: corpusAccount} }

// TestCorpus checks the answer for every shape of the corpus, not its time
// (BenchmarkFixCorpus and BenchmarkDiffCorpus measure that): Fix gives the
// expected status, a needs-change patch fits S3's limit and needs nothing
// more, and Delta tells the changed pairs from the equivalent one.
func TestCorpus(t *testing.T) {
	for _, c := range CorpusShapes() {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), corpusBound)
			defer cancel()
			start := time.Now()
			defer func() { t.Logf("%s: %v", c.Doc, time.Since(start).Round(time.Millisecond)) }()
			if c.IsDiff() {
				d, err := DeltaContext(ctx, corpusPolicy(t, c.Old), corpusPolicy(t, c.New), corpusDeltaOptions())
				if err != nil {
					t.Fatalf("Delta: %v", err)
				}
				if d.Equivalent != c.WantEquivalent {
					t.Errorf("Delta says equivalent %v, want %v", d.Equivalent, c.WantEquivalent)
				}
				if d.Equivalent != (len(d.Changes) == 0) {
					t.Errorf("equivalent %v with %d classes", d.Equivalent, len(d.Changes))
				}
				if d.Statements != c.WantStatements {
					t.Errorf("%d differing statements, want %d", d.Statements, c.WantStatements)
				}
				return
			}
			res, err := Fix(c.Policy, corpusOptions(ctx))
			if err != nil {
				t.Fatalf("Fix: %v", err)
			}
			if res.Status != c.Want {
				t.Fatalf("status %s (%s), want %s", res.Status, res.Refusal, c.Want)
			}
			switch res.Status {
			case StatusRefused:
				if !strings.Contains(res.Refusal, c.WantRefusal) {
					t.Errorf("refused for %q, want a refusal saying %q", res.Refusal, c.WantRefusal)
				}
				if !bytes.Equal(res.After, res.Before) {
					t.Errorf("a refused fix changed the policy")
				}
			case StatusNeedsChange:
				if len(res.Changes) == 0 || res.Proof == nil {
					t.Fatalf("needs-change with %d changes and proof %v", len(res.Changes), res.Proof)
				}
				q := corpusPolicy(t, res.After)
				if n := len(jsonast.Compact(q.Root)); n > MaxPolicySize {
					t.Errorf("the patched policy is %d bytes compact", n)
				}
				again, err := Fix(res.After, corpusOptions(ctx))
				if err != nil {
					t.Fatalf("Fix of the patched policy: %v", err)
				}
				if again.Status != StatusCompliant {
					t.Errorf("the patched policy is %s (%s), want compliant", again.Status, again.Refusal)
				}
			}
		})
	}
}

var sinkFix *Result

// BenchmarkFixCorpus runs Fix (analysis, patch and proof) on every fix shape
// of the corpus.
func BenchmarkFixCorpus(b *testing.B) {
	for _, c := range CorpusShapes() {
		if c.IsDiff() {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportMetric(float64(len(c.Policy)), "bytes")
			b.ReportAllocs()
			var err error
			for b.Loop() {
				if sinkFix, err = Fix(c.Policy, corpusOptions(context.Background())); err != nil {
					b.Fatal(err)
				}
			}
			if sinkFix.Status != c.Want {
				b.Fatalf("status %s (%s), want %s", sinkFix.Status, sinkFix.Refusal, c.Want)
			}
		})
	}
}

// BenchmarkDiffCorpus runs Delta on every diff pair of the corpus, parsing
// included (as `fixpolicy diff` does).
func BenchmarkDiffCorpus(b *testing.B) {
	for _, c := range CorpusShapes() {
		if !c.IsDiff() {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			var err error
			for b.Loop() {
				if sinkDelta, err = Delta(corpusPolicy(b, c.Old), corpusPolicy(b, c.New), corpusDeltaOptions()); err != nil {
					b.Fatal(err)
				}
			}
			if sinkDelta.Equivalent != c.WantEquivalent {
				b.Fatalf("equivalent %v, want %v", sinkDelta.Equivalent, c.WantEquivalent)
			}
			b.ReportMetric(float64(len(sinkDelta.Changes)), "classes")
		})
	}
}

// realisticPolicy is the 20 KB, 60-statement policy of a data lake with 13
// blocking statements (fixtures/realistic-20kb), the yardstick of issue
// "one pass": a whole-process `fixpolicy --dry-run -o json` of it should
// take no longer than `jq .` pretty-printing it.
func realisticPolicy(tb testing.TB) []byte {
	tb.Helper()
	src, err := os.ReadFile("../fixtures/realistic-20kb/policy.json")
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// BenchmarkFixRealistic is Fix with its proof on the realistic policy;
// BenchmarkIndentRealistic, beside it, pretty-prints the same bytes with
// encoding/json (what `jq .` does, in process).
func BenchmarkFixRealistic(b *testing.B) {
	src := realisticPolicy(b)
	opt := corpusOptions(context.Background())
	opt.Facts.Bucket = "" // the policy's own, acme-data-lake-prod
	for b.Loop() {
		res, err := Fix(src, opt)
		if err != nil || res.Status != StatusNeedsChange {
			b.Fatalf("Fix: %v", err)
		}
	}
}

func BenchmarkIndentRealistic(b *testing.B) {
	src := realisticPolicy(b)
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		var v any
		if err := json.Unmarshal(src, &v); err != nil {
			b.Fatal(err)
		}
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}
