package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Step statuses of a fix plan.
const (
	Planned = "planned" // will be written once confirmed
	Manual  = "manual"  // not written by doctor --fix: the report says what to do
	Done    = "done"    // written and verified
	Failed  = "failed"  // not done; Error says why and in what state it left things
	Skipped = "skipped" // not run (not confirmed, or an earlier step stopped the run)
)

// RoleFixer is the IAM calls of the backup-role fix.
type RoleFixer interface {
	AttachRolePolicy(ctx context.Context, role, policyARN string) error
	DetachRolePolicy(ctx context.Context, role, policyARN string) error
	PolicyDocument(ctx context.Context, policyARN string) ([]byte, error)
}

// RegionalFixer is the writes of doctor --fix made in a bucket's region,
// beside the reads that guard and verify them.
type RegionalFixer interface {
	Regional
	apply.PolicyAPI
	PutBucketVersioning(ctx context.Context, bucket, status, expectedOwner string) error
	PutBucketOwnershipControls(ctx context.Context, bucket, ownership, expectedOwner string) error
	PutKeyPolicy(ctx context.Context, keyID string, policy []byte) error
}

// Fixer is every call doctor --fix makes besides [API]'s reads. It is a
// separate interface so that [API] stays read-only. [FromClients]'s value
// implements it.
type Fixer interface {
	API
	RoleFixer
	Simulator
	BackupPlans
	Writer(region string) RegionalFixer
}

func (c clientsAPI) Writer(region string) RegionalFixer { return c.ForRegion(region) }

// FixerFromClients adapts cl to [Fixer].
func FixerFromClients(cl *awsapi.Clients) Fixer { return clientsAPI{cl} }

// FixOptions are doctor --fix's choices.
type FixOptions struct {
	// FixOwnership allows setting Object Ownership to BucketOwnerEnforced.
	FixOwnership bool
	// BackupDir is where everything is saved before it is changed.
	BackupDir string
	// Journal records the writes, for the interrupt message; nil is a new one.
	Journal *apply.Journal
}

