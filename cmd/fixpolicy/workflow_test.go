package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTerraformRepo copies the Terraform fixtures, as a repository holds
// them (no goldens, no test options, not the unsupported case), into a
// temporary directory and returns it with its .tf files.
func copyTerraformRepo(t *testing.T) (dir string, tfFiles []string) {
	t.Helper()
	dir = t.TempDir()
	src := "../../fixtures/iac/terraform"
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		base := d.Name()
		switch {
		case d.IsDir() && (base == "unsupported" || base == "s3-module-style"):
			return filepath.SkipDir // policies fixpolicy reports it cannot analyse
		case d.IsDir() || strings.HasPrefix(base, "want.") || base == "case.json":
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if strings.HasSuffix(base, ".tf") {
			tfFiles = append(tfFiles, dst)
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tfFiles) < 5 {
		t.Fatalf("only %d .tf fixtures", len(tfFiles))
	}
	return dir, tfFiles
}

// TestReadmeWorkflow runs the README's pull-request workflow for a
// Terraform repository on the Terraform fixtures: the check of the changed
// .tf files exits 2 with SARIF results at lines of those files and a
// Markdown report naming the resources; the fix job's --write over the
// repository patches them; the check then passes.
func TestReadmeWorkflow(t *testing.T) {
	dir, _ := copyTerraformRepo(t)
	common := append([]string{"--policy-file", dir}, strings.Fields(defaultArgs+" --check")...)
	out, stderr, code := runCLI(t, "", append(common, "-o", "sarif")...)
	if code != exitChanges {
		t.Fatalf("check: exit %d, want %d\n%s", code, exitChanges, stderr)
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) == 0 {
		t.Fatalf("SARIF: %v\n%s", err, out)
	}
	for _, r := range sarif.Runs[0].Results {
		loc := r.Locations[0].PhysicalLocation
		uri := loc.ArtifactLocation.URI
		if !strings.HasSuffix(uri, ".tf") && !strings.HasSuffix(uri, ".json") && !strings.HasSuffix(uri, ".tpl") || loc.Region.StartLine < 1 {
			t.Errorf("a result at %s line %d", uri, loc.Region.StartLine)
		}
	}
	md, _, code := runCLI(t, "", append(common, "-o", "markdown")...)
	if code != exitChanges || !strings.Contains(md, ".tf:aws_s3_bucket_policy.") {
		t.Errorf("markdown: exit %d\n%s", code, md)
	}
	if _, stderr, code := runCLI(t, "", append([]string{"--policy-file", dir, "--write"}, strings.Fields(defaultArgs)...)...); code != exitOK {
		t.Fatalf("fix job: exit %d\n%s", code, stderr)
	}
	if out, stderr, code := runCLI(t, "", common...); code != exitOK {
		t.Errorf("check after the fix: exit %d\n%s%s", code, out, stderr)
	}
}
