package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rep "github.com/fixpolicy/fixpolicy/rewrite/report"
)

// The binary the tests below run, built once per test process.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// fixpolicyBinary builds the command (go build) and returns its path.
func fixpolicyBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "fixpolicy-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "fixpolicy")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// removeBinary is called by TestMain.
func removeBinary() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// runBinary runs the built command to its end.
func runBinary(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(fixpolicyBinary(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// dirFiles lists a directory's entries, hidden ones included.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestTimeoutGivesUp: with a --timeout no analysis can meet, the built
// command says so in one line, exits 1 and writes nothing: the policy file
// is unchanged and no temporary or backup file is left.
func TestTimeoutGivesUp(t *testing.T) {
	t.Parallel()
	orig, err := os.ReadFile("../../fixtures/seed000-vpce-only/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"write", []string{"--write"}},
		{"check", []string{"--check"}},
		{"write-json", []string{"--write", "-o", "json"}},
		{"dry-run-sarif", []string{"--dry-run", "-o", "sarif"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "policy.json")
			if err := os.WriteFile(path, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--policy-file", path, "--timeout", "1ns", "--backup-dir", filepath.Join(dir, "backups")}, strings.Fields(defaultArgs)...)
			stdout, stderr, code := runBinary(t, append(args, tc.args...)...)
			msg := "gave up after 1ns (--timeout): the analysis of " + path + " did not finish; nothing was written"
			if code != exitError {
				t.Errorf("exit %d, want 1", code)
			}
			switch {
			case len(tc.args) > 1 && tc.args[2] == "json":
				var r struct{ Status, Error string }
				if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Status != rep.StatusError || r.Error != msg {
					t.Errorf("stdout %q (%v), want status error with %q", stdout, err, msg)
				}
			case len(tc.args) > 1 && tc.args[2] == "sarif":
				if !strings.Contains(stdout, msg) {
					t.Errorf("the SARIF log does not carry %q:\n%s", msg, stdout)
				}
			default:
				if stderr != "fixpolicy: "+msg+"\n" {
					t.Errorf("stderr %q, want %q", stderr, "fixpolicy: "+msg+"\n")
				}
				if stdout != "" {
					t.Errorf("stdout %q, want nothing", stdout)
				}
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
				t.Errorf("the policy file was changed")
			}
			if names := dirFiles(t, dir); len(names) != 1 || names[0] != "policy.json" {
				t.Errorf("files left in the directory: %q", names)
			}
		})
	}
}

// TestTimeoutZeroAndNegative: --timeout 0 means no limit; a negative one is
// a usage error.
func TestTimeoutZeroAndNegative(t *testing.T) {
	t.Parallel()
	args := append([]string{"--policy-file", "../../fixtures/seed000-vpce-only/policy.json", "--dry-run"}, strings.Fields(defaultArgs)...)
	if _, stderr, code := runCLI(t, "", append(args, "--timeout", "0")...); code != exitOK {
		t.Errorf("--timeout 0: exit %d: %s", code, stderr)
	}
	_, stderr, code := runCLI(t, "", append(args, "--timeout", "-1s")...)
	if code != exitError || !strings.Contains(stderr, "--timeout -1s is negative") {
		t.Errorf("--timeout -1s: exit %d: %s", code, stderr)
	}
}

// TestTimeoutDiff: diff gives up the same way.
func TestTimeoutDiff(t *testing.T) {
	t.Parallel()
	a, b := "../../fixtures/seed000-vpce-only/policy.json", "../../fixtures/seed000-vpce-only/want.policy.json"
	stdout, stderr, code := runCLI(t, "", "diff", a, b, "--timeout", "1ns")
	want := "fixpolicy: gave up after 1ns (--timeout): the analysis of " + a + " and " + b + " did not finish; nothing was written\n"
	if code != exitError || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
	}
	if _, stderr, code := runCLI(t, "", "diff", a, b); code != exitChanges {
		t.Errorf("without --timeout: exit %d: %s", code, stderr)
	}
}

// blockingReader blocks until closed, like a terminal nobody types into.
type blockingReader struct{ done chan struct{} }

func (b blockingReader) Read([]byte) (int, error) {
	<-b.done
	return 0, io.EOF
}

// TestRunReturnsOnCancel: run returns as soon as its context is cancelled,
// even while the command is blocked reading standard input, with the
// interrupt message and 130.
func TestRunReturnsOnCancel(t *testing.T) {
	in := blockingReader{make(chan struct{})}
	defer close(in.done)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	got := make(chan int, 1)
	go func() {
		got <- run(ctx, []string{"fixpolicy", "simulate", "--policy-file", "../../fixtures/seed000-vpce-only/policy.json", "--requests", "-"},
			stdio{in: in, out: &out, err: &errb, getenv: func(string) string { return "" }})
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case code := <-got:
		el := time.Since(start)
		t.Logf("run returned %s after the cancel", el)
		if code != exitSIGINT || errb.String() != "fixpolicy: interrupted; nothing was written\n" {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
		if el > 100*time.Millisecond {
			t.Errorf("run took %s to return after the cancel", el)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startBinary starts the built command with a standard input that stays
// open until the test ends.
func startBinary(t *testing.T, args ...string) (cmd *exec.Cmd, stdin io.WriteCloser, stdout *bufio.Reader, stderr *syncBuffer) {
	t.Helper()
	cmd = exec.Command(fixpolicyBinary(t), args...)
	var err error
	if stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stdin, bufio.NewReader(out), stderr
}

// signalAndWait signals the process and returns its exit code and how long
// it took to exit.
func signalAndWait(t *testing.T, cmd *exec.Cmd, sig os.Signal) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		el := time.Since(start)
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), el
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the process did not exit within 10s of %v", sig)
	}
	return 0, 0
}

// TestInterruptBinary: Ctrl-C (SIGINT) and SIGTERM end the built command
// within a bound while it waits on a standard input that never closes, with
// one line and the conventional exit code.
func TestInterruptBinary(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
	}{{os.Interrupt, exitSIGINT}, {syscall.SIGTERM, exitSIGTERM}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			cmd, stdin, stdout, stderr := startBinary(t, "simulate", "--policy-file", "../../fixtures/seed000-vpce-only/policy.json", "--requests", "-", "-o", "json")
			// Enough requests to fill simulate's 64 KiB output buffer: once
			// an answer comes out, the command is in its loop (signals
			// handled) and waits on standard input, which stays open.
			go func() {
				line := `{"principal":"arn:aws:iam::012345678901:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::mtzml-20231208/k"}` + "\n"
				io.WriteString(stdin, strings.Repeat(line, 5000))
			}()
			if line, err := stdout.ReadString('\n'); err != nil || !strings.Contains(line, `"decision"`) {
				t.Fatalf("first answer %q: %v (stderr %q)", line, err, stderr.String())
			}
			go io.Copy(io.Discard, stdout)
			code, el := signalAndWait(t, cmd, tc.sig)
			t.Logf("%v: exited %s after the signal", tc.sig, el)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if got := stderr.String(); got != "fixpolicy: interrupted; nothing was written\n" {
				t.Errorf("stderr %q", got)
			}
			if el > 2*time.Second {
				t.Errorf("took %s to exit after %v", el, tc.sig)
			}
		})
	}
}
