package fleet

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

var treeOut = flag.String("tree-out", "", "TestWriteTerraformTree writes the generated Terraform tree here (for whole-process timings)")

// writeTerraformTree writes a Terraform tree of n files under dir, one in
// ten with a bucket policy (a VPC-endpoint-only Deny that blocks AWS Backup,
// as jsonencode, heredoc or aws_iam_policy_document in turn), the others
// the resources a real repository has around them, in modules of 20 files.
// It also writes policies under .terraform and .git, which a walk skips.
func writeTerraformTree(tb testing.TB, dir string, n int) (policies int) {
	tb.Helper()
	write := func(path, body string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range n {
		path := filepath.Join(dir, "modules", fmt.Sprintf("m%03d", i/20), fmt.Sprintf("f%04d.tf", i))
		if i%10 == 0 {
			write(path, treePolicy(i))
			policies++
		} else {
			write(path, treeFiller(i))
		}
	}
	write(filepath.Join(dir, ".terraform", "modules", "x", "cached.tf"), treePolicy(1))
	write(filepath.Join(dir, ".git", "objects", "cached.tf"), treePolicy(2))
	return policies
}

const treeStatement = `{
        Sid       = "DenyOutsideVpce"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]
        Condition = {
          StringNotEquals = { "aws:SourceVpce" = var.vpce_id }
        }
      }`

func treePolicy(i int) string {
	head := fmt.Sprintf(`variable "vpce_id" {
  type = string
}

# The bucket of team %d.
resource "aws_s3_bucket" "b" {
  bucket = "tree-bucket-%04d"
}

`, i, i)
	switch (i / 10) % 3 {
	case 0:
		return head + `resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      ` + treeStatement + `,
    ]
  })
}
`
	case 1:
		return head + `resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyOutsideVpce",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["${aws_s3_bucket.b.arn}", "${aws_s3_bucket.b.arn}/*"],
      "Condition": {"StringNotEquals": {"aws:SourceVpce": "${var.vpce_id}"}}
    }
  ]
}
POLICY
}
`
	default:
		return head + `data "aws_iam_policy_document" "b" {
  statement {
    sid     = "DenyOutsideVpce"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.b.arn,
      "${aws_s3_bucket.b.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceVpce"
      values   = [var.vpce_id]
    }
  }
}

resource "aws_s3_bucket_policy" "b" {
  bucket = aws_s3_bucket.b.id
  policy = data.aws_iam_policy_document.b.json
}
`
	}
}

func treeFiller(i int) string {
	return fmt.Sprintf(`# Service %[1]d.
variable "instance_type_%[1]d" {
  type    = string
  default = "t3.micro"
}

resource "aws_instance" "app_%[1]d" {
  ami           = "ami-0123456789abcdef0"
  instance_type = var.instance_type_%[1]d

  tags = {
    Name  = "app-%[1]d"
    Owner = "team-%[2]d"
  }
}

resource "aws_security_group" "app_%[1]d" {
  name = "app-%[1]d"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}

output "app_%[1]d_id" {
  value = aws_instance.app_%[1]d.id
}
`, i, i%17)
}

// TestWriteTerraformTree writes the benchmark's tree to -tree-out, for
// timing the whole process (fixpolicy --policy-file DIR --check).
func TestWriteTerraformTree(t *testing.T) {
	if *treeOut == "" {
		t.Skip("set -tree-out DIR to write the tree")
	}
	writeTerraformTree(t, *treeOut, 2000)
}

// TestTerraformTree: a walk of the tree finds its .tf files and skips
// .terraform and .git; --check reports each policy as needing the patch,
// one report per policy, and exits 2.
func TestTerraformTree(t *testing.T) {
	dir := t.TempDir()
	want := writeTerraformTree(t, dir, 60)
	files, err := ExpandFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 60 {
		t.Errorf("the walk found %d files, want 60 (none under .terraform and .git)", len(files))
	}
	run, reps := offlineRun(t, Check)
	if code := run.Files(context.Background(), files, nil); code != ExitChanges {
		t.Errorf("exit %d, want %d", code, ExitChanges)
	}
	for _, r := range *reps {
		if r.Status != report.StatusNeedsChange {
			t.Errorf("%s: %s %s", r.Target, r.Status, r.Error)
		}
	}
	if len(*reps) != want {
		t.Errorf("%d reports, want one per policy (%d)", len(*reps), want)
	}
}

// BenchmarkCheckTerraformTree checks a 2,000-file tree with 200 bucket
// policies (--policy-file DIR --check), in process.
func BenchmarkCheckTerraformTree(b *testing.B) {
	dir := b.TempDir()
	writeTerraformTree(b, dir, 2000)
	for b.Loop() {
		files, err := ExpandFiles([]string{dir})
		if err != nil {
			b.Fatal(err)
		}
		run, _ := offlineRun(b, Check)
		run.Print = func(*report.Report) {}
		run.Files(context.Background(), files, nil)
	}
}

// TestTerraformModuleRoles: the patch refers to the backup role through a
// data "aws_iam_role" another file of the module declares, instead of
// declaring it a second time (a duplicate Terraform refuses), and a
// label taken for another role is not reused; after the write, the
// reference counts as the exemption (--check passes).
func TestTerraformModuleRoles(t *testing.T) {
	for _, c := range []struct{ data, wantRef, wantNew string }{
		{`data "aws_iam_role" "backup_role" {
  name = "AWSBackupDefaultServiceRole"
}
`, "data.aws_iam_role.backup_role.unique_id", ""},
		{`data "aws_iam_role" "backup" {
  name = var.other_role
}
`, "data.aws_iam_role.backup2.unique_id", `data "aws_iam_role" "backup2"`},
	} {
		dir := t.TempDir()
		main := filepath.Join(dir, "main.tf")
		if err := os.WriteFile(main, []byte(treePolicy(0)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "data.tf"), []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		run, reps := offlineRun(t, Write)
		run.LiteralRoleID = false // as without --role-id: refer to the role
		if code := run.Files(context.Background(), []string{main}, nil); code != ExitOK || len(*reps) != 1 || (*reps)[0].Status != report.StatusPatched {
			t.Fatalf("write: exit %d, %+v", code, *reps)
		}
		out, _ := os.ReadFile(main)
		if !strings.Contains(string(out), c.wantRef) {
			t.Errorf("the patch does not refer to %s:\n%s", c.wantRef, out)
		}
		if n := strings.Count(string(out), `data "aws_iam_role"`); c.wantNew == "" && n != 0 || c.wantNew != "" && !strings.Contains(string(out), c.wantNew) {
			t.Errorf("data blocks added: %d (want %q):\n%s", n, c.wantNew, out)
		}
		again, reps2 := offlineRun(t, Check)
		again.LiteralRoleID = false
		if code := again.Files(context.Background(), []string{main}, nil); code != ExitOK {
			t.Errorf("check after the write: exit %d, %s %s", code, (*reps2)[0].Status, (*reps2)[0].Error)
		}
	}
}

// TestTerraformPlan: a plan's policies are reported against their resource
// addresses and never written: --dry-run exits 0, --check and --write 2
// (the change is still needed), the file stays as it was, and the diff is
// of the planned policy, not of the plan file.
func TestTerraformPlan(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/iac/tfplan/seed000-jsonencode/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	os.WriteFile(path, src, 0o644)
	for mode, want := range map[string]int{DryRun: ExitOK, Check: ExitChanges, Write: ExitChanges} {
		run, reps := offlineRun(t, mode)
		code := run.Files(context.Background(), []string{path}, nil)
		if code != want || len(*reps) != 1 {
			t.Fatalf("%s: exit %d, want %d; %d reports", mode, code, want, len(*reps))
		}
		r := (*reps)[0]
		if r.Status != report.StatusNeedsChange || !strings.HasSuffix(r.Target, "plan.json:aws_s3_bucket_policy.data") ||
			!strings.Contains(r.Diff, "aws_s3_bucket_policy.data (planned policy)") || !strings.Contains(strings.Join(r.Warnings, " "), "Not written: a Terraform plan is derived data") {
			t.Errorf("%s: %s %s %q\n%s", mode, r.Target, r.Status, r.Warnings, r.Diff)
		}
	}
	if now, _ := os.ReadFile(path); string(now) != string(src) {
		t.Errorf("the plan was written")
	}
}
