package engine

import (
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

func TestIDSet(t *testing.T) {
	s := newIDSet()
	const n = 50_000
	for i := range n {
		if _, fresh := s.add(s.hash(strconv.Itoa(i)), "f"+strconv.Itoa(i%3)+".jsonl:"+strconv.Itoa(i+1)); !fresh {
			t.Fatalf("ID %d taken for a duplicate", i)
		}
	}
	s.add(s.hash("odd"), "no line here")
	for i := 0; i < n; i += 997 {
		first, fresh := s.add(s.hash(strconv.Itoa(i)), "g.jsonl:1")
		if want := "f" + strconv.Itoa(i%3) + ".jsonl:" + strconv.Itoa(i+1); fresh || first != want {
			t.Errorf("ID %d again: fresh=%v first seen at %q, want %q", i, fresh, first, want)
		}
	}
	if first, fresh := s.add(s.hash("odd"), "x:2"); fresh || first != "no line here" {
		t.Errorf("a position that is not file:line: %q %v", first, fresh)
	}
}

// BenchmarkIDSet_1M reports the memory the duplicate-ID check holds for a
// million records (bytes per ID) and its cost per record.
func BenchmarkIDSet_1M(b *testing.B) {
	const n = 1_000_000
	ids, wheres := make([]string, n), make([]string, n)
	for i := range ids {
		ids[i] = "tt" + strconv.Itoa(1_000_000+i)
		wheres[i] = "movies.jsonl:" + strconv.Itoa(i+1)
	}
	b.ResetTimer()
	var s *idSet
	for range b.N {
		s = newIDSet()
		for i, id := range ids {
			s.add(s.hash(id), wheres[i])
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(s.slots)*int(unsafe.Sizeof(idSlot{})))/n, "table-B/id")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/id")
	runtime.KeepAlive(s)
}
