package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/postgres"
	"github.com/salvoembed/salvo/postgres/pgtest"
	"github.com/salvoembed/salvo/storetest"
)

// TestKill runs a child process that commits Puts, leaves one transaction
// open, and kills itself: the store has every committed Put and none of the
// open transaction, and a new Put goes on from there.
func TestKill(t *testing.T) {
	if url := os.Getenv("SALVO_PG_KILL"); url != "" {
		killedWriter(url)
		return
	}
	url := pgtest.PostgreSQL(t).Fresh(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill$")
	cmd.Env = append(os.Environ(), "SALVO_PG_KILL="+url)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.Exited() {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}
	ctx := context.Background()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open after kill -9: %v", err)
	}
	defer s.Close()
	items := storetest.KillItems()
	got := make([]salvo.Presence, len(items))
	if err := s.Lookup(ctx, "c", items, got); err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		want := salvo.Stored
		if i >= storetest.KillCommitted {
			want = salvo.Missing
		}
		if p != want {
			t.Errorf("item %d after kill -9: presence %d, want %d", i, p, want)
		}
	}
	rest := items[storetest.KillCommitted:]
	if err := s.Put(ctx, "c", storetest.Entries(8, seeds(storetest.KillCommitted, len(items))...), rest); err != nil {
		t.Fatalf("Put after kill -9: %v", err)
	}
	if cs, err := s.Collections(ctx); err != nil || len(cs) != 1 || cs[0].Count != len(items) {
		t.Errorf("after resuming: %+v, %v; want %d items", cs, err, len(items))
	}
}

