package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/urfave/cli/v2"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

// Check statuses of fixpolicy doctor.
const (
	checkPass   = "pass"
	checkFail   = "fail"
	checkWarn   = "warn"
	checkUnsure = "could-not-check"
)

// The AWS managed policies AWS Backup's role needs for S3 (seed 002).
var backupS3Policies = []string{"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"}

// The KMS actions AWS Backup needs on an SSE-KMS bucket's key (through S3).
var backupKMSActions = []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}

// backupSession is the role session name doctor models AWS Backup's requests
// with; the real name is not documented, and nothing here depends on it.
const backupSession = "AWSBackup-doctor"

func doctorCommand(std stdio) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check a bucket for the other ways AWS Backup fails (read-only)",
		UsageText: `fixpolicy doctor --bucket NAME [--bucket NAME ...] [--role-name NAME] [--role-id ID] [--account-id ID] [-o text|json]

Checks, read-only (doctor never changes anything), each with the fix to apply:
   versioning         S3 Versioning is enabled (AWS Backup for S3 requires it)
   backup-role        the backup role exists and has AWSBackupServiceRolePolicyForS3Backup
                      and AWSBackupServiceRolePolicyForS3Restore attached
   bucket-policy      no bucket-policy statement blocks AWS Backup or the console's
                      s3:GetBucketLocation / s3:GetBucketVersioning reads (fix: fixpolicy --bucket NAME)
   stale-role-id      aws:userid exemptions name the backup role's current RoleId, not an
                      old one left by a deleted and re-created role
   object-ownership   Object Ownership is BucketOwnerEnforced, so objects written by other
                      accounts or services belong to the bucket owner
   kms-key            for an SSE-KMS bucket, the key policy lets the backup role use the key
   caller-access      the patched policy does not lock the caller out of s3:PutBucketPolicy

Each check says pass, fail, warn or could-not-check (with the reason, e.g. the permission
the caller lacks). -o json prints one JSON object per bucket:
{"bucket": NAME, "checks": [{"id", "title", "status", "detail", "fix"}]}.

Exit codes: 0 every check passed, warned or could not be checked (could-not-check and
warn alone do not fail); 2 some check failed; 1 an error stopped the command (no
credentials, bucket missing).

Examples:
   fixpolicy doctor --bucket my-bucket
   fixpolicy doctor --bucket logs --bucket data --role-name MyBackupRole -o json`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "bucket", Usage: "bucket to check; repeat for several (--bucket logs --bucket data)", Required: true},
			&cli.StringFlag{Name: "role-name", Value: rewrite.DefaultRoleName, Usage: "the IAM role AWS Backup uses, e.g. --role-name MyBackupRole"},
			&cli.StringFlag{Name: "role-id", Usage: "the backup role's RoleId (AROA...), used when iam:GetRole is not allowed"},
			&cli.StringFlag{Name: "account-id", Usage: "the bucket owner's 12-digit account ID (default: the caller's account, from sts:GetCallerIdentity)"},
			outputFlag("text or json"),
			timeoutFlag(),
		}, awsFlags()...),
		Action: func(c *cli.Context) error { return doctorAction(c, std) },
	}
}

// doctorCheck is one check's result.
type doctorCheck struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"` // "" when there is nothing to fix
}

// doctorReport is the result for one bucket.
type doctorReport struct {
	Bucket string        `json:"bucket"`
	Checks []doctorCheck `json:"checks"`
	Error  string        `json:"error,omitempty"`
}

// doctorEnv is what doctor looks up once per run.
type doctorEnv struct {
	cl        *awsapi.Clients
	account   string
	partition string
	caller    *awsapi.Identity // nil when sts:GetCallerIdentity failed
	callerErr error
	// callerRoleARN is the caller's role ARN with its path, for an
	// assumed-role session, when iam:GetRole on it succeeded.
	callerRoleARN string

	roleName  string
	role      *awsapi.Role // nil when iam:GetRole failed
	roleErr   error
	roleID    string // --role-id, else the role's
	attached  []string
	attachErr error
}

