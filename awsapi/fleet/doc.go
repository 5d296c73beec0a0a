// Package fleet runs fixpolicy over buckets and policy files: it looks up
// the facts the analysis needs (the backup role's RoleId, the account, the
// organization), analyses each policy with package rewrite, and applies a
// patch with package apply's write transaction when asked.
//
// A [Session] holds the run's AWS calls ([API], built on first use, so an
// offline run needs no credentials) and the look-ups made once per run.
// [Run.Buckets] checks live buckets, a bounded number at a time, and hands
// the reports back in the buckets' order; [Run.Files] checks policy files
// and rewrites them with --write. Both return rewrite/report's [report.Report]
// values through [UI]; rendering them is the caller's job, and so is asking
// for a confirmation.
//
// Exit codes (README, "Usage") are carried by each report's ExitCode: [ExitOK],
// [ExitError], [ExitChanges] and [ExitRefused]; [Worst] combines them.
package fleet
