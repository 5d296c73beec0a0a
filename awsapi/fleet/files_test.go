package fleet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

const seed000Dir = "../../fixtures/seed000-vpce-only"

// offlineRun is a run over policy files with the facts given, as with
// --role-id and --account-id: building AWS calls fails the test.
func offlineRun(t testing.TB, mode string) (*Run, *[]*report.Report) {
	t.Helper()
	var reps []*report.Report
	s := NewSession(context.Background(), func(context.Context) (API, error) {
		t.Errorf("an offline run built its AWS calls")
		return nil, errors.New("offline")
	})
	fix := rewrite.Options{ExemptBy: rewrite.ExemptByUserID, Facts: rewrite.Facts{RoleName: rewrite.DefaultRoleName, RoleID: "AROAEXAMPLEROLEID0001", AccountID: "012345678901"}}
	facts, err := s.ResolveFacts(fix)
	if err != nil || facts != fix.Facts || s.Online() {
		t.Fatalf("ResolveFacts offline: %+v, %v (online %v)", facts, err, s.Online())
	}
	return &Run{Session: s, Journal: &apply.Journal{}, Mode: mode, Fix: fix, Timeout: time.Minute,
		UI: UI{Print: func(r *report.Report) { reps = append(reps, r) }}}, &reps
}

// copyPolicy copies the seed 000 policy into a temporary directory with mode
// 0640 and returns its path.
func copyPolicy(t *testing.T) (path string, orig []byte) {
	t.Helper()
	orig, err := os.ReadFile(filepath.Join(seed000Dir, "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	return path, orig
}

// TestFilesWrite: with Write, a file that needs the patch is rewritten in
// place (its mode kept, nothing else left in its directory) with the golden
// patched policy; the journal records it; a second run finds it compliant.
func TestFilesWrite(t *testing.T) {
	path, _ := copyPolicy(t)
	run, reps := offlineRun(t, Write)
	if code := run.Files(context.Background(), []string{path}, nil); code != ExitOK || len(*reps) != 1 || (*reps)[0].Status != report.StatusPatched {
		t.Fatalf("exit %d: %+v", code, *reps)
	}
	want, _ := os.ReadFile(filepath.Join(seed000Dir, "want.policy.json"))
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Errorf("the file holds\n%s\nwant\n%s", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("files left beside the policy: %v", ents)
	}
	if msg := run.Journal.Interrupted(); !strings.Contains(msg, path) {
		t.Errorf("the journal does not name the file written: %q", msg)
	}
	again, reps2 := offlineRun(t, Check)
	if code := again.Files(context.Background(), []string{path}, nil); code != ExitOK || (*reps2)[0].Status != report.StatusCompliant {
		t.Errorf("check after the write: exit %d, %+v", code, (*reps2)[0])
	}
}

// TestFilesCheckStdinAndBuckets: Check gives ExitChanges; "-" reads Stdin;
// one bucket names every file's bucket, several one each; the worst exit
// code wins and an unreadable file is an error report.
func TestFilesCheckStdinAndBuckets(t *testing.T) {
	path, orig := copyPolicy(t)
	run, reps := offlineRun(t, Check)
	run.Stdin = bytes.NewReader(orig)
	code := run.Files(context.Background(), []string{path, "-"}, []string{"mtzml-20231208"})
	if code != ExitChanges || len(*reps) != 2 {
		t.Fatalf("exit %d, %d reports", code, len(*reps))
	}
	for i, r := range *reps {
		if r.Status != report.StatusNeedsChange || r.ExitCode != ExitChanges || r.Bucket != "mtzml-20231208" {
			t.Errorf("report %d: %s %d bucket %q", i, r.Status, r.ExitCode, r.Bucket)
		}
	}
	if (*reps)[1].Target != "<stdin>" || (*reps)[1].File != "-" {
		t.Errorf("standard input's report: %q %q", (*reps)[1].Target, (*reps)[1].File)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
		t.Errorf("Check wrote the file")
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	*reps = nil
	if code := run.Files(context.Background(), []string{path, missing}, []string{"a-bucket", "b-bucket"}); code != ExitError {
		t.Errorf("exit %d with a missing file", code)
	}
	if r := (*reps)[1]; r.Status != report.StatusError || r.Error != "cannot read the policy: no such file or directory" || (*reps)[0].Bucket != "a-bucket" {
		t.Errorf("reports %+v %+v", (*reps)[0], r)
	}
}

// TestFileTimeout: an analysis that does not finish within the Timeout is
// an error report naming the limit, and nothing is written.
func TestFileTimeout(t *testing.T) {
	path, orig := copyPolicy(t)
	run, _ := offlineRun(t, Write)
	run.Timeout = time.Nanosecond
	r := run.File(context.Background(), path, "")
	want := "gave up after 1ns (--timeout): the analysis of " + path + " did not finish; nothing was written"
	if r.Status != report.StatusError || r.Error != want || !r.SelfNamed || r.ExitCode != ExitError {
		t.Errorf("%+v, want the error %q", r, want)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
		t.Errorf("the file was written")
	}
}

func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.json", "b.json", "c.txt"} {
		os.WriteFile(filepath.Join(dir, n), []byte("{}"), 0o600)
	}
	got, err := ExpandFiles([]string{"-", filepath.Join(dir, "*.json"), "plain,name.json"})
	want := []string{"-", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), "plain,name.json"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ExpandFiles = %q, %v; want %q", got, err, want)
	}
	if _, err := ExpandFiles([]string{filepath.Join(dir, "*.yaml")}); err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Errorf("no match: %v", err)
	}
	if _, err := ExpandFiles([]string{"[x"}); err == nil || !strings.Contains(err.Error(), "is not a valid pattern") {
		t.Errorf("bad pattern: %v", err)
	}
}