func doctorAction(c *cli.Context, std stdio) error {
	if c.Args().Present() {
		return fail("doctor: unexpected argument %q", c.Args().First())
	}
	format := c.String("output")
	if format != "text" && format != "json" {
		return fail("doctor: -o %q is not an output format (use text or json)", format)
	}
	var buckets []string
	seen := map[string]bool{}
	for _, b := range c.StringSlice("bucket") {
		if !validBucketName(b) {
			return fail("--bucket %q is not a bucket name (give the name only, e.g. my-bucket, not s3://my-bucket or an ARN)", b)
		}
		if !seen[b] {
			seen[b] = true
			buckets = append(buckets, b)
		}
	}
	if len(buckets) == 0 {
		return fail("doctor: --bucket is required")
	}
	roleName := c.String("role-name")
	if roleName == "" {
		roleName = rewrite.DefaultRoleName
	}
	roleID := c.String("role-id")
	if roleID != "" && !roleIDRe.MatchString(roleID) {
		return fail("--role-id %q is not an IAM role unique ID (AROA followed by letters and digits, as aws iam get-role prints)", roleID)
	}
	account := c.String("account-id")
	if err := checkFlag(c, "account-id", rewrite.CheckAccountID); err != nil {
		return err
	}

	timeout := c.Duration("timeout")
	if timeout < 0 {
		return fail("--timeout %s is negative (give a duration such as 60s or 2m, or 0 for no limit)", timeout)
	}

	ctx := c.Context
	cl, err := std.aws(ctx, awsOptions(c))
	if err != nil {
		return fail("%v", err)
	}
	env := &doctorEnv{cl: cl, account: account, partition: "aws", roleName: roleName, roleID: roleID}
	id, err := cl.CallerIdentity(ctx)
	switch {
	case err == nil:
		env.caller = &id
		if env.account == "" {
			env.account = id.Account
		}
		if a, perr := arn.Parse(id.Arn); perr == nil {
			env.partition = a.Partition
		}
	case awsapi.IsCredentials(err) || awsapi.IsCanceled(err) || env.account == "":
		return fail("%v", err)
	default:
		env.callerErr = err
	}
	role, err := cl.GetRole(ctx, roleName)
	if err == nil {
		env.role = &role
		if env.roleID == "" {
			env.roleID = role.RoleID
		}
	} else {
		if awsapi.IsCredentials(err) || awsapi.IsCanceled(err) {
			return fail("%v", err)
		}
		env.roleErr = err
	}
	if !awsapi.IsNotFound(env.roleErr) {
		env.attached, env.attachErr = cl.ListAttachedRolePolicies(ctx, roleName)
	}
	if env.caller != nil {
		if cc, perr := rewrite.ParseCaller(env.caller.Arn); perr == nil && cc.Kind == rewrite.AssumedRole {
			if r, rerr := cl.GetRole(ctx, cc.Name); rerr == nil {
				env.callerRoleARN = r.Arn
			}
		}
	}

	code := exitOK
	for _, b := range buckets {
		if ctx.Err() != nil {
			break // interrupted: run reports it
		}
		bctx, cancel := withTimeout(ctx, timeout)
		r, fatal := doctorBucket(bctx, env, b)
		if timedOut(bctx) {
			r.Checks, fatal = []doctorCheck{}, timeoutError(timeout, "s3://"+b)
		}
		cancel()
		if fatal != nil {
			r.Error = oneLine(fatal.Error())
			code = worst(code, exitError)
		} else {
			for _, ch := range r.Checks {
				if ch.Status == checkFail {
					code = worst(code, exitChanges)
				}
			}
		}
		if err := printDoctor(std.out, format, r); err != nil {
			return fail("%v", err)
		}
		if fatal != nil {
			fmt.Fprintf(std.err, "fixpolicy: doctor: %s\n", r.Error)
		}
	}
	return exitWith(code)
}

var roleIDRe = regexp.MustCompile(`^AROA[A-Z0-9]{12,}$`)

