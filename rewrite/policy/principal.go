package policy

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
		if isServiceName(s) {
			return Caller{Kind: ServicePrincipal, ARN: s, Service: s}, nil
		}
		return Caller{}, fmt.Errorf("%q is not a principal ARN (e.g. arn:aws:iam::111122223333:user/alice), a service principal or \"anonymous\"", s)
	}
	c, bad := parseARN(s)
	switch bad {
	case arnOK:
		return c, nil
	case arnParts:
		return Caller{}, fmt.Errorf("%q is not an ARN: it needs 6 colon-separated parts", s)
	case arnAccount:
		return Caller{}, fmt.Errorf("%q: %q is not a 12-digit account ID", s, c.Account)
	case arnIAMResource:
		return Caller{}, fmt.Errorf("%q: an IAM principal is root, user/NAME or role/NAME", s)
	case arnSession:
		return Caller{}, fmt.Errorf("%q: an assumed-role ARN is assumed-role/ROLE/SESSION", s)
	case arnSTSResource:
		return Caller{}, fmt.Errorf("%q: an STS principal is assumed-role/ROLE/SESSION or federated-user/NAME", s)
	case arnService:
		return Caller{}, fmt.Errorf("%q is not an IAM or STS principal ARN", s)
	default: // arnEmptyName
		return Caller{}, fmt.Errorf("%q: the principal name is empty", s)
	}
}

func isServiceName(s string) bool {
	return strings.Contains(s, ".") && !strings.ContainsAny(s, ":/ ")
}

// arnProblem says why parseARN refused an ARN.
type arnProblem uint8

const (
	arnOK arnProblem = iota
	arnParts
	arnAccount
	arnIAMResource
	arnSession
	arnSTSResource
	arnService
	arnEmptyName
)

// parseARN parses an IAM or STS principal ARN (s starts with "arn:") into a
// Caller without allocating: every field is a substring of s. It is on the
// hot path of evaluation, where policy principals are matched against every
// request.
func parseARN(s string) (Caller, arnProblem) {
	var col [5]int
	n := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			col[n] = i
			n++
		}
	}
	if n < 5 {
		return Caller{}, arnParts
	}
	c := Caller{ARN: s, Partition: s[col[0]+1 : col[1]], Account: s[col[3]+1 : col[4]]}
	service, res := s[col[1]+1:col[2]], s[col[4]+1:]
	if !IsAccountID(c.Account) {
		return c, arnAccount
	}
	switch service {
	case "iam":
		switch {
		case res == "root":
			c.Kind = AccountRoot
		case strings.HasPrefix(res, "user/"):
			c.Kind = IAMUser
			c.Path, c.Name = splitPath(res, len("user"))
		case strings.HasPrefix(res, "role/"):
			c.Kind = IAMRole
			c.Path, c.Name = splitPath(res, len("role"))
		default:
			return c, arnIAMResource
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			rest := res[len("assumed-role/"):]
			i := strings.IndexByte(rest, '/')
			if i <= 0 || i == len(rest)-1 {
				return c, arnSession
			}
			c.Kind, c.Name, c.Session = AssumedRole, rest[:i], rest[i+1:]
		case strings.HasPrefix(res, "federated-user/"):
			c.Kind, c.Name = FederatedUser, res[len("federated-user/"):]
		default:
			return c, arnSTSResource
		}
	default:
		return c, arnService
	}
	if c.Name == "" && c.Kind != AccountRoot {
		return c, arnEmptyName
	}
	return c, arnOK
}

// splitPath splits the resource "user/path/to/name" (the type is res[:slash],
// res[slash] == '/') into the path "/path/to/" and the name, without
// allocating.
func splitPath(res string, slash int) (path, name string) {
	i := strings.LastIndexByte(res, '/')
	if i == slash {
		return "/", res[i+1:]
	}
	return res[slash : i+1], res[i+1:]
}

