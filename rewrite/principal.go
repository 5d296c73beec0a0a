package rewrite

import (
	"fmt"
	"strings"
)

// PrincipalKind classifies who makes a request.
type PrincipalKind uint8

// Principal kinds.
const (
	Anonymous        PrincipalKind = iota
	AccountRoot                    // arn:aws:iam::ACCT:root
	IAMUser                        // arn:aws:iam::ACCT:user/path/name
	IAMRole                        // arn:aws:iam::ACCT:role/path/name (a role itself, rare as a caller)
	AssumedRole                    // arn:aws:sts::ACCT:assumed-role/name/session
	FederatedUser                  // arn:aws:sts::ACCT:federated-user/name
	ServicePrincipal               // backup.amazonaws.com
	CanonicalUser                  // 64 hex digits
)

// Caller is the principal of a request, parsed from its ARN or name.
type Caller struct {
	Kind      PrincipalKind
	ARN       string // as given
	Partition string
	Account   string
	Name      string // user, role or federated-user name (for sessions, the role name)
	Path      string // IAM path for users and roles, "/" when none
	Session   string // role session name
	Service   string // service principal name
	Canonical string // canonical user ID
}

// ParseCaller parses a request principal: an IAM or STS ARN, "*"/"anonymous"
// for an anonymous caller, a service principal (name ending in
// ".amazonaws.com" or similar) or a 64-hex canonical user ID.
func ParseCaller(s string) (Caller, error) {
	switch {
	case s == "":
		return Caller{}, fmt.Errorf("empty principal")
	case s == "*" || strings.EqualFold(s, "anonymous"):
		return Caller{Kind: Anonymous, ARN: s}, nil
	case isCanonicalID(s):
		return Caller{Kind: CanonicalUser, ARN: s, Canonical: s}, nil
	case !strings.HasPrefix(s, "arn:"):
		if strings.Contains(s, ".") && !strings.ContainsAny(s, ":/ ") {
			return Caller{Kind: ServicePrincipal, ARN: s, Service: s}, nil
		}
		return Caller{}, fmt.Errorf("%q is not a principal ARN (e.g. arn:aws:iam::111122223333:user/alice), a service principal or \"anonymous\"", s)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return Caller{}, fmt.Errorf("%q is not an ARN: it needs 6 colon-separated parts", s)
	}
	c := Caller{ARN: s, Partition: parts[1], Account: parts[4]}
	if !isAccountID(c.Account) {
		return Caller{}, fmt.Errorf("%q: %q is not a 12-digit account ID", s, c.Account)
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		switch {
		case res == "root":
			c.Kind = AccountRoot
		case strings.HasPrefix(res, "user/"):
			c.Kind = IAMUser
			c.Path, c.Name = splitPath(strings.TrimPrefix(res, "user/"))
		case strings.HasPrefix(res, "role/"):
			c.Kind = IAMRole
			c.Path, c.Name = splitPath(strings.TrimPrefix(res, "role/"))
		default:
			return Caller{}, fmt.Errorf("%q: an IAM principal is root, user/NAME or role/NAME", s)
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			rest := strings.TrimPrefix(res, "assumed-role/")
			i := strings.IndexByte(rest, '/')
			if i <= 0 || i == len(rest)-1 {
				return Caller{}, fmt.Errorf("%q: an assumed-role ARN is assumed-role/ROLE/SESSION", s)
			}
			c.Kind, c.Name, c.Session = AssumedRole, rest[:i], rest[i+1:]
		case strings.HasPrefix(res, "federated-user/"):
			c.Kind, c.Name = FederatedUser, strings.TrimPrefix(res, "federated-user/")
		default:
			return Caller{}, fmt.Errorf("%q: an STS principal is assumed-role/ROLE/SESSION or federated-user/NAME", s)
		}
	default:
		return Caller{}, fmt.Errorf("%q is not an IAM or STS principal ARN", s)
	}
	if c.Name == "" && c.Kind != AccountRoot {
		return Caller{}, fmt.Errorf("%q: the principal name is empty", s)
	}
	return c, nil
}

// splitPath splits "path/to/name" into ("/path/to/", "name").
func splitPath(s string) (path, name string) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "/", s
	}
	return "/" + s[:i+1], s[i+1:]
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isCanonicalID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Authenticated reports whether the caller is an IAM identity of some account.
func (c Caller) Authenticated() bool {
	switch c.Kind {
	case AccountRoot, IAMUser, IAMRole, AssumedRole, FederatedUser:
		return true
	}
	return false
}

// RoleARN is the ARN of the role behind an assumed-role session, when the
// path is known (Path != ""), else with the root path.
func (c Caller) RoleARN() string {
	path := c.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", c.Partition, c.Account, path, c.Name)
}

// principalMatch says how a principal-element entry relates to a caller.
type principalMatch uint8

const (
	pmNone    principalMatch = iota
	pmAccount                // the entry names the caller's whole account
	pmExact                  // the entry names the caller itself (user, role, session, "*")
)

