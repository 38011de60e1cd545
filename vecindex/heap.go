package vecindex

import "slices"

// heap keeps the best k matches seen: a min-heap whose root is the worst of
// them, so most rows cost one comparison.
type heap struct {
	k int
	m []Match
}

func newHeap(k int) heap { return heap{k: k, m: make([]Match, 0, k)} }

// worse reports whether a ranks below b: a lower score, or the same score
// and a higher row.
func worse(a, b Match) bool {
	return a.Score < b.Score || a.Score == b.Score && a.Row > b.Row
}

// accepts reports whether a match of score s at row would enter the heap.
func (h *heap) accepts(s float32, row int) bool {
	return len(h.m) < h.k || worse(h.m[0], Match{row, s})
}

// push adds a match that accepts approved.
func (h *heap) push(s float32, row int) {
	m := Match{row, s}
	if len(h.m) < h.k {
		h.m = append(h.m, m)
		h.up(len(h.m) - 1)
		return
	}
	h.m[0] = m
	h.down(0)
}

func (h *heap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(h.m[i], h.m[p]) {
			return
		}
		h.m[i], h.m[p] = h.m[p], h.m[i]
		i = p
	}
}

func (h *heap) down(i int) {
	n := len(h.m)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && worse(h.m[r], h.m[l]) {
			c = r
		}
		if !worse(h.m[c], h.m[i]) {
			return
		}
		h.m[i], h.m[c] = h.m[c], h.m[i]
		i = c
	}
}

// sorted returns the matches best first.
func (h *heap) sorted() []Match {
	out := slices.Clone(h.m)
	slices.SortFunc(out, func(a, b Match) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	return out
}
