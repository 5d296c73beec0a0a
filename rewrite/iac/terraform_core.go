package iac

// Symbol roles for a reference to an IAM role by name, as Terraform writes
// the backup role by default (data "aws_iam_role" "backup" { name = ... }):
// the caller substitutes the role's RoleId, respectively ARN, for the
// placeholder when name is the backup role's name, exactly as it does for
// the account, so that the policy written back with the reference is seen
// as patched (idempotency).
const (
	roleIAMRoleIDPrefix  = "iam-role-id:"
	roleIAMRoleARNPrefix = "iam-role-arn:"
)

// RoleIAMRoleID is the Role of a symbol standing for the RoleId (unique_id)
// of the IAM role called name.
func RoleIAMRoleID(name string) string { return roleIAMRoleIDPrefix + name }

// RoleIAMRoleARN is the Role of a symbol standing for the ARN of the IAM
// role called name.
func RoleIAMRoleARN(name string) string { return roleIAMRoleARNPrefix + name }
