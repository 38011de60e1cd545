package serve_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/salvoembed/salvo/serve"
)

// chromium finds the Debian chromium binary. Where it is missing the test
// skips with the command to install it, except under CI=true, where a
// skipped browser test must not pass.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is missing (CI=true): apt-get install chromium (.ci/run does)")
	}
	t.Skip("chromium is missing: apt-get install chromium to run the browser test")
	return ""
}

// artifactDir is where the screenshot goes: $SALVO_ARTIFACTS when set,
// else the test's temporary folder.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("SALVO_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser starts headless Chromium and returns a context for chromedp
// that ends within a minute.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := chromium(t)
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	// The timeout goes on a child: one on the browser's own context would
	// kill the browser when it fires.
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// searchTitle opens the page at url, searches for title and waits until
// the first result is that title.
func searchTitle(url, title string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url + "/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#collection option').length > 0`),
		chromedp.SendKeys(chromedp.ID("q"), title),
		chromedp.Click(chromedp.ID("go")),
		chromedp.Poll[chromedp.Void](`document.querySelector('#results .result .title')?.textContent === ` + jsString(title)),
	}
}

// In headless Chromium: type a query, see the movie first, click "more like
// this", see its neighbours without it, and keep a screenshot.
func TestPageInBrowser(t *testing.T) {
	chromium(t)
	hs, _ := fixture(t)
	ctx := browser(t)

	const title = "The Waltz of Kestrel Mills"
	err := chromedp.Do(ctx, searchTitle(hs.URL, title)...)
	if err != nil {
		t.Fatalf("search in the page: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results .result .title")))
	if err != nil || first != title {
		t.Fatalf("first result %q, %v; want %q", first, err, title)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results .result')].map(e => e.dataset.id)`))
	if err != nil || len(ids) != 10 || ids[0] != "7" {
		t.Fatalf("result IDs %v, %v; want 10 starting with 7", ids, err)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#results .result button.more")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.startsWith('More like')`),
		chromedp.Poll[chromedp.Void](`document.getElementById('mapnote').textContent.startsWith('Map of 300')`),
	)
	if err != nil {
		t.Fatalf("more like this: %v", err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
	if !strings.Contains(status, title) {
		t.Errorf("status %q does not name %q", status, title)
	}
	ids, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results .result')].map(e => e.dataset.id)`))
	if err != nil || len(ids) != 10 || slices.Contains(ids, "7") {
		t.Errorf("more like this: IDs %v, %v; want 10 others than 7", ids, err)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), "serve-page.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// "More like this" in the page works on records whose IDs a path would
// clean or cut: "..", ".", "a/b", "?", "#", "%"…
func TestOddIDsInBrowser(t *testing.T) {
	chromium(t)
	hs, _ := fixtureOf(t, oddCatalog(t), model, serve.Options{})
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#collection option').length > 0`),
	)
	if err != nil {
		t.Fatalf("open the page: %v", err)
	}
	for i, id := range oddIDs {
		title := titleOf(i)
		err := chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("q"), title),
			chromedp.Click(chromedp.ID("go")),
			chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.endsWith(`+jsString("for “"+title+"”")+`)`),
		)
		if err != nil {
			t.Fatalf("search %q: %v", title, err)
		}
		first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#results .result').dataset.id`))
		if err != nil || first != id {
			t.Errorf("search %q: first ID %q, %v; want %q", title, first, err, id)
			continue
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#results .result button.more")),
			chromedp.Poll[chromedp.Void](`(e => e.textContent.startsWith('More like') || e.className === 'error')(document.getElementById('status'))`),
		)
		if err != nil {
			t.Fatalf("more like %q: %v", id, err)
		}
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status")))
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results .result')].map(e => e.dataset.id)`))
		if err != nil || !strings.HasPrefix(status, "More like") || len(ids) != 10 || slices.Contains(ids, id) {
			t.Errorf("more like %q: status %q, IDs %q, %v; want 10 others", id, status, ids, err)
		}
	}
}

// The filter box narrows the results of a search and of "more like this"
// (where parameters), and a bad filter shows the kept fields.
func TestFilterInBrowser(t *testing.T) {
	chromium(t)
	hs, _ := fixture(t)
	ctx := browser(t)
	const title = "The Waltz of Kestrel Mills"
	allMatch := `[...document.querySelectorAll('#results .result .fields')].every(e => /genres [^·]*sci/i.test(e.textContent) && +e.textContent.match(/year (\d+)/)[1] >= 2000)`
	err := chromedp.Do(ctx,
		chromedp.Navigate(hs.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#collection option').length > 0`),
		chromedp.SendKeys(chromedp.ID("where"), `genres ~ "sci"; year >= 2000`),
		chromedp.SendKeys(chromedp.ID("q"), title),
		chromedp.Click(chromedp.ID("go")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.includes('results for')`),
	)
	if err != nil {
		t.Fatalf("filtered search in the page: %v", err)
	}
	// The filter box narrows the map as the results.
	want := 0
	for _, m := range movies(t) {
		if m.Year >= 2000 && strings.Contains(strings.ToLower(strings.Join(m.Genres, "|")), "sci") {
			want++
		}
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById('map').dataset.shown === '`+strconv.Itoa(want)+`'`)); err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('map').dataset.shown`))
		t.Errorf("the map shows %s points with the filter box's filters, want %d: %v", shown, want, err)
	}
	hint, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('where').placeholder`))
	if !strings.Contains(hint, "title, year, genres") {
		t.Errorf("the filter box says %q, want the kept fields", hint)
	}
	for _, step := range []string{"search", "more like this"} {
		if step == "more like this" {
			err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("#results .result button.more")),
				chromedp.Poll[chromedp.Void](`document.getElementById('status').textContent.startsWith('More like')`),
			)
			if err != nil {
				t.Fatalf("more like this: %v", err)
			}
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#results .result').length`))
		ok, err2 := chromedp.Run(ctx, chromedp.Evaluate[bool](allMatch))
		if err != nil || err2 != nil || n != 10 || !ok {
			fields, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#results .result .fields')].map(e => e.textContent)`))
			t.Errorf("%s with the filter: %d results, all matching %v (%v, %v): %q", step, n, ok, err, err2, fields)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("where"), "rating > 3"),
		chromedp.Click(chromedp.ID("go")),
		chromedp.Poll[chromedp.Void](`document.getElementById('status').className === 'error'`),
	)
	if err != nil {
		t.Fatalf("a bad filter: %v", err)
	}
	if status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("status"))); !strings.Contains(status, "the kept fields are title, year, genres") {
		t.Errorf("a bad filter says %q", status)
	}
}