// matchAWSEntry matches one entry of a Principal's "AWS" list. userID is the
// caller's aws:userid (used to match unique IDs such as AROA...).
func matchAWSEntry(entry string, c Caller, userID string) principalMatch {
	if entry == "*" {
		if c.Authenticated() || c.Kind == Anonymous {
			return pmExact
		}
		return pmNone
	}
	if isAccountID(entry) {
		if c.Authenticated() && c.Account == entry {
			return pmAccount
		}
		return pmNone
	}
	if !strings.HasPrefix(entry, "arn:") {
		// A unique ID (AROA..., AIDA...): IAM stores principals this way and
		// shows the ID once the identity is deleted.
		if userID != "" && (userID == entry || strings.HasPrefix(userID, entry+":")) {
			return pmExact
		}
		return pmNone
	}
	if !c.Authenticated() {
		return pmNone
	}
	p, err := ParseCaller(entry)
	if err != nil || p.Account != c.Account || p.Partition != c.Partition {
		return pmNone
	}
	switch p.Kind {
	case AccountRoot:
		return pmAccount
	case IAMUser:
		if c.Kind == IAMUser && c.Name == p.Name && c.Path == p.Path {
			return pmExact
		}
	case IAMRole:
		// A role ARN matches the role and every session of it. The session
		// ARN carries no path; role names are unique in an account.
		if (c.Kind == IAMRole || c.Kind == AssumedRole) && c.Name == p.Name {
			if c.Kind == IAMRole && c.Path != p.Path {
				return pmNone
			}
			return pmExact
		}
	case AssumedRole:
		if c.Kind == AssumedRole && c.Name == p.Name && c.Session == p.Session {
			return pmExact
		}
	case FederatedUser:
		if c.Kind == FederatedUser && c.Name == p.Name {
			return pmExact
		}
	}
	return pmNone
}

// principalMatches returns the strongest match of a Principal element.
func principalMatches(pr Principal, c Caller, userID string) principalMatch {
	if pr.Wildcard {
		return pmExact
	}
	best := pmNone
	for typ, list := range pr.Values {
		for _, e := range list {
			m := pmNone
			switch typ {
			case "AWS":
				m = matchAWSEntry(e, c, userID)
			case "Service":
				if c.Kind == ServicePrincipal && c.Service == e {
					m = pmExact
				}
			case "CanonicalUser":
				if c.Kind == CanonicalUser && strings.EqualFold(c.Canonical, e) {
					m = pmExact
				}
			case "Federated":
				if c.ARN == e {
					m = pmExact
				}
			}
			if m > best {
				best = m
			}
		}
	}
	return best
}

// notPrincipalExcludes reports whether a NotPrincipal element excludes the
// caller. AWS evaluates a session against the account, the role and the
// session: all three must be listed to exclude a session, the account and the
// user to exclude a user (IAM User Guide, NotPrincipal).
func notPrincipalExcludes(pr Principal, c Caller, userID string) bool {
	if pr.Wildcard {
		return true
	}
	list := pr.Values["AWS"]
	has := func(want func(e string) bool) bool {
		for _, e := range list {
			if want(e) {
				return true
			}
		}
		return false
	}
	account := func(e string) bool {
		if e == c.Account {
			return true
		}
		p, err := ParseCaller(e)
		return err == nil && p.Kind == AccountRoot && p.Account == c.Account
	}
	exact := func(kind PrincipalKind) func(string) bool {
		return func(e string) bool {
			if !strings.HasPrefix(e, "arn:") {
				return userID != "" && (userID == e || strings.HasPrefix(userID, e+":"))
			}
			p, err := ParseCaller(e)
			if err != nil || p.Account != c.Account || p.Kind != kind {
				return false
			}
			switch kind {
			case IAMUser:
				return p.Name == c.Name && p.Path == c.Path
			case IAMRole:
				return p.Name == c.Name
			case AssumedRole:
				return p.Name == c.Name && p.Session == c.Session
			case FederatedUser:
				return p.Name == c.Name
			}
			return false
		}
	}
	switch c.Kind {
	case Anonymous:
		return has(func(e string) bool { return e == "*" })
	case ServicePrincipal:
		for _, e := range pr.Values["Service"] {
			if e == c.Service {
				return true
			}
		}
		return false
	case CanonicalUser:
		for _, e := range pr.Values["CanonicalUser"] {
			if strings.EqualFold(e, c.Canonical) {
				return true
			}
		}
		return false
	case AccountRoot:
		return has(account)
	case IAMUser:
		return has(account) && has(exact(IAMUser))
	case IAMRole:
		return has(account) && has(exact(IAMRole))
	case AssumedRole:
		return has(account) && has(exact(IAMRole)) && has(exact(AssumedRole))
	case FederatedUser:
		return has(account) && has(exact(FederatedUser))
	}
	return false
}