// doctorBucket runs every check on one bucket. A non-nil error means the
// bucket could not be checked at all (it does not exist, the credentials
// fail).
func doctorBucket(ctx context.Context, env *doctorEnv, bucket string) (*doctorReport, error) {
	r := &doctorReport{Bucket: bucket, Checks: []doctorCheck{}}
	cl := env.cl
	region, err := cl.BucketRegion(ctx, bucket)
	switch {
	case err == nil && region != "":
		cl = cl.ForRegion(region)
	case awsapi.IsNotFound(err) || awsapi.IsCredentials(err) || awsapi.IsCanceled(err):
		return r, err
	}
	// A missing bucket or failing credentials stop the bucket's checks.
	fatal := func(err error) bool {
		return awsapi.IsNotFound(err) && strings.HasPrefix(opOf(err), "s3:") || awsapi.IsCredentials(err) || awsapi.IsCanceled(err)
	}

	// versioning
	status, err := cl.GetBucketVersioning(ctx, bucket)
	if fatal(err) {
		return r, err
	}
	r.Checks = append(r.Checks, versioningCheck(bucket, status, err))

	r.Checks = append(r.Checks, roleCheck(env))

	src, exists, perr := cl.GetBucketPolicy(ctx, bucket)
	if fatal(perr) {
		return r, perr
	}
	pc, res, pol := policyCheck(ctx, env, bucket, src, exists, perr)
	r.Checks = append(r.Checks, pc)
	r.Checks = append(r.Checks, staleCheck(env, bucket, pol, exists, perr))

	own, err := cl.GetBucketOwnershipControls(ctx, bucket)
	if fatal(err) {
		return r, err
	}
	r.Checks = append(r.Checks, ownershipCheck(bucket, own, err))

	r.Checks = append(r.Checks, kmsCheck(ctx, env, cl, bucket))
	r.Checks = append(r.Checks, callerCheck(env, bucket, src, exists, perr, res))
	return r, nil
}

func opOf(err error) string {
	var e *awsapi.Error
	if errors.As(err, &e) {
		return e.Op
	}
	return ""
}

// unsure is a could-not-check result whose detail is the awsapi error (which
// names the missing permission for AccessDenied).
func unsure(id, title string, err error) doctorCheck {
	return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: " + oneLine(err.Error())}
}

func versioningCheck(bucket, status string, err error) doctorCheck {
	const id, title = "versioning", "S3 Versioning is enabled"
	if err != nil {
		return unsure(id, title, err)
	}
	fix := fmt.Sprintf("aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled", bucket)
	switch status {
	case "Enabled":
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "versioning is enabled"}
	case "Suspended":
		return doctorCheck{ID: id, Title: title, Status: checkFail, Fix: fix,
			Detail: "versioning is suspended; AWS Backup for S3 requires versioning to be enabled, so backups of this bucket fail"}
	}
	return doctorCheck{ID: id, Title: title, Status: checkFail, Fix: fix,
		Detail: "versioning has never been enabled on the bucket; AWS Backup for S3 requires it, so backups of this bucket fail"}
}

func (env *doctorEnv) managedPolicyARN(name string) string {
	return "arn:" + env.partition + ":iam::aws:policy/" + name
}

