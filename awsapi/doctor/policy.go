package doctor

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

// roleIDRe matches an IAM role's unique ID (RoleId), as aws iam get-role
// prints it.
var roleIDRe = regexp.MustCompile(`^AROA[A-Z0-9]{12,}$`)

// ValidRoleID reports whether id looks like an IAM role's unique ID (AROA
// followed by capital letters and digits).
func ValidRoleID(id string) bool { return roleIDRe.MatchString(id) }

// userIDRoleRe matches an aws:userid value naming a role session: the role's
// RoleId, then optionally ":" and the session name.
var userIDRoleRe = regexp.MustCompile(`^(AROA[A-Z0-9]{12,})(:.*)?$`)

func (d *Doctor) facts(bucket string) rewrite.Facts {
	f := rewrite.Facts{Bucket: bucket, AccountID: d.account, RoleID: d.roleID, RoleName: d.roleName, Partition: d.partition}
	if d.role != nil {
		f.RoleARN = d.role.Arn
	}
	return f
}

func (d *Doctor) fixCommand(bucket string) string {
	cmd := "fixpolicy --bucket " + bucket
	if d.roleName != rewrite.DefaultRoleName {
		cmd += " --role-name " + d.roleName
	}
	return cmd + " --dry-run   (review the diff, then run it without --dry-run to apply)"
}

// policyCheck runs the fixer's analysis on the live policy. It returns the
// fix result (nil when it could not run) and the parsed policy (nil when
// there is none or it does not parse).
func (d *Doctor) policyCheck(ctx context.Context, bucket string, src []byte, exists bool, err error) (Check, *rewrite.Result, *rewrite.Policy) {
	const id, title = "bucket-policy", "the bucket policy does not block AWS Backup or the console's reads"
	if err != nil {
		return unsure(id, title, err), nil, nil
	}
	if !exists {
		return Check{ID: id, Title: title, Status: Pass, Detail: "the bucket has no policy (NoSuchBucketPolicy), so no statement can block AWS Backup"}, nil, nil
	}
	pol, perr := rewrite.Parse(src)
	if perr != nil {
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: fixpolicy cannot read the bucket's policy: " + report.OneLine(perr.Error())}, nil, nil
	}
	if d.roleID == "" {
		return Check{ID: id, Title: title, Status: Unsure,
			Detail: "could not check: " + d.unknownRole("the backup role's RoleId is unknown") + ", so it cannot be told which statements exempt the role"}, nil, pol
	}
	res, ferr := d.fix(ctx, src, rewrite.Options{Facts: d.facts(bucket)})
	if ferr != nil {
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: " + report.OneLine(ferr.Error())}, nil, pol
	}
	switch res.Status {
	case rewrite.StatusCompliant:
		return Check{ID: id, Title: title, Status: Pass,
			Detail: "no statement of the bucket policy blocks AWS Backup or denies the account's principals s3:GetBucketLocation / s3:GetBucketVersioning"}, res, pol
	case rewrite.StatusRefused:
		return Check{ID: id, Title: title, Status: Fail,
			Detail: "the bucket policy blocks AWS Backup, and fixpolicy cannot patch it safely: " + report.OneLine(res.Refusal),
			Fix:    "edit the bucket policy by hand (aws s3api get-bucket-policy / put-bucket-policy); see fixpolicy --bucket " + bucket + " --dry-run for the analysis"}, res, pol
	}
	return Check{ID: id, Title: title, Status: Fail,
		Detail: "the bucket policy blocks AWS Backup or the console's reads: " + strings.Join(blockers(res), "; "),
		Fix:    d.fixCommand(bucket)}, res, pol
}

// blockers describes the statements the fix changes (stale RoleIds aside),
// each as what is wrong with it.
func blockers(res *rewrite.Result) []string {
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
	return parts
}

// roleIDUse is a RoleId a policy names: where, the RoleId, and the value
// that names it.
type roleIDUse struct{ where, id, value string }

// roleIDsNamed lists the RoleIds pol names in aws:userid conditions and as
// AWS principals.
func roleIDsNamed(pol *rewrite.Policy) []roleIDUse {
	var found []roleIDUse
	for _, s := range pol.Statements {
		for _, c := range s.Conditions {
			if c.KeyLower != "aws:userid" {
				continue
			}
			for _, v := range c.Values {
				if m := userIDRoleRe.FindStringSubmatch(v); m != nil {
					found = append(found, roleIDUse{fmt.Sprintf("%s, %s aws:userid", s.Label(), c.OpName), m[1], v})
				}
			}
		}
		elem := "Principal"
		if s.NotPrincipal {
			elem = "NotPrincipal"
		}
		for _, v := range s.Principal.Values["AWS"] {
			if roleIDRe.MatchString(v) {
				found = append(found, roleIDUse{s.Label() + ", " + elem, v, v})
			}
		}
	}
	return found
}

