package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of `fixpolicy diff OLD NEW [-o json]`: equivalence-preserving
// rewrites of the fixtures exit 0, real changes exit 2 with classes, and
// the exit code of a refused patch is 3.

type jpolicy = map[string]any

func loadJSON(t *testing.T, path string) jpolicy {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m jpolicy
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func statements(p jpolicy) []any {
	switch s := p["Statement"].(type) {
	case []any:
		return s
	case map[string]any:
		return []any{s}
	}
	return nil
}

func clonePolicy(t *testing.T, p jpolicy) jpolicy {
	b, _ := json.Marshal(p)
	var m jpolicy
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writePolicy(t *testing.T, dir, name string, p jpolicy) string {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// arrays turns every one-element-capable string element into an array.
func arrays(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "Version", "Id", "Sid", "Effect":
				continue
			}
			if s, ok := e.(string); ok && k != "Principal" && k != "NotPrincipal" {
				x[k] = []any{s}
				continue
			}
			if k == "Principal" || k == "NotPrincipal" {
				if m, ok := e.(map[string]any); ok {
					for pk, pv := range m {
						if s, ok := pv.(string); ok {
							m[pk] = []any{s}
						}
					}
				}
				continue
			}
			x[k] = arrays(e)
		}
	case []any:
		for i := range x {
			x[i] = arrays(x[i])
		}
	}
	return v
}

var cliRewrites = map[string]func(p jpolicy){
	"reverse-statements": func(p jpolicy) {
		s := statements(p)
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
		p["Statement"] = s
	},
	"string-to-array": func(p jpolicy) { p["Statement"] = arrays(statements(p)) },
	"action-case": func(p jpolicy) {
		for _, s := range statements(p) {
			m := s.(map[string]any)
			for _, k := range []string{"Action", "NotAction"} {
				switch a := m[k].(type) {
				case string:
					m[k] = strings.ToUpper(a)
				case []any:
					for i := range a {
						a[i] = strings.ToLower(a[i].(string))
					}
				}
			}
		}
	},
	"condition-key-case": func(p jpolicy) {
		for _, s := range statements(p) {
			m := s.(map[string]any)
			c, _ := m["Condition"].(map[string]any)
			for _, blk := range c {
				b := blk.(map[string]any)
				for k, v := range b {
					delete(b, k)
					b[strings.ToLower(k)] = v
				}
			}
		}
	},
	"sid-removal": func(p jpolicy) {
		for _, s := range statements(p) {
			delete(s.(map[string]any), "Sid")
		}
	},
	"duplicate-statement": func(p jpolicy) {
		s := statements(p)
		d := map[string]any{}
		for k, v := range s[0].(map[string]any) {
			d[k] = v
		}
		d["Sid"] = "DuplicateOfFirst"
		p["Statement"] = append(s, d)
	},
	"split-action-lists": func(p jpolicy) {
		var out []any
		for i, s := range statements(p) {
			m := s.(map[string]any)
			acts, ok := m["Action"].([]any)
			if !ok || len(acts) < 2 {
				out = append(out, m)
				continue
			}
			for j, a := range acts {
				c := map[string]any{}
				for k, v := range m {
					c[k] = v
				}
				c["Action"] = a
				c["Sid"] = fmt.Sprintf("Split%d%d", i, j)
				out = append(out, c)
			}
		}
		p["Statement"] = out
	},
}

// TestDiffEquivalentRewritesExitZero runs `fixpolicy diff` on every
// fixture against equivalence-preserving rewrites of it.
func TestDiffEquivalentRewritesExitZero(t *testing.T) {
	t.Parallel()
	dirs := fixtureDirs(t)
	for _, dir := range dirs {
		name := filepath.Base(dir)
		orig := loadJSON(t, filepath.Join(dir, "policy.json"))
		if len(statements(orig)) == 0 {
			continue
		}
		for rw, fn := range cliRewrites {
			if name == "large-many-statements" && rw == "split-action-lists" {
				continue // every statement differs: slow, covered in rewrite/
			}
			t.Run(name+"/"+rw, func(t *testing.T) {
				tmp := t.TempDir()
				q := clonePolicy(t, orig)
				fn(q)
				newPath := writePolicy(t, tmp, "new.json", q)
				oldPath := filepath.Join(dir, "policy.json")
				out, stderr, code := runCLI(t, "", "diff", oldPath, newPath)
				if code != exitOK || !strings.HasPrefix(out, "equivalent: ") {
					t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, stderr)
				}
				out, _, code = runCLI(t, "", "diff", oldPath, newPath, "-o", "json", "--account-id", "012345678901")
				var d struct {
					Equivalent bool  `json:"equivalent"`
					Changes    []any `json:"changes"`
				}
				if err := json.Unmarshal([]byte(out), &d); err != nil || code != exitOK || !d.Equivalent || len(d.Changes) != 0 {
					t.Fatalf("-o json: exit %d, %v: %s", code, err, out)
				}
			})
		}
	}
}

