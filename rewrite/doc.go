// Package rewrite analyses and patches S3 bucket policies, and proves what a
// patch changes.
//
// It performs no I/O and imports no AWS or CLI packages (a test enforces
// this): callers pass document bytes and facts gathered elsewhere, and get
// back findings, patched bytes and proofs.
//
// # Evaluation
//
// Package rewrite/policy holds the policy model, its parser and the
// evaluator; its documentation gives the evaluation rules with their AWS
// sources. rewrite re-exports the names its callers use (Policy, Parse,
// Request, Decision...).
//
// # AWS Backup's requests
//
// The analysis models the requests AWS Backup makes to a bucket with the
// backup role (AWS Backup Developer Guide, "Amazon S3 backup"; the managed
// policies AWSBackupServiceRolePolicyForS3Backup and ...ForS3Restore list the
// actions, BackupActions), and the keys those requests carry (IAM User
// Guide, "AWS global condition context keys", each key's availability):
//
//   - the caller is a session of the backup role: aws:userid is
//     "ROLEID:session", aws:PrincipalArn the role's ARN with its path,
//     aws:PrincipalAccount the bucket owner's account; aws:username is absent;
//   - aws:SecureTransport is true, aws:ViaAWSService and
//     aws:PrincipalIsAWSService false (a service role session, not a
//     service principal or a forward access session);
//   - aws:SourceIp is an AWS-owned address outside the policy's ranges;
//     aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp are absent (AWS
//     Backup does not use the customer's VPC endpoints);
//   - aws:CalledVia*, aws:SourceArn, aws:SourceAccount, aws:SourceOrg*,
//     aws:PrincipalServiceName* and aws:SourceIdentity are absent;
//   - aws:PrincipalOrgID is the account's organization (given, looked up, or
//     taken from the policy and said so: Result.OrgAssumed);
//   - s3:TlsVersion is 1.2 or 1.3, the MFA keys and the SSE-C key are absent,
//     and s3:x-amz-acl is absent or a non-public canned ACL (backupSpace
//     gives the AWS source of each);
//   - every other key is unknown and is considered with every value.
//
// A Deny blocks AWS Backup when it denies the backup role some request of
// this model. The console's two reads (ConsoleActions) are judged for each
// principal of the account over every Deny together.
//
// # The decision procedure
//
// Questions "for some request" and "for every request" are decided
// symbolically (package sym): a universe encodes the callers, actions and
// resources the statements tell apart and a partition of each condition
// key's values into regions no condition tells apart, and each statement
// becomes a set of points. Every answer that names a request (an example of a
// blocked request, a class of changed requests) is replayed by the concrete
// evaluator, and a mismatch is an error.
//
// # The patch
//
// Fix adds an aws:userid (or aws:PrincipalArn) exemption to each Deny that
// blocks AWS Backup (Patch A) and splits the console's reads out of the
// smallest set of Deny statements that lock the account out of them
// (Patch B). Verify proves, before anything is returned:
//
//  1. no statement of the patch denies AWS Backup any of its actions, and
//     (unless Patch B is off) the account's principals can make the
//     console's reads;
//  2. the only requests whose decision changes are the backup role's
//     sessions that a patched statement denied and the console's two reads
//     by principals of the account; no Allow statement changes;
//  3. fixing the patch again changes nothing;
//  4. untouched statements are byte-identical and Sids stay unique;
//  5. the patch fits S3's 20 KB policy size limit.
package rewrite
