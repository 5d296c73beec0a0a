package fleet

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/fixpolicy/fixpolicy/awsapi/internal/awstest"
	"github.com/fixpolicy/fixpolicy/rewrite/report"
)

const orgOnlyPolicy = "../../fixtures/org-only/policy.json"

// TestOrgLookupLive: on live buckets without --org-id, the account's
// organization comes from organizations:DescribeOrganization, asked once per
// run and only when a policy tests it. When the call is denied, or the
// account is in no organization, the analysis assumes the policy's and the
// report says why; any other failure is an error for the bucket.
func TestOrgLookupLive(t *testing.T) {
	setup := func(t *testing.T, buckets ...string) *liveFaultCase {
		fc := liveFaultSetup(t, nil)
		src, err := os.ReadFile(orgOnlyPolicy)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range buckets {
			fc.fs.CreateBucket(b, "")
			fc.fs.SetPolicy(b, strings.ReplaceAll(string(src), "data-lake-prod", b))
		}
		return fc
	}
	var fc *liveFaultCase // the case of the running subtest
	run := func(t *testing.T, a runArgs) (map[string]*report.Report, string, int) {
		a.mode = DryRun
		res := fc.runs(t, a)
		reps := map[string]*report.Report{}
		for _, b := range a.buckets {
			reps["s3://"+b] = &report.Report{Status: "no report"}
		}
		for _, r := range res.list {
			reps[r.Target] = r
		}
		return reps, res.msg(), res.code
	}
	const op = "organizations:DescribeOrganization"

	t.Run("found", func(t *testing.T) {
		fc = setup(t, "org-a", "org-b")
		fc.fs.SetOrganization("o-a1b2c3d4e5")
		reps, stderr, code := run(t, runArgs{buckets: []string{"org-a", "org-b"}})
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, b := range []string{"org-a", "org-b"} {
			if r := reps["s3://"+b]; r.Status != report.StatusCompliant || r.OrgAssumed != "" || r.OrgNote != "" {
				t.Errorf("%s: %+v", b, r)
			}
		}
		if n := fc.fs.Count(op); n != 1 {
			t.Errorf("%d %s calls, want 1 per run", n, op)
		}
	})
	// Needs rewrite to fill Result.OrgAssumed.
	t.Run("denied", func(t *testing.T) {
		fc = setup(t, "org-denied")
		fc.fs.SetOrganization("o-a1b2c3d4e5")
		fc.fs.Fail(op, awstest.Fault{Status: http.StatusBadRequest, Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."})
		reps, stderr, code := run(t, runArgs{buckets: []string{"org-denied"}})
		r := reps["s3://org-denied"]
		want := "Assumed o-a1b2c3d4e5 is the account's organization because the policy names it (organizations:DescribeOrganization was denied); pass --org-id to state it."
		if code != ExitOK || r.OrgAssumed != "o-a1b2c3d4e5" || r.OrgNote != want {
			t.Errorf("exit %d, %+v (stderr %q); want the note %q", code, r, stderr, want)
		}
	})
	// Needs rewrite to fill Result.OrgAssumed.
	t.Run("no-organization", func(t *testing.T) {
		fc = setup(t, "org-none")
		fc.fs.SetOrganization("")
		reps, stderr, code := run(t, runArgs{buckets: []string{"org-none"}})
		r := reps["s3://org-none"]
		// In no organization, the account's requests carry no
		// aws:PrincipalOrgID: nothing is assumed.
		if code != ExitOK || r == nil || r.OrgAssumed != "" || r.OrgNote != "" {
			t.Errorf("exit %d, %+v (stderr %q)", code, r, stderr)
		}
	})
	t.Run("failing", func(t *testing.T) {
		fc = setup(t, "org-fail")
		fc.fs.Fail(op, awstest.Fault{Status: http.StatusInternalServerError, Code: "ServiceException", Message: "internal error"})
		reps, _, code := run(t, runArgs{buckets: []string{"org-fail"}})
		r := reps["s3://org-fail"]
		if code != ExitError || r.Status != report.StatusError || !strings.Contains(r.Error, "looking up the account's organization failed") || !strings.Contains(r.Error, "--org-id") {
			t.Errorf("exit %d, %+v", code, r)
		}
	})
	t.Run("given", func(t *testing.T) {
		fc = setup(t, "org-given")
		reps, stderr, code := run(t, runArgs{buckets: []string{"org-given"}, orgID: "o-a1b2c3d4e5"})
		if r := reps["s3://org-given"]; code != ExitOK || r.OrgAssumed != "" {
			t.Errorf("exit %d, %+v (stderr %q)", code, r, stderr)
		}
		if n := fc.fs.Count(op); n != 0 {
			t.Errorf("%d %s calls with --org-id", n, op)
		}
	})
	t.Run("not-needed", func(t *testing.T) {
		fc = liveFaultSetup(t, nil)
		fc.bucket(t, "no-org", "", "seed000-vpce-only")
		if _, stderr, code := run(t, runArgs{buckets: []string{"no-org"}}); code != ExitOK {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if n := fc.fs.Count(op); n != 0 {
			t.Errorf("%d %s calls for a policy that does not test the organization", n, op)
		}
	})
}
