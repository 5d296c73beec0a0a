package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// Simulator is IAM's policy simulator, for the report of the caller's
// vault-creation permissions.
type Simulator interface {
	SimulatePrincipalPolicy(ctx context.Context, principal string, actions, resources []string) ([]awsapi.Simulation, error)
}

// vaultActions are the permissions creating an AWS Backup vault needs
// (seed 003; AWS re:Post, "Why do I get an access denied error when I try
// to create an AWS Backup vault?").
var vaultActions = []string{"backup:CreateBackupVault", "backup-storage:MountCapsule", "kms:CreateGrant", "kms:DescribeKey",
	"kms:RetireGrant", "kms:Decrypt", "kms:GenerateDataKey"}

// Unchecked is the status of a report step that could not be checked.
const Unchecked = "could-not-check"

// vaultCheck is the caller's vault-creation permissions, simulated once per
// run.
type vaultCheck struct {
	once sync.Once
	step *Step // nil: nothing to report
}

// vaultStep reports the vault-creation permissions the caller lacks, as
// IAM's policy simulator sees them, with which kind of policy denies each
// and the statement administrators could grant. It is never fixed.
func (d *Doctor) vaultStep(ctx context.Context, sim Simulator) *Step {
	d.vault.once.Do(func() { d.vault.step = d.simulateVault(ctx, sim) })
	if d.vault.step == nil {
		return nil
	}
	s := *d.vault.step
	return &s
}

func (d *Doctor) simulateVault(ctx context.Context, sim Simulator) *Step {
	const id = "vault-permissions"
	if d.caller == nil {
		return nil
	}
	principal := d.caller.Arn
	if c, err := rewrite.ParseCaller(principal); err == nil && c.Kind == rewrite.AssumedRole {
		principal = d.callerRoleARN
		if principal == "" {
			principal = c.RoleARN()
		}
	} else if err != nil || c.Kind == rewrite.AccountRoot {
		return nil // the simulator cannot simulate the root user
	}
	res, err := sim.SimulatePrincipalPolicy(ctx, principal, vaultActions, nil)
	if err != nil {
		return &Step{ID: id, Status: Unchecked,
			Action: "could not check whether the caller may create AWS Backup vaults (" + strings.Join(vaultActions, ", ") + "): " + report.OneLine(err.Error())}
	}
	var missing, why []string
	for _, r := range res {
		if r.Decision == "allowed" {
			continue
		}
		missing = append(missing, r.Action)
		switch {
		case r.DeniedBySCP:
			why = append(why, r.Action+" is denied by a service control policy (SCP) of the organization")
		case r.DeniedByBoundary && d.callerBoundary != "":
			why = append(why, r.Action+" is not allowed by the caller's permissions boundary "+d.callerBoundary)
		case r.DeniedByBoundary:
			why = append(why, r.Action+" is not allowed by the caller's permissions boundary")
		case r.Decision == "explicitDeny":
			why = append(why, r.Action+" is denied by "+strings.Join(r.Statements, ", "))
		default:
			why = append(why, r.Action+" is allowed by none of the caller's policies")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	grant, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{{"Effect": "Allow", "Action": missing, "Resource": "*"}}})
	return &Step{ID: id, Status: Manual,
		Action: fmt.Sprintf("not granted: %s cannot create AWS Backup vaults (seed 003): %s; doctor --fix never grants permissions", principal, strings.Join(why, "; ")),
		Notes: []string{"for the account's administrators, a policy that allows it (narrow Resource to the vault and its KMS key): " + string(grant),
			"an SCP or a permissions boundary that denies it must be changed where it is managed; granting the permission alone does not help"}}
}