func roleCheck(env *doctorEnv) doctorCheck {
	const id = "backup-role"
	title := fmt.Sprintf("the backup role %s exists and has the AWS Backup S3 policies", env.roleName)
	var attach []string
	for _, p := range backupS3Policies {
		attach = append(attach, fmt.Sprintf("aws iam attach-role-policy --role-name %s --policy-arn %s", env.roleName, env.managedPolicyARN(p)))
	}
	if awsapi.IsNotFound(env.roleErr) {
		create := fmt.Sprintf("aws iam create-role --role-name %s --path /service-role/ --assume-role-policy-document '%s'", env.roleName, backupTrustPolicy)
		return doctorCheck{ID: id, Title: title, Status: checkFail,
			Detail: fmt.Sprintf("IAM role %q does not exist, so AWS Backup cannot use it (pass the role your backup plan uses with --role-name)", env.roleName),
			Fix:    strings.Join(append([]string{create}, attach...), "\n")}
	}
	if env.attachErr != nil {
		return unsure(id, title, env.attachErr)
	}
	have := map[string]bool{}
	for _, a := range env.attached {
		have[a] = true
	}
	var missing, fixes, lookalikes []string
	for i, p := range backupS3Policies {
		if have[env.managedPolicyARN(p)] {
			continue
		}
		missing = append(missing, p)
		fixes = append(fixes, attach[i])
		for _, a := range env.attached {
			if strings.HasSuffix(a, "/"+p) {
				lookalikes = append(lookalikes, a)
			}
		}
	}
	if len(missing) == 0 {
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: fmt.Sprintf("%s has %s and %s attached", env.roleName, backupS3Policies[0], backupS3Policies[1])}
	}
	d := fmt.Sprintf("%s lacks the AWS managed %s %s", env.roleName, plural(len(missing), "policy", "policies"), strings.Join(missing, " and "))
	d += fmt.Sprintf("; without %s AWS Backup's S3 jobs fail with \"AWS Backup does not have permission to describe resource arn:aws:s3:::BUCKET\"", plural(len(missing), "it", "them"))
	if len(lookalikes) > 0 {
		d += fmt.Sprintf(" (attached %s %s the same name but %s not AWS's managed policy)",
			strings.Join(lookalikes, ", "), plural(len(lookalikes), "has", "have"), plural(len(lookalikes), "is", "are"))
	}
	return doctorCheck{ID: id, Title: title, Status: checkFail, Detail: d, Fix: strings.Join(fixes, "\n")}
}

const backupTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (env *doctorEnv) facts(bucket string) rewrite.Facts {
	f := rewrite.Facts{Bucket: bucket, AccountID: env.account, RoleID: env.roleID, RoleName: env.roleName, Partition: env.partition}
	if env.role != nil {
		f.RoleARN = env.role.Arn
	}
	return f
}

func (env *doctorEnv) fixCommand(bucket string) string {
	cmd := "fixpolicy --bucket " + bucket
	if env.roleName != rewrite.DefaultRoleName {
		cmd += " --role-name " + env.roleName
	}
	return cmd + " --dry-run   (review the diff, then run it without --dry-run to apply)"
}

// policyCheck runs the fixer's analysis on the live policy. It returns the
// fix result (nil when it could not run) and the parsed policy (nil when
// there is none or it does not parse).
func policyCheck(ctx context.Context, env *doctorEnv, bucket string, src []byte, exists bool, err error) (doctorCheck, *rewrite.Result, *rewrite.Policy) {
	const id, title = "bucket-policy", "the bucket policy does not block AWS Backup or the console's reads"
	if err != nil {
		return unsure(id, title, err), nil, nil
	}
	if !exists {
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the bucket has no policy (NoSuchBucketPolicy), so no statement can block AWS Backup"}, nil, nil
	}
	pol, perr := rewrite.Parse(src)
	if perr != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: fixpolicy cannot read the bucket's policy: " + oneLine(perr.Error())}, nil, nil
	}
	if env.roleID == "" {
		why := "the backup role's RoleId is unknown"
		if env.roleErr != nil {
			why += " (" + oneLine(env.roleErr.Error()) + ")"
		}
		return doctorCheck{ID: id, Title: title, Status: checkUnsure,
			Detail: "could not check: " + why + ", so it cannot be told which statements exempt the role"}, nil, pol
	}
	res, ferr := fixBounded(ctx, src, rewrite.Options{Facts: env.facts(bucket)})
	if ferr != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: " + oneLine(ferr.Error())}, nil, pol
	}
	switch res.Status {
	case rewrite.StatusCompliant:
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: "no statement of the bucket policy blocks AWS Backup or denies the account's principals s3:GetBucketLocation / s3:GetBucketVersioning"}, res, pol
	case rewrite.StatusRefused:
		return doctorCheck{ID: id, Title: title, Status: checkFail,
			Detail: "the bucket policy blocks AWS Backup, and fixpolicy cannot patch it safely: " + oneLine(res.Refusal),
			Fix:    "edit the bucket policy by hand (aws s3api get-bucket-policy / put-bucket-policy); see fixpolicy --bucket " + bucket + " --dry-run for the analysis"}, res, pol
	}
	var parts []string
	for _, ch := range res.Changes {
		if ch.Kind == rewrite.KindStale {
			continue
		}
		label := fmt.Sprintf("statement %d", ch.Statement+1)
		if ch.Sid != "" {
			label += fmt.Sprintf(" (Sid %q)", ch.Sid)
		}
		// The fixer's explanations say what is wrong, then what the patch does.
		what := ch.Explanation
		for _, cut := range []string{"; added ", "; carved out "} {
			if i := strings.Index(what, cut); i >= 0 {
				what = what[:i]
			}
		}
		parts = append(parts, label+" "+what)
	}
	return doctorCheck{ID: id, Title: title, Status: checkFail,
		Detail: "the bucket policy blocks AWS Backup or the console's reads: " + strings.Join(parts, "; "),
		Fix:    env.fixCommand(bucket)}, res, pol
}

