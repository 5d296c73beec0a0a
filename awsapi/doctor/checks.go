package doctor

import (
	"fmt"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// The AWS managed policies AWS Backup's role needs for S3
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html).
var backupS3Policies = []string{"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"}

// backupTrustPolicy lets AWS Backup assume the role, for the create-role fix.
const backupTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// unsure is a could-not-check result whose detail is the awsapi error (which
// names the missing permission for AccessDenied).
func unsure(id, title string, err error) Check {
	return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: " + report.OneLine(err.Error())}
}

// unknownRole is why a check that needs the backup role's RoleId or ARN
// could not run.
func (d *Doctor) unknownRole(why string) string {
	if d.roleErr != nil {
		why += " (" + report.OneLine(d.roleErr.Error()) + ")"
	}
	return why
}

func versioningCheck(bucket, status string, err error) Check {
	const id, title = "versioning", "S3 Versioning is enabled"
	if err != nil {
		return unsure(id, title, err)
	}
	fix := fmt.Sprintf("aws s3api put-bucket-versioning --bucket %s --versioning-configuration Status=Enabled", bucket)
	switch status {
	case "Enabled":
		return Check{ID: id, Title: title, Status: Pass, Detail: "versioning is enabled"}
	case "Suspended":
		return Check{ID: id, Title: title, Status: Fail, Fix: fix,
			Detail: "versioning is suspended; AWS Backup for S3 requires versioning to be enabled, so backups of this bucket fail"}
	}
	return Check{ID: id, Title: title, Status: Fail, Fix: fix,
		Detail: "versioning has never been enabled on the bucket; AWS Backup for S3 requires it, so backups of this bucket fail"}
}

func (d *Doctor) managedPolicyARN(name string) string {
	return "arn:" + d.partition + ":iam::aws:policy/" + name
}

func (d *Doctor) roleCheck() Check {
	const id = "backup-role"
	title := fmt.Sprintf("the backup role %s exists and has the AWS Backup S3 policies", d.roleName)
	var attach []string
	for _, p := range backupS3Policies {
		attach = append(attach, fmt.Sprintf("aws iam attach-role-policy --role-name %s --policy-arn %s", d.roleName, d.managedPolicyARN(p)))
	}
	if awsapi.IsNotFound(d.roleErr) {
		create := fmt.Sprintf("aws iam create-role --role-name %s --path /service-role/ --assume-role-policy-document '%s'", d.roleName, backupTrustPolicy)
		return Check{ID: id, Title: title, Status: Fail,
			Detail: fmt.Sprintf("IAM role %q does not exist, so AWS Backup cannot use it (pass the role your backup plan uses with --role-name)", d.roleName),
			Fix:    strings.Join(append([]string{create}, attach...), "\n")}
	}
	if d.attachErr != nil {
		return unsure(id, title, d.attachErr)
	}
	have := map[string]bool{}
	for _, a := range d.attached {
		have[a] = true
	}
	var missing, fixes, lookalikes []string
	for i, p := range backupS3Policies {
		if have[d.managedPolicyARN(p)] {
			continue
		}
		missing = append(missing, p)
		fixes = append(fixes, attach[i])
		for _, a := range d.attached {
			if strings.HasSuffix(a, "/"+p) {
				lookalikes = append(lookalikes, a)
			}
		}
	}
	if len(missing) == 0 {
		return Check{ID: id, Title: title, Status: Pass,
			Detail: fmt.Sprintf("%s has %s and %s attached", d.roleName, backupS3Policies[0], backupS3Policies[1])}
	}
	det := fmt.Sprintf("%s lacks the AWS managed %s %s", d.roleName, plural(len(missing), "policy", "policies"), strings.Join(missing, " and "))
	det += fmt.Sprintf("; without %s AWS Backup's S3 jobs fail with \"AWS Backup does not have permission to describe resource arn:aws:s3:::BUCKET\"", plural(len(missing), "it", "them"))
	if len(lookalikes) > 0 {
		det += fmt.Sprintf(" (attached %s %s the same name but %s not AWS's managed policy)",
			strings.Join(lookalikes, ", "), plural(len(lookalikes), "has", "have"), plural(len(lookalikes), "is", "are"))
	}
	return Check{ID: id, Title: title, Status: Fail, Detail: det, Fix: strings.Join(fixes, "\n")}
}

func ownershipCheck(bucket, own string, err error) Check {
	const id, title = "object-ownership", "Object Ownership is BucketOwnerEnforced"
	if err != nil {
		return unsure(id, title, err)
	}
	if own == "BucketOwnerEnforced" {
		return Check{ID: id, Title: title, Status: Pass, Detail: "ACLs are disabled and the bucket owner owns every object"}
	}
	setting := "the bucket has no ownership controls (ACLs are enabled, as with ObjectWriter)"
	if own != "" {
		setting = "Object Ownership is " + own
	}
	return Check{ID: id, Title: title, Status: Fail,
		Detail: setting + ": objects written by other accounts or services (for example CloudWatch Logs exports) stay theirs, and reading them as the bucket's account (AWS Backup, cross-account copies) gets 403 Forbidden",
		Fix:    fmt.Sprintf("aws s3api put-bucket-ownership-controls --bucket %s --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'", bucket)}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
