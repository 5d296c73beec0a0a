package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

func TestMain(m *testing.M) {
	code := m.Run() // parses the flags (-update) first
	removeBinary()
	os.Exit(code)
}

var update = flag.Bool("update", false, "rewrite the golden files under fixtures/")

const defaultArgs = "--role-id AROAEXAMPLEROLEID0001 --account-id 012345678901"

// harness runs fixpolicy in-process, as main would, with the AWS client
// factory and terminal it is given. It shares nothing between runs, so
// tests using it may run in parallel.
type harness struct {
	aws   clientFactory // nil: awsapi.New, as in main
	inTTY bool          // standard input is a terminal
}

// run runs fixpolicy with args and returns stdout, stderr and the exit code.
func (h harness) run(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"fixpolicy"}, args...), stdio{
		in: strings.NewReader(stdin), out: &out, err: &errb, inTTY: h.inTTY, aws: h.aws,
		getenv: func(string) string { return "" },
	})
	return out.String(), errb.String(), code
}

// runCLI runs fixpolicy in-process with the default AWS client factory.
func runCLI(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return harness{}.run(t, stdin, args...)
}

// offline is a client factory that fails the test: a run that must make no
// AWS call builds no client.
func offline(t testing.TB) clientFactory {
	return func(context.Context, awsapi.Options) (*awsapi.Clients, error) {
		t.Errorf("an offline run tried to build AWS clients")
		return nil, errors.New("offline")
	}
}

func fixtureDirs(t testing.TB) []string {
	dirs, err := filepath.Glob("../../fixtures/*/policy.json")
	if err != nil || len(dirs) < 20 {
		t.Fatalf("fixtures missing: %v (%d)", err, len(dirs))
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

func fixtureArgs(t testing.TB, dir string) []string {
	args := defaultArgs
	if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
		args = string(b)
	}
	return strings.Fields(args)
}

// checkGolden compares got with the golden file, or rewrites it under -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/fixpolicy -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run with -update after checking):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// TestGoldenFixtures runs the dry-run report of every fixture and its
// --write result against the golden files want.txt and want.policy.json.
func TestGoldenFixtures(t *testing.T) {
	// --role-id and --account-id make every fixture run offline: any AWS
	// client being built is a failure.
	h := harness{aws: offline(t)}
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			args := fixtureArgs(t, dir)
			out, stderr, code := h.run(t, "", append([]string{"--policy-file", "policy.json", "--dry-run"}, args...)...)
			if code != exitOK && code != exitRefused {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			checkGolden(t, "want.txt", []byte(fmt.Sprintf("%s[exit %d]\n", out, code)))

			// --check agrees with the dry run.
			_, _, ccode := h.run(t, "", append([]string{"--policy-file", "policy.json", "--check"}, args...)...)
			src, _ := os.ReadFile("policy.json")

			// --write on a copy gives the patched policy.
			tmp := filepath.Join(t.TempDir(), "policy.json")
			if err := os.WriteFile(tmp, src, 0o640); err != nil {
				t.Fatal(err)
			}
			_, stderr, wcode := h.run(t, "", append([]string{"--policy-file", tmp, "--write"}, args...)...)
			if wcode != exitOK && wcode != exitRefused {
				t.Fatalf("--write: exit %d: %s", wcode, stderr)
			}
			patched, _ := os.ReadFile(tmp)
			checkGolden(t, "want.policy.json", patched)
			if st, _ := os.Stat(tmp); st.Mode().Perm() != 0o640 {
				t.Errorf("--write changed the file mode to %v", st.Mode().Perm())
			}
			changed := !bytes.Equal(src, patched)
			switch {
			case code == exitRefused:
				if ccode != exitRefused {
					t.Errorf("--check exit %d, want 3 for a refused patch", ccode)
				}
			case changed && ccode != exitChanges:
				t.Errorf("--check exit %d, want 2 (changes needed)", ccode)
			case !changed && ccode != exitOK:
				t.Errorf("--check exit %d, want 0 (compliant)", ccode)
			}
			// Idempotent: the patched policy needs nothing more.
			_, _, again := h.run(t, "", append([]string{"--policy-file", tmp, "--check"}, args...)...)
			if code != exitRefused && again != exitOK {
				t.Errorf("--check on the patched policy exits %d, want 0", again)
			}
		})
	}
}

// TestBadInputs feeds every fixtures/bad/*.json to fixpolicy: each must give
// one clear line on stderr naming what is wrong, exit 1, write nothing and
// not panic. The messages are golden (fixtures/bad/*.err).
func TestBadInputs(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../fixtures/bad/*.json")
	if len(files) < 25 {
		t.Fatalf("only %d bad inputs", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			src, _ := os.ReadFile(f)
			tmp := filepath.Join(t.TempDir(), name+".json")
			os.WriteFile(tmp, src, 0o600)
			out, stderr, code := runCLI(t, "", append([]string{"--policy-file", tmp, "--write"}, strings.Fields(defaultArgs)...)...)
			if code != exitError {
				t.Errorf("exit %d, want 1", code)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "fixpolicy: ") {
				t.Errorf("want one line on stderr, got %q", stderr)
			}
			if after, _ := os.ReadFile(tmp); !bytes.Equal(after, src) {
				t.Errorf("the bad file was rewritten")
			}
			msg := strings.ReplaceAll(stderr, tmp, name+".json")
			checkGolden(t, strings.TrimSuffix(f, ".json")+".err", []byte(msg))
		})
	}
}