var userIDRoleRe = regexp.MustCompile(`^(AROA[A-Z0-9]{12,})(:.*)?$`)

// staleCheck lists RoleIds that the policy names (in aws:userid conditions or
// as principals) that are not the backup role's current RoleId.
func staleCheck(env *doctorEnv, bucket string, pol *rewrite.Policy, exists bool, err error) doctorCheck {
	const id = "stale-role-id"
	title := fmt.Sprintf("aws:userid exemptions name the current RoleId of %s", env.roleName)
	switch {
	case err != nil:
		return unsure(id, title, err)
	case !exists:
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the bucket has no policy"}
	case pol == nil:
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: fixpolicy cannot read the bucket's policy"}
	}
	type finding struct{ where, id, value string }
	var found []finding
	for _, s := range pol.Statements {
		for _, c := range s.Conditions {
			if c.KeyLower != "aws:userid" {
				continue
			}
			for _, v := range c.Values {
				if m := userIDRoleRe.FindStringSubmatch(v); m != nil {
					found = append(found, finding{fmt.Sprintf("%s, %s aws:userid", s.Label(), c.OpName), m[1], v})
				}
			}
		}
		elem := "Principal"
		if s.NotPrincipal {
			elem = "NotPrincipal"
		}
		for _, v := range s.Principal.Values["AWS"] {
			if roleIDRe.MatchString(v) {
				found = append(found, finding{s.Label() + ", " + elem, v, v})
			}
		}
	}
	if len(found) == 0 {
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the bucket policy names no role by RoleId (AROA...)"}
	}
	if env.roleID == "" {
		var ids []string
		for _, f := range found {
			ids = append(ids, f.id)
		}
		why := "the backup role's RoleId is unknown"
		if env.roleErr != nil {
			why += " (" + oneLine(env.roleErr.Error()) + ")"
		}
		return doctorCheck{ID: id, Title: title, Status: checkUnsure,
			Detail: fmt.Sprintf("could not check: the policy names RoleIds %s, but %s", strings.Join(uniq(ids), ", "), why)}
	}
	var stale []string
	var staleIDs []string
	for _, f := range found {
		if f.id == env.roleID {
			continue
		}
		stale = append(stale, fmt.Sprintf("%s names %q", f.where, f.value))
		staleIDs = append(staleIDs, f.id)
	}
	if len(stale) == 0 {
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: fmt.Sprintf("every RoleId the policy names is the current RoleId of %s (%s)", env.roleName, env.roleID)}
	}
	ids := uniq(staleIDs)
	d := fmt.Sprintf("%s: %s %s not the current RoleId of %s (%s); if the role was deleted and re-created, its old RoleId no longer matches its sessions, so such an exemption no longer exempts AWS Backup (only the backup role was compared: other roles were not looked up)",
		strings.Join(stale, "; "), strings.Join(ids, ", "), plural(len(ids), "is", "are"), env.roleName, env.roleID)
	return doctorCheck{ID: id, Title: title, Status: checkFail, Detail: d,
		Fix: env.fixCommand(bucket) + "; it adds the current RoleId " + env.roleID + " and keeps the old " + plural(len(ids), "entry", "entries") +
			", which you may then remove by hand once you have checked that no other role uses " + plural(len(ids), "it", "them")}
}

