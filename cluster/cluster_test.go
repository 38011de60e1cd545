package cluster

import "testing"

func TestSplitCoversEveryRecordOnce(t *testing.T) {
	for _, c := range []struct{ n, size, jobs int64 }{{3201, 400, 9}, {400, 400, 1}, {401, 400, 2}, {0, 10, 1}, {-1, 10, 1}} {
		jobs := Split("q", "c", "sha256:x", "f", c.n, c.size)
		if int64(len(jobs)) != c.jobs {
			t.Errorf("Split(%d, %d): %d jobs, want %d", c.n, c.size, len(jobs), c.jobs)
			continue
		}
		next := int64(0)
		for i, j := range jobs {
			if j.First != next {
				t.Errorf("Split(%d, %d): job %d starts at %d, want %d", c.n, c.size, i, j.First, next)
			}
			next = j.End
		}
		if next != 0 {
			t.Errorf("Split(%d, %d): the last job ends at %d, want 0 (the end of the input)", c.n, c.size, next)
		}
	}
}

func TestQueueNameIsStableAndDistinct(t *testing.T) {
	a, b := QueueName("movies", "m", "t"), QueueName("movies", "m", "t")
	if a != b || a == QueueName("movies", "mt", "") || len(a) > 64 {
		t.Errorf("QueueName: %q, %q", a, b)
	}
}
