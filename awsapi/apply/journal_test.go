package apply

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestJournal: what the interrupt message says in each state, and that no
// write starts after it.
func TestJournal(t *testing.T) {
	t.Parallel()
	j := &Journal{}
	var a, b, c, d *write
	if err := j.Local(func() error {
		a = j.saved("a", "bk/a.json", "patched")
		b = j.saved("b", "bk/b.json", "patched")
		c = j.saved("c", "bk/c.json", "patched")
		d = j.saved("d", "bk/d.json", "patched")
		j.WroteFile("p.json")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*write{b, c, d} {
		if err := j.send(w); err != nil {
			t.Fatal(err)
		}
	}
	j.settle(c, wsWritten)
	j.settle(d, wsUnchanged)
	got := j.Interrupted()
	want := "interrupted; s3://a was not changed (its policy was saved to bk/a.json first); " +
		"the write to s3://b was in flight, so it has either its old policy or the patched one: check with fixpolicy --bucket b --dry-run; " +
		"the old policy is saved in bk/b.json (put it back with: fixpolicy rollback --bucket b --from bk/b.json); " +
		"s3://c was patched (its old policy is saved in bk/c.json); p.json was rewritten; nothing else was written"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if err := j.Local(func() error { t.Error("a local write ran after the interrupt"); return nil }); !errors.Is(err, ErrInterrupted) {
		t.Errorf("local after the interrupt: %v", err)
	}
	if err := j.send(a); !errors.Is(err, ErrInterrupted) {
		t.Errorf("send after the interrupt: %v", err)
	}
	if got := (&Journal{}).Interrupted(); got != "interrupted; nothing was written" {
		t.Errorf("empty journal: %q", got)
	}
}

// TestSaveBackupStaysInItsDirectory: a bucket name that is not one (from a
// hostile or broken endpoint) cannot name a backup file outside the backup
// directory (issue 13, item 4).
func TestSaveBackupStaysInItsDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, b := range []string{"../../escaped", "a/b", "..", ""} {
		if p, err := SaveBackup(filepath.Join(dir, "backups"), b, []byte("{}")); err == nil {
			t.Errorf("%q: saved to %s", b, p)
		}
	}
	if p, err := SaveBackup(dir, "bkt-a", []byte("{}")); err != nil || filepath.Dir(p) != dir {
		t.Errorf("a bucket: %s, %v", p, err)
	}
}

func TestJournalSetting(t *testing.T) {
	var j Journal
	if err := j.Setting("the versioning of s3://b", "aws s3api get-bucket-versioning --bucket b", "dir/b.versioning.json", func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	var inFlight string
	j.Setting("IAM role R", "aws iam list-attached-role-policies --role-name R", "dir/r.json", func() error {
		inFlight = j.Interrupted() // Ctrl-C while the write is on the wire
		return nil
	})
	for _, want := range []string{"the versioning of s3://b was changed (its old setting is saved in dir/b.versioning.json)",
		"the write to IAM role R was in flight, so it has either its old setting or the new one: check with aws iam list-attached-role-policies --role-name R"} {
		if !strings.Contains(inFlight, want) {
			t.Errorf("interrupt message lacks %q:\n%s", want, inFlight)
		}
	}
	called := false
	if err := j.Setting("x", "y", "z", func() error { called = true; return nil }); err != ErrInterrupted || called {
		t.Errorf("after the interrupt: %v, put called %v", err, called)
	}
}

// TestValidStem: a backup file's stem is a letter or digit, then up to 200
// letters, digits, dots, underscores or hyphens; ".." and path separators
// never pass.
func TestValidStem(t *testing.T) {
	for stem, want := range map[string]bool{
		"versioning.us-east-1.fix-broken": true, "a": true, "A_b-c.9": true,
		"": false, ".hidden": false, "-x": false, "a/b": false, "a\\b": false, "a b": false, "é": false,
		strings.Repeat("a", 201): true, strings.Repeat("a", 202): false,
	} {
		if got := validStem(stem); got != want {
			t.Errorf("validStem(%q) = %v, want %v", stem, got, want)
		}
	}
}
