package fleet

import (
	"fmt"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Exit codes of a target (README, "Usage").
const (
	ExitOK      = 0 // nothing to do, dry-run shown, or applied and verified
	ExitError   = 1 // bad input, AWS error
	ExitChanges = 2 // --check found changes needed
	ExitRefused = 3 // a blocking statement cannot be patched safely
	// ExitInternal: fixpolicy itself failed (a panic, which is a bug). It is
	// not 2, which Go gives a crashing program and --check gives "changes
	// needed", so that CI never reads a crash as a finding.
	ExitInternal = 4
)

// InternalError is the one line said for a panic p.
func InternalError(p any) string {
	return fmt.Sprintf("internal error: %v; this is a bug in fixpolicy: please report it with the command you ran and the policy (https://github.com/fixpolicy/fixpolicy/issues)", p)
}

// severity orders exit codes for "the worst one wins".
func severity(code int) int {
	switch code {
	case ExitInternal:
		return 4
	case ExitError:
		return 3
	case ExitRefused:
		return 2
	case ExitChanges:
		return 1
	}
	return 0
}

// Worst is the more severe of two exit codes: internal error, error, then
// refused, then changes needed, then OK.
func Worst(a, b int) int {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

// ErrorReport is the report of a target that could not be checked.
func ErrorReport(target string, err error) *report.Report {
	r := report.ErrorReport(target, err)
	r.ExitCode = ExitError
	return r
}

// FromResult fills a report from a rewrite.Result for a policy file; live
// says the policy is a bucket's, as S3 returned it (report.FromLiveResult).
func FromResult(target string, res *rewrite.Result, diffName string, live bool) *report.Report {
	from := report.FromResult
	if live {
		from = report.FromLiveResult
	}
	r := from(target, res, diffName)
	if r.Status == report.StatusRefused {
		r.ExitCode = ExitRefused
	}
	return r
}
