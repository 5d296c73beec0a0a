package fleet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	awstest.StopSharedMoto()
	os.Exit(code)
}

// env is where a test's runs go: the options their AWS clients are built
// with, and the backup directory.
type env struct {
	opts func() awsapi.Options
	dir  string
}

// runArgs are a run's settings, as the command's flags give them.
type runArgs struct {
	all         bool
	buckets     []string
	mode        string
	yes         bool
	region      string // --region
	roleName    string // "" is rewrite.DefaultRoleName
	orgID       string
	timeout     time.Duration
	concurrency int // 0 is 8
	// confirm answers the [y/N] prompt; nil is no terminal.
	confirm func(*report.Report) bool
}

// result is a run's outcome: the reports in order, by bucket, the exit code,
// the error that stopped it before any bucket, and its journal.
type result struct {
	list     []*report.Report
	byBucket map[string]*report.Report
	code     int
	err      error
	journal  *apply.Journal
}

// msg is the run's error and every report's, for checking what a user is told.
func (res result) msg() string {
	var b strings.Builder
	if res.err != nil {
		b.WriteString(res.err.Error() + "\n")
	}
	for _, r := range res.list {
		b.WriteString(r.Error + "\n")
	}
	return b.String()
}

// text renders the reports as the command's text output, with the summary.
func (res result) text(t testing.TB) string {
	t.Helper()
	var b bytes.Buffer
	p := &report.Printer{W: &b, ErrW: &b, Format: "text"}
	for _, r := range res.list {
		p.Print(r)
	}
	p.Summary()
	if err := p.Finish(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// run runs fixpolicy over buckets the way the command wires it: session,
// targets, facts, then Run.Buckets.
func (e *env) run(t testing.TB, ctx context.Context, a runArgs) result {
	t.Helper()
	res := result{byBucket: map[string]*report.Report{}, journal: &apply.Journal{}}
	s := NewSession(ctx, func(ctx context.Context) (API, error) {
		o := e.opts()
		if a.region != "" {
			o.Region = a.region
		}
		cl, err := awsapi.New(ctx, o)
		if err != nil {
			return nil, err
		}
		return FromClients(cl), nil
	})
	fail := func(err error) result { res.code, res.err = ExitError, err; return res }
	if _, err := s.API(); err != nil {
		return fail(err)
	}
	targets, err := s.Targets(a.all, a.buckets)
	if err != nil {
		return fail(err)
	}
	role := a.roleName
	if role == "" {
		role = rewrite.DefaultRoleName
	}
	fix := rewrite.Options{ExemptBy: rewrite.ExemptByUserID, Facts: rewrite.Facts{RoleName: role, OrgID: a.orgID}}
	facts, err := s.ResolveFacts(fix)
	if err != nil {
		return fail(err)
	}
	fix.Facts = facts
	conc := a.concurrency
	if conc == 0 {
		conc = 8
	}
	var mu sync.Mutex
	run := &Run{Session: s, Journal: res.journal, Mode: a.mode, Yes: a.yes, Fix: fix, Timeout: a.timeout, BackupDir: e.dir, Concurrency: conc,
		UI: UI{Confirm: a.confirm, Print: func(r *report.Report) {
			mu.Lock()
			defer mu.Unlock()
			res.list = append(res.list, r)
			res.byBucket[r.Bucket] = r
		}}}
	if a.confirm != nil {
		run.Confirmed = run.Print
	}
	res.code, res.err = run.Buckets(ctx, targets)
	return res
}

var liveBucketSeq atomic.Int64

// liveBucketName returns a bucket name no other test uses.
func liveBucketName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, liveBucketSeq.Add(1))
}

// liveSeedPolicy returns a seed fixture's policy rewritten for bucket.
func liveSeedPolicy(t testing.TB, fixture, bucket string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("../../fixtures", fixture, "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, old := range []string{"mtzml-20231208", "awsbackup-test-001"} {
		s = strings.ReplaceAll(s, old, bucket)
	}
	return strings.ReplaceAll(s, "012345678901", awstest.DefaultAccount)
}

// liveBackups returns the backup files for bucket in dir.
func liveBackups(t testing.TB, dir, bucket string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, bucket+"-*.json"))
	return files
}

func liveCheckBackup(t *testing.T, path, want string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup %s has mode %v, want 0600", path, st.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if string(got) != want {
		t.Errorf("backup %s holds\n%s\nwant the original\n%s", path, got, want)
	}
}

func liveEquivalent(t testing.TB, a, b string) bool {
	t.Helper()
	pa, err := rewrite.Parse([]byte(a))
	if err != nil {
		return false
	}
	pb, err := rewrite.Parse([]byte(b))
	if err != nil {
		return false
	}
	return rewrite.Equivalent(pa, pb)
}
