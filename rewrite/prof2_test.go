package rewrite

import (
	"os"
	"testing"
	"time"
)

func TestProfCold(t *testing.T) {
	src, err := os.ReadFile(os.Getenv("SHAPE"))
	if err != nil { t.Skip() }
	f := Facts{Bucket: "b", AccountID: "012345678901", RoleID: "AROAEXAMPLEROLEID0001", RoleName: "AWSBackupDefaultServiceRole"}
	for i := 0; i < 3; i++ {
		witnessCache.Clear()
		t0 := time.Now()
		p, _ := Parse(src)
		t1 := time.Now()
		an, err := Analyze(p, f)
		if err != nil { t.Fatal(err) }
		t2 := time.Now()
		res, err := Fix(src, Options{Facts: f})
		if err != nil { t.Fatal(err) }
		t3 := time.Now()
		t.Logf("parse %v analyze(cold) %v fix(warm) %v status %s blocks %d", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), res.Status, len(an.Blocks))
	}
}
