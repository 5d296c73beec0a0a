// Package policy is the S3 bucket policy model: the parser (which keeps
// the JSON tree, so that what is not changed is written back byte for
// byte), the principal and request forms, and the evaluator that decides a
// request. Descriptions of statements in words live here too. It performs
// no I/O.
//
// # Evaluation
//
// A bucket policy decides a request as the IAM User Guide's "Policy
// evaluation logic" says for resource-based policies:
//
//   - Deny when any Deny statement matches the request;
//   - else Allow when an Allow statement matches and grants it: an Allow that
//     names only the caller's own account, when that account owns the bucket,
//     delegates to the caller's IAM policies and does not allow by itself
//     ("Cross-account policy evaluation logic"; "AWS JSON policy elements:
//     Principal", AWS account principals);
//   - else None: the caller's identity policies decide.
//
// A statement matches when its principal, action, resource and every
// condition match. Actions and resources use the wildcard rules of "IAM JSON
// policy elements: Action" and "...: Resource" (actions case-insensitively);
// NotPrincipal is evaluated level by level (account, role or user, session)
// as "AWS JSON policy elements: NotPrincipal" describes. Conditions follow
// "IAM JSON policy elements: Condition operators" and "Single-valued vs.
// multivalued context keys"; the operator families, IfExists, the
// ForAllValues/ForAnyValue prefixes, policy variables and the decisions
// taken where AWS's documentation is silent are in package cond.
package policy
