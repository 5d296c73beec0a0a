package doctor

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/fixpolicy/fixpolicy/awsapi"
)

// AWS names the kind of policy behind an AccessDenied in its message ("...
// with an explicit deny in a service control policy", "... because no
// permissions boundary allows the ... action"; IAM User Guide,
// "Troubleshoot access denied error messages").
var deniedBy = []struct{ phrase, what string }{
	{"service control policy", "a service control policy (SCP) of the organization"},
	{"resource control policy", "a resource control policy (RCP) of the organization"},
	{"permissions boundary", "the caller's permissions boundary"},
	{"session policy", "the caller's session policy"},
	{"identity-based policy", "the caller's identity-based (IAM) policies"},
	{"resource-based policy", "the resource's own policy"},
}

var orgPolicyARN = regexp.MustCompile(`arn:aws[a-z-]*:organizations::\d{12}:policy/[\w/-]+`)

// grantNote says, for a write the caller was denied, which kind of policy
// denied it when AWS said so, and gives the account's administrators the
// policy statement that would allow it. doctor --fix never grants it.
func (f *fixer) grantNote(err error) string {
	var e *awsapi.Error
	if !errors.As(err, &e) || e.Kind != awsapi.AccessDenied {
		return ""
	}
	action, resource := e.Permission()
	switch resource {
	case "that role":
		resource = f.d.role.Arn
	case "", "that key":
		resource = "*"
		if f.st.key != nil && strings.HasPrefix(action, "kms:") {
			resource = f.st.key.arn
		}
	}
	stmt, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]string{{"Effect": "Allow", "Action": action, "Resource": resource}}})
	note := "the caller lacks " + action
	msg := strings.ToLower(e.Msg)
	for _, d := range deniedBy {
		if strings.Contains(msg, d.phrase) {
			note += "; AWS says " + d.what + " denies it"
			if m := orgPolicyARN.FindString(e.Msg); m != "" {
				note += " (" + m + ")"
			}
			break
		}
	}
	return note + "; doctor --fix never grants permissions: the account's administrators can allow it with " + string(stmt)
}
