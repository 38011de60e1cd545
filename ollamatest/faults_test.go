package ollamatest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

const batch = `{"model":"nomic-embed-text","input":["good","bad","fine"]}`

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *Server)
		path  string
		body  string
		check func(t *testing.T, r reply, err error)
	}{
		{"fail with JSON", func(s *Server) { s.FailNext(1, 500, `{"error":"boom"}`) }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if err != nil || r.status != 500 || errorOf(t, r) != "boom" || r.ct() != "application/json; charset=utf-8" {
					t.Errorf("got %d %q %s %v", r.status, r.ct(), r.body, err)
				}
			}},
		{"fail with Retry-After", func(s *Server) { s.FailNextRetryAfter(1, 503, "", 1500*time.Millisecond) }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if err != nil || r.status != 503 || r.header.Get("Retry-After") != "2" || errorOf(t, r) != "Service Unavailable" {
					t.Errorf("got %d %v %s %v", r.status, r.header, r.body, err)
				}
			}},
		{"fail with text", func(s *Server) { s.FailNext(1, 429, "slow down") }, "/v1/embeddings", batch,
			func(t *testing.T, r reply, err error) {
				if err != nil || r.status != 429 || string(r.body) != "slow down" || !strings.HasPrefix(r.ct(), "text/plain") {
					t.Errorf("got %d %q %s %v", r.status, r.ct(), r.body, err)
				}
			}},
		{"drop", func(s *Server) { s.DropNext(1) }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if err == nil {
					t.Errorf("got an answer %d %s, want a closed connection", r.status, r.body)
				}
			}},
		{"proxy page", func(s *Server) { s.HTMLNext(1, 502) }, "/api/embeddings", `{"model":"nomic-embed-text","prompt":"a"}`,
			func(t *testing.T, r reply, err error) {
				if err != nil || r.status != 502 || r.ct() != "text/html" || !strings.Contains(string(r.body), "<title>502 Bad Gateway</title>") {
					t.Errorf("got %d %q %s %v", r.status, r.ct(), r.body, err)
				}
			}},
		{"wrong dims", func(s *Server) { s.WrongDimsNext(1) }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				got := decode[embedResponse](t, r)
				if len(got.Embeddings) != 3 || len(got.Embeddings[0]) != 7 || len(got.Embeddings[2]) != 7 {
					t.Errorf("got %s", r.body)
				}
			}},
		{"wrong count", func(s *Server) { s.WrongCountNext(1) }, "/v1/embeddings", batch,
			func(t *testing.T, r reply, err error) {
				if got := decode[openAIResponse](t, r); len(got.Data) != 2 {
					t.Errorf("got %d items, want 2", len(got.Data))
				}
			}},
		{"wrong count, one input", func(s *Server) { s.WrongCountNext(1) }, "/api/embeddings", `{"model":"nomic-embed-text","prompt":"a"}`,
			func(t *testing.T, r reply, err error) {
				if string(r.body) != `{"embedding":[]}` {
					t.Errorf("got %s", r.body)
				}
			}},
		{"truncated", func(s *Server) { s.TruncateNext(1) }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				var v embedResponse
				if err != nil || r.status != 200 || len(r.body) == 0 || json.Unmarshal(r.body, &v) == nil {
					t.Errorf("got %d %s %v, want a 200 with JSON cut short", r.status, r.body, err)
				}
				if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
					t.Errorf("Content-Length %s for %d bytes", r.header.Get("Content-Length"), len(r.body))
				}
			}},
		{"NaN fails the batch", func(s *Server) { s.NaNFor("bad") }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if r.status != 500 || errorOf(t, r) != MsgNaN {
					t.Errorf("got %d %s", r.status, r.body)
				}
			}},
		{"NaN on /v1", func(s *Server) { s.NaNFor("bad") }, "/v1/embeddings", batch,
			func(t *testing.T, r reply, err error) {
				if e := decode[openAIError](t, r); r.status != 500 || e.Error.Message != MsgNaN || e.Error.Type != "api_error" {
					t.Errorf("got %d %s", r.status, r.body)
				}
			}},
		{"NaN sent as null", func(s *Server) { s.NullFor("bad") }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				var raw struct{ Embeddings []json.RawMessage }
				json.Unmarshal(r.body, &raw)
				if r.status != 200 || len(raw.Embeddings) != 3 || !strings.HasPrefix(string(raw.Embeddings[1]), "[null,") ||
					strings.Contains(string(raw.Embeddings[0]), "null") {
					t.Errorf("got %d %s", r.status, r.body)
				}
			}},
		{"NaN sent as base64", func(s *Server) { s.NullFor("bad") }, "/v1/embeddings", `{"model":"nomic-embed-text","input":["bad"],"encoding_format":"base64"}`,
			func(t *testing.T, r reply, err error) {
				got := decode[openAIResponse](t, r)
				var enc string
				json.Unmarshal(got.Data[0].Embedding, &enc)
				raw, _ := base64.StdEncoding.DecodeString(enc)
				if len(raw) != 32 || !math.IsNaN(float64(math.Float32frombits(binary.LittleEndian.Uint32(raw)))) {
					t.Errorf("got %s", r.body)
				}
			}},
		{"zero vector", func(s *Server) { s.ZeroFor("bad") }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				got := decode[embedResponse](t, r)
				if len(got.Embeddings) != 3 || length(got.Embeddings[1]) != 0 || len(got.Embeddings[1]) != 8 || length(got.Embeddings[0]) == 0 {
					t.Errorf("got %s", r.body)
				}
			}},
		{"poison", func(s *Server) { s.Poison("bad") }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if r.status != 500 || errorOf(t, r) != MsgPoison {
					t.Errorf("got %d %s", r.status, r.body)
				}
			}},
		{"poison elsewhere", func(s *Server) { s.Poison("other") }, "/api/embed", batch,
			func(t *testing.T, r reply, err error) {
				if r.status != 200 {
					t.Errorf("got %d %s", r.status, r.body)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Dims: 8})
			defer s.Close()
			tc.setup(s)
			r, err := callErr(testCtx(t), "POST", s.URL()+tc.path, tc.body)
			tc.check(t, r, err)
			// The fault is spent: the next request is answered normally.
			if r := post(t, s, "/api/embed", `{"model":"nomic-embed-text","input":["x"]}`); r.status != 200 {
				t.Errorf("next request: %d %s", r.status, r.body)
			}
			if st := s.Stats(); st.Requests != 2 || st.Faults != 1 && !strings.Contains(tc.name, "elsewhere") {
				t.Errorf("requests %d, faults %d", st.Requests, st.Faults)
			}
		})
	}
}

