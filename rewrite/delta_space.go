package rewrite

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fixpolicy/fixpolicy/rewrite/internal/cond"
	"github.com/fixpolicy/fixpolicy/rewrite/internal/s3actions"
	"github.com/fixpolicy/fixpolicy/rewrite/policy"
)

// deltaSpace enumerates the classes of requests the statements tell apart.
func deltaSpace(opt DeltaOptions, stmts, all []*Statement) *space {
	owner := opt.Owner
	if owner == "" && opt.Facts != nil {
		owner = opt.Facts.AccountID
	}
	if owner == "" {
		owner = "123456789012"
	}
	f := Facts{AccountID: owner, RoleName: DefaultRoleName, RoleID: "AROAFIXPOLICYUNKNOWN0"}
	if opt.Facts != nil {
		f = *opt.Facts
	}
	callers := deltaCallers(opt, f, owner, all)
	actions := deltaActions(stmts, opt.CatalogueOnly)
	for _, a := range opt.Actions {
		actions = appendUnique(actions, a)
	}
	resources := deltaResources(all, f, callers)
	for _, r := range opt.Resources {
		resources = appendUnique(resources, r)
	}
	if opt.Facts != nil && f.Bucket != "" {
		// A bucket policy is only ever evaluated for requests on its own
		// bucket and its objects.
		var own []string
		for _, r := range resources {
			if b, _ := splitS3(r); b == f.Bucket {
				own = append(own, r)
			}
		}
		resources = own
	}
	byKind := map[int][]string{}
	return &space{
		patterns:  resourcePatterns(all),
		catalogue: s3actions.Names(),
		callers:   callers,
		actions:   actions,
		resources: func(action string) []string {
			// Asked for every action by every class description: keep the
			// answer per kind of action.
			b, o := resourceKinds(action)
			kind := 0
			if b {
				kind |= 1
			}
			if o {
				kind |= 2
			}
			if out, ok := byKind[kind]; ok {
				return out
			}
			var out []string
			for _, r := range resources {
				isObj := strings.Contains(strings.TrimPrefix(r, "arn:"), "/")
				if isObj && o || !isObj && b {
					out = append(out, r)
				}
			}
			byKind[kind] = out
			return out
		},
		known:  map[string][]string{},
		absent: map[string]bool{},
	}
}

// deltaCallers are the principals a delta tells apart: with Facts, the
// backup role's sessions and a re-created role of the same name; the
// owner's principals and those the statements single out; principals of
// the accounts the statements name and of one other account; anonymous
// callers; and the service and canonical-user principals named.
func deltaCallers(opt DeltaOptions, f Facts, owner string, all []*Statement) []callerCand {
	var callers []callerCand
	if opt.Facts != nil {
		callers = append(callers, f.backupCallers()...)
		recreated := f.backupCallers()[0]
		recreated.derived = cloneCtx(recreated.derived)
		recreated.derived["aws:userid"] = []string{"AROAFIXPOLICYRECREATE:" + recreated.c.Session}
		recreated.backup, recreated.recreated = false, true
		recreated.label = "a re-created " + f.roleName() + " role (new RoleId)"
		callers = append(callers, recreated)
	}
	pol := &Policy{Statements: all}
	callers = append(callers, f.accountCallers(pol)...)
	for i := range callers {
		if !callers[i].backup {
			callers[i].label = strings.Replace(callers[i].label, "the account", "account "+owner, 1)
		}
	}
	callers = append(callers, literalCallers(f, all)...)
	accounts := otherAccounts(opt, owner, all)
	for _, acct := range accounts {
		if acct == owner {
			continue
		}
		of := f
		of.AccountID = acct
		for _, cc := range of.accountCallers() {
			cc.account = false
			cc.label = strings.Replace(cc.label, "the account", "account "+acct, 1)
			callers = append(callers, cc)
		}
	}
	anon, _ := ParseCaller("anonymous")
	callers = append(callers, callerCand{c: anon, derived: map[string][]string{"aws:userid": {"anonymous"}, "aws:principaltype": {"Anonymous"}}, label: "anonymous callers"})
	services := []string{"fixpolicy-example.amazonaws.com"}
	for _, s := range all {
		services = append(services, s.Principal.Values["Service"]...)
	}
	sort.Strings(services)
	for i, svc := range services {
		if i > 0 && services[i-1] == svc {
			continue
		}
		c, err := ParseCaller(svc)
		if err != nil {
			continue
		}
		label := "the service " + svc
		if svc == "fixpolicy-example.amazonaws.com" {
			label = "other AWS service principals"
		}
		callers = append(callers, callerCand{c: c, derived: map[string][]string{}, label: label})
	}
	for _, s := range all {
		for _, cu := range s.Principal.Values["CanonicalUser"] {
			if c, err := ParseCaller(cu); err == nil {
				callers = append(callers, callerCand{c: c, derived: map[string][]string{}, label: "the canonical user " + cu})
			}
		}
	}

	return callers
}