func uniq(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func ownershipCheck(bucket, own string, err error) doctorCheck {
	const id, title = "object-ownership", "Object Ownership is BucketOwnerEnforced"
	if err != nil {
		return unsure(id, title, err)
	}
	if own == "BucketOwnerEnforced" {
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "ACLs are disabled and the bucket owner owns every object"}
	}
	setting := "the bucket has no ownership controls (ACLs are enabled, as with ObjectWriter)"
	if own != "" {
		setting = "Object Ownership is " + own
	}
	return doctorCheck{ID: id, Title: title, Status: checkFail,
		Detail: setting + ": objects written by other accounts or services (for example CloudWatch Logs exports) stay theirs, and reading them as the bucket's account (AWS Backup, cross-account copies) gets 403 Forbidden",
		Fix:    fmt.Sprintf("aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'", bucket)}
}

// kmsCheck checks that an SSE-KMS bucket's key policy lets the backup role use the key.
func kmsCheck(ctx context.Context, env *doctorEnv, cl *awsapi.Clients, bucket string) doctorCheck {
	const id, title = "kms-key", "the bucket's KMS key policy lets the backup role use the key"
	algo, keyID, err := cl.GetBucketEncryption(ctx, bucket)
	if err != nil {
		return unsure(id, title, err)
	}
	switch {
	case algo == "" || algo == "AES256":
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the bucket is not encrypted with a KMS key by default (no KMS key policy applies)"}
	case keyID == "":
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: "the bucket uses the AWS managed key aws/s3, whose key policy lets the account's principals use it through S3"}
	case strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/"):
		return doctorCheck{ID: id, Title: title, Status: checkUnsure,
			Detail: fmt.Sprintf("could not check: the default encryption names the key by alias %s, and kms:GetKeyPolicy needs the key ID or ARN (aws kms describe-key --key-id %s)", keyID, keyID)}
	}
	if env.roleID == "" || env.role == nil {
		why := "the backup role could not be looked up"
		if env.roleErr != nil {
			why += " (" + oneLine(env.roleErr.Error()) + ")"
		}
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: " + why}
	}
	region := cl.Region()
	keyARN, keyAccount := keyID, env.account
	if a, perr := arn.Parse(keyID); perr == nil {
		keyAccount, region = a.AccountID, a.Region
	} else {
		keyARN = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", env.partition, region, env.account, keyID)
	}
	doc, err := cl.GetKeyPolicy(ctx, keyID)
	if err != nil {
		if awsapi.IsNotFound(err) {
			return doctorCheck{ID: id, Title: title, Status: checkFail,
				Detail: fmt.Sprintf("the bucket's default encryption uses KMS key %s, which does not exist: every write and read through it fails", keyID),
				Fix:    fmt.Sprintf("set the bucket's default encryption to an existing key: aws s3api put-bucket-encryption --bucket %s --server-side-encryption-configuration ...", bucket)}
		}
		return unsure(id, title, err)
	}
	kp, err := rewrite.Parse(doc)
	if err != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: fixpolicy cannot evaluate the key policy: " + oneLine(err.Error())}
	}
	role := env.role
	principal := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", env.partition, role.AccountID, role.Name, backupSession)
	var denied, notAllowed, unknown, delegated []string
	for _, act := range backupKMSActions {
		er, err := rewrite.Prepare(rewrite.Request{Principal: principal, Action: act, Resource: keyARN, Context: map[string][]string{
			"aws:userid":          {env.roleID + ":" + backupSession},
			"aws:PrincipalArn":    {role.Arn},
			"aws:SecureTransport": {"true"},
			"kms:ViaService":      {"s3." + region + ".amazonaws.com"},
			"kms:CallerAccount":   {role.AccountID},
		}})
		if err != nil {
			return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: " + oneLine(err.Error())}
		}
		out := kp.Decide(er, keyAccount)
		switch out.Decision {
		case rewrite.Allow:
			continue
		case rewrite.Deny:
			if why := unknownKeys(kp.Explain(er), out.Statements); why != "" {
				unknown = append(unknown, fmt.Sprintf("%s (a Deny depends on %s)", act, why))
			} else {
				denied = append(denied, fmt.Sprintf("%s (%s)", act, stmtLabels(kp, out.Statements)))
			}
			continue
		}
		if kp.Decide(er, "").Decision == rewrite.Allow {
			delegated = append(delegated, act)
			continue
		}
		if why := allowUnknown(kp.Explain(er)); why != "" {
			unknown = append(unknown, fmt.Sprintf("%s (an Allow depends on %s)", act, why))
			continue
		}
		notAllowed = append(notAllowed, act)
	}
	fix := fmt.Sprintf(`add to the key policy of %s a statement such as {"Sid":"AllowAWSBackupRole","Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"],"Resource":"*"} (aws kms get-key-policy --key-id %s --policy-name default, edit, then aws kms put-key-policy --key-id %s --policy-name default --policy file://key-policy.json)`,
		keyARN, role.Arn, keyID, keyID)
	switch {
	case len(denied) > 0 || len(notAllowed) > 0:
		var parts []string
		if len(denied) > 0 {
			parts = append(parts, "it denies the backup role "+strings.Join(denied, ", "))
		}
		if len(notAllowed) > 0 {
			parts = append(parts, fmt.Sprintf("it neither names the backup role for %s nor delegates them to the account's IAM policies (a statement allowing arn:%s:iam::%s:root)",
				strings.Join(notAllowed, ", "), env.partition, keyAccount))
		}
		d := fmt.Sprintf("the bucket is encrypted with KMS key %s, and its key policy does not let %s use it: %s; AWS Backup cannot read or restore the bucket's objects",
			keyARN, role.Arn, strings.Join(parts, "; "))
		return doctorCheck{ID: id, Title: title, Status: checkFail, Detail: d, Fix: fix}
	case len(unknown) > 0:
		return doctorCheck{ID: id, Title: title, Status: checkUnsure,
			Detail: fmt.Sprintf("could not check: the key policy of %s has conditions on keys whose values for AWS Backup's requests are not known: %s", keyARN, strings.Join(unknown, "; "))}
	case len(delegated) > 0:
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: fmt.Sprintf("the key policy of %s delegates %s to the account's IAM policies (it allows arn:%s:iam::%s:root), and the AWS Backup S3 managed policies grant them through S3 (see backup-role)",
				keyARN, strings.Join(delegated, ", "), env.partition, keyAccount)}
	}
	return doctorCheck{ID: id, Title: title, Status: checkPass,
		Detail: fmt.Sprintf("the key policy of %s allows %s kms:Decrypt, kms:GenerateDataKey and kms:DescribeKey", keyARN, role.Arn)}
}

