package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/salvoembed/salvo/engine"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// plainInterval is how often a progress line is printed when stderr is not
// a terminal (a log file, CI).
var plainInterval = 10 * time.Second

func isTerminal(stdio Stdio) bool {
	if stdio.IsTerminal != nil {
		return stdio.IsTerminal()
	}
	f, ok := stdio.Err.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress shows the run's progress on stderr until the returned
// function is called: a bar on a terminal, a line every plainInterval
// otherwise. The counters are polled; the engine never waits for display.
func startProgress(stdio Stdio, quiet bool, c *engine.Counters) (stop func()) {
	if quiet {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	if isTerminal(stdio) {
		go func() {
			defer wg.Done()
			bar := progressbar.NewOptions64(-1,
				progressbar.OptionSetWriter(stdio.Err),
				progressbar.OptionSetDescription("embedding"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionFullWidth(),
			)
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				if t := c.Total.Load(); t > 0 && bar.GetMax64() != t {
					bar.ChangeMax64(t)
				}
				bar.Describe(describe(c, time.Since(start)))
				bar.Set64(c.Done())
				select {
				case <-done:
					bar.Clear()
					return
				case <-tick.C:
				}
			}
		}()
	} else {
		go func() {
			defer wg.Done()
			tick := time.NewTicker(plainInterval)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
					printLine(stdio.Err, c, time.Since(start))
				}
			}
		}()
	}
	return func() { close(done); wg.Wait() }
}

func describe(c *engine.Counters, elapsed time.Duration) string {
	rate := float64(c.Embedded.Load()) / max(elapsed.Seconds(), 1e-3)
	s := fmt.Sprintf("%.1f emb/s", rate)
	if f := c.Failed.Load(); f > 0 {
		s += fmt.Sprintf(", %d failed", f)
	}
	if r := c.Retries.Load(); r > 0 {
		s += ", " + plural(r, "retry")
	}
	return s
}

func printLine(w io.Writer, c *engine.Counters, elapsed time.Duration) {
	done, total := c.Done(), c.Total.Load()
	rate := float64(c.Embedded.Load()) / max(elapsed.Seconds(), 1e-3)
	line := fmt.Sprintf("salvo: %d", done)
	if total > 0 {
		line += fmt.Sprintf("/%d (%.0f%%)", total, 100*float64(done)/float64(total))
		if rate > 0 && total > done {
			eta := time.Duration(float64(total-done) / rate * float64(time.Second))
			line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
		}
	}
	line += fmt.Sprintf(" — %.1f emb/s, %d embedded, %d cached, %d failed, %s, %s in flight, %s elapsed",
		rate, c.Embedded.Load(), c.Cached.Load(), c.Failed.Load(), plural(c.Retries.Load(), "retry"),
		plural(c.InFlight.Load(), "request"), elapsed.Round(time.Second))
	fmt.Fprintln(w, line)
}