// staleCheck lists RoleIds that the policy names (in aws:userid conditions or
// as principals) that are not the backup role's current RoleId.
func (d *Doctor) staleCheck(bucket string, pol *rewrite.Policy, exists bool, err error) Check {
	const id = "stale-role-id"
	title := fmt.Sprintf("aws:userid exemptions name the current RoleId of %s", d.roleName)
	switch {
	case err != nil:
		return unsure(id, title, err)
	case !exists:
		return Check{ID: id, Title: title, Status: Pass, Detail: "the bucket has no policy"}
	case pol == nil:
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: fixpolicy cannot read the bucket's policy"}
	}
	found := roleIDsNamed(pol)
	if len(found) == 0 {
		return Check{ID: id, Title: title, Status: Pass, Detail: "the bucket policy names no role by RoleId (AROA...)"}
	}
	if d.roleID == "" {
		var ids []string
		for _, f := range found {
			ids = append(ids, f.id)
		}
		return Check{ID: id, Title: title, Status: Unsure,
			Detail: fmt.Sprintf("could not check: the policy names RoleIds %s, but %s", strings.Join(uniq(ids), ", "), d.unknownRole("the backup role's RoleId is unknown"))}
	}
	var stale, staleIDs []string
	for _, f := range found {
		if f.id == d.roleID {
			continue
		}
		stale = append(stale, fmt.Sprintf("%s names %q", f.where, f.value))
		staleIDs = append(staleIDs, f.id)
	}
	if len(stale) == 0 {
		return Check{ID: id, Title: title, Status: Pass,
			Detail: fmt.Sprintf("every RoleId the policy names is the current RoleId of %s (%s)", d.roleName, d.roleID)}
	}
	ids := uniq(staleIDs)
	det := fmt.Sprintf("%s: %s %s not the current RoleId of %s (%s); if the role was deleted and re-created, its old RoleId no longer matches its sessions, so such an exemption no longer exempts AWS Backup (only the backup role was compared: other roles were not looked up)",
		strings.Join(stale, "; "), strings.Join(ids, ", "), plural(len(ids), "is", "are"), d.roleName, d.roleID)
	return Check{ID: id, Title: title, Status: Fail, Detail: det,
		Fix: d.fixCommand(bucket) + "; it adds the current RoleId " + d.roleID + " and keeps the old " + plural(len(ids), "entry", "entries") +
			", which you may then remove by hand once you have checked that no other role uses " + plural(len(ids), "it", "them")}
}

// callerCheck evaluates the patched policy (or the current one when the
// patch could not be computed) for the caller's s3:PutBucketPolicy.
func (d *Doctor) callerCheck(bucket string, src []byte, exists bool, err error, res *rewrite.Result) Check {
	const id, title = "caller-access", "the patched policy does not lock the caller out of s3:PutBucketPolicy"
	switch {
	case d.caller == nil:
		return unsure(id, title, d.callerErr)
	case err != nil:
		return unsure(id, title, err)
	case !exists:
		return Check{ID: id, Title: title, Status: Pass, Detail: "the bucket has no policy, so nothing in it can deny the caller"}
	}
	caller, perr := rewrite.ParseCaller(d.caller.Arn)
	if perr != nil {
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: the caller's ARN is not understood: " + report.OneLine(perr.Error())}
	}
	if caller.Kind == rewrite.AccountRoot {
		return Check{ID: id, Title: title, Status: Pass, Detail: "the caller is the account root, which can always change the bucket policy"}
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
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: fixpolicy cannot read the bucket's policy: " + report.OneLine(perr.Error())}
	}
	ctx := map[string][]string{"aws:SecureTransport": {"true"}}
	if d.caller.UserID != "" {
		ctx["aws:userid"] = []string{d.caller.UserID}
	}
	note := ""
	if caller.Kind == rewrite.AssumedRole {
		if d.callerRoleARN != "" {
			ctx["aws:PrincipalArn"] = []string{d.callerRoleARN}
		} else {
			note = fmt.Sprintf(" (aws:PrincipalArn taken as %s: the role's path could not be looked up)", caller.RoleARN())
		}
	}
	resource := fmt.Sprintf("arn:%s:s3:::%s", d.partition, bucket)
	er, perr := rewrite.Prepare(rewrite.Request{Principal: d.caller.Arn, Action: "s3:PutBucketPolicy", Resource: resource, Context: ctx})
	if perr != nil {
		return Check{ID: id, Title: title, Status: Unsure, Detail: "could not check: " + report.OneLine(perr.Error())}
	}
	out := p.Decide(er, d.account)
	if out.Decision != rewrite.Deny {
		return Check{ID: id, Title: title, Status: Pass,
			Detail: fmt.Sprintf("%s does not deny %s s3:PutBucketPolicy on %s, evaluated for a request without a VPC endpoint or other context the policy might require%s", which, d.caller.Arn, resource, note)}
	}
	var why []string
	for _, i := range out.Statements {
		s := p.Statements[i]
		why = append(why, s.Label()+" "+s.Describe())
	}
	return Check{ID: id, Title: title, Status: Warn,
		Detail: fmt.Sprintf("%s denies %s s3:PutBucketPolicy on %s for a request without the context it requires (no VPC endpoint, an unlisted source address, ...): %s; changing the policy later will need a session that meets those conditions, or the account root (which can always change it)%s",
			which, d.caller.Arn, resource, strings.Join(why, "; "), note),
		Fix: "run fixpolicy, and any later policy change, from where the policy allows it (e.g. through the VPC endpoint), or keep account-root access at hand"}
}
