package fleet

import (
	"io"
	"sync"
	"time"

	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Modes of a run.
const (
	Apply  = ""        // apply to live buckets: with Yes, or once confirmed
	DryRun = "dry-run" // show the report and diff, write nothing
	Check  = "check"   // like DryRun, but a change needed is ExitChanges
	Write  = "write"   // rewrite each policy file in place
)

// Run is one run of fixpolicy over buckets or policy files.
type Run struct {
	Session *Session
	// Journal records the run's writes, for the interrupt message.
	Journal *apply.Journal
	Mode    string
	// Yes applies changes to live buckets without asking.
	Yes bool
	// Fix are the analysis options; Fix.Facts are the run's facts
	// (Session.ResolveFacts), completed for each target.
	Fix rewrite.Options
	// Timeout bounds each target's AWS reads, analysis and proof; 0 is no
	// limit.
	Timeout time.Duration
	// BackupDir is where each bucket's policy is saved before a write.
	BackupDir string
	// Concurrency is how many buckets are analysed at once; below 1 is 1.
	Concurrency int
	// LiteralRoleID says the user gave the RoleId (--role-id): a patch in
	// Terraform writes it as a literal rather than as a reference to the
	// role.
	LiteralRoleID bool
	// modRoles caches moduleRoles by directory.
	modRoles sync.Map
	// Stdin is read for the policy file "-".
	Stdin io.Reader
	UI
}

// UI is how a run shows its reports and asks for confirmations. Print is
// required; the others may be nil.
type UI struct {
	// Print shows a target's report once it is settled, in the targets'
	// order.
	Print func(r *report.Report)
	// Confirm shows a change to a live bucket and asks whether to apply it
	// (the [y/N] prompt on a terminal). It is called in the buckets' order,
	// one at a time, and then Confirmed shows the outcome instead of
	// Print. Nil means there is no terminal to ask on: changes are then
	// applied only with Yes.
	Confirm   func(r *report.Report) bool
	Confirmed func(r *report.Report)
	// Progress, when set, shows a progress bar of the buckets analysed (a
	// terminal); it is not used when Confirm asks.
	Progress io.Writer
}

// analysed is a bucket analysed, and maybe patched.
type analysed struct {
	r   *report.Report
	res *rewrite.Result
	api apply.PolicyAPI // signed for the bucket's region
}
