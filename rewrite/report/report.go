package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/udiff"
)

// Status values of a target (-o json's "status"; README, "Usage").
const (
	StatusCompliant   = "compliant"
	StatusNeedsChange = "needs-change"
	StatusPatched     = "patched"
	StatusRefused     = "refused"
	StatusError       = "error"
)

// Report is the outcome for one target (a bucket or a policy file). Its
// exported JSON fields are -o json's object; the others are for renderers
// and the command.
type Report struct {
	Target        string           `json:"target"`
	Bucket        string           `json:"bucket,omitempty"`
	Status        string           `json:"status"`
	PolicyBefore  json.RawMessage  `json:"policy_before,omitempty"`
	PolicyAfter   json.RawMessage  `json:"policy_after,omitempty"`
	Changes       []rewrite.Change `json:"changes"`
	Explanations  []string         `json:"explanations,omitempty"`
	AccessChanges []string         `json:"access_changes"`
	Proof         *rewrite.Proof   `json:"proof,omitempty"`
	Diff          string           `json:"diff"`
	Steps         []string         `json:"steps,omitempty"`
	Backup        string           `json:"backup_file,omitempty"`
	Error         string           `json:"error,omitempty"`
	// OrgAssumed is the organization the analysis took as the account's own
	// because the policy names it (rewrite.Result.OrgAssumed); OrgNote says
	// so in a sentence, with why it was not looked up.
	OrgAssumed string `json:"org_assumed,omitempty"`
	OrgNote    string `json:"org_note,omitempty"`
	// Warnings change nothing but a reader should know them
	// (rewrite.Result.Warnings).
	Warnings []string `json:"warnings,omitempty"`

	// Findings are Changes as data (rewrite.Result.Findings); renderers
	// locate and classify findings from them.
	Findings []rewrite.Finding `json:"-"`
	// Err is the error behind Error, if any; a *rewrite.Error in its chain
	// locates it in the policy.
	Err error `json:"-"`
	// File is the policy file of a file target, with forward slashes
	// (filepath.ToSlash), "-" for standard input and "" for a bucket;
	// FileAbs says whether it is absolute (filepath.IsAbs). The command
	// sets both: this package does not know the operating system's paths.
	File    string `json:"-"`
	FileAbs bool   `json:"-"`
	// SelfNamed is set when Error names the target itself, so the text
	// output does not repeat it.
	SelfNamed bool `json:"-"`
	// ExitCode is the exit status the command assigns to the target;
	// renderers ignore it.
	ExitCode int `json:"-"`
}

// NoteOrg records the organization the analysis assumed, if any; why is the
// reason it was not looked up ("" offline).
func (r *Report) NoteOrg(id, why string) {
	if id == "" {
		return
	}
	r.OrgAssumed = id
	r.OrgNote = orgNote(id, why)
}

// orgNote is the sentence that says an organization was assumed.
func orgNote(id, why string) string {
	if why != "" {
		why = " (" + why + ")"
	}
	return fmt.Sprintf("Assumed %s is the account's organization because the policy names it%s; pass --org-id to state it.", id, why)
}

// ErrorReport is the report of a target that could not be checked.
func ErrorReport(target string, err error) *Report {
	return &Report{Target: target, Status: StatusError, Error: OneLine(err.Error()), Err: err, Changes: []rewrite.Change{}, AccessChanges: []string{}}
}

// FromResult is the report of a target from its rewrite.Result; diffName
// names the policy in the diff's header.
func FromResult(target string, res *rewrite.Result, diffName string) *Report {
	return fromResult(target, res, func() string { return udiff.Unified(diffName, diffName+" (patched)", res.Before, res.After, 3) })
}

// FromLiveResult is FromResult for a live bucket's policy, whose diff is
// ReadableDiff's.
func FromLiveResult(target string, res *rewrite.Result, diffName string) *Report {
	return fromResult(target, res, func() string { return ReadableDiff(diffName, res.Before, res.After) })
}

func fromResult(target string, res *rewrite.Result, diff func() string) *Report {
	r := &Report{Target: target, Bucket: res.Bucket, Changes: res.Changes, Findings: res.Findings, Explanations: res.Paragraphs, AccessChanges: []string{}}
	if r.Changes == nil {
		r.Changes = []rewrite.Change{}
	}
	r.Warnings = res.Warnings
	r.PolicyBefore, r.PolicyAfter = res.BeforeCompact, res.AfterCompact
	if r.PolicyBefore == nil { // a Result built by hand
		r.PolicyBefore, r.PolicyAfter = CompactJSON(res.Before), CompactJSON(res.After)
	}
	if res.Proof != nil {
		r.Proof = res.Proof
		r.AccessChanges = append(r.AccessChanges, res.Proof.Classes...)
	}
	switch res.Status {
	case rewrite.StatusCompliant:
		r.Status = StatusCompliant
	case rewrite.StatusRefused:
		r.Status, r.Error = StatusRefused, res.Refusal
	default:
		r.Status = StatusNeedsChange
		r.Diff = diff()
	}
	return r
}

// CompactJSON is a policy without insignificant whitespace, or nil if it
// does not parse.
func CompactJSON(b []byte) json.RawMessage {
	p, err := rewrite.Parse(b)
	if err != nil {
		return nil
	}
	return json.RawMessage(p.Compact())
}

// OneLine folds s onto one line, runs of white space becoming one space:
// every error and report line the tool prints is one line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
