package doctor

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// BackupPlans lists the resource assignments of the account's backup plans,
// to tell which role backs a bucket up.
type BackupPlans interface {
	BackupSelections(ctx context.Context) ([]awsapi.BackupSelection, error)
}

// plansOnce reads the backup plans once per run.
type plansOnce struct {
	once sync.Once
	sels []awsapi.BackupSelection
	err  error
}

// planRole says whether the backup role is the one the backup plans use
// for the bucket: stop is why the role must not be changed ("" to go on),
// note what the plans say otherwise.
func (f *fixer) planRole(ctx context.Context) (stop, note string) {
	d := f.d
	d.plans.once.Do(func() { d.plans.sels, d.plans.err = f.api.BackupSelections(ctx) })
	if d.plans.err != nil {
		return "", "the backup plans could not be read (" + report.OneLine(d.plans.err.Error()) + "), so check that your plan backs s3://" + f.bucket + " up with " + d.role.Arn
	}
	bucketARN := fmt.Sprintf("arn:%s:s3:::%s", d.partition, f.bucket)
	var ours, others, tagged []string
	for _, s := range d.plans.sels {
		label := fmt.Sprintf("%s (selection %s, role %s)", s.Plan, s.Name, s.RoleARN)
		switch {
		case anyMatch(s.NotResources, bucketARN):
		case anyMatch(s.Resources, bucketARN) && s.RoleARN == d.role.Arn:
			ours = append(ours, label)
		case anyMatch(s.Resources, bucketARN):
			others = append(others, label)
		case s.ByTags:
			tagged = append(tagged, label)
		}
	}
	switch {
	case len(ours) > 0:
		return "", "the backup plan " + strings.Join(ours, ", ") + " assigns s3://" + f.bucket + " to this role"
	case len(others) > 0:
		return fmt.Sprintf("the backup plan %s assigns s3://%s, but with another role than %s: pass that role with --role-name", strings.Join(others, ", "), f.bucket, d.role.Arn), ""
	case len(tagged) > 0:
		return "", "no backup plan names s3://" + f.bucket + " by ARN; " + strings.Join(tagged, ", ") + " select by tags or conditions, which were not evaluated"
	}
	return "", "no backup plan assigns s3://" + f.bucket + " yet; assign it with " + d.role.Arn
}

// anyMatch reports whether an ARN pattern of AWS Backup's resource
// assignments ("*" and "?" wildcards) matches arn.
func anyMatch(patterns []string, arn string) bool {
	for _, p := range patterns {
		re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
		if ok, _ := regexp.MatchString(re, arn); ok {
			return true
		}
	}
	return false
}
