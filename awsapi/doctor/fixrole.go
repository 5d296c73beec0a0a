package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
	"github.com/fixpolicy/fixpolicy/awsapi/apply"
	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// roleStep attaches the AWS Backup S3 managed policies the role lacks
// (seed 002), unless the role is not one AWS Backup can assume or its
// permissions boundary would still deny the S3 actions.
func (f *fixer) roleStep(ctx context.Context, c Check) *Step {
	d := f.d
	if d.role == nil {
		return manual("backup-role", "not changed: "+c.Detail+"; doctor --fix does not create roles", c.Fix)
	}
	var missing []string
	for _, p := range backupS3Policies {
		if !slices.Contains(d.attached, d.managedPolicyARN(p)) {
			missing = append(missing, d.managedPolicyARN(p))
		}
	}
	doubt, planNote := f.roleInDoubt(ctx)
	if doubt != "" {
		return manual("backup-role", "not changed: "+doubt)
	}
	if d.role.Boundary != "" {
		if why := f.boundaryDenies(ctx, d.role.Boundary); why != "" {
			return manual("backup-role", fmt.Sprintf("not changed: the permissions boundary %s of %s %s, so attaching the managed policies would still leave AWS Backup denied; the account's administrators must change the boundary", d.role.Boundary, d.roleName, why))
		}
	}
	s := &Step{ID: "backup-role", Status: Planned,
		Action: fmt.Sprintf("attach %s to IAM role %s", strings.Join(missing, " and "), d.roleName)}
	for _, a := range missing {
		s.Calls = append(s.Calls, fmt.Sprintf("iam:AttachRolePolicy RoleName=%s PolicyArn=%s", d.roleName, a))
	}
	s.Notes = []string{"the role is trusted by backup.amazonaws.com; " + planNote}
	if d.role.Boundary != "" {
		s.Notes = append(s.Notes, "the role's permissions boundary "+d.role.Boundary+" allows AWS Backup's S3 actions on the bucket")
	}
	s.run = func(ctx context.Context, s *Step) { f.attach(ctx, s, missing) }
	return s
}

// roleInDoubt says why the backup role is not the one AWS Backup uses for
// the bucket ("" when nothing says so: then note is what the backup plans
// say). The role, bucket-policy and kms-key steps all act for this role, so
// none of them is taken while it is in doubt. It is worked out once per
// plan.
func (f *fixer) roleInDoubt(ctx context.Context) (doubt, note string) {
	if f.doubt == nil {
		d := f.d
		var why string
		if t := trustedByBackup(d.role); t != "" {
			why = fmt.Sprintf("IAM role %s %s, so it cannot be the role your backup plan uses; pass that role with --role-name", d.role.Arn, t)
		} else {
			why, f.planNote = f.planRole(ctx)
		}
		f.doubt = &why
	}
	return *f.doubt, f.planNote
}

// attach saves the role's attached policies, re-reads them, attaches
// missing and verifies; on a failed attach it detaches what it attached.
func (f *fixer) attach(ctx context.Context, s *Step, missing []string) {
	role := f.d.roleName
	if !f.saveState(s, "iam-role-"+stemSafe(role)+".attached-policies", map[string]any{"role": role, "attached_policies": f.d.attached}) {
		return
	}
	now, err := f.api.ListAttachedRolePolicies(ctx, role)
	if err != nil {
		s.fail("re-reading the role's attached policies failed, so nothing was written: %v", err)
		return
	}
	if !sameSet(now, f.d.attached) {
		s.fail("the policies attached to %s changed since the plan, so nothing was written: run doctor --fix again", role)
		return
	}
	s.did("re-read the role's attached policies: unchanged since the plan")
	for i, a := range missing {
		err := f.opt.Journal.Setting("IAM role "+role, "aws iam list-attached-role-policies --role-name "+role, s.Backup,
			func() error { return f.api.AttachRolePolicy(ctx, role, a) })
		if errors.Is(err, apply.ErrInterrupted) {
			s.fail("interrupted before attaching %s, %s", a, f.detach(ctx, missing[:i]))
			return
		}
		if err != nil {
			// The attach may have happened (a timeout after IAM stored it):
			// read the role back to tell.
			if back, rerr := f.api.ListAttachedRolePolicies(ctx, role); rerr == nil && slices.Contains(back, a) {
				s.did("attaching %s reported an error (%s), but the role read back has it attached", a, report.OneLine(err.Error()))
				continue
			}
			undo := f.detach(ctx, missing[:i])
			s.fail("attaching %s failed, %s: %v", a, undo, err)
			return
		}
		s.did("attached %s to %s with iam:AttachRolePolicy", a, role)
	}
	back, err := f.api.ListAttachedRolePolicies(ctx, role)
	if err != nil {
		s.fail("the policies were attached but could not be read back to verify (%v); detach them with aws iam detach-role-policy if needed", err)
		return
	}
	for _, a := range missing {
		if !slices.Contains(back, a) {
			s.fail("%s is not attached to %s when read back", a, role)
			return
		}
	}
	s.did("read them back: %s has both AWS Backup S3 policies attached", role)
}

