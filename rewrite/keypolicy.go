package rewrite

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fixpolicy/fixpolicy/rewrite/jsonast"
)

// KeyActions are the KMS actions AWS Backup's role makes through S3 on an
// SSE-KMS bucket's key: the managed policy AWSBackupServiceRolePolicyForS3Backup
// grants kms:Decrypt and kms:DescribeKey, AWSBackupServiceRolePolicyForS3Restore
// kms:GenerateDataKey and kms:DescribeKey, both only with kms:ViaService
// s3.*.amazonaws.com (AWS Managed Policy Reference, the two policies).
var KeyActions = []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}

// kmsActions are AWS KMS's actions (Service Authorization Reference, "Actions
// defined by AWS Key Management Service"), and one no list names yet, so that
// the proof tells apart every action a key policy's wildcards cover.
var kmsActions = []string{
	"kms:CancelKeyDeletion", "kms:ConnectCustomKeyStore", "kms:CreateAlias", "kms:CreateCustomKeyStore", "kms:CreateGrant",
	"kms:CreateKey", "kms:Decrypt", "kms:DeleteAlias", "kms:DeleteCustomKeyStore", "kms:DeleteImportedKeyMaterial",
	"kms:DeriveSharedSecret", "kms:DescribeCustomKeyStores", "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation",
	"kms:DisconnectCustomKeyStore", "kms:EnableKey", "kms:EnableKeyRotation", "kms:Encrypt", "kms:GenerateDataKey",
	"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateMac",
	"kms:GenerateRandom", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:GetParametersForImport", "kms:GetPublicKey",
	"kms:ImportKeyMaterial", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListKeys",
	"kms:ListResourceTags", "kms:ListRetirableGrants", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:ReplicateKey", "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:Sign",
	"kms:SynchronizeMultiRegionKey", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateCustomKeyStore",
	"kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion", "kms:Verify", "kms:VerifyMac", "kms:FixpolicyUnlistedAction",
}

// KeySession is the role session name the key-policy model uses; the real
// name is not documented, and nothing depends on it.
const KeySession = "AWSBackup-doctor"

// Key is a KMS key whose policy AWS Backup's role must be able to use
// through S3.
type Key struct {
	ARN     string
	Account string // the key's account: the key policy's owner
	Region  string // the key's region, which kms:ViaService names
}

// ViaService is the kms:ViaService value of S3's requests to the key.
func (k Key) ViaService() string { return "s3." + k.Region + ".amazonaws.com" }

// KeyRequest is the backup role's request through S3 for action on the
// key: a session of the role (f.RoleARN, f.RoleID), over TLS, with
// kms:ViaService s3.REGION.amazonaws.com and kms:CallerAccount the role's
// account (AWS KMS Developer Guide, "AWS KMS condition keys").
func KeyRequest(f Facts, k Key, action string) Request {
	return Request{
		Principal: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", f.partition(), f.AccountID, f.roleName(), KeySession),
		Action:    action,
		Resource:  k.ARN,
		Context: map[string][]string{
			"aws:userid":          {f.RoleID + ":" + KeySession},
			"aws:PrincipalArn":    {f.roleARN()},
			"aws:SecureTransport": {"true"},
			"kms:ViaService":      {k.ViaService()},
			"kms:CallerAccount":   {f.AccountID},
		},
	}
}

// KeyPatch is the minimal key-policy patch that lets the backup role use a
// key through S3.
type KeyPatch struct {
	Before, After []byte
	Changes       []Change
	// Delta is the proof: every class of requests whose decision changes.
	Delta *DeltaResult
}

// Changed reports whether the patch changes the policy.
func (k *KeyPatch) Changed() bool { return !bytes.Equal(k.Before, k.After) }

