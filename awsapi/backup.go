package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// BackupSelection is one resource assignment of an AWS Backup plan.
type BackupSelection struct {
	Plan, Name string
	RoleARN    string // the IAM role the plan's jobs for these resources run as
	// Resources and NotResources are ARN patterns ("arn:aws:s3:::*").
	Resources, NotResources []string
	// ByTags: the assignment also selects resources by tags or conditions.
	ByTags bool
}

// BackupSelections lists the resource assignments of every backup plan of
// the region (backup:ListBackupPlans, backup:ListBackupSelections,
// backup:GetBackupSelection).
func (c *Clients) BackupSelections(ctx context.Context) ([]BackupSelection, error) {
	if c.Backup == nil {
		return nil, &Error{Op: "backup:ListBackupPlans", Code: Other.String(), Kind: Other, Msg: "no AWS Backup client"}
	}
	var out []BackupSelection
	plans := backup.NewListBackupPlansPaginator(c.Backup, &backup.ListBackupPlansInput{})
	for plans.HasMorePages() {
		var page *backup.ListBackupPlansOutput
		err := c.call(ctx, "backup:ListBackupPlans", "", func(ctx context.Context) (err error) {
			page, err = plans.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range page.BackupPlansList {
			sels, err := c.planSelections(ctx, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sels...)
		}
	}
	return out, nil
}

func (c *Clients) planSelections(ctx context.Context, plan types.BackupPlansListMember) ([]BackupSelection, error) {
	id, name := aws.ToString(plan.BackupPlanId), aws.ToString(plan.BackupPlanName)
	var out []BackupSelection
	sels := backup.NewListBackupSelectionsPaginator(c.Backup, &backup.ListBackupSelectionsInput{BackupPlanId: plan.BackupPlanId})
	for sels.HasMorePages() {
		var page *backup.ListBackupSelectionsOutput
		err := c.call(ctx, "backup:ListBackupSelections", name, func(ctx context.Context) (err error) {
			page, err = sels.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, m := range page.BackupSelectionsList {
			var sel *backup.GetBackupSelectionOutput
			err := c.call(ctx, "backup:GetBackupSelection", name, func(ctx context.Context) (err error) {
				sel, err = c.Backup.GetBackupSelection(ctx, &backup.GetBackupSelectionInput{BackupPlanId: aws.String(id), SelectionId: m.SelectionId})
				return err
			})
			if err != nil {
				return nil, err
			}
			bs := BackupSelection{Plan: name, Name: aws.ToString(m.SelectionName), RoleARN: aws.ToString(m.IamRoleArn)}
			if s := sel.BackupSelection; s != nil {
				bs.RoleARN = aws.ToString(s.IamRoleArn)
				bs.Resources, bs.NotResources = s.Resources, s.NotResources
				bs.ByTags = len(s.ListOfTags) > 0 || s.Conditions != nil && (len(s.Conditions.StringEquals)+len(s.Conditions.StringLike)+
					len(s.Conditions.StringNotEquals)+len(s.Conditions.StringNotLike) > 0)
			}
			out = append(out, bs)
		}
	}
	return out, nil
}