// TestTargets: named buckets are kept in order without repeats, and need
// no AWS call.
func TestTargets(t *testing.T) {
	s := NewSession(context.Background(), func(context.Context) (API, error) {
		t.Errorf("built the AWS calls")
		return nil, errors.New("offline")
	})
	got, err := s.Targets(false, []string{"b", "a", "b"})
	if err != nil || len(got) != 2 || got[0].Name != "b" || got[1].Name != "a" {
		t.Errorf("Targets = %+v, %v", got, err)
	}
}

// TestReadSourceBounded: a read stops past MaxInput with one line, for a
// file, for standard input and for /dev/zero, which used to grow until the
// machine ran out of memory; a UTF-16 file is named as such with the fix,
// instead of "invalid UTF-8 byte 0xFF" (issue 13, items 7 and 8).
func TestReadSourceBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), MaxInput+10), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() ([]byte, error){
		"file":      func() ([]byte, error) { return ReadSource(nil, big) },
		"stdin":     func() ([]byte, error) { return ReadSource(io.MultiReader(strings.NewReader("{"), zeros{}), "-") },
		"/dev/zero": func() ([]byte, error) { return ReadSource(nil, "/dev/zero") },
	} {
		if _, err := os.Stat("/dev/zero"); err != nil && name == "/dev/zero" {
			continue
		}
		_, err := read()
		if err == nil || !strings.Contains(err.Error(), "the input is over 4 MiB") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"LE BOM": {0xFF, 0xFE, '{', 0}, "BE BOM": {0xFE, 0xFF, 0, '{'}, "LE": {'{', 0, '"', 0}, "BE": {0, '{', 0, '"'},
	} {
		p := filepath.Join(dir, "u16.json")
		os.WriteFile(p, b, 0o600)
		if _, err := ReadSource(nil, p); err == nil || !strings.Contains(err.Error(), "the file is UTF-16") || !strings.Contains(err.Error(), "iconv") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if src, err := ReadSource(strings.NewReader(`{"Statement":[]}`), "-"); err != nil || string(src) != `{"Statement":[]}` {
		t.Errorf("a small policy: %q, %v", src, err)
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestWriteFileAtomicAsAnEditorWould: --write follows a symbolic link and
// patches the file it names (the link stays); refuses a file with other
// hard links and a read-only file, naming them; and a directory it cannot
// write in is named as the cause (issue 13, items 1, 2 and 12).
func TestWriteFileAtomicAsAnEditorWould(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o640)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := WriteFileAtomic(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(real); string(got) != "new" {
		t.Errorf("the linked file holds %q", got)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a regular file")
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}

	hard := filepath.Join(dir, "hard.json")
	if err := os.Link(real, hard); err == nil {
		err := WriteFileAtomic(real, []byte("newer"))
		if err == nil || !strings.Contains(err.Error(), "has 2 hard links") {
			t.Errorf("hard link: %v", err)
		}
		if got, _ := os.ReadFile(hard); string(got) != "new" {
			t.Errorf("the other name holds %q", got)
		}
	}

	ro := filepath.Join(dir, "ro.json")
	os.WriteFile(ro, []byte("old"), 0o444)
	if err := WriteFileAtomic(ro, []byte("new")); err == nil || !strings.Contains(err.Error(), "is read-only (mode 0444)") {
		t.Errorf("read-only file: %v", err)
	}
	if got, _ := os.ReadFile(ro); string(got) != "old" {
		t.Errorf("the read-only file was replaced: %q", got)
	}

	if os.Geteuid() != 0 {
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		f := filepath.Join(sub, "p.json")
		os.WriteFile(f, []byte("old"), 0o644)
		os.Chmod(sub, 0o555)
		defer os.Chmod(sub, 0o755)
		if err := WriteFileAtomic(f, []byte("new")); err == nil || !strings.Contains(err.Error(), "cannot create a file in "+sub) {
			t.Errorf("read-only directory: %v", err)
		}
	}
}