// PatchKeyPolicy patches src, a KMS key policy, so that the backup role
// (f.RoleID, f.RoleARN, f.AccountID) can make KeyActions through S3: each
// Deny that denies it one of them gets Patch A's exemption (StringNotLike
// aws:userid ROLEID:*), and the actions still neither allowed nor delegated
// to the account's IAM policies are granted by one new statement naming the
// role, scoped with StringEquals kms:ViaService s3.REGION.amazonaws.com.
// Before returning, it proves with [Delta] that the only requests whose
// decision changes are the backup role's, and that none of them loses
// access. A policy that already lets the role in is returned unchanged.
func PatchKeyPolicy(ctx context.Context, src []byte, f Facts, k Key) (*KeyPatch, error) {
	if f.RoleID == "" || f.AccountID == "" || k.ARN == "" || k.Region == "" {
		return nil, fmt.Errorf("the backup role's RoleId, its account and the key's ARN and region are all needed to patch a key policy")
	}
	p, err := Parse(src)
	if err != nil {
		return nil, err
	}
	kp := &KeyPatch{Before: src, After: src, Changes: []Change{}}
	denies, missing, err := keyBlocks(p, f, k)
	if err != nil {
		return nil, err
	}
	if len(denies) == 0 && len(missing) == 0 {
		return kp, nil
	}
	arr := statementArray(p)
	op, key, value := f.exemption(ExemptByUserID)
	for _, i := range denies {
		s := p.Statements[i]
		addCondition(arr.Elems[i], op, key, value)
		kp.Changes = append(kp.Changes, Change{Statement: i, Sid: s.Sid, Kind: KindExempt,
			Explanation: fmt.Sprintf("it denies the backup role %s through S3; added %s {%q: %q}, which lifts this Deny for the backup role's sessions only (for every action it covers: what the role may then do is what the key policy and its IAM policies allow)",
				strings.Join(deniedActions(p, i, f, k), ", "), op, key, value)})
	}
	// What the exemptions leave unallowed gets the new statement.
	if len(denies) > 0 {
		p2, err := Parse(jsonast.Render(p.Root))
		if err != nil {
			return nil, err
		}
		if _, missing, err = keyBlocks(p2, f, k); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		used := map[string]bool{}
		for _, s := range p.Statements {
			used[s.Sid] = true
		}
		sid := uniqueSid(used, "AllowAWSBackupRoleViaS3")
		acts := make([]*jsonast.Value, len(missing))
		for i, a := range missing {
			acts[i] = jsonast.NewString(a)
		}
		stmt := jsonast.NewObject(
			jsonast.NewMember("Sid", jsonast.NewString(sid)),
			jsonast.NewMember("Effect", jsonast.NewString("Allow")),
			jsonast.NewMember("Principal", jsonast.NewObject(jsonast.NewMember("AWS", jsonast.NewString(f.roleARN())))),
			jsonast.NewMember("Action", jsonast.NewArray(acts...)),
			jsonast.NewMember("Resource", jsonast.NewString("*")),
			jsonast.NewMember("Condition", jsonast.NewObject(jsonast.NewMember("StringEquals",
				jsonast.NewObject(jsonast.NewMember("kms:ViaService", jsonast.NewString(k.ViaService())))))),
		)
		arr.Elems = append(arr.Elems, stmt)
		kp.Changes = append(kp.Changes, Change{Statement: len(p.Statements), Sid: sid, Kind: "allow-backup-role",
			Explanation: fmt.Sprintf("the key policy neither grants the backup role %s nor delegates them to the account's IAM policies; added a statement allowing %s them through S3 only (kms:ViaService %s)",
				strings.Join(missing, ", "), f.roleARN(), k.ViaService())})
	}
	kp.After = jsonast.Render(p.Root)
	if err := proveKeyPatch(ctx, kp, f, k); err != nil {
		return nil, err
	}
	return kp, nil
}

// keyBlocks returns the Deny statements that deny the backup role one of
// KeyActions, and the actions the policy neither allows it nor delegates to
// the account's IAM policies (an Allow naming the account).
func keyBlocks(p *Policy, f Facts, k Key) (denies []int, missing []string, err error) {
	for _, act := range KeyActions {
		er, err := Prepare(KeyRequest(f, k, act))
		if err != nil {
			return nil, nil, err
		}
		out := p.Decide(er, k.Account)
		switch {
		case out.Decision == Deny:
			for _, i := range out.Statements {
				if !slices.Contains(denies, i) {
					denies = append(denies, i)
				}
			}
		case out.Decision == Allow, p.Decide(er, "").Decision == Allow:
		default:
			missing = append(missing, act)
		}
	}
	slices.Sort(denies)
	return denies, missing, nil
}

// deniedActions lists the KeyActions statement i denies the backup role.
func deniedActions(p *Policy, i int, f Facts, k Key) []string {
	var out []string
	for _, act := range KeyActions {
		er, err := Prepare(KeyRequest(f, k, act))
		if err == nil && slices.Contains(p.Decide(er, k.Account).Statements, i) {
			out = append(out, act)
		}
	}
	return out
}

// proveKeyPatch checks the patch: the backup role can now make every
// KeyAction through S3, and the access delta between the two policies
// holds only requests of the backup role's sessions, none of which loses
// access.
func proveKeyPatch(ctx context.Context, kp *KeyPatch, f Facts, k Key) error {
	before, err := Parse(kp.Before)
	if err != nil {
		return err
	}
	after, err := Parse(kp.After)
	if err != nil {
		return fmt.Errorf("internal error: the patched key policy does not parse: %v", err)
	}
	if d, m, err := keyBlocks(after, f, k); err != nil || len(d)+len(m) > 0 {
		return fmt.Errorf("internal error: the patched key policy still denies or does not grant the backup role %v %v (%v)", d, m, err)
	}
	kf := f
	kf.AccountID, kf.Bucket = k.Account, ""
	other := k.ARN[:strings.LastIndex(k.ARN, "/")+1] + "fixpolicy-other-key"
	delta, err := DeltaContext(ctx, before, after, DeltaOptions{Owner: k.Account, Facts: &kf, Actions: kmsActions, Resources: []string{k.ARN, other}})
	if err != nil {
		return err
	}
	for _, c := range delta.Changes {
		if err := KeyChangeAllowed(c, f); err != nil {
			return err
		}
	}
	kp.Delta = delta
	return nil
}

// KeyChangeAllowed checks one class of a key-policy patch's access delta:
// every principal of the class is a session of the backup role (by its
// name and account: AWS KMS resolves a role ARN in a key policy to the
// role's unique ID when the policy is saved, so a re-created role of the
// same name would not match the new statement), and access only grows
// (Deny to None or Allow, None to Allow).
func KeyChangeAllowed(c AccessChange, f Facts) error {
	if len(c.callers) == 0 {
		return fmt.Errorf("internal error: the key-policy patch changes the access of an unnamed class: %s", c)
	}
	for _, cl := range c.callers {
		if cl.Kind != AssumedRole || cl.Account != f.AccountID || cl.Name != f.roleName() {
			return fmt.Errorf("internal error: the key-policy patch changes the access of someone other than the backup role: %s", c)
		}
	}
	if c.After == Deny || c.Before == Allow {
		return fmt.Errorf("internal error: the key-policy patch takes access away: %s", c)
	}
	return nil
}
