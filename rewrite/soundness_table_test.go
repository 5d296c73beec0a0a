package rewrite

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
)

var soundMutations = []soundMutation{
	{"resource-widen", func(r *rand.Rand, p jmap) bool {
		return mutateResources(r, p, func(l []string, i int) ([]string, bool) {
			if l[i] == "*" {
				return nil, false
			}
			if r.IntN(2) == 0 {
				return replaced(l, i, "*"), true
			}
			b, _ := splitS3(l[i])
			if b == "" {
				return nil, false
			}
			return replaced(l, i, "arn:aws:s3:::"+b+"*"), true
		})
	}},
	{"resource-narrow", func(r *rand.Rand, p jmap) bool {
		bucket := bucketOf(p)
		return mutateResources(r, p, func(l []string, i int) ([]string, bool) {
			switch {
			case len(l) > 1 && r.IntN(2) == 0:
				return removed(l, i), true
			case l[i] == "*":
				return replaced(l, i, "arn:aws:s3:::"+bucket+"/*"), true
			case strings.HasSuffix(l[i], "/*"):
				return replaced(l, i, strings.TrimSuffix(l[i], "*")+"some/*"), true
			case !strings.Contains(l[i], "/"):
				return replaced(l, i, l[i]+"/some/key"), true
			}
			return nil, false
		})
	}},
	{"resource-bucket-object", func(r *rand.Rand, p jmap) bool {
		return mutateResources(r, p, func(l []string, i int) ([]string, bool) {
			v := l[i]
			var w string
			switch {
			case strings.HasSuffix(v, "/*"):
				w = strings.TrimSuffix(v, "/*")
			case strings.HasPrefix(v, "arn:aws:s3:::") && !strings.Contains(v, "/"):
				w = v + "/*"
			default:
				return nil, false
			}
			if r.IntN(3) == 0 {
				return append(append([]string{}, l...), w), true
			}
			return replaced(l, i, w), true
		})
	}},
	{"action-wildcard", func(r *rand.Rand, p jmap) bool {
		return mutateActions(r, p, func(l []string, i int) ([]string, bool) {
			v := l[i]
			var cands []string
			switch {
			case v == "*" || strings.EqualFold(v, "s3:*"):
				cands = []string{"s3:Get*", "s3:GetObject", "s3:List*", "s3:Put*"}
			case strings.HasSuffix(v, "*"):
				cands = []string{"s3:*", "s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:Get?bject"}
			default:
				cands = []string{"s3:*", "s3:Get*", "s3:PutObject", "s3:DeleteObject", "s3:GetBucketLocation", "*"}
				// its own prefix, e.g. s3:GetObjectAcl -> s3:GetObject*
				if len(v) > 6 {
					cands = append(cands, v[:len(v)-3]+"*")
				}
			}
			w := cands[r.IntN(len(cands))]
			if strings.EqualFold(w, v) {
				return nil, false
			}
			switch r.IntN(4) {
			case 0:
				return append(append([]string{}, l...), w), true
			case 1:
				if len(l) > 1 {
					return removed(l, i), true
				}
			}
			return replaced(l, i, w), true
		})
	}},
	{"action-notaction", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		switch k := elemKey(st, "Action", "NotAction"); k {
		case "Action":
			st["NotAction"] = st[k]
		case "NotAction":
			st["Action"] = st[k]
		default:
			return false
		}
		delete(st, elemKey(st, "Action", "NotAction"))
		return true
	}},
	{"principal-star", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		k := elemKey(st, "Principal", "NotPrincipal")
		if k == "" {
			return false
		}
		if s, ok := st[k].(string); ok && s == "*" {
			cands := principalPool[:len(principalPool)-1]
			st[k] = jmap{"AWS": cands[r.IntN(len(cands))]}
			return true
		}
		if r.IntN(2) == 0 {
			st[k] = "*"
		} else {
			st[k] = jmap{"AWS": "*"}
		}
		return true
	}},
	{"principal-entry", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		k := elemKey(st, "Principal", "NotPrincipal")
		m, ok := st[k].(jmap)
		if !ok {
			return false
		}
		list := strs(m["AWS"])
		if len(list) > 1 && r.IntN(2) == 0 {
			setStrs(m, "AWS", removed(list, r.IntN(len(list))))
			return true
		}
		e := principalPool[r.IntN(len(principalPool))]
		for _, x := range list {
			if x == e {
				return false
			}
		}
		setStrs(m, "AWS", append(list, e))
		return true
	}},
	{"notprincipal-toggle", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		switch k := elemKey(st, "Principal", "NotPrincipal"); k {
		case "Principal":
			st["NotPrincipal"] = st[k]
			delete(st, k)
		case "NotPrincipal":
			st["Principal"] = st[k]
			delete(st, k)
		default:
			return false
		}
		return true
	}},
	{"condition-operator", func(r *rand.Rand, p jmap) bool {
		st, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		set, base, ifx := splitOp(ce.op)
		nb := opNeighbours[base]
		if len(nb) == 0 {
			return false
		}
		nbase := nb[r.IntN(len(nb))]
		if nbase == "Null" {
			set, ifx = "", false
		}
		moveCond(st, ce, joinOp(set, nbase, ifx))
		return true
	}},
	{"condition-ifexists", func(r *rand.Rand, p jmap) bool {
		st, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		set, base, ifx := splitOp(ce.op)
		if base == "Null" {
			return false
		}
		moveCond(st, ce, joinOp(set, base, !ifx))
		return true
	}},
	{"condition-set", func(r *rand.Rand, p jmap) bool {
		st, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		set, base, ifx := splitOp(ce.op)
		if base == "Null" {
			return false
		}
		sets := []string{"", "ForAnyValue:", "ForAllValues:"}
		var cands []string
		for _, s := range sets {
			if !strings.EqualFold(s, set) {
				cands = append(cands, s)
			}
		}
		moveCond(st, ce, joinOp(cands[r.IntN(len(cands))], base, ifx))
		return true
	}},
	{"condition-value-add", func(r *rand.Rand, p jmap) bool {
		_, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		vals := strs(ce.block[ce.key])
		_, base, _ := splitOp(ce.op)
		var w string
		v := ""
		if len(vals) > 0 {
			v = vals[r.IntN(len(vals))]
		}
		switch {
		case strings.HasPrefix(base, "Numeric"):
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return false
			}
			w = strconv.FormatFloat(n+float64(1+r.IntN(50)), 'f', -1, 64)
		case strings.HasPrefix(base, "Date"):
			w = []string{"2025-03-01T00:00:00Z", "2019-12-31T23:59:59Z", "1700000000"}[r.IntN(3)]
		case strings.Contains(base, "IpAddress"):
			w = []string{"198.51.100.0/24", "192.0.2.128/25", "10.0.0.0/8", "2001:db8::/32", "2001:db8:1234:5678::/64", "203.0.113.7"}[r.IntN(6)]
		case base == "Bool" || base == "Null":
			return false
		default:
			cands := []string{v + "x", strings.ToUpper(v), v + "*", "vpce-1111aaaa", "o-abc123", "AROAEXAMPLEROLEID0001:*", "arn:aws:iam::" + soundOwner + ":role/app-role", soundOther, "env"}
			w = cands[r.IntN(len(cands))]
		}
		for _, x := range vals {
			if x == w {
				return false
			}
		}
		setStrs(ce.block, ce.key, append(vals, w))
		return true
	}},
	{"condition-value-remove", func(r *rand.Rand, p jmap) bool {
		st, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		vals := strs(ce.block[ce.key])
		if len(vals) > 1 {
			setStrs(ce.block, ce.key, removed(vals, r.IntN(len(vals))))
		} else {
			removeCond(st, ce)
		}
		return true
	}},
	{"condition-add", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		if st == nil {
			return false
		}
		pool := []struct{ op, key, val string }{
			{"StringNotEquals", "aws:SourceVpce", "vpce-1111aaaa"},
			{"NotIpAddress", "aws:SourceIp", "192.0.2.0/24"},
			{"Bool", "aws:SecureTransport", "false"},
			{"StringNotLike", "aws:userid", "AROAEXAMPLEROLEID0001:*"},
			{"StringEquals", "aws:PrincipalAccount", soundOwner},
			{"ArnLike", "aws:PrincipalArn", "arn:aws:iam::" + soundOwner + ":role/app-*"},
			{"ForAnyValue:StringEquals", "aws:TagKeys", "env"},
			{"Null", "aws:SourceVpc", "false"},
			{"StringEquals", "aws:PrincipalOrgID", "o-abc123"},
			{"NumericLessThan", "s3:max-keys", "10"},
			{"StringEquals", "aws:username", "alice"},
			{"StringLike", "s3:prefix", "home/${aws:username}/*"},
		}
		c := pool[r.IntN(len(pool))]
		cm, _ := st["Condition"].(jmap)
		if cm == nil {
			cm = jmap{}
			st["Condition"] = cm
		}
		blk, _ := cm[c.op].(jmap)
		if blk == nil {
			blk = jmap{}
			cm[c.op] = blk
		}
		if _, dup := blk[c.key]; dup {
			return false
		}
		blk[c.key] = c.val
		return true
	}},
	{"cidr-split-merge", func(r *rand.Rand, p jmap) bool {
		_, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		vals := strs(ce.block[ce.key])
		var idx []int
		for i, v := range vals {
			if _, err := netip.ParsePrefix(v); err == nil {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return false
		}
		i := idx[r.IntN(len(idx))]
		pf := netip.MustParsePrefix(vals[i]).Masked()
		if r.IntN(2) == 0 && pf.Bits() < pf.Addr().BitLen() {
			lo := netip.PrefixFrom(pf.Addr(), pf.Bits()+1)
			hi := netip.PrefixFrom(lastAddr(lo).Next(), pf.Bits()+1)
			out := replaced(vals, i, lo.String())
			setStrs(ce.block, ce.key, append(out, hi.String()))
			return true
		}
		if pf.Bits() == 0 {
			return false
		}
		parent, _ := pf.Addr().Prefix(pf.Bits() - 1)
		// Merge with the sibling if listed, else widen to the parent.
		out := []string{}
		for j, v := range vals {
			if j == i {
				continue
			}
			if q, err := netip.ParsePrefix(v); err == nil && q.Masked().Bits() == pf.Bits() && parent.Contains(q.Addr()) {
				continue
			}
			out = append(out, v)
		}
		setStrs(ce.block, ce.key, append(out, parent.String()))
		return true
	}},
	{"policy-variable", func(r *rand.Rand, p jmap) bool {
		v := varRefs[r.IntN(len(varRefs))]
		if r.IntN(2) == 0 {
			return mutateResources(r, p, func(l []string, i int) ([]string, bool) {
				b, _ := splitS3(l[i])
				if b == "" || strings.Contains(b, "$") {
					return nil, false
				}
				return replaced(l, i, "arn:aws:s3:::"+b+"/home/"+v+"/*"), true
			})
		}
		_, ce, ok := pickCond(r, p)
		if !ok {
			return false
		}
		_, base, _ := splitOp(ce.op)
		if !strings.HasPrefix(base, "String") && !strings.HasPrefix(base, "Arn") {
			return false
		}
		vals := strs(ce.block[ce.key])
		i := r.IntN(len(vals))
		w := vals[i]
		if j := strings.LastIndexAny(w, "/:"); j >= 0 && r.IntN(2) == 0 {
			w = w[:j+1] + v
		} else {
			w = v
		}
		setStrs(ce.block, ce.key, replaced(vals, i, w))
		return true
	}},
	{"effect-flip", func(r *rand.Rand, p jmap) bool {
		st := pickStmt(r, p)
		if st == nil {
			return false
		}
		if st["Effect"] == "Deny" {
			st["Effect"] = "Allow"
		} else {
			st["Effect"] = "Deny"
		}
		return true
	}},
	{"statement-dup-remove", func(r *rand.Rand, p jmap) bool {
		ss := statements(p)
		if len(ss) == 0 {
			return false
		}
		i := r.IntN(len(ss))
		if len(ss) > 1 && r.IntN(2) == 0 {
			p["Statement"] = append(append([]any{}, ss[:i]...), ss[i+1:]...)
			return true
		}
		dup := cloneJSON(ss[i]).(jmap)
		if sid, ok := dup["Sid"].(string); ok {
			dup["Sid"] = sid + "Copy"
		}
		p["Statement"] = append(append([]any{}, ss...), dup)
		return true
	}},
	{"version-toggle", func(r *rand.Rand, p jmap) bool {
		if p["Version"] == Version2008 {
			p["Version"] = Version2012
		} else {
			p["Version"] = Version2008
		}
		return true
	}},
}