// otherAccounts are the accounts whose principals a delta tries besides
// the owner's: one no policy names, those the statements' AWS principals
// name, and without an owner those the account condition keys name.
func otherAccounts(opt DeltaOptions, owner string, all []*Statement) []string {
	other := "999999999999"
	if other == owner {
		other = "111111111111"
	}
	accounts := []string{other}
	if opt.Owner == "" && opt.Facts == nil {
		// Without an owner, the account named in the policies may be it.
		for _, s := range all {
			for _, c := range s.Conditions {
				if c.KeyLower == "aws:principalaccount" || c.KeyLower == "aws:resourceaccount" {
					for _, v := range c.Values {
						if policy.IsAccountID(v) {
							accounts = appendUnique(accounts, v)
						}
					}
				}
			}
		}
	}
	for _, s := range all {
		for _, e := range s.Principal.Values["AWS"] {
			if policy.IsAccountID(e) {
				accounts = appendUnique(accounts, e)
			} else if c, err := ParseCaller(e); err == nil && c.Kind == AccountRoot {
				accounts = appendUnique(accounts, c.Account)
			}
		}
	}
	return accounts
}

func cloneCtx(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// literalCallers are principals that the statements' principal elements and
// principal-derived condition keys (aws:userid, aws:PrincipalArn,
// aws:username, aws:PrincipalAccount) single out.
func literalCallers(f Facts, stmts []*Statement) []callerCand {
	cs := &callerSet{f: f, seen: map[string]bool{}}
	byKey := map[string][]cond.KeyCond{}
	for _, s := range stmts {
		for _, e := range s.Principal.Values["AWS"] {
			cs.principal(e)
		}
		for _, c := range s.Conditions {
			if isDerived(c.KeyLower) && c.KeyLower != "aws:principaltype" {
				byKey[c.KeyLower] = append(byKey[c.KeyLower], cond.KeyCond{Op: c.Op, Values: c.Values})
			}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, w := range witnessesCached(byKey[k]) {
			switch k {
			case "aws:userid":
				cs.userID(w)
			case "aws:principalarn":
				cs.principalARN(w)
			case "aws:username":
				cs.add(cs.user(f.AccountID, w, "AIDAFIXPOLICYUSER"+fmt.Sprint(len(cs.out)), "the user named "+w))
			case "aws:principalaccount":
				if policy.IsAccountID(w) {
					cs.add(cs.user(w, "fixpolicy-user", "AIDAFIXPOLICYACCT"+w, "an IAM user of account "+w))
				}
			}
		}
	}
	return cs.out
}

// callerSet collects literalCallers' principals without repeats.
type callerSet struct {
	f    Facts
	out  []callerCand
	seen map[string]bool
}

func (cs *callerSet) add(cc callerCand) {
	if cc.c.ARN == "" {
		return // a name no principal can have (empty, say)
	}
	k := cc.c.ARN + "|" + strings.Join(cc.derived["aws:userid"], ",") + "|" + strings.Join(cc.derived["aws:principalarn"], ",")
	if !cs.seen[k] {
		cs.seen[k] = true
		cs.out = append(cs.out, cc)
	}
}

// session is a session of the role, with its derived keys.
func (cs *callerSet) session(acct, role, roleARN, userid, label string) callerCand {
	c, _ := ParseCaller(fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/fixpolicy", acct, role))
	return callerCand{c: c, label: label, account: acct == cs.f.AccountID, derived: map[string][]string{
		"aws:userid": {userid}, "aws:principalarn": {roleARN}, "aws:principalaccount": {acct}, "aws:principaltype": {"AssumedRole"}}}
}

// user is the IAM user, with its derived keys.
func (cs *callerSet) user(acct, name, userid, label string) callerCand {
	arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", acct, name)
	c, _ := ParseCaller(arn)
	return callerCand{c: c, label: label, account: acct == cs.f.AccountID, derived: map[string][]string{
		"aws:userid": {userid}, "aws:principalarn": {arn}, "aws:principalaccount": {acct}, "aws:username": {name}, "aws:principaltype": {"User"}}}
}

// principal adds the caller a Principal element's AWS entry names.
func (cs *callerSet) principal(e string) {
	f := cs.f
	c, err := ParseCaller(e)
	if err != nil {
		if strings.HasPrefix(e, "AROA") {
			cs.add(cs.session(f.AccountID, "role-"+e, fmt.Sprintf("arn:aws:iam::%s:role/role-%s", f.AccountID, e), e+":fixpolicy", "sessions of the role with unique ID "+e))
		} else if strings.HasPrefix(e, "AIDA") {
			cs.add(cs.user(f.AccountID, "user-"+e, e, "the user with unique ID "+e))
		}
		return
	}
	switch c.Kind {
	case IAMUser:
		cs.add(cs.user(c.Account, strings.TrimPrefix(c.Path, "/")+c.Name, "AIDAFIXPOLICY"+strings.ToUpper(c.Name), "the user "+e))
	case IAMRole:
		cs.add(cs.session(c.Account, c.Name, e, "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":fixpolicy", "sessions of the role "+e))
	case AssumedRole:
		cc := cs.session(c.Account, c.Name, fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Account, c.Name), "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":"+c.Session, "the session "+e)
		cc.c = c
		cs.add(cc)
	}
}

// userID adds the caller whose aws:userid is w, when w has a known form.
func (cs *callerSet) userID(w string) {
	f := cs.f
	id, sess, ok := strings.Cut(w, ":")
	switch {
	case ok && id == f.RoleID:
		cc := cs.session(f.AccountID, f.roleName(), f.roleARN(), w, fmt.Sprintf("the backup role's sessions (aws:userid %s)", w))
		cc.backup = true
		cs.add(cc)
	case ok && strings.HasPrefix(id, "AROA"):
		cc := cs.session(f.AccountID, "role-"+id, fmt.Sprintf("arn:aws:iam::%s:role/role-%s", f.AccountID, id), w, fmt.Sprintf("sessions of the role with RoleId %s (aws:userid %s)", id, w))
		cc.class = "sessions of the role with RoleId " + id
		cs.add(cc)
	case !ok && strings.HasPrefix(w, "AIDA"):
		cs.add(cs.user(f.AccountID, "user-"+w, w, "the user with unique ID "+w))
	case !ok && policy.IsAccountID(w):
		// An account's root user has the account ID as its userid.
		c, _ := ParseCaller("arn:aws:iam::" + w + ":root")
		cs.add(callerCand{c: c, label: "account " + w + "'s root user", account: w == f.AccountID, derived: map[string][]string{
			"aws:userid": {w}, "aws:principalarn": {c.ARN}, "aws:principalaccount": {w}, "aws:principaltype": {"Account"}}})
	case ok && policy.IsAccountID(id) && sess != "" && !strings.ContainsAny(sess, "/:"):
		// A federated user's userid is "account:name" (IAM User
		// Guide, "Unique identifiers": GetFederationToken).
		arn := fmt.Sprintf("arn:aws:sts::%s:federated-user/%s", id, sess)
		c, err := ParseCaller(arn)
		if err != nil {
			return
		}
		cs.add(callerCand{c: c, label: "the federated user " + arn, account: id == f.AccountID, derived: map[string][]string{
			"aws:userid": {w}, "aws:principalarn": {arn}, "aws:principalaccount": {id}, "aws:principaltype": {"FederatedUser"}}})
	}
	// Other user IDs are the generic callers'.
}

// principalARN adds the caller whose aws:PrincipalArn is w.
func (cs *callerSet) principalARN(w string) {
	c, err := ParseCaller(w)
	if err != nil || !c.Authenticated() {
		return
	}
	switch c.Kind {
	case IAMRole:
		cc := cs.session(c.Account, c.Name, w, "AROAFIXPOLICY"+strings.ToUpper(c.Name)+":fixpolicy", "sessions of the role "+w)
		cc.class = cc.label
		// Another RoleId under the backup role's ARN: a re-created role.
		cc.recreated = w == cs.f.roleARN() && cs.f.RoleID != ""
		cs.add(cc)
	case IAMUser:
		cs.add(cs.user(c.Account, strings.TrimPrefix(c.Path, "/")+c.Name, "AIDAFIXPOLICY"+strings.ToUpper(c.Name), "the user "+w))
	}
}

// deltaActions are the actions to enumerate: the catalogue's S3 actions
// that the statements' patterns reach, the literal actions, and (unless
// catalogueOnly) instances of each wildcard that the catalogue does not
// know.
// catalogueMatches says which of the catalogue's actions the action pattern
// p matches, remembered per pattern: the gate asks it for every patched
// statement, and "s3:*" is in most of them.
func catalogueMatches(p string) []bool {
	if m, ok := actionMatchMemo.Load(p); ok {
		return m.([]bool)
	}
	cat := s3actions.Names()
	m := make([]bool, len(cat))
	for i := range cat {
		m[i] = cond.MatchAction(p, cat[i])
	}
	actionMatchMemo.Store(p, m)
	return m
}

// actionMatchMemo maps an action pattern to catalogueMatches' answer. The
// catalogue is fixed at build time, so answers never go stale; there are as
// many entries as distinct patterns the process has read.
var actionMatchMemo sync.Map

func deltaActions(stmts []*Statement, catalogueOnly bool) []string {
	var pats []string
	notAction := false
	for _, s := range stmts {
		pats = append(pats, s.Actions...)
		notAction = notAction || s.NotAction
	}
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	cat := s3actions.Names()
	hit := make([]bool, len(cat))
	for _, p := range pats {
		for i, m := range catalogueMatches(p) {
			hit[i] = hit[i] || m
		}
	}
	for i, q := range cat {
		if notAction || hit[i] {
			add(q)
		}
	}
	for _, p := range pats {
		if !strings.ContainsAny(p, "*?") {
			add(p)
		}
	}
	if !catalogueOnly {
		add("s3:FixpolicyUnlistedAction")
		for _, p := range pats {
			if p == "*" || !strings.HasPrefix(strings.ToLower(p), "s3:") {
				continue
			}
			inst := strings.NewReplacer("*", "FixpolicyUnlisted", "?", "X").Replace(p)
			add(inst)
		}
	}
	if len(out) == 0 {
		add("s3:GetObject")
	}
	return out
}

// deltaResources are the bucket and object ARNs that the statements'
// resource patterns tell apart: each bucket named and an object in it,
// another bucket and its object, and cond.Witnesses of the patterns (with
// each caller's values substituted for policy variables, so that a user's
// own folder under "home/${aws:username}/*" is among them) together with a
// pattern that holds exactly the object ARNs, so that every combination of
// patterns a bucket or an object can match has a representative of its kind.
func deltaResources(stmts []*Statement, f Facts, callers []callerCand) []string {
	var pats []string
	buckets := map[string]bool{}
	for _, s := range stmts {
		for _, r := range s.Resources {
			pats = appendUnique(pats, r)
			if strings.Contains(r, "${") {
				for i := range callers {
					if sub, ok := cond.SubstitutePattern(r, &EvalRequest{Ctx: callers[i].derived}); ok {
						pats = appendUnique(pats, string(sub))
					}
				}
			}
			const pre = "arn:aws:s3:::"
			if strings.HasPrefix(r, pre) {
				name := strings.SplitN(r[len(pre):], "/", 2)[0]
				if name != "" && !strings.ContainsAny(name, "*?$") {
					buckets[name] = true
				}
			}
		}
	}
	if f.Bucket != "" {
		buckets[f.Bucket] = true
	}
	buckets[otherBucket] = true
	var out []string
	names := make([]string, 0, len(buckets))
	for b := range buckets {
		names = append(names, b)
	}
	sort.Strings(names)
	for _, b := range names {
		out = appendUnique(out, "arn:aws:s3:::"+b)
		out = appendUnique(out, "arn:aws:s3:::"+b+"/fixpolicy/object-key")
	}
	if len(pats) > 0 {
		for _, w := range resourceWitnesses(pats) {
			if strings.HasPrefix(w, "arn:aws:s3:::") && len(w) > len("arn:aws:s3:::") && !strings.HasPrefix(w, "arn:aws:s3:::/") {
				out = appendUnique(out, w)
			}
		}
	}
	return out
}

// resourceWitnesses are resources that tell apart every combination of the
// patterns, of each kind (bucket and object). Patterns whose only wildcard
// is a final '*' take exactWitnesses, and each witness also as an object
// (it followed by "/" and a character no pattern uses: no pattern reaches
// further, so the object matches what the witness matches); others take
// cond.Witnesses with a pattern for "an object" among them.
func resourceWitnesses(pats []string) []string {
	like := mustOp("StringLike")
	var kcs []cond.KeyCond
	for _, p := range pats {
		kcs = append(kcs, cond.KeyCond{Op: like, Values: []string{p}})
	}
	if ws, ok := exactWitnesses(kcs); ok {
		fresh := ws[len(ws)-1]
		out := append([]string{}, ws...)
		for _, w := range ws {
			if strings.HasSuffix(w, fresh) {
				out = append(out, w+"/"+fresh)
			}
		}
		return out
	}
	kcs = append(kcs, cond.KeyCond{Op: like, Values: []string{"arn:aws:s3:::*/*"}})
	return witnessesCached(kcs)
}
