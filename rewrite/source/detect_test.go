package source

import "testing"

func TestDetect(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"p.json", `{"Version":"2012-10-17","Statement":[]}`, KindPolicy},
		{"p.json", `{"Version":`, KindPolicy},
		{"package.json", `{"name":"x","version":"1.0.0"}`, KindNone},
		{"t.json", `{"AWSTemplateFormatVersion":"2010-09-09","Resources":{}}`, KindCloudFormation},
		{"cdk.template.json", `{"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}`, KindCloudFormation},
		{"plan.json", `{"format_version":"1.2","planned_values":{}}`, KindPlan},
		{"main.tf", "# nothing yet\n", KindTerraform},
		{"x.hcl", "resource \"aws_s3_bucket\" \"b\" {\n}\n", KindTerraform},
		{"template.yaml", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n", KindCloudFormation},
		{"template.yml", "Resources:\n  B:\n    Type: \"AWS::S3::BucketPolicy\"\n", KindCloudFormation},
		{"k8s.yaml", "apiVersion: v1\nkind: Pod\n", KindNone},
		{"policy.json.tpl", `{"Statement":[{"Resource":"${bucket_arn}"}]}`, KindTemplate},
		{"policy.tpl", "{\n \"Statement\": ${statements}\n}", KindTemplate},
		{"README.md", "# hello\n", KindNone},
	} {
		if got := Detect(c.name, []byte(c.src)); got != c.want {
			t.Errorf("Detect(%s, %.30q) = %q, want %q", c.name, c.src, got, c.want)
		}
	}
}
