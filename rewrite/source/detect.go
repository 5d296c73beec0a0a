// Package source finds bucket policies wherever users keep them (a JSON
// policy file, Terraform, CloudFormation, a Terraform plan) and runs the fix
// on each: [Detect] names a file's kind from its content and name,
// [Locate] returns its policies as iac.Documents, [Fix] analyses, patches
// and proves one and turns the patch into splices of the source, and
// [PatchFile] applies a file's splices and checks, by locating the policies
// again, that the file now holds exactly the proved policies.
//
// Pure, like the rest of rewrite: the caller reads and writes the files.
package source

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Kinds of source file.
const (
	KindNone           = ""               // nothing fixpolicy reads
	KindPolicy         = "policy"         // a JSON bucket policy
	KindTemplate       = "template"       // a JSON policy template (.json.tpl) with ${...}
	KindTerraform      = "terraform"      // HCL (.tf)
	KindCloudFormation = "cloudformation" // a CloudFormation, SAM or CDK template, YAML or JSON
	KindPlan           = "terraform-plan" // terraform show -json
)

var (
	hclBlockRe = regexp.MustCompile(`(?m)^\s*(resource|data|module|variable|locals|provider|terraform|output)(\s+"[^"]*")*\s*\{`)
	cfnYAMLRe  = regexp.MustCompile(`(?m)^(AWSTemplateFormatVersion\s*:|Resources\s*:)`)
	cfnTypeRe  = regexp.MustCompile(`(?m)^\s+Type\s*:\s*['"]?AWS::`)
)

// Detect names the kind of a file from its name and content. Content wins:
// a .json file that is a CloudFormation template is one.
func Detect(name string, src []byte) string {
	lower := strings.ToLower(name)
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(src, []byte("\uFEFF")), " \t\r\n")
	if strings.HasSuffix(lower, ".tpl") && bytes.Contains(src, []byte(`"Statement"`)) {
		return KindTemplate
	}
	if len(trimmed) > 0 && trimmed[0] == '{' {
		k, valid := detectJSON(src)
		if !valid && strings.HasSuffix(lower, ".json") {
			return KindPolicy // let the parser say what is wrong with it
		}
		return k
	}
	switch {
	case strings.HasSuffix(lower, ".tf"):
		return KindTerraform
	case cfnYAMLRe.Match(src) && cfnTypeRe.Match(src):
		return KindCloudFormation
	case hclBlockRe.Match(src):
		return KindTerraform
	}
	return KindNone
}

// detectJSON tells a policy, a CloudFormation template and a plan apart by
// their top-level keys; valid is false when src is not JSON.
func detectJSON(src []byte) (kind string, valid bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(src, &top) != nil {
		return KindNone, false
	}
	_, stmt := top["Statement"]
	_, res := top["Resources"]
	_, ver := top["AWSTemplateFormatVersion"]
	_, fv := top["format_version"]
	_, pv := top["planned_values"]
	_, rc := top["resource_changes"]
	switch {
	case stmt:
		return KindPolicy, true
	case res || ver:
		return KindCloudFormation, true
	case fv && (pv || rc):
		return KindPlan, true
	}
	return KindNone, true
}
