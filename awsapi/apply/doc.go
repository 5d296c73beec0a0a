// Package apply makes fixpolicy's writes to live buckets: the per-bucket
// transaction that puts a patched policy ([Patch]) and the one that puts a
// saved policy back ([Restore]), and the [Journal] of what a run wrote.
//
// Every write follows the same discipline:
//
//  1. save the policy in place to a backup file (mode 0600, created with
//     O_EXCL so no earlier backup is overwritten, and synced to disk);
//  2. re-read the live policy and stop if it changed since it was analysed:
//     s3:PutBucketPolicy has no conditional write, so this re-read is the
//     only guard against a concurrent edit;
//  3. put the new policy with ExpectedBucketOwner, never with
//     ConfirmRemoveSelfBucketAccess (S3 API Reference, PutBucketPolicy);
//  4. read it back and check that it means what was written ([SameMeaning]:
//     S3 may re-format a stored policy).
//
// When the put fails, the policy is read back to tell whether the write
// happened (a timeout or a reset connection after S3 stored it), so the
// bucket is always reported as either untouched or written.
//
// The package takes S3 as the small [PolicyAPI] interface and returns an
// [Outcome]: the steps taken, in sentences, the backup path, and whether the
// write is verified. It prints nothing; rendering is the caller's job.
package apply