// Step is one change of a plan, for one failed check.
type Step struct {
	ID     string   `json:"id"`     // the check it fixes
	Action string   `json:"action"` // what it changes, in one sentence
	Calls  []string `json:"calls,omitempty"`
	Diff   string   `json:"diff,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	Status string   `json:"status"`
	// Outcome is what was done, one sentence per step taken.
	Outcome []string `json:"outcome,omitempty"`
	Backup  string   `json:"backup,omitempty"`
	Error   string   `json:"error,omitempty"`

	run   func(ctx context.Context, s *Step)
	cause error // the AWS error it failed with, if any
}

func (s *Step) did(format string, args ...any) {
	s.Outcome = append(s.Outcome, fmt.Sprintf(format, args...))
}

// fail ends the step with a one-line error that says what state it left;
// the first AWS error among args is its cause.
func (s *Step) fail(format string, args ...any) {
	for _, a := range args {
		var e *awsapi.Error
		if err, ok := a.(error); ok && s.cause == nil && errors.As(err, &e) {
			s.cause = err
		}
	}
	s.Status, s.Error = Failed, report.OneLine(fmt.Sprintf(format, args...))
	s.did("error: %s", s.Error)
}

// record takes the outcome of an apply transaction as the step's.
func (s *Step) record(o apply.Outcome) {
	s.Backup = o.Backup
	if o.OK() {
		s.Outcome = append(s.Outcome, o.Steps...)
		return
	}
	s.Outcome = append(s.Outcome, o.Steps[:len(o.Steps)-1]...)
	s.cause = o.Cause
	s.fail("%s", o.Err)
}

// Plan is doctor --fix's plan for one bucket, and then its outcome.
type Plan struct {
	Bucket string  `json:"bucket"`
	Steps  []*Step `json:"steps"`
	// Checks are the doctor checks the plan was made from.
	Checks []Check `json:"checks"`
	Error  string  `json:"error,omitempty"`

	grant func(error) string // the note for a write the caller was denied
}

// Pending reports whether some step is planned (to be written).
func (p *Plan) Pending() bool { return p.count(Planned) > 0 }

// NeedsFixing reports whether something is left to fix: a step planned,
// failed or left to be done by hand.
func (p *Plan) NeedsFixing() bool {
	return p.count(Planned)+p.count(Manual)+p.count(Failed) > 0
}

func (p *Plan) count(status string) int {
	n := 0
	for _, s := range p.Steps {
		if s.Status == status {
			n++
		}
	}
	return n
}

// Apply runs the planned steps in order. Each step backs up what it
// changes first, re-reads it and stops if it changed since the plan,
// writes, and reads back to verify; a failed step leaves what it did not
// finish untouched. A failure that no later step can get past (missing or
// expired credentials, the run cancelled) skips the rest.
func (p *Plan) Apply(ctx context.Context) {
	var stop string
	for _, s := range p.Steps {
		if s.Status != Planned {
			continue
		}
		if stop == "" && ctx.Err() != nil {
			stop = "the run was interrupted"
		}
		if stop != "" {
			s.Status = Skipped
			s.did("not run: %s", stop)
			continue
		}
		s.run(ctx, s)
		if awsapi.IsAccessDenied(s.cause) {
			s.did("%s", p.grant(s.cause))
		}
		if s.Status == Planned {
			s.Status = Done
		}
		if s.Status == Failed && stops(s.cause) {
			stop = "step " + s.ID + " failed: " + s.Error
		}
	}
}

// Decline marks the planned steps as not confirmed.
func (p *Plan) Decline(why string) {
	for _, s := range p.Steps {
		if s.Status == Planned {
			s.Status = Skipped
			s.did("not run: %s", why)
		}
	}
}

// Plan checks the bucket and plans a fix for each failed check. A non-nil
// error means the bucket could not be checked at all.
func (d *Doctor) Plan(ctx context.Context, api Fixer, bucket string, opt FixOptions) (*Plan, error) {
	r, st, err := d.check(ctx, bucket)
	p := &Plan{Bucket: bucket, Steps: []*Step{}, Checks: r.Checks}
	if err != nil {
		return p, err
	}
	if opt.Journal == nil {
		opt.Journal = &apply.Journal{}
	}
	w := api.Writer(st.region)
	f := &fixer{d: d, api: api, w: w, bucket: bucket, st: st, opt: opt}
	p.grant = f.grantNote
	for _, c := range r.Checks {
		if c.Status != Fail {
			continue
		}
		var s *Step
		switch c.ID {
		case "versioning":
			s = f.versioningStep()
		case "backup-role":
			s = f.roleStep(ctx, c)
		case "bucket-policy", "stale-role-id":
			if hasStep(p, "bucket-policy") {
				continue
			}
			s = f.forRole(ctx, "bucket-policy", func() *Step { return f.policyStep(c) })
		case "object-ownership":
			s = f.ownershipStep()
		case "kms-key":
			s = f.forRole(ctx, "kms-key", func() *Step { return f.keyStep(ctx, c) })
		}
		if s != nil {
			p.Steps = append(p.Steps, s)
		}
	}
	if s := d.vaultStep(ctx, api); s != nil {
		p.Steps = append(p.Steps, s)
	}
	return p, nil
}

func hasStep(p *Plan, id string) bool {
	for _, s := range p.Steps {
		if s.ID == id {
			return true
		}
	}
	return false
}

// fixer builds the steps of one bucket's plan.
type fixer struct {
	d      *Doctor
	api    Fixer
	w      RegionalFixer
	bucket string
	st     *state
	opt    FixOptions

	doubt    *string // roleInDoubt's answer, once worked out
	planNote string
}

// forRole plans a step that grants the backup role access, unless the role
// is in doubt (roleInDoubt).
func (f *fixer) forRole(ctx context.Context, id string, plan func() *Step) *Step {
	if f.d.role != nil {
		if doubt, _ := f.roleInDoubt(ctx); doubt != "" {
			return manual(id, "not changed, since it would grant access to a role AWS Backup does not use for this bucket: "+doubt)
		}
	}
	return plan()
}

// manual is a step doctor --fix does not take, with what to do instead.
func manual(id, action string, notes ...string) *Step {
	return &Step{ID: id, Action: action, Status: Manual, Notes: notes}
}

// FixMode checks doctor's --fix flags before anything is read, and returns
// whether to fix and the mode of the run: "" (apply), "dry-run" or "check"
// (the modes of package fleet).
func FixMode(fix, dryRun, check, yes, fixOwnership bool) (bool, string, error) {
	switch {
	case !fix && (dryRun || check || yes || fixOwnership):
		return false, "", fmt.Errorf("doctor: --dry-run, --check, --yes and --fix-ownership go with --fix (doctor alone only reads)")
	case dryRun && check:
		return false, "", fmt.Errorf("doctor: --dry-run and --check are exclusive: pick one")
	case dryRun:
		return fix, "dry-run", nil
	case check:
		return fix, "check", nil
	}
	return fix, "", nil
}

// CheckInputs checks doctor's output format, buckets and --role-id before
// anything is read, and returns the buckets without repeats, in order.
func CheckInputs(format string, buckets []string, all bool, roleID string) ([]string, error) {
	if format != "text" && format != "json" {
		return nil, fmt.Errorf("doctor: -o %q is not an output format (use text or json)", format)
	}
	var out []string
	for _, b := range buckets {
		if err := awsapi.CheckBucketName(b); err != nil {
			return nil, fmt.Errorf("--bucket %q is not a bucket name: %v", b, err)
		}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	switch {
	case len(out) == 0 && !all:
		return nil, fmt.Errorf("doctor: --bucket or --all-buckets is required")
	case len(out) > 0 && all:
		return nil, fmt.Errorf("doctor: --all-buckets and --bucket are exclusive: pick one")
	}
	if roleID != "" && !ValidRoleID(roleID) {
		return nil, fmt.Errorf("--role-id %q is not an IAM role unique ID (AROA followed by letters and digits, as aws iam get-role prints)", roleID)
	}
	return out, nil
}
