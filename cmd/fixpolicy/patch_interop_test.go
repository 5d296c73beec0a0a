package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// gnuPatch returns the path of GNU patch, or skips.
func gnuPatch(t testing.TB) string {
	p, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch not installed")
	}
	if out, err := exec.Command(p, "--version").Output(); err != nil || !bytes.Contains(out, []byte("GNU patch")) {
		t.Skipf("%s is not GNU patch", p)
	}
	return p
}

// applyPatch applies diff to old with GNU patch (no fuzz) and returns the result.
func applyPatch(t testing.TB, patch, dir string, old []byte, diff string) []byte {
	t.Helper()
	oldF, diffF, outF := filepath.Join(dir, "old.json"), filepath.Join(dir, "fix.diff"), filepath.Join(dir, "new.json")
	os.Remove(outF)
	if err := os.WriteFile(oldF, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(diffF, []byte(diff), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(patch, "--batch", "--silent", "--fuzz=0", "--no-backup-if-mismatch", "--reject-file=-", "-o", outF, oldF, diffF)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v %s\ndiff:\n%s", err, msg, diff)
	}
	got, err := os.ReadFile(outF)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return got
}

// TestFixtureDiffsApplyWithPatch: the diff fixpolicy shows for each fixture
// is a real unified diff: GNU patch applies it to the policy and gets
// exactly what --write writes.
func TestFixtureDiffsApplyWithPatch(t *testing.T) {
	t.Parallel()
	patch := gnuPatch(t)
	dir := t.TempDir()
	n := 0
	for _, fx := range fixtureDirs(t) {
		src, _ := os.ReadFile(filepath.Join(fx, "policy.json"))
		want, _ := os.ReadFile(filepath.Join(fx, "want.policy.json"))
		if bytes.Equal(src, want) {
			continue
		}
		out, _, _ := runCLI(t, "", append([]string{"--policy-file", filepath.Join(fx, "policy.json"), "--dry-run", "-o", "json"}, fixtureArgs(t, fx)...)...)
		var r struct{ Diff string }
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.Diff == "" {
			t.Fatalf("%s: no diff in %q (%v)", fx, out, err)
		}
		if got := applyPatch(t, patch, dir, src, r.Diff); !bytes.Equal(got, want) {
			t.Errorf("%s: patch result differs from --write:\n%s", fx, got)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d fixtures have a patch", n)
	}
}

// TestUnifiedAppliesWithPatch: random line edits, with any context size,
// give diffs GNU patch applies exactly (ported from rewrite/udiff, which
// runs no programs).
func TestUnifiedAppliesWithPatch(t *testing.T) {
	t.Parallel()
	patch := gnuPatch(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	n := 200
	if testing.Short() {
		n = 20
	}
	words := []string{"{", "}", `"Effect": "Deny",`, `"Action": "s3:*",`, "", "  x", "y"}
	gen := func() string {
		var b strings.Builder
		for i := r.IntN(12); i > 0; i-- {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte('\n')
		}
		if r.IntN(4) == 0 {
			b.WriteString("last line without newline")
		}
		return b.String()
	}
	for i := 0; i < n; {
		a, b := gen(), gen()
		if a == b {
			continue
		}
		i++
		ctx := r.IntN(4)
		d := udiff.Unified("a/old.json", "b/old.json", []byte(a), []byte(b), ctx)
		if got := applyPatch(t, patch, dir, []byte(a), d); string(got) != b {
			t.Fatalf("case %d (ctx %d):\na=%q\nb=%q\ngot=%q\ndiff:\n%s", i, ctx, a, b, got, d)
		}
	}
}

// BenchmarkEndToEndDryRun builds the binary and times a whole
// `fixpolicy --policy-file X --dry-run` (process start, parse, analysis,
// patch, proof, report) on the seed and the 60-statement fixtures.
func BenchmarkEndToEndDryRun(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "fixpolicy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, name := range []string{"seed000-vpce-only", "seed001-office-ip", "large-many-statements"} {
		fx := filepath.Join("../../fixtures", name)
		args := append([]string{"--policy-file", filepath.Join(fx, "policy.json"), "--dry-run"}, fixtureArgs(b, fx)...)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}
