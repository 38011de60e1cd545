package cli

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
)

var _ engine.StoredSink = (*failureTally)(nil)

// failureTally passes failures on to the failures file and groups them by
// reason for the report: a thousand records that failed for one reason are
// one line with a count and an example, not a bare "1000 failed".
type failureTally struct {
	next engine.FailureSink

	mu     sync.Mutex
	groups map[string]*failureGroup
}

// failureGroup is the failures that share a reason.
type failureGroup struct {
	Reason  string `json:"reason"`
	Count   int64  `json:"count"`
	Example string `json:"example"` // where the first one is: file:line, and its ID
	Stage   string `json:"stage"`
	Retry   bool   `json:"retry"` // sending it again may succeed: the server failed, not the record
	order   int
}

// digits stands for the numbers in a reason, so that "row has 3 fields" and
// "row has 4 fields" are one reason. Compiled when first needed: a run
// without failures does not.
var digits = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[0-9]+`) })

func (t *failureTally) Fail(f engine.Failure) error {
	f.Error = advise(f.Error, f.Err)
	reason := reasonOf(f)
	key := f.Stage + "\x00" + digits().ReplaceAllString(reason, "#")
	t.mu.Lock()
	if t.groups == nil {
		t.groups = map[string]*failureGroup{}
	}
	g := t.groups[key]
	if g == nil {
		ex := f.Where
		if f.ID != "" && f.ID != f.Where {
			ex += " (id " + f.ID + ")"
		}
		g = &failureGroup{Reason: reason, Example: ex, Stage: f.Stage, order: len(t.groups),
			Retry: f.Stage == engine.StageEmbed && salvo.Retryable(f.Err)}
		t.groups[key] = g
	}
	g.Count++
	t.mu.Unlock()
	if t.next == nil {
		return nil
	}
	return t.next.Fail(f)
}

// reasonOf is a failure's message without the file:line (and ID) it starts
// with: that goes in the example.
func reasonOf(f engine.Failure) string {
	msg := f.Error
	if f.Where == "" || !strings.HasPrefix(msg, f.Where) {
		return msg
	}
	rest := msg[len(f.Where):]
	if strings.HasPrefix(rest, " (id ") {
		if i := strings.Index(rest, "): "); i >= 0 {
			return rest[i+3:]
		}
	}
	if r, ok := strings.CutPrefix(rest, ": "); ok {
		return r
	}
	return msg
}

// list returns the groups, the most frequent first.
// Stored passes on that a record was stored, so that the failures file
// forgets its earlier failures.
func (t *failureTally) Stored(id, where string) {
	if s, ok := t.next.(engine.StoredSink); ok {
		s.Stored(id, where)
	}
}

func (t *failureTally) list() []*failureGroup {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*failureGroup, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].order < out[j].order
	})
	return out
}

// maxReasons is how many reasons the report shows; the failures file has
// every failed record.
const maxReasons = 5

func printReport(w io.Writer, r *embedReport, interrupted bool) {
	fmt.Fprintf(w, "salvo: %d read, %d embedded, %d cached, %d failed", r.Read, r.Embedded, r.Cached, r.Failed)
	if r.Truncated > 0 {
		fmt.Fprintf(w, ", %d truncated", r.Truncated)
	}
	if r.Chunked > 0 {
		fmt.Fprintf(w, ", %d cut into %d pieces", r.Chunked, r.Pieces)
	}
	fmt.Fprintf(w, " in %.1fs", r.Seconds)
	if r.Embedded > 0 { // a rate of nothing says nothing
		fmt.Fprintf(w, " (%.1f emb/s)", r.PerSecond)
	}
	fmt.Fprintf(w, "; %d added, %d updated, %d unchanged, %d deleted", r.Added, r.Updated, r.Unchanged, r.Deleted)
	fmt.Fprintln(w)
	if r.Requests > 0 { // no request, no latency
		fmt.Fprintf(w, "       %s, %s, %s; latency p50 %.0fms p95 %.0fms",
			plural(r.Requests, "request"), plural(r.Retries, "retry"), plural(r.Splits, "split"), r.P50, r.P95)
		if r.LoadSecs > 0.05 {
			fmt.Fprintf(w, "; model load %.1fs (a cold start, not slowness)", r.LoadSecs)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "       collection %q in %s (model %s, %s)\n", r.Collection, r.DB, r.Model, r.Endpoint)
	if len(r.PerHost) > 1 {
		printHosts(w, "       ", r.PerHost)
	}
	if wb := r.WriteBack; wb != nil {
		if wb.Created != "" {
			fmt.Fprintf(w, "       created column %s %s\n", wb.Target, wb.Created)
		}
		fmt.Fprintf(w, "       wrote %d vectors into %s (rows whose vector changed)", wb.Written, wb.Target)
		if wb.Duplicates > 0 {
			fmt.Fprintf(w, "; %d rows written again by a later record of their ID (first %q)", wb.Duplicates, wb.FirstDuplicate)
		}
		fmt.Fprintln(w)
		if wb.Pieces > 0 || wb.ChunkedRecords > 0 {
			fmt.Fprintf(w, "       wrote %s of %s into %s (each row holds the mean of its record's pieces)\n", plural(int64(wb.Pieces), "piece"), plural(int64(wb.ChunkedRecords), "long record"), wb.ChunkTable)
		}
	}
	printSkipped(w, r)
	if j := r.Jobs; j != nil {
		fmt.Fprintf(w, "       --distributed: this process worked %d of the %d jobs (River queue %s in schema %s; salvo status --db … shows them)\n",
			j.Worked, j.Total, j.Queue, j.Schema)
	}
	if left := r.Read - r.Embedded - r.Cached - r.Failed; interrupted && left > 0 {
		fmt.Fprintf(w, "       %s read but not stored yet: the next run embeds them\n", plural(left, "record"))
	}
	if r.Failed > 0 {
		printFailures(w, r)
	}
	if r.Truncated > 0 {
		fmt.Fprintf(w, "       %s cut to the model's context: what they say past it is in no vector; --chunk auto would keep them whole (in pieces), --truncate=false makes them fail instead\n", plural(r.Truncated, "text"))
	}
}

// printFailures shows why records failed, grouped by reason, and says what
// helps: running again where the server failed, fixing the input where the
// record did.
func printFailures(w io.Writer, r *embedReport) {
	groups := r.Reasons
	fmt.Fprintf(w, "       %s failed", plural(r.Failed, "record"))
	if len(groups) > 1 {
		fmt.Fprintf(w, " for %d reasons", len(groups))
	}
	fmt.Fprintf(w, "; each is listed in %s:\n", r.Failures)
	var retry, fix int64
	for i, g := range groups {
		if g.Retry {
			retry += g.Count
		} else {
			fix += g.Count
		}
		if i >= maxReasons {
			continue
		}
		reason := g.Reason
		if len(reason) > 300 {
			reason = reason[:300] + "…"
		}
		fmt.Fprintf(w, "       %6d × %s\n", g.Count, reason)
		fmt.Fprintf(w, "                e.g. %s\n", g.Example)
	}
	if len(groups) > maxReasons {
		fmt.Fprintf(w, "              and %d more reasons\n", len(groups)-maxReasons)
	}
	if fix > 0 {
		what := "these"
		if retry > 0 {
			what = fmt.Sprintf("the other %s", plural(fix, "record"))
		}
		fmt.Fprintf(w, "       running again alone does not help %s: fix the input, the template or the flags, then run again (stored records are not sent again)\n", what)
	}
	if retry > 0 {
		fmt.Fprintf(w, "       %s failed on the server's side (timeouts, busy or unreachable server): run the same command again to retry %s\n",
			plural(retry, "record"), pick(retry == 1, "it", "them"))
	}
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// printHosts shows each host's share of a run, one line each, so that a
// slow or failing server of a fleet stands out.
func printHosts(w io.Writer, indent string, hosts []engine.HostReport) {
	for _, h := range hosts {
		fmt.Fprintf(w, "%s%s: %d embedded, %s, %s; p50 %.0fms p95 %.0fms; %s\n",
			indent, h.Name, h.Embedded, plural(h.Requests, "request"), plural(h.Retries, "retry"), h.P50, h.P95, h.State)
	}
}
