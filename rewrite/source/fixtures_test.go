package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/iac"
)

// sourceFixtures are the source files of fixtures/iac: the file of each
// case that is not a golden ("want.*") or an options file.
func sourceFixtures(t *testing.T) []string {
	var out []string
	for _, pat := range []string{"../../fixtures/iac/*/*/*"} {
		m, _ := filepath.Glob(pat)
		for _, f := range m {
			base := filepath.Base(f)
			if strings.HasPrefix(base, "want.") || base == "options.json" || base == "case.json" {
				continue
			}
			out = append(out, f)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d source fixtures", len(out))
	}
	return out
}

// TestSourceFixtures runs the production loop over every source fixture:
// detect, locate, fix each policy, patch the file, check it by locating
// again (PatchFile), and fix the result again, which must find nothing to
// change. A policy the locator reports as unsupported is an error of its
// own, never skipped.
func TestSourceFixtures(t *testing.T) {
	opt := rewrite.Options{Facts: rewrite.Facts{AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001"}}
	eo := iac.EditOptions{RoleName: rewrite.DefaultRoleName, RoleID: "AROAEXAMPLEROLEID0001", AccountID: "012345678901",
		RoleARN: "arn:aws:iam::012345678901:role/service-role/AWSBackupDefaultServiceRole"}
	patched := 0
	for _, f := range sourceFixtures(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		kind := Detect(f, src)
		if kind == KindNone || kind == KindPolicy {
			continue // a policy a template follows, checked with it
		}
		locate := func(b []byte) ([]iac.Document, error) { return Locate(kind, f, b, nil) }
		docs, err := locate(src)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var fixed []*Fixed
		for i := range docs {
			d := &docs[i]
			if d.Follow != "" {
				continue
			}
			fx, err := Fix(d, opt, eo)
			if d.Unsupported != "" {
				if err == nil || !strings.Contains(err.Error(), d.Unsupported) {
					t.Errorf("%s: unsupported %s: err %v", f, d.Target(), err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", d.Target(), err)
				continue
			}
			fixed = append(fixed, fx)
		}
		out, err := PatchFile(src, fixed, locate)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if string(out) == string(src) {
			continue
		}
		patched++
		// The loop writes what the language's own golden says, where the
		// case runs with the default options.
		for _, golden := range []string{"want.patched" + filepath.Ext(f), "want." + filepath.Base(f)} {
			want, err := os.ReadFile(filepath.Join(filepath.Dir(f), golden))
			_, opts := os.Stat(filepath.Join(filepath.Dir(f), "case.json"))
			if err == nil && opts != nil && !strings.Contains(f, "principal-arn") && string(want) != string(out) {
				t.Errorf("%s: the patched file differs from %s:\n%s", f, golden, out)
			}
		}
		again, err := locate(out)
		if err != nil {
			t.Fatalf("%s: the patched file: %v", f, err)
		}
		for i := range again {
			d := &again[i]
			if d.Follow != "" || d.Unsupported != "" {
				continue
			}
			fx, err := Fix(d, opt, eo)
			if err != nil || fx.Result.Status != rewrite.StatusCompliant {
				t.Errorf("%s: after the patch: %v %+v", d.Target(), err, fx)
			}
		}
	}
	if patched < 5 {
		t.Errorf("only %d fixtures patched", patched)
	}
}
