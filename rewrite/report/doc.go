// Package report renders the outcome of fixpolicy for each target (a
// bucket or a policy file) in the output formats of -o: text, JSON Lines,
// SARIF 2.1.0 for GitHub code scanning, Markdown for a pull-request comment
// or job summary, and GitHub Actions workflow commands.
//
// A Report is built from a rewrite.Result (FromResult) or an error
// (ErrorReport). Renderers locate and classify findings from the Result's
// structured findings (rewrite.Finding: statement, source span, kind) and
// an error's position from *rewrite.Error (errors.As); the prose they print
// is the Result's, unchanged.
//
// The package is pure: renderers write to an io.Writer or return text, and
// never read the environment or files. The command appends the job summary
// (StepSummary) to the file $GITHUB_STEP_SUMMARY names.
//
// References: SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/),
// GitHub's SARIF support for code scanning
// (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning),
// workflow commands and job summaries
// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands).
package report
