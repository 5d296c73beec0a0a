// Package cond implements the primitive matching semantics of AWS IAM policies: condition operators
// (String, Numeric, Date, Bool, Binary, IP address, ARN, Null, the IfExists suffix and the
// ForAllValues/ForAnyValue set operators), the wildcard matching of the Action and Resource elements,
// and policy-variable substitution (${key}, ${key, 'default'}, ${*}, ${?}, ${$}).
//
// It also computes witnesses: finite sets of request values that together exhibit every behaviour a
// key's conditions can show, so that callers can enumerate "every value a request could carry".
//
// The rules follow the AWS IAM User Guide: "IAM JSON policy elements: Condition operators",
// "Single-valued vs. multivalued context keys", "IAM policy elements: Variables and tags", and the
// Action and Resource element pages for wildcards. Where the reference implementation iam-simulate
// differs from AWS's documentation, this package follows AWS; the tests say so case by case.
//
// The package performs no I/O and keeps no global mutable state; every function is safe for
// concurrent use. Malformed policy values match nothing during evaluation; [Operator.Validate]
// reports them.
//
// # Semantic decisions
//
// Where AWS documentation is silent or ambiguous, this package decides as follows (each decision
// has a test that says so):
//
//   - A request value that cannot be interpreted by the operator's family (a non-number for
//     Numeric*, a non-date for Date*, a non-IP for IpAddress/NotIpAddress, a value without six
//     ARN parts for Arn*, invalid base64 for BinaryEquals, a non-boolean for Bool) satisfies neither
//     the positive nor the negated operator: the per-value test is false either way
//     (iam-simulate behaves the same way).
//   - A policy value that cannot be interpreted matches no request value; under a negated operator
//     it therefore contributes nothing to the NOR.
//   - A plain (non-set) operator applied to a request key that carries zero or several values is
//     false, for positive, negated and IfExists operators alike (undocumented by AWS; observed in
//     iam-simulate).
//   - An ...IfExists operator is true on an absent key even under ForAnyValue (the IfExists rule of
//     IAM-operators); iam-simulate returns false there.
//   - Resolver.Lookup receives condition-key names lower-cased, because keys are case-insensitive.
//   - Dates: pure integers are epoch seconds; ISO 8601 date-times without a zone designator are UTC;
//     fractional seconds beyond nanoseconds are truncated; years 0000-9999.
//   - Binary values are standard base64 with padding, decoded strictly (no line breaks).
//   - Bool and Null values compare ASCII-case-insensitively ("TRUE" = "true").
//   - ARN segments partition/service/region/account are matched case-sensitively (UNCONFIRMED
//     in AWS docs; iam-simulate folds case there).
//   - Resource matching follows IAM-resource: a '*' that ends one of the first five ARN segments
//     may expand across ':' (so "arn:aws:s3:*" covers every S3 ARN); other wildcards stay within
//     their segment. ArnLike conditions never cross parts (IAM-operators' ARN example).
//   - Values substituted for policy variables match literally inside patterns (a tag value
//     "a*" is not a wildcard), as with ${*} and ${?}.
//   - Numbers are [+-]digits[.digits], compared exactly; exponents are not numbers.
package cond