func TestFaultQueueOrder(t *testing.T) {
	s := New(Config{Dims: 4})
	defer s.Close()
	s.FailNext(2, 500, "")
	s.HTMLNext(1, 504)
	s.WrongCountNext(1)
	var got []int
	for range 5 {
		r := post(t, s, "/api/embed", `{"model":"nomic-embed-text","input":["a","b"]}`)
		n := r.status
		if n == 200 {
			n = len(decode[embedResponse](t, r).Embeddings)
		}
		got = append(got, n)
	}
	want := []int{500, 500, 504, 1, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("answers = %v, want %v (statuses, or vector counts for 200)", got, want)
		}
	}
	if st := s.Stats(); st.Faults != 4 || st.Inputs != 4 || st.Embedded != 3 {
		t.Errorf("faults %d inputs %d embedded %d, want 4 4 3", st.Faults, st.Inputs, st.Embedded)
	}
}

func TestSlowNextLetsClientTimeOut(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	s.SlowNext(1, time.Minute)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := callErr(ctx, "POST", s.URL()+"/api/embed", `{"model":"nomic-embed-text","input":"a"}`)
		errc <- err
	}()
	// Once the request has been evaluated it can only be waiting in SlowNext.
	if err := s.Await(testCtx(t), func(st Stats) bool { return st.Requests == 1 && st.Holding == 0 && st.InFlight == 1 && st.BusyTime > 0 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the slow request was answered")
	}
	if err := s.Await(testCtx(t), func(st Stats) bool { return st.Canceled == 1 && st.InFlight == 0 }); err != nil {
		t.Fatalf("the server did not see the client leave: %v", err)
	}
	if st := s.Stats(); st.Embedded != 0 {
		t.Errorf("embedded = %d, want 0", st.Embedded)
	}
}

func TestSetDown(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	s.SetDown(true)
	for _, p := range []string{"/", "/api/version", "/api/embed"} {
		if r, err := callErr(testCtx(t), "POST", s.URL()+p, `{}`); err == nil {
			t.Errorf("%s answered %d while down", p, r.status)
		}
	}
	if st := s.Stats(); st.Refused != 3 || st.Requests != 0 || len(st.ByPath) != 0 {
		t.Errorf("refused %d requests %d by path %v", st.Refused, st.Requests, st.ByPath)
	}
	s.SetDown(false)
	if r := call(t, "GET", s.URL()+"/", ""); r.status != 200 {
		t.Errorf("up again: %d", r.status)
	}
}

