package rewrite

import (
	"strings"
	"testing"
)

// Benchmarks of Delta and of a whole Fix (gate included). Run with:
//
//	go test -run '^$' -bench 'Delta|Fix|EndToEnd' -benchmem ./rewrite/

func benchFixture(b *testing.B, name string) ([]byte, Options) {
	b.Helper()
	for _, fx := range loadFixtures(b) {
		if fx.name == name {
			return fx.src, fx.opt
		}
	}
	b.Fatalf("no fixture %s", name)
	return nil, Options{}
}

var sinkDelta *DeltaResult

// benchDeltaPatch measures Delta between a fixture and its patch, as the
// gate runs it.
func benchDeltaPatch(b *testing.B, fixture string) {
	src, opt := benchFixture(b, fixture)
	res, err := Fix(src, opt)
	if err != nil || res.Status != StatusNeedsChange {
		b.Fatalf("%v %s %s", err, res.Status, res.Refusal)
	}
	p, q := benchPolicy(b, src), benchPolicy(b, res.After)
	f := opt.Facts
	f.Bucket, _ = bucketFromPolicy(p)
	dopt := DeltaOptions{Owner: f.AccountID, Facts: &f, CatalogueOnly: true}
	b.ReportAllocs()
	for b.Loop() {
		if sinkDelta, err = Delta(p, q, dopt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sinkDelta.Requests), "requests")
}

func BenchmarkDeltaSeed000Patch(b *testing.B) { benchDeltaPatch(b, "seed000-vpce-only") }
func BenchmarkDeltaSeed001Patch(b *testing.B) { benchDeltaPatch(b, "seed001-office-ip") }

// BenchmarkDeltaLargeOneStatement: one CIDR changed in one statement of a
// generated ~20 KB, ~100-statement policy (as `fixpolicy diff` runs it).
func BenchmarkDeltaLargeOneStatement(b *testing.B) {
	src := genLargePolicy(largeBucket, largeBytes)
	changed := strings.Replace(string(src), `"192.0.2.0/24"`, `"198.51.100.0/24"`, 1)
	p, q := benchPolicy(b, src), benchPolicy(b, []byte(changed))
	b.ReportMetric(float64(len(p.Statements)), "statements")
	b.ReportAllocs()
	var err error
	for b.Loop() {
		if sinkDelta, err = Delta(p, q, DeltaOptions{Owner: benchOwner}); err != nil {
			b.Fatal(err)
		}
	}
	if sinkDelta.Equivalent {
		b.Fatal("the change was not found")
	}
	b.ReportMetric(float64(sinkDelta.Requests), "requests")
}

// patchableLarge is the largest generated policy (about 100 statements)
// whose patch still fits S3's limit, so that Fix runs the whole gate.
func patchableLarge(b *testing.B) []byte {
	b.Helper()
	opt := Options{Facts: Facts{RoleID: "AROAEXAMPLEROLEID0001", AccountID: benchOwner}}
	for size := largeBytes; size > 5000; size -= 250 {
		src := genLargePolicy(largeBucket, size)
		res, err := Fix(src, opt)
		if err != nil {
			b.Fatal(err)
		}
		if res.Status == StatusNeedsChange {
			return src
		}
		// Larger ones do not fit S3's limit once patched. Step down until
		// one does.
	}
	b.Fatal("no generated policy can be patched")
	return nil
}

var sinkResult *Result

func benchFix(b *testing.B, src []byte, opt Options) {
	b.Helper()
	p := benchPolicy(b, src)
	b.ReportMetric(float64(len(p.Compact())), "policy-bytes")
	b.ReportMetric(float64(len(p.Statements)), "statements")
	b.ReportAllocs()
	var err error
	for b.Loop() {
		if sinkResult, err = Fix(src, opt); err != nil {
			b.Fatal(err)
		}
	}
	if strings.Contains(sinkResult.Refusal, "bug") {
		b.Fatalf("refused: %s", sinkResult.Refusal)
	}
	if sinkResult.Proof != nil {
		b.ReportMetric(float64(sinkResult.Proof.Requests), "proof-requests")
	}
}

func BenchmarkFixSeed000(b *testing.B) {
	src, opt := benchFixture(b, "seed000-vpce-only")
	benchFix(b, src, opt)
}

func BenchmarkFixLargeManyStatementsFixture(b *testing.B) {
	src, opt := benchFixture(b, "large-many-statements")
	benchFix(b, src, opt)
}

func BenchmarkFixGenerated20KB(b *testing.B) {
	src := patchableLarge(b)
	benchFix(b, src, Options{Facts: Facts{RoleID: "AROAEXAMPLEROLEID0001", AccountID: benchOwner}})
}
