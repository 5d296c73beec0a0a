package rewrite

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPure enforces that rewrite and its sub-packages do no I/O and import
// nothing from AWS or the CLI. Generator programs (package main, run by
// go generate) are tools, not library code, and are exempt.
func TestPure(t *testing.T) {
	// Built from parts so that this file itself does not name them.
	forbidden := []string{"os", "os/" + "exec", "os/signal", "io/ioutil", "net", "net/" + "http", "syscall", "path/filepath", "log"}
	forbiddenPrefixes := []string{"github.com/" + "aws/", "github.com/" + "urfave/", "github.com/fixpolicy/fixpolicy/awsapi", "github.com/fixpolicy/fixpolicy/cmd", "net/" + "http/"}
	checked := 0
	dirs := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if f.Name.Name == "main" {
			return nil
		}
		checked++
		dirs[filepath.ToSlash(filepath.Dir(path))] = true
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad {
					t.Errorf("%s imports %q: rewrite must stay pure (no I/O)", path, p)
				}
			}
			for _, bad := range forbiddenPrefixes {
				if strings.HasPrefix(p, bad) {
					t.Errorf("%s imports %q: rewrite must not depend on AWS, the CLI or I/O", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk reaches every package, including the renderers.
	for _, d := range []string{".", "internal/cond", "internal/s3actions", "internal/sym", "iac", "iac/cfn", "iac/tfplan", "jsonast", "policy", "report", "simulate", "source", "udiff"} {
		if !dirs[d] {
			t.Errorf("package rewrite/%s was not checked", d)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files checked; the walk is broken", checked)
	}
}