func TestClearFaultsAndReset(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	s.Record(true)
	s.FailNext(5, 500, "")
	s.Poison("a")
	s.ClearFaults()
	if r := post(t, s, "/api/embed", `{"model":"nomic-embed-text","input":["a","b"]}`); r.status != 200 {
		t.Fatalf("faults survived ClearFaults: %d", r.status)
	}
	if got := s.Texts(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Texts() = %q", got)
	}
	if s.Requests() != 1 || s.Inputs() != 2 {
		t.Errorf("requests %d inputs %d", s.Requests(), s.Inputs())
	}
	s.Reset()
	if st := s.Stats(); st.Requests != 0 || st.Inputs != 0 || len(st.ByPath) != 0 || len(s.Texts()) != 0 || st.BusyTime != 0 {
		t.Errorf("after Reset: %+v", st)
	}
}

func TestFaultWithBadStatusAnswers500(t *testing.T) {
	s := New(Config{})
	defer s.Close()
	s.FailNext(1, 0, "")
	s.HTMLNext(1, 42)
	for range 2 {
		if r := post(t, s, "/api/embed", one); r.status != 500 {
			t.Errorf("got %d %s", r.status, r.body)
		}
	}
}

func TestChaos(t *testing.T) {
	s := New(Config{Dims: 8})
	defer s.Close()
	s.SetChaos(Chaos{Seed: 7, Fail500: 0.2, ProxyPage: 0.1, WrongCount: 0.1, Truncate: 0.1})
	const n = 400
	counts := map[string]int{}
	for range n {
		r := post(t, s, "/api/embed", batch)
		var v embedResponse
		switch {
		case r.status == 500 && errorOf(t, r) == MsgChaos:
			counts["500"]++
		case r.status == 502 && r.ct() == "text/html":
			counts["502"]++
		case r.status != 200:
			t.Fatalf("unexpected answer %d %s", r.status, r.body)
		case json.Unmarshal(r.body, &v) != nil:
			counts["cut"]++
		case len(v.Embeddings) == 2:
			counts["count"]++
		case len(v.Embeddings) == 3:
			counts["ok"]++
		default:
			t.Fatalf("unexpected answer %s", r.body)
		}
	}
	// Binomial: the expected count ± 5 standard deviations.
	for k, p := range map[string]float64{"500": 0.2, "502": 0.1, "count": 0.1, "cut": 0.1, "ok": 0.5} {
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if got := float64(counts[k]); math.Abs(got-mean) > 5*sd {
			t.Errorf("%s: %v of %d answers, want about %v", k, got, n, mean)
		}
	}
	if st := s.Stats(); st.Faults != n-counts["ok"] {
		t.Errorf("Stats.Faults = %d, want %d", st.Faults, n-counts["ok"])
	}
	s.SetChaos(Chaos{})
	if r := post(t, s, "/api/embed", batch); r.status != 200 {
		t.Errorf("chaos stopped, got %d", r.status)
	}
}

func TestChaosRejectsImpossibleOdds(t *testing.T) {
	for _, c := range []Chaos{{Fail500: 0.7, Drop: 0.4}, {Slow: -0.1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SetChaos(%+v) did not panic", c)
				}
			}()
			NewUnstarted(Config{}).SetChaos(c)
		}()
	}
}

func TestPadNext(t *testing.T) {
	s := New(Config{Dims: 8})
	defer s.Close()
	plain := post(t, s, "/api/embed", batch)
	for _, announce := range []bool{true, false} {
		s.PadNext(1, 100000, announce)
		r := post(t, s, "/api/embed", batch)
		if sp := strings.Count(string(r.body), " ") - strings.Count(string(plain.body), " "); r.status != 200 || sp != 100000 {
			t.Fatalf("announce=%v: got %d with %d more spaces; want 200 with 100000", announce, r.status, sp)
		}
		if cl := r.header.Get("Content-Length"); announce != (cl != "") {
			t.Errorf("announce=%v: Content-Length %q", announce, cl)
		}
		var a, b embedResponse
		if err := json.Unmarshal(r.body, &a); err != nil {
			t.Fatalf("announce=%v: padded answer is not JSON: %v", announce, err)
		}
		json.Unmarshal(plain.body, &b)
		if len(a.Embeddings) != 3 || a.Embeddings[1][0] != b.Embeddings[1][0] {
			t.Errorf("announce=%v: padded answer has other vectors", announce)
		}
	}
	if r := post(t, s, "/api/embed", batch); len(r.body) > len(plain.body)+100 {
		t.Errorf("the fault outlived its requests: %d bytes", len(r.body))
	}
	// An error answer is not padded, and it uses up the fault.
	s.PadNext(1, 1000, true)
	if r := post(t, s, "/api/embed", `{"model":"nope","input":["a"]}`); r.status != 404 || len(r.body) > 200 {
		t.Errorf("error answer: %d, %d bytes", r.status, len(r.body))
	}
}