// unknownKeys returns the condition keys, absent from the request, that the
// given (matching Deny) statements' conditions rely on; "" when every
// matching Deny matched on known values only.
func unknownKeys(ex []rewrite.Explanation, stmts []int) string {
	var keys []string
	for _, i := range stmts {
		sure := true
		var ks []string
		for _, c := range ex[i].Conditions {
			if !c.Present {
				sure = false
				ks = append(ks, c.Key)
			}
		}
		if sure {
			return ""
		}
		keys = append(keys, ks...)
	}
	return strings.Join(uniq(keys), ", ")
}

// allowUnknown returns the condition keys absent from the request that made
// an otherwise matching Allow statement fail.
func allowUnknown(ex []rewrite.Explanation) string {
	var keys []string
	for _, e := range ex {
		if e.Effect != "Allow" || !e.Principal || !e.Action || !e.Resource {
			continue
		}
		for _, c := range e.Conditions {
			if !c.Result && !c.Present {
				keys = append(keys, c.Key)
			}
		}
	}
	return strings.Join(uniq(keys), ", ")
}

func stmtLabels(p *rewrite.Policy, idx []int) string {
	var out []string
	for _, i := range idx {
		out = append(out, p.Statements[i].Label())
	}
	return strings.Join(out, ", ")
}

