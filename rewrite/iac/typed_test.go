package iac

import (
	"strings"
	"testing"
)

// TestTypedStandIns: a placeholder that is a whole value of an IP operator
// gets a stand-in range of 240.0.0.0/4, the same for the same placeholder;
// placeholders elsewhere, inside longer strings, or under other operators
// stay; a policy without any stays byte for byte.
func TestTypedStandIns(t *testing.T) {
	p1, p2 := NewPlaceholder(1), NewPlaceholder(2)
	src := `{"Statement":[{"Effect":"Deny","Condition":{"NotIpAddress":{"aws:SourceIp":"` + p1 + `"},` +
		`"ForAnyValue:IpAddressIfExists":{"aws:VpcSourceIp":["10.0.0.0/8","` + p2 + `","` + p1 + `"]},` +
		`"StringNotEquals":{"aws:SourceVpce":"` + p2 + `"}}},` +
		`{"Effect":"Deny","Condition":{"IpAddress":{"aws:SourceIp":"x` + p1 + `"}}}]}`
	out, standIns := TypedStandIns([]byte(src))
	got := string(out)
	for _, want := range []string{
		`"aws:SourceIp":"240.0.1.0/24"`,
		`"aws:VpcSourceIp":["10.0.0.0/8","240.0.2.0/24","240.0.1.0/24"]`,
		`"aws:SourceVpce":"` + p2 + `"`,
		`"aws:SourceIp":"x` + p1 + `"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got %s\nlacks %s", got, want)
		}
	}
	if len(standIns) != 2 || standIns["240.0.1.0/24"] != p1 || standIns["240.0.2.0/24"] != p2 {
		t.Errorf("standIns = %v", standIns)
	}
	plain := []byte(`{"Statement":[{"Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`)
	if out, m := TypedStandIns(plain); string(out) != string(plain) || m != nil {
		t.Errorf("a policy without placeholders changed: %s %v", out, m)
	}
}
