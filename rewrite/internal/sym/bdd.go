package sym

import "math/big"

// The kernel: reduced ordered binary decision diagrams (Bryant 1986), with
// one table of unique nodes and a direct-mapped cache of operation results,
// as in BuDDy (Space.hits answers the quantified questions by walking a
// diagram instead of building one). A Space answers one question and is then dropped, so nodes
// are never freed: there is no reference counting and no garbage collector
// racing with the operations, and the node bound (maxNodes) keeps memory
// finite.

// node is a decision on one variable level: lo when the bit is 0, hi when 1.
// Nodes 0 and 1 are the terminals false and true.
type node struct {
	level  int32
	lo, hi int32
}

const (
	falseNode int32 = 0
	trueNode  int32 = 1
)

type kernel struct {
	nodes []node
	// unique is an open-addressing hash table of node indices (0: empty
	// slot; the terminals are never in it), at most half full. A Go map
	// pre-sized for large questions cost small ones more than their
	// answer.
	unique []int32
	cache  []cacheEntry
	levels int32 // number of variable levels; the terminals' level
	full   bool  // the node bound was reached
}

type cacheEntry struct {
	op   int32
	a, b int32
	res  int32
}

const (
	opNone int32 = iota
	opAnd
	opOr
	opDiff // a and not b
)

func newKernel(levels, cacheSize int) *kernel {
	k := &kernel{levels: int32(levels), unique: make([]int32, 1024), cache: make([]cacheEntry, cacheSize)}
	k.nodes = append(k.nodes, node{level: int32(levels)}, node{level: int32(levels)})
	return k
}

func (k *kernel) level(n int32) int32 { return k.nodes[n].level }

// mk returns the node for (level, lo, hi), reduced and shared.
func (k *kernel) mk(level, lo, hi int32) int32 {
	if lo == hi {
		return lo
	}
	key := node{level, lo, hi}
	mask := uint32(len(k.unique) - 1)
	h := hashNode(key) & mask
	for {
		n := k.unique[h]
		if n == 0 {
			break
		}
		if k.nodes[n] == key {
			return n
		}
		h = (h + 1) & mask
	}
	if len(k.nodes) >= maxNodes {
		k.full = true
		return falseNode
	}
	n := int32(len(k.nodes))
	k.nodes = append(k.nodes, key)
	k.unique[h] = n
	if 2*len(k.nodes) > len(k.unique) {
		k.growUnique()
	}
	return n
}

func hashNode(x node) uint32 {
	return uint32(x.level)*2654435761 ^ uint32(x.lo)*2246822519 ^ uint32(x.hi)*3266489917
}

// growUnique doubles the unique table and reinserts every node.
func (k *kernel) growUnique() {
	k.unique = make([]int32, 2*len(k.unique))
	mask := uint32(len(k.unique) - 1)
	for n := 2; n < len(k.nodes); n++ {
		h := hashNode(k.nodes[n]) & mask
		for k.unique[h] != 0 {
			h = (h + 1) & mask
		}
		k.unique[h] = int32(n)
	}
}

func (k *kernel) cofactors(n, level int32) (int32, int32) {
	if k.nodes[n].level != level {
		return n, n
	}
	return k.nodes[n].lo, k.nodes[n].hi
}

func (k *kernel) apply(op, a, b int32) int32 {
	switch op {
	case opAnd:
		switch {
		case a == falseNode || b == falseNode:
			return falseNode
		case a == trueNode || a == b:
			return b
		case b == trueNode:
			return a
		}
		if a > b {
			a, b = b, a
		}
	case opOr:
		switch {
		case a == trueNode || b == trueNode:
			return trueNode
		case a == falseNode || a == b:
			return b
		case b == falseNode:
			return a
		}
		if a > b {
			a, b = b, a
		}
	case opDiff:
		switch {
		case a == falseNode || b == trueNode || a == b:
			return falseNode
		case b == falseNode:
			return a
		}
	}
	h := (uint32(a)*12582917 ^ uint32(b)*4256249 ^ uint32(op)*741457) % uint32(len(k.cache))
	if e := &k.cache[h]; e.op == op && e.a == a && e.b == b {
		return e.res
	}
	l := min(k.level(a), k.level(b))
	a0, a1 := k.cofactors(a, l)
	b0, b1 := k.cofactors(b, l)
	lo := k.apply(op, a0, b0)
	hi := k.apply(op, a1, b1)
	r := k.mk(l, lo, hi)
	k.cache[h] = cacheEntry{op: op, a: a, b: b, res: r}
	return r
}

// satcount is the number of assignments of every level in n.
func (k *kernel) satcount(n int32) *big.Int {
	memo := map[int32]*big.Int{}
	var count func(n int32) *big.Int // assignments of the levels from n's down
	count = func(n int32) *big.Int {
		switch n {
		case falseNode:
			return new(big.Int)
		case trueNode:
			return big.NewInt(1)
		}
		if c, ok := memo[n]; ok {
			return c
		}
		nd := k.nodes[n]
		lo := new(big.Int).Lsh(count(nd.lo), uint(k.level(nd.lo)-nd.level-1))
		hi := new(big.Int).Lsh(count(nd.hi), uint(k.level(nd.hi)-nd.level-1))
		c := lo.Add(lo, hi)
		memo[n] = c
		return c
	}
	return new(big.Int).Lsh(count(n), uint(k.level(n)))
}