// callerCheck evaluates the patched policy (or the current one when the
// patch could not be computed) for the caller's s3:PutBucketPolicy.
func callerCheck(env *doctorEnv, bucket string, src []byte, exists bool, err error, res *rewrite.Result) doctorCheck {
	const id, title = "caller-access", "the patched policy does not lock the caller out of s3:PutBucketPolicy"
	switch {
	case env.caller == nil:
		return unsure(id, title, env.callerErr)
	case err != nil:
		return unsure(id, title, err)
	case !exists:
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the bucket has no policy, so nothing in it can deny the caller"}
	}
	caller, perr := rewrite.ParseCaller(env.caller.Arn)
	if perr != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: the caller's ARN is not understood: " + oneLine(perr.Error())}
	}
	if caller.Kind == rewrite.AccountRoot {
		return doctorCheck{ID: id, Title: title, Status: checkPass, Detail: "the caller is the account root, which can always change the bucket policy"}
	}
	doc, which := src, "the current policy (the patch could not be computed)"
	if res != nil {
		doc, which = res.After, "the patched policy"
		if !res.Changed() {
			which = "the policy (which needs no patch)"
		}
	}
	p, perr := rewrite.Parse(doc)
	if perr != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: fixpolicy cannot read the bucket's policy: " + oneLine(perr.Error())}
	}
	ctx := map[string][]string{"aws:SecureTransport": {"true"}}
	if env.caller.UserID != "" {
		ctx["aws:userid"] = []string{env.caller.UserID}
	}
	note := ""
	if caller.Kind == rewrite.AssumedRole {
		if env.callerRoleARN != "" {
			ctx["aws:PrincipalArn"] = []string{env.callerRoleARN}
		} else {
			note = fmt.Sprintf(" (aws:PrincipalArn taken as %s: the role's path could not be looked up)", caller.RoleARN())
		}
	}
	resource := fmt.Sprintf("arn:%s:s3:::%s", env.partition, bucket)
	er, perr := rewrite.Prepare(rewrite.Request{Principal: env.caller.Arn, Action: "s3:PutBucketPolicy", Resource: resource, Context: ctx})
	if perr != nil {
		return doctorCheck{ID: id, Title: title, Status: checkUnsure, Detail: "could not check: " + oneLine(perr.Error())}
	}
	out := p.Decide(er, env.account)
	if out.Decision != rewrite.Deny {
		return doctorCheck{ID: id, Title: title, Status: checkPass,
			Detail: fmt.Sprintf("%s does not deny %s s3:PutBucketPolicy on %s, evaluated for a request without a VPC endpoint or other context the policy might require%s", which, env.caller.Arn, resource, note)}
	}
	var why []string
	for _, i := range out.Statements {
		s := p.Statements[i]
		why = append(why, s.Label()+" "+s.Describe())
	}
	return doctorCheck{ID: id, Title: title, Status: checkWarn,
		Detail: fmt.Sprintf("%s denies %s s3:PutBucketPolicy on %s for a request without the context it requires (no VPC endpoint, an unlisted source address, ...): %s; changing the policy later will need a session that meets those conditions, or the account root (which can always change it)%s",
			which, env.caller.Arn, resource, strings.Join(why, "; "), note),
		Fix: "run fixpolicy, and any later policy change, from where the policy allows it (e.g. through the VPC endpoint), or keep account-root access at hand"}
}

// printDoctor prints one bucket's report.
func printDoctor(w io.Writer, format string, r *doctorReport) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "s3://%s\n", r.Bucket)
	if r.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n\n", r.Error)
		_, err := io.WriteString(w, b.String())
		return err
	}
	counts := map[string]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		label := map[string]string{checkPass: "PASS", checkFail: "FAIL", checkWarn: "WARN", checkUnsure: "????"}[c.Status]
		fmt.Fprintf(&b, "  %s  %-16s %s\n", label, c.ID, c.Title)
		fmt.Fprintf(&b, "        %s\n", c.Detail)
		if c.Fix != "" {
			for i, line := range strings.Split(c.Fix, "\n") {
				if i == 0 {
					fmt.Fprintf(&b, "        fix: %s\n", line)
				} else {
					fmt.Fprintf(&b, "             %s\n", line)
				}
			}
		}
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d warned, %d could not be checked\n\n", counts[checkPass], counts[checkFail], counts[checkWarn], counts[checkUnsure])
	_, err := io.WriteString(w, b.String())
	return err
}