func seeds(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func killedWriter(url string) {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Println(err)
		os.Exit(2)
	}
	s, err := postgres.Open(ctx, url)
	if err != nil {
		fail(err)
	}
	items, err := storetest.KillWriterCommits(ctx, s)
	if err != nil {
		fail(err)
	}
	// A Put in flight: its COPY has reached the server, its commit has not.
	conn, err := pgtest.Connect(ctx, url)
	if err != nil {
		fail(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		fail(err)
	}
	schema := strings.SplitN(strings.SplitN(url, "schema=", 2)[1], "&", 2)[0]
	for i := storetest.KillCommitted; i < len(items); i++ {
		if _, err := tx.Exec(ctx, "INSERT INTO "+schema+".cache (key, dims, vector) VALUES ($1, 1, '\\x00000000')", items[i].Key[:]); err != nil {
			fail(err)
		}
	}
	p, _ := os.FindProcess(os.Getpid())
	p.Kill()
	select {}
}

// TestSearch: with pgvector the database finds a collection's nearest
// items, as an exact search does, and never another collection's.
func TestSearch(t *testing.T) {
	s := open(t, pgtest.PGlite(t))
	ctx := context.Background()
	const dims, n = 16, 300
	unit := func(seed int) []float32 {
		v := make([]float32, dims)
		var norm float64
		for i := range v {
			v[i] = float32(math.Sin(float64(seed*dims+i) * 1.7))
			norm += float64(v[i]) * float64(v[i])
		}
		for i := range v {
			v[i] /= float32(math.Sqrt(norm))
		}
		return v
	}
	for _, coll := range []string{"movies", "books"} {
		if _, err := s.OpenCollection(ctx, salvo.Collection{Name: coll, Model: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	var entries []salvo.Entry
	var movies, books []salvo.Item
	for i := range 2 * n {
		k := salvo.KeySpec{Model: "m"}.Key(fmt.Sprint(i))
		entries = append(entries, salvo.Entry{Key: k, Vector: unit(i)})
		if i < n {
			movies = append(movies, salvo.Item{ID: fmt.Sprintf("m%03d", i), Key: k})
		} else {
			books = append(books, salvo.Item{ID: fmt.Sprintf("b%03d", i), Key: k})
		}
	}
	if err := s.Put(ctx, "movies", entries, movies); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "books", nil, books); err != nil {
		t.Fatal(err)
	}
	query := unit(7)
	const k = 10
	// Before the index is built the database searches exactly, after on
	// the index: both find the same neighbours.
	for _, indexed := range []bool{false, true} {
		if indexed {
			if err := s.Index(ctx, "movies"); err != nil {
				t.Fatal(err)
			}
			if err := s.Index(ctx, "movies"); err != nil {
				t.Fatalf("Index again: %v", err)
			}
			conn, err := pgtest.PGlite(t).Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE '%USING hnsw%'", s.Schema()).Scan(&n)
			conn.Close(ctx)
			if err != nil || n != 1 {
				t.Fatalf("after Index: %d HNSW indexes (%v), want 1", n, err)
			}
		}
		hits, err := s.Search(ctx, "movies", query, k, "")
		if err != nil {
			t.Fatal(err)
		}
		checkHits(t, indexed, hits, movies, unit, query, k)
	}
	var de *salvo.DimensionError
	if _, err := s.Search(ctx, "movies", query[:3], k, ""); !errors.As(err, &de) {
		t.Errorf("Search with a 3-dimensional query: %v, want a *DimensionError", err)
	}
	if _, err := s.Search(ctx, "nope", query, k, ""); !errors.Is(err, salvo.ErrNoCollection) {
		t.Errorf("Search of a missing collection: %v", err)
	}
	// Without pgvector the caller searches itself.
	plain := open(t, pgtest.PostgreSQL(t))
	if _, err := plain.Search(ctx, "movies", query, k, ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Search without pgvector: %v, want ErrUnsupported", err)
	}
}

func checkHits(t *testing.T, indexed bool, hits []salvo.Hit, movies []salvo.Item, unit func(int) []float32, query []float32, k int) {
	t.Helper()
	// The exact answer.
	type scored struct {
		id    string
		score float64
	}
	var exact []scored
	for i, it := range movies {
		var dot float64
		for j, x := range unit(i) {
			dot += float64(x) * float64(query[j])
		}
		exact = append(exact, scored{it.ID, dot})
	}
	slices.SortFunc(exact, func(a, b scored) int { return -cmpFloat(a.score, b.score) })
	if len(hits) != k {
		t.Fatalf("Search gave %d hits, want %d: %v", len(hits), k, hits)
	}
	if hits[0].ID != "m007" || math.Abs(float64(hits[0].Score)-1) > 1e-5 {
		t.Errorf("best hit = %+v, want m007 with score 1", hits[0])
	}
	found := 0
	for i, h := range hits {
		if !strings.HasPrefix(h.ID, "m") {
			t.Errorf("hit %d = %q, from another collection", i, h.ID)
		}
		if i > 0 && h.Score > hits[i-1].Score {
			t.Errorf("hits not best first: %v", hits)
		}
		for _, e := range exact[:k] {
			if e.id == h.ID {
				found++
				if math.Abs(e.score-float64(h.Score)) > 1e-5 {
					t.Errorf("hit %s: score %f, exact %f", h.ID, h.Score, e.score)
				}
			}
		}
	}
	want := k
	if indexed {
		want = k - 1 // HNSW is approximate; on 300 items it finds them all or nearly
	}
	if found < want {
		t.Errorf("Search (indexed: %v) found %d of the %d nearest: %v, want %v", indexed, found, k, hits, exact[:k])
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestRuns: the run ledger keeps what RecordRun was given, newest first.
func TestRuns(t *testing.T) {
	s := open(t, pgtest.PostgreSQL(t))
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, coll := range []string{"a", "b", "a"} {
		r := salvo.RunRecord{Collection: coll, Model: "m", Started: base.Add(time.Duration(i) * time.Minute),
			Finished: base.Add(time.Duration(i)*time.Minute + time.Second), Stats: []byte(fmt.Sprintf(`{"n":%d}`, i)), Args: []string{"salvo", "embed", coll}}
		if err := s.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.Runs(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || string(runs[0].Stats) != `{"n": 2}` || !runs[0].Started.Equal(base.Add(2*time.Minute)) || !slices.Equal(runs[1].Args, []string{"salvo", "embed", "a"}) {
		t.Errorf("Runs(a) = %+v", runs)
	}
	if runs, err := s.Runs(ctx, "", 1); err != nil || len(runs) != 1 || runs[0].Collection != "a" {
		t.Errorf("Runs('', 1) = %+v, %v", runs, err)
	}
	if err := s.RecordRun(ctx, salvo.RunRecord{Collection: "a", Stats: []byte("{")}); err == nil {
		t.Error("RecordRun with invalid JSON stats succeeded")
	}
}

// TestOpenErrors: a refused connection and a bad URL say what to do.
func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ url, want string }{
		{"postgres://nobody@127.0.0.1:1/x?connect_timeout=5", "check the URL and that the server is running"},
		{"mysql://x", "not a PostgreSQL URL"},
	} {
		_, err := postgres.Open(ctx, tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v, want an error saying %q", tt.url, err, tt.want)
		}
	}
	srv := pgtest.PostgreSQL(t)
	url := srv.Fresh(t)
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	schema := strings.SplitN(strings.SplitN(url, "schema=", 2)[1], "&", 2)[0]
	srv.Exec(t, "UPDATE "+schema+".meta SET value = '99' WHERE key = 'schema_version'")
	if _, err := postgres.Open(ctx, url); err == nil || !strings.Contains(err.Error(), "upgrade salvo") {
		t.Errorf("Open of a newer schema: %v", err)
	}
}

// TestDescribe: status says whether pgvector is used.
func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		srv  func(testing.TB) *pgtest.Server
		want string
	}{
		{pgtest.PostgreSQL, "no pgvector"},
		{pgtest.PGlite, "HNSW"},
	} {
		s := open(t, tt.srv(t))
		d := s.Describe()
		t.Log(d)
		if !strings.Contains(d, tt.want) || !strings.Contains(d, "schema t") {
			t.Errorf("Describe() = %q, want it to say %q", d, tt.want)
		}
	}
}

// TestIndexTooManyDims: vectors beyond HNSW's limit are stored and
// searched exactly; Index leaves them be.
func TestIndexTooManyDims(t *testing.T) {
	s := open(t, pgtest.PGlite(t))
	ctx := context.Background()
	if _, err := s.OpenCollection(ctx, salvo.Collection{Name: "wide", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	const dims = postgres.MaxIndexDims + 1
	if err := s.Put(ctx, "wide", storetest.Entries(dims, 1, 2), []salvo.Item{{ID: "a", Key: storetest.Key(1)}, {ID: "b", Key: storetest.Key(2)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Index(ctx, "wide"); err != nil {
		t.Fatalf("Index of %d-dim vectors: %v", dims, err)
	}
	hits, err := s.Search(ctx, "wide", storetest.Vector(2, dims), 1, "")
	if err != nil || len(hits) != 1 || hits[0].ID != "b" {
		t.Errorf("Search = %v, %v; want b", hits, err)
	}
}
