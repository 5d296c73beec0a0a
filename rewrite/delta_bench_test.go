package rewrite

import (
	"os"
	"os/exec"
	"path/filepath"
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
		// Larger ones are refused as "a bug" (TestGateGeneratedLargePolicy):
		// the gate's delta exceeds maxRequests. Step down until one passes.
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

// BenchmarkEndToEndDryRun builds the fixpolicy binary and runs
// `fixpolicy --policy-file big.json --dry-run` on the generated policy
// (process start, parse, analysis, patch, gate, report): the target is
// well under 20 ms per run.
func BenchmarkEndToEndDryRun(b *testing.B) {
	if testing.Short() {
		b.Skip("builds the binary")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "fixpolicy")
	build := exec.Command("go", "build", "-o", bin, "../cmd/fixpolicy")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		src  []byte
	}{
		{"generated-20KB", patchableLarge(b)},
		{"large-many-statements", func() []byte { s, _ := benchFixture(b, "large-many-statements"); return s }()},
		{"seed000", func() []byte { s, _ := benchFixture(b, "seed000-vpce-only"); return s }()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, tc.src, 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				cmd := exec.Command(bin, "--policy-file", path, "--dry-run", "--role-id", "AROAEXAMPLEROLEID0001", "--account-id", benchOwner)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}