func IsAccountID(s string) bool {
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

// PrincipalMatch says how a principal-element entry relates to a caller.
type PrincipalMatch uint8

const (
	MatchNone    PrincipalMatch = iota
	MatchAccount                // the entry names the caller's whole account
	MatchExact                  // the entry names the caller itself (user, role, session, "*")
)

// isUniqueIDOf reports whether a principal entry that is not an ARN (a
// unique ID such as AIDA... or AROA...: IAM stores principals this way and
// shows the ID once the identity is deleted) names the caller whose
// aws:userid is userID: a user's userid is its ID, a role session's is
// "ROLEID:SESSION".
func isUniqueIDOf(entry, userID string) bool {
	return userID != "" && (userID == entry || len(userID) > len(entry) && userID[len(entry)] == ':' && userID[:len(entry)] == entry)
}

// entryKind classifies an entry of a principal's "AWS" list.
type entryKind uint8

const (
	entInvalid  entryKind = iota // an ARN that names no IAM/STS principal: matches nothing
	entAny                       // "*"
	entAccount                   // a 12-digit account ID
	entUniqueID                  // AIDA..., AROA...
	entARN                       // an IAM or STS principal ARN
)

// awsEntry is a parsed entry of a principal's "AWS" list.
type awsEntry struct {
	kind entryKind
	raw  string
	arn  Caller // for entARN
}

// parseAWSEntry parses an "AWS" principal entry without allocating.
func parseAWSEntry(e string) awsEntry {
	switch {
	case e == "*":
		return awsEntry{kind: entAny, raw: e}
	case IsAccountID(e):
		return awsEntry{kind: entAccount, raw: e}
	case !strings.HasPrefix(e, "arn:"):
		return awsEntry{kind: entUniqueID, raw: e}
	}
	c, bad := parseARN(e)
	if bad != arnOK {
		return awsEntry{kind: entInvalid, raw: e}
	}
	return awsEntry{kind: entARN, raw: e, arn: c}
}

// match says how the entry, in a Principal element, relates to the caller.
// userID is the caller's aws:userid (used to match unique IDs).
func (e *awsEntry) match(c *Caller, userID string) PrincipalMatch {
	switch e.kind {
	case entAny:
		if c.Authenticated() || c.Kind == Anonymous {
			return MatchExact
		}
		return MatchNone
	case entAccount:
		if c.Authenticated() && c.Account == e.raw {
			return MatchAccount
		}
		return MatchNone
	case entUniqueID:
		if isUniqueIDOf(e.raw, userID) {
			return MatchExact
		}
		return MatchNone
	case entInvalid:
		return MatchNone
	}
	p := &e.arn
	if !c.Authenticated() || p.Account != c.Account || p.Partition != c.Partition {
		return MatchNone
	}
	switch p.Kind {
	case AccountRoot:
		return MatchAccount
	case IAMUser:
		if c.Kind == IAMUser && c.Name == p.Name && c.Path == p.Path {
			return MatchExact
		}
	case IAMRole:
		// A role ARN matches the role and every session of it. The session
		// ARN carries no path; role names are unique in an account.
		if (c.Kind == IAMRole || c.Kind == AssumedRole) && c.Name == p.Name {
			if c.Kind == IAMRole && c.Path != p.Path {
				return MatchNone
			}
			return MatchExact
		}
	case AssumedRole:
		if c.Kind == AssumedRole && c.Name == p.Name && c.Session == p.Session {
			return MatchExact
		}
	case FederatedUser:
		if c.Kind == FederatedUser && c.Name == p.Name {
			return MatchExact
		}
	}
	return MatchNone
}

// matchAWSEntry matches one entry of a Principal's "AWS" list. userID is the
// caller's aws:userid (used to match unique IDs such as AROA...).
func matchAWSEntry(entry string, c *Caller, userID string) PrincipalMatch {
	e := parseAWSEntry(entry)
	return e.match(c, userID)
}

// matchOtherTypes matches the Service, CanonicalUser and Federated entries
// of a Principal element.
func matchOtherTypes(service, canonical, federated []string, c *Caller) bool {
	switch c.Kind {
	case ServicePrincipal:
		for _, e := range service {
			if c.Service == e {
				return true
			}
		}
	case CanonicalUser:
		for _, e := range canonical {
			if strings.EqualFold(c.Canonical, e) {
				return true
			}
		}
	}
	for _, e := range federated {
		if c.ARN == e {
			return true
		}
	}
	return false
}

// principalMatches returns the strongest match of a Principal element.
func principalMatches(pr *Principal, c *Caller, userID string) PrincipalMatch {
	if pr.Wildcard {
		return MatchExact
	}
	best := MatchNone
	for _, s := range pr.Values["AWS"] {
		if m := matchAWSEntry(s, c, userID); m > best {
			if m == MatchExact {
				return m
			}
			best = m
		}
	}
	if matchOtherTypes(pr.Values["Service"], pr.Values["CanonicalUser"], pr.Values["Federated"], c) {
		return MatchExact
	}
	return best
}

// npStage is one level at which AWS evaluates a caller against NotPrincipal.
type npStage uint8

const (
	npAccount   npStage = iota // the caller's account (ID or arn:...:root)
	npUser                     // the IAM user
	npRole                     // the role (of a session, or a role caller)
	npSession                  // the assumed-role session
	npFederated                // the federated user
)

// listedAt reports whether the entry, in a NotPrincipal element, names the
// caller at the given level.
func (e *awsEntry) listedAt(st npStage, c *Caller, userID string) bool {
	switch e.kind {
	case entAny:
		return true // every AWS principal, at every level
	case entAccount:
		return st == npAccount && e.raw == c.Account
	case entUniqueID:
		// A unique ID stands for the user or the role it was stored for; it
		// does not name a session (nor an account).
		return (st == npUser || st == npRole) && isUniqueIDOf(e.raw, userID)
	case entInvalid:
		return false
	}
	p := &e.arn
	if p.Account != c.Account || p.Partition != c.Partition {
		return false
	}
	switch st {
	case npAccount:
		return p.Kind == AccountRoot
	case npUser:
		return p.Kind == IAMUser && p.Name == c.Name && p.Path == c.Path
	case npRole:
		return p.Kind == IAMRole && p.Name == c.Name && (c.Kind != IAMRole || p.Path == c.Path)
	case npSession:
		return p.Kind == AssumedRole && p.Name == c.Name && p.Session == c.Session
	case npFederated:
		return p.Kind == FederatedUser && p.Name == c.Name
	}
	return false
}

// npListed reports whether a NotPrincipal "AWS" list names the caller at
// the given level.
func npListed(list []string, st npStage, c *Caller, userID string) bool {
	for _, s := range list {
		e := parseAWSEntry(s)
		if e.listedAt(st, c, userID) {
			return true
		}
	}
	return false
}

// npExcludes is the staged evaluation of NotPrincipal (IAM User Guide, "AWS
// JSON policy elements: NotPrincipal"). AWS evaluates a caller at each level it belongs
// to, the account, then the user or the role, then the session, and the
// statement applies unless every level is listed: a session is excluded only
// when its account, its role and the session ARN itself are all listed; a
// user when the account and the user are. iam-simulate differs: it lets a
// role ARN alone exclude the role's sessions. "*" in the "AWS" list names
// every AWS principal at every level, and anonymous callers, as {"AWS": "*"}
// does in Principal. Service and canonical-user callers are excluded when
// listed under Service or CanonicalUser.
func npExcludes(c *Caller, listed func(npStage) bool, anyAWS bool, service, canonical []string) bool {
	switch c.Kind {
	case Anonymous:
		return anyAWS
	case ServicePrincipal, CanonicalUser:
		return matchOtherTypes(service, canonical, nil, c)
	}
	if !listed(npAccount) {
		return false
	}
	switch c.Kind {
	case AccountRoot:
		return true
	case IAMUser:
		return listed(npUser)
	case IAMRole:
		return listed(npRole)
	case AssumedRole:
		return listed(npRole) && listed(npSession)
	case FederatedUser:
		return listed(npFederated)
	}
	return false
}

// notPrincipalExcludes reports whether a NotPrincipal element excludes the
// caller (see npExcludes).
func notPrincipalExcludes(pr *Principal, c *Caller, userID string) bool {
	if pr.Wildcard {
		return true
	}
	list := pr.Values["AWS"]
	anyAWS := false
	for _, e := range list {
		if e == "*" {
			anyAWS = true
		}
	}
	return npExcludes(c, func(st npStage) bool { return npListed(list, st, c, userID) }, anyAWS, pr.Values["Service"], pr.Values["CanonicalUser"])
}

// compiledPrincipal is a Principal or NotPrincipal element parsed once.
type compiledPrincipal struct {
	not                           bool
	wildcard                      bool
	anyAWS                        bool
	aws                           []awsEntry
	service, canonical, federated []string
}

func compilePrincipal(pr *Principal, not bool) compiledPrincipal {
	cp := compiledPrincipal{not: not, wildcard: pr.Wildcard,
		service: pr.Values["Service"], canonical: pr.Values["CanonicalUser"], federated: pr.Values["Federated"]}
	for _, s := range pr.Values["AWS"] {
		e := parseAWSEntry(s)
		cp.anyAWS = cp.anyAWS || e.kind == entAny
		cp.aws = append(cp.aws, e)
	}
	return cp
}

// match is Statement.PrincipalMatch for the compiled element.
func (cp *compiledPrincipal) match(c *Caller, userID string) PrincipalMatch {
	if cp.not {
		if cp.wildcard || npExcludes(c, func(st npStage) bool { return cp.listed(st, c, userID) }, cp.anyAWS, cp.service, cp.canonical) {
			return MatchNone
		}
		return MatchExact
	}
	if cp.wildcard {
		return MatchExact
	}
	best := MatchNone
	for i := range cp.aws {
		if m := cp.aws[i].match(c, userID); m > best {
			if m == MatchExact {
				return m
			}
			best = m
		}
	}
	if matchOtherTypes(cp.service, cp.canonical, cp.federated, c) {
		return MatchExact
	}
	return best
}

func (cp *compiledPrincipal) listed(st npStage, c *Caller, userID string) bool {
	for i := range cp.aws {
		if cp.aws[i].listedAt(st, c, userID) {
			return true
		}
	}
	return false
}
