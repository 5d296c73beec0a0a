package policy

import (
	"fmt"
	"strings"
)

// Describe says what the statement denies, in words.
func (s *Statement) Describe() string {
	var b strings.Builder
	verb := "allows"
	if s.IsDeny() {
		verb = "denies"
	}
	fmt.Fprintf(&b, "%s %s %s on %s", verb, describePrincipal(s), describeActions(s), describeResources(s))
	if len(s.Conditions) > 0 {
		parts := make([]string, len(s.Conditions))
		for i, c := range s.Conditions {
			parts[i] = describeCondition(c)
		}
		b.WriteString(" ")
		b.WriteString(strings.Join(parts, ", and "))
	}
	return b.String()
}

// DescribePrincipal says briefly whom the statement applies to:
// "everyone", "everyone except arn:aws:iam::1:role/Admin".
func (s *Statement) DescribePrincipal() string {
	if s.NotPrincipal {
		return "everyone except " + principalNames(s)
	}
	return principalNames(s)
}

func describePrincipal(s *Statement) string {
	who := principalNames(s)
	if s.NotPrincipal {
		var roles []string
		for _, v := range s.Principal.Values["AWS"] {
			if c, err := ParseCaller(v); err == nil && c.Kind == IAMRole {
				roles = append(roles, c.Name)
			}
		}
		if len(roles) > 0 {
			// AWS matches NotPrincipal against the session making the
			// request (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION), so a
			// role's ARN alone does not except its sessions ("AWS JSON
			// policy elements: NotPrincipal").
			return "everyone except " + who + " (the sessions of role " + JoinList(roles, 3) + " are not excepted: NotPrincipal would have to name their assumed-role ARNs)"
		}
		return "everyone except " + who
	}
	return who
}

// principalNames lists the Principal or NotPrincipal element's values.
func principalNames(s *Statement) string {
	var who string
	switch {
	case s.Principal.Wildcard:
		who = "everyone"
	default:
		var names []string
		for _, t := range PrincipalTypes {
			for _, v := range s.Principal.Values[t] {
				if t == "AWS" && v == "*" {
					names = append(names, "every AWS principal")
				} else {
					names = append(names, v)
				}
			}
		}
		who = JoinList(names, 3)
	}
	return who
}

func describeActions(s *Statement) string {
	list := JoinList(s.Actions, 3)
	if s.NotAction {
		return "every action except " + list
	}
	return list
}

func describeResources(s *Statement) string {
	var names []string
	buckets := map[string]bool{}
	for _, r := range s.Resources {
		if strings.HasPrefix(r, "arn:") && !strings.ContainsAny(r, "/*?") {
			buckets[r] = true
		}
	}
	for _, r := range s.Resources {
		body, all := strings.CutSuffix(r, "/*")
		bucketARN, prefix, hasSlash := strings.Cut(body, "/")
		switch {
		case r == "*":
			names = append(names, "every resource")
		case strings.HasPrefix(r, "arn:") && all && !strings.ContainsAny(body, "*?") && !hasSlash && buckets[bucketARN]:
			names = append(names, "its objects")
		case strings.HasPrefix(r, "arn:") && all && !strings.ContainsAny(body, "*?") && !hasSlash:
			names = append(names, "the objects of "+bucketARN[strings.LastIndexByte(bucketARN, ':')+1:])
		case strings.HasPrefix(r, "arn:") && all && !strings.ContainsAny(body, "*?$"):
			// A prefix: the objects under it, in the policy's own words.
			names = append(names, "the objects of "+bucketARN[strings.LastIndexByte(bucketARN, ':')+1:]+" under "+prefix+"/")
		case strings.HasPrefix(r, "arn:") && !strings.ContainsAny(r, "/*?"):
			names = append(names, "the bucket "+r[strings.LastIndexByte(r, ':')+1:])
		default:
			names = append(names, r)
		}
	}
	list := JoinList(names, 3)
	if s.NotResource {
		return "every resource except " + list
	}
	return list
}

func JoinList(items []string, max int) string {
	if len(items) > max {
		return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func describeCondition(c Condition) string {
	op := c.Op
	vals := JoinValues(c.Values, op.Negated)
	var verb string
	switch op.Base {
	case "StringEquals", "StringNotEquals", "NumericEquals", "NumericNotEquals", "DateEquals", "DateNotEquals", "BinaryEquals":
		verb = "is " + vals
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		verb = "is " + vals + " (ignoring case)"
	case "StringLike", "StringNotLike":
		verb = "matches " + vals
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		verb = "matches the ARN " + vals
	case "IpAddress", "NotIpAddress":
		verb = "is in " + vals
	case "Bool":
		verb = "is " + vals
	case "NumericLessThan":
		verb = "is below " + vals
	case "DateLessThan":
		verb = "is before " + vals
	case "NumericLessThanEquals":
		verb = "is at most " + vals
	case "DateLessThanEquals":
		verb = "is at or before " + vals
	case "NumericGreaterThan":
		verb = "is above " + vals
	case "DateGreaterThan":
		verb = "is after " + vals
	case "NumericGreaterThanEquals":
		verb = "is at least " + vals
	case "DateGreaterThanEquals":
		verb = "is at or after " + vals
	case "Null":
		if strings.EqualFold(c.Values[0], "true") {
			return "when the request has no " + c.Key
		}
		return "when the request has " + c.Key
	default:
		verb = op.Base + " " + vals
	}
	subject := c.Key
	switch op.Set {
	case 1:
		// ForAllValues holds for a request without the key (no value
		// fails it): say so, since a Deny then applies exactly there.
		if op.Negated {
			return "when no value of " + c.Key + " " + verb + " (which holds too when the request has no " + c.Key + ")"
		}
		return "when every value of " + c.Key + " " + verb + " (which holds too when the request has no " + c.Key + ")"
	case 2:
		// ForAnyValue needs a value of the key that the operator accepts.
		if op.Negated {
			return "when some value of " + c.Key + " " + negateVerb(verb)
		}
		return "when some value of " + c.Key + " " + verb
	}
	if c.KeyLower == "aws:sourceip" && (op.Base == "IpAddress" || op.Base == "NotIpAddress") {
		if op.Negated {
			s := "unless the request comes from " + JoinValues(c.Values, true)
			if op.IfExists {
				s += " (or carries no source address)"
			}
			return s
		}
		return "when the request comes from " + JoinValues(c.Values, false)
	}
	if op.Negated {
		s := "unless " + subject + " " + verb
		if op.IfExists {
			s += " (a request without " + c.Key + " is covered too)"
		}
		return s
	}
	s := "when " + subject + " " + verb
	if op.IfExists {
		s += " or the request has no " + c.Key
	}
	return s
}

func JoinValues(vals []string, _ bool) string {
	if len(vals) == 1 {
		return vals[0]
	}
	if len(vals) > 4 {
		return strings.Join(vals[:3], ", ") + fmt.Sprintf(" or %d more", len(vals)-3)
	}
	return strings.Join(vals[:len(vals)-1], ", ") + " or " + vals[len(vals)-1]
}

// negateVerb turns "is X" into "is not X" and "matches X" into "does not
// match X".
func negateVerb(verb string) string {
	if rest, ok := strings.CutPrefix(verb, "is "); ok {
		return "is not " + rest
	}
	if rest, ok := strings.CutPrefix(verb, "matches "); ok {
		return "does not match " + rest
	}
	return "does not satisfy: " + verb
}
