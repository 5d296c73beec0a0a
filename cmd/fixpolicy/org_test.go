package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/fleet"
	"github.com/fixpolicy/fixpolicy/rewrite"
)

const orgOnlyPolicy = "../../fixtures/org-only/policy.json"

// orgSentence is the note of an organization assumed offline.
const orgSentence = "Assumed o-a1b2c3d4e5 is the account's organization because the policy names it; pass --org-id to state it."

type orgJSONReport struct {
	Target, Bucket, Status, Error string
	OrgAssumed                    string `json:"org_assumed"`
	OrgNote                       string `json:"org_note"`
}

func parseOrgReports(t *testing.T, out string) map[string]orgJSONReport {
	t.Helper()
	reps := map[string]orgJSONReport{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r orgJSONReport
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		reps[r.Target] = r
	}
	return reps
}

// TestOrgNoteFormats: a report whose analysis assumed the organization says
// so in every output format. (It builds the report by hand, so it does not
// depend on rewrite filling Result.OrgAssumed.)
func TestOrgNoteFormats(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(orgOnlyPolicy)
	if err != nil {
		t.Fatal(err)
	}
	res := &rewrite.Result{Bucket: "data-lake-prod", Before: src, After: src, Status: rewrite.StatusCompliant, Proof: &rewrite.Proof{}, OrgAssumed: "o-a1b2c3d4e5"}
	mk := func() *report {
		r := fleet.FromResult("policy.json", res, "policy.json", false)
		r.File, r.Bucket = "policy.json", "data-lake-prod"
		r.NoteOrg(res.OrgAssumed, "")
		return r
	}
	render := func(format string) string {
		var out bytes.Buffer
		pr := &printer{W: &out, ErrW: &out, Format: format}
		pr.Print(mk())
		if err := finish(pr, func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}

	if got := render("text"); !strings.Contains(got, "note: "+orgSentence+"\n") {
		t.Errorf("text:\n%s", got)
	}
	var j orgJSONReport
	if err := json.Unmarshal([]byte(render("json")), &j); err != nil || j.OrgAssumed != "o-a1b2c3d4e5" || j.OrgNote != orgSentence {
		t.Errorf("json: %+v (%v)", j, err)
	}
	if got := render("markdown"); !strings.Contains(got, "> **Note:** "+orgSentence) {
		t.Errorf("markdown:\n%s", got)
	}
	if got := render("github"); !strings.Contains(got, "::notice file=policy.json,title=fixpolicy%3A assumed organization o-a1b2c3d4e5::"+orgSentence+"\n") {
		t.Errorf("github:\n%s", got)
	}
	sarif := render("sarif") // valid SARIF: rewrite/report's TestSARIFSchema
	var doc struct {
		Runs []struct {
			Invocations []struct {
				ExecutionSuccessful        bool
				ToolExecutionNotifications []struct {
					Level   string
					Message struct{ Text string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(sarif), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 || len(doc.Runs[0].Invocations) != 1 || !doc.Runs[0].Invocations[0].ExecutionSuccessful ||
		len(doc.Runs[0].Invocations[0].ToolExecutionNotifications) != 1 ||
		doc.Runs[0].Invocations[0].ToolExecutionNotifications[0].Message.Text != orgSentence {
		t.Errorf("sarif invocations: %+v", doc.Runs)
	}

	// With the reason it was not looked up.
	r := mk()
	r.NoteOrg("o-a1b2c3d4e5", "organizations:DescribeOrganization was denied")
	if want := "Assumed o-a1b2c3d4e5 is the account's organization because the policy names it (organizations:DescribeOrganization was denied); pass --org-id to state it."; r.OrgNote != want {
		t.Errorf("note %q, want %q", r.OrgNote, want)
	}
	// No assumption, no note.
	r = fleet.FromResult("policy.json", &rewrite.Result{Before: src, After: src, Status: rewrite.StatusCompliant, Proof: &rewrite.Proof{}}, "policy.json", false)
	r.NoteOrg("", "organizations:DescribeOrganization was denied")
	if b, _ := json.Marshal(r); strings.Contains(string(b), "org_") {
		t.Errorf("a report without an assumption has %s", b)
	}
}

// TestOrgAssumedOffline: offline, without --org-id, a policy that names an
// organization is analysed with it as the account's own, and the report says
// so; with --org-id it does not.
//
// Needs rewrite to fill Result.OrgAssumed.
func TestOrgAssumedOffline(t *testing.T) {
	t.Parallel()
	args := append([]string{"--policy-file", orgOnlyPolicy, "--dry-run"}, strings.Fields(defaultArgs)...)
	out, stderr, code := runCLI(t, "", append(args, "-o", "json")...)
	r := parseOrgReports(t, out)[orgOnlyPolicy]
	if code != exitOK || r.OrgAssumed != "o-a1b2c3d4e5" || r.OrgNote != orgSentence {
		t.Errorf("exit %d, %+v (stderr %q); want org_assumed o-a1b2c3d4e5 and the note", code, r, stderr)
	}
	out, _, _ = runCLI(t, "", args...)
	if !strings.Contains(out, "note: "+orgSentence) {
		t.Errorf("the text report does not say the organization was assumed:\n%s", out)
	}
}

// TestOrgGivenOffline: with --org-id nothing is assumed.
func TestOrgGivenOffline(t *testing.T) {
	t.Parallel()
	args := append([]string{"--policy-file", orgOnlyPolicy, "--dry-run", "--org-id", "o-a1b2c3d4e5", "-o", "json"}, strings.Fields(defaultArgs)...)
	out, stderr, code := runCLI(t, "", args...)
	if r := parseOrgReports(t, out)[orgOnlyPolicy]; code != exitOK || r.OrgAssumed != "" || r.OrgNote != "" {
		t.Errorf("exit %d, %+v (stderr %q)", code, r, stderr)
	}
}