// TestDiffRealChangesExitTwo: real changes to seed000 exit 2 and print
// classes, in text and JSON, with flags before or after the files.
func TestDiffRealChangesExitTwo(t *testing.T) {
	t.Parallel()
	oldPath := "../../fixtures/seed000-vpce-only/policy.json"
	orig := loadJSON(t, oldPath)
	first := func(p jpolicy) map[string]any { return statements(p)[0].(map[string]any) }
	changes := map[string]func(p jpolicy){
		"drop-condition": func(p jpolicy) { delete(first(p), "Condition") },
		"change-endpoint": func(p jpolicy) {
			first(p)["Condition"] = map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": "vpce-99999999999999999"}}
		},
		"flip-effect": func(p jpolicy) { first(p)["Effect"] = "Allow" },
		"remove-object-resource": func(p jpolicy) {
			first(p)["Resource"] = "arn:aws:s3:::mtzml-20231208"
		},
		"change-principal": func(p jpolicy) {
			first(p)["Principal"] = map[string]any{"AWS": "arn:aws:iam::444455556666:root"}
		},
		"add-deny": func(p jpolicy) {
			p["Statement"] = append(statements(p), map[string]any{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
				"Resource": "arn:aws:s3:::mtzml-20231208/*", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}})
		},
		"fixpolicy-patch": nil, // the fixer's own output: the backup role and console reads
	}
	for name, fn := range changes {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			var newPath string
			if fn == nil {
				newPath = "../../fixtures/seed000-vpce-only/want.policy.json"
			} else {
				q := clonePolicy(t, orig)
				fn(q)
				newPath = writePolicy(t, tmp, "new.json", q)
			}
			out, stderr, code := runCLI(t, "", "diff", oldPath, newPath)
			if code != exitChanges || !strings.HasPrefix(out, "Access changes from ") || !strings.Contains(out, "  - ") {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, stderr)
			}
			// Flags after and before the positional arguments.
			for _, args := range [][]string{
				{"diff", oldPath, newPath, "-o", "json", "--account-id", "012345678901"},
				{"diff", "-o", "json", "--account-id", "012345678901", oldPath, newPath},
			} {
				out, stderr, code := runCLI(t, "", args...)
				var d struct {
					Equivalent bool `json:"equivalent"`
					Changes    []struct {
						Principals string   `json:"principals"`
						Actions    []string `json:"actions"`
						Resource   string   `json:"resource"`
						Before     string   `json:"before"`
						After      string   `json:"after"`
						Example    struct {
							Principal string `json:"principal"`
							Action    string `json:"action"`
						} `json:"example"`
					} `json:"changes"`
				}
				if err := json.Unmarshal([]byte(out), &d); err != nil {
					t.Fatalf("%v: %v\n%s\n%s", args, err, out, stderr)
				}
				if code != exitChanges || d.Equivalent || len(d.Changes) == 0 {
					t.Fatalf("%v: exit %d, %s", args, code, out)
				}
				for _, c := range d.Changes {
					if c.Before == c.After || c.Principals == "" || len(c.Actions) == 0 || c.Resource == "" || c.Example.Principal == "" || c.Example.Action == "" {
						t.Errorf("%v: incomplete class %+v", args, c)
					}
				}
			}
		})
	}
}

func TestDiffErrors(t *testing.T) {
	t.Parallel()
	p := "../../fixtures/seed000-vpce-only/policy.json"
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"one-file":       {"diff", p},
		"three-files":    {"diff", p, p, p},
		"missing-file":   {"diff", p, "/nonexistent/policy.json"},
		"invalid-policy": {"diff", p, bad},
		"bad-format":     {"diff", p, p, "-o", "sarif"},
		"bad-account":    {"diff", p, p, "--account-id", "12"},
	} {
		t.Run(name, func(t *testing.T) {
			out, stderr, code := runCLI(t, "", args...)
			if code != exitError {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitError, out, stderr)
			}
			if strings.TrimSpace(stderr) == "" {
				t.Errorf("no error message")
			}
		})
	}
	// The same file from stdin and from disk.
	src, _ := os.ReadFile(p)
	if out, stderr, code := runCLI(t, string(src), "diff", "-", p); code != exitOK {
		t.Errorf("stdin: exit %d: %s %s", code, out, stderr)
	}
}

// TestRefusedPatchExitsThree: through the public CLI, a patch that cannot
// be applied safely exits 3 with the reason. A policy that is just under
// S3's size limit, with a blocking Deny, cannot take the exemption
// (invariant 5). (The gate's own refusals, "a bug in fixpolicy", cannot be
// provoked through the CLI, since the patcher is correct; rewrite's
// TestGateCatchesBrokenPatchers feeds broken patches to Verify directly.)
func TestRefusedPatchExitsThree(t *testing.T) {
	t.Parallel()
	var stmts []string
	stmts = append(stmts, `{"Sid":"Vpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::big","arn:aws:s3:::big/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-12345678901234567"}}}`)
	size := len(stmts[0]) + 60
	for i := 0; size < 20*1024-200; i++ {
		s := fmt.Sprintf(`{"Sid":"P%03d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1000000%05d:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::big/p%03d/*"}`, i, i, i)
		stmts = append(stmts, s)
		size += len(s) + 1
	}
	src := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"--dry-run", "--check", "--write"} {
		out, stderr, code := runCLI(t, "", "--policy-file", path, mode, "--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901")
		if code != exitRefused {
			t.Errorf("%s: exit %d, want 3\nstdout: %s\nstderr: %s", mode, code, out, stderr)
		}
		if !strings.Contains(out+stderr, "20480") && !strings.Contains(out+stderr, "limit") {
			t.Errorf("%s: the refusal does not explain the size limit:\n%s%s", mode, out, stderr)
		}
	}
	after, _ := os.ReadFile(path)
	if string(after) != src {
		t.Errorf("--write changed a refused policy")
	}
}
