// Package doctor checks an S3 bucket for the ways AWS Backup fails besides a
// blocking bucket policy: versioning, the backup role and its managed
// policies, stale RoleIds, Object Ownership, the SSE-KMS key policy, and
// whether the patched policy locks the caller out; and, for
// `fixpolicy doctor --fix`, repairs them.
//
// # Checks
//
// The checks only read: the interfaces they call AWS through ([API],
// [Identity], [Bucket], [Encryption]) have no method that writes. The
// policy analysis is package rewrite's. [Doctor.Check] returns a [Report];
// [Report.Print] renders it as text or JSON lines.
//
// # Fixes
//
// [Doctor.Plan] runs the checks and plans one [Step] per failed check; the
// writes go through [Fixer], a separate interface. A step is planned (it
// will write), manual (doctor --fix does not make it: the report says what
// to do) or could-not-check. [Plan.Apply] runs the planned steps in order,
// each with the discipline of package apply:
//
//  1. save what it changes under the backup directory first (mode 0600,
//     never overwriting): the bucket policy (apply.Patch), the key policy
//     (apply.KeyPolicy, in a file named after the key so that `fixpolicy
//     rollback` can restore it), or the setting as JSON (versioning, object
//     ownership, the role's attached policies);
//  2. re-read it and stop, writing nothing, if it changed since the plan;
//  3. write it, journalled so that an interrupt says what was in flight;
//  4. read it back and check it is what was written (after a failed write
//     too, to tell whether it happened).
//
// The steps:
//
//   - versioning: PutBucketVersioning Enabled, never Suspended (S3 User
//     Guide, "Using versioning in S3 buckets": once enabled, versioning can
//     only be suspended);
//   - backup-role: AttachRolePolicy of AWSBackupServiceRolePolicyForS3Backup
//     and ...ForS3Restore (AWS Backup Developer Guide, "Amazon S3 backups",
//     prerequisites), unless backup.amazonaws.com cannot assume the role, a
//     backup plan assigns the bucket (by ARN) with another role, or the
//     role's permissions boundary would still deny AWS Backup's S3 actions
//     (rewrite.BackupActions, evaluated on the boundary's document); a
//     failed attach detaches what the step attached;
//   - bucket-policy: the patch of `fixpolicy --bucket`, written by
//     apply.Patch;
//   - kms-key: rewrite.PatchKeyPolicy, proved with the access delta, written
//     with PutKeyPolicy without BypassPolicyLockoutSafetyCheck;
//   - object-ownership: BucketOwnerEnforced, only when FixOptions.FixOwnership
//     says so, since it disables ACLs;
//   - vault-permissions: never fixed; IAM's policy simulator says which
//     vault-creation permissions (seed 003) the caller lacks and whether an
//     SCP or its permissions boundary is why.
//
// The bucket-policy and kms-key steps grant the backup role access: when
// the role is in doubt (AWS Backup cannot assume it, or a backup plan
// assigns the bucket with another role) they are not taken either.
// Otherwise steps do not depend on one another: a failed step is reported with the
// AWS error in one sentence (and, when the caller was denied, the
// statement that would allow it) and the others still run, except after
// an interrupt or a credentials failure, which skip the rest.
package doctor