// detach undoes the attachments of a failed step, saying what state it left.
func (f *fixer) detach(ctx context.Context, attached []string) string {
	if len(attached) == 0 {
		return "so nothing was attached"
	}
	var left []string
	for _, a := range attached {
		if err := f.api.DetachRolePolicy(ctx, f.d.roleName, a); err != nil {
			left = append(left, a+" ("+report.OneLine(err.Error())+")")
		}
	}
	if len(left) == 0 {
		return "so " + strings.Join(attached, " and ") + " was detached again and the role is as it was"
	}
	return "and detaching again what this step attached failed for " + strings.Join(left, ", ") + ": detach it with aws iam detach-role-policy"
}

// stemSafe makes name (a role name may hold "+=,.@") usable in a backup
// file's name.
func stemSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, name)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// trustedByBackup says why backup.amazonaws.com cannot assume the role, or
// "" when its trust policy lets it.
func trustedByBackup(role *awsapi.Role) string {
	p, err := identityPolicy(role.TrustPolicy)
	if err != nil {
		return "has a trust policy fixpolicy cannot read (" + report.OneLine(err.Error()) + ")"
	}
	er, err := rewrite.Prepare(rewrite.Request{Principal: "backup.amazonaws.com", Action: "sts:AssumeRole", Resource: role.Arn})
	if err != nil {
		return "cannot be checked (" + report.OneLine(err.Error()) + ")"
	}
	if p.Decide(er, "").Decision != rewrite.Allow {
		return "has a trust policy that does not let backup.amazonaws.com assume it (sts:AssumeRole)"
	}
	return ""
}

// boundaryDenies reads the permissions boundary and says which of AWS
// Backup's S3 actions on the bucket it does not allow, or "" when it
// allows them all.
func (f *fixer) boundaryDenies(ctx context.Context, arn string) string {
	doc, err := f.api.PolicyDocument(ctx, arn)
	if err != nil {
		return "could not be read to check it (" + report.OneLine(err.Error()) + ")"
	}
	p, err := identityPolicy(doc)
	if err != nil {
		return "cannot be read by fixpolicy (" + report.OneLine(err.Error()) + ")"
	}
	principal := fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", f.d.partition, f.d.role.AccountID, f.d.role.Name, rewrite.KeySession)
	bucketARN := fmt.Sprintf("arn:%s:s3:::%s", f.d.partition, f.bucket)
	var denied []string
	for _, act := range rewrite.BackupActions {
		ok := false
		for _, res := range []string{bucketARN, bucketARN + "/fixpolicy/object-key"} {
			er, err := rewrite.Prepare(rewrite.Request{Principal: principal, Action: act, Resource: res,
				Context: map[string][]string{"aws:userid": {f.d.roleID + ":" + rewrite.KeySession}, "aws:PrincipalArn": {f.d.role.Arn}, "aws:SecureTransport": {"true"}}})
			ok = ok || err == nil && p.Decide(er, "").Decision == rewrite.Allow
		}
		if !ok {
			denied = append(denied, act)
		}
	}
	if len(denied) == 0 {
		return ""
	}
	return "does not allow " + strings.Join(denied, ", ") + " on " + bucketARN
}

// identityPolicy parses an identity policy (a permissions boundary) or a
// trust policy with the evaluator, which reads resource policies: a
// statement without Principal gets "*" (an identity policy applies to its
// role's own requests), one without Resource gets "*" (a trust policy's
// resource is its role).
func identityPolicy(doc []byte) (*rewrite.Policy, error) {
	root, err := jsonast.Parse(doc)
	if err != nil {
		return nil, err
	}
	if root.Kind != jsonast.Object || root.Get("Statement") == nil {
		return nil, fmt.Errorf("it has no Statement")
	}
	st := root.Get("Statement").Value
	stmts := st.Elems
	if st.Kind == jsonast.Object {
		stmts = []*jsonast.Value{st}
	}
	for _, s := range stmts {
		if s.Kind != jsonast.Object {
			continue
		}
		if s.Get("Principal") == nil && s.Get("NotPrincipal") == nil {
			s.Members = append(s.Members, jsonast.NewMember("Principal", jsonast.NewString("*")))
		}
		if s.Get("Resource") == nil && s.Get("NotResource") == nil {
			s.Members = append(s.Members, jsonast.NewMember("Resource", jsonast.NewString("*")))
		}
	}
	return rewrite.Parse(jsonast.Render(root))
}
