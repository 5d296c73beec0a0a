package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestColor: the diff is coloured only on a terminal, never under NO_COLOR
// or --no-color, and never in JSON.
func TestColor(t *testing.T) {
	t.Parallel()
	args := []string{"fixpolicy", "--policy-file", "../../fixtures/seed000-vpce-only/policy.json", "--role-id", "AROAEXAMPLEROLEID0001", "--account-id", "012345678901", "--dry-run"}
	cases := []struct {
		name  string
		tty   bool
		env   map[string]string
		extra []string
		want  bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"--no-color", true, nil, []string{"--no-color"}, false},
		{"json", true, nil, []string{"-o", "json"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(append([]string{}, args...), c.extra...), stdio{
				in: strings.NewReader(""), out: &out, err: &errb, outTTY: c.tty,
				getenv: func(k string) string { return c.env[k] },
			})
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got := strings.Contains(out.String(), "\x1b["); got != c.want {
				t.Errorf("coloured = %v, want %v", got, c.want)
			}
		})
	}
}
