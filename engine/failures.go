package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/salvoembed/salvo/internal/base/atomicfile"
)

// Failure is one record that could not be stored.
type Failure struct {
	ID    string `json:"id,omitempty"`
	Where string `json:"where,omitempty"` // "file:line"
	// Stage is "input" (the record could not be read or rendered),
	// "duplicate" (another record of the run has its ID) or "embed".
	Stage string `json:"stage"`
	Error string `json:"error"`
	Text  string `json:"text,omitempty"` // the rendered text, cut to 200 bytes
	// Collection is the collection the record was meant for; FailureFile
	// fills it in.
	Collection string    `json:"collection,omitempty"`
	Time       time.Time `json:"time"`
	Err        error     `json:"-"` // the error itself, for callers that classify failures
}

// StageEmbed is the Stage of a record that could not be embedded (the
// servers refused it, or answered what cannot be stored).
const StageEmbed = "embed"

// The other stages of a Failure.
const (
	stageInput     = "input"
	stageDuplicate = "duplicate"
)

// FailureSink receives every failed record. Run calls it from one goroutine
// (the writer's), never concurrently: an implementation needs no lock.
type FailureSink interface {
	Fail(f Failure) error
}

// StoredSink is a FailureSink that also hears of every record the run
// stored, or found stored already, so that it can forget the record's
// earlier failures. Run calls Stored from the goroutine that calls Fail.
type StoredSink interface {
	FailureSink
	Stored(id, where string)
}

// FailureFile keeps a failures file: one JSON line per record that failed
// and is not stored since, across runs.
//
// A run appends each new failure as it happens (a killed run leaves every
// failure it saw), and Close rewrites the file atomically from the earlier
// lines less those the run settled, plus the new ones. An earlier line is
// settled when the run stored its record (or found it stored), or read its
// position again (file:line) with another outcome, or failed it again (the
// new line replaces it). So after --limit or Ctrl-C the records that still
// fail stay listed, and a run with no failure leaves the others. When no
// line remains the file is removed. Lines of other collections are kept.
type FailureFile struct {
	Path       string
	Collection string // written into each line; lines of other collections are left alone

	mu      sync.Mutex
	loaded  bool
	f       *os.File
	w       *bufio.Writer
	old     int              // lines in the file before this run
	drop    []bool           // earlier lines settled by this run
	byID    map[string][]int // earlier lines of this collection by record ID
	byWhere map[string][]int // and by file:line
	stage   []string         // stage of each earlier line
	n       int
}

var _ StoredSink = (*FailureFile)(nil)

// load indexes the lines of an earlier file. Lines that are not failures (a
// line cut by a killed process) are dropped at Close.
func (ff *FailureFile) load() error {
	if ff.loaded {
		return nil
	}
	ff.loaded = true
	ff.byID, ff.byWhere = map[string][]int{}, map[string][]int{}
	f, err := os.Open(ff.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			ff.index(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failures file: %w", err)
		}
	}
}

// index notes the earlier line i.
func (ff *FailureFile) index(line []byte) {
	i := ff.old
	ff.old++
	var f Failure
	if json.Unmarshal(line, &f) != nil || f.Stage == "" {
		ff.drop = append(ff.drop, true)
		ff.stage = append(ff.stage, "")
		return
	}
	ff.drop = append(ff.drop, false)
	ff.stage = append(ff.stage, f.Stage)
	if f.Collection != "" && f.Collection != ff.Collection {
		return // another collection's: kept as it is
	}
	if f.ID != "" {
		ff.byID[f.ID] = append(ff.byID[f.ID], i)
	}
	if f.Where != "" {
		ff.byWhere[f.Where] = append(ff.byWhere[f.Where], i)
	}
}

// settle drops the earlier lines that a new outcome for (id, where) covers:
// those at the same place, and those of the same record ID unless one of
// them is about a repeated ID (a duplicate's line is settled by its place).
func (ff *FailureFile) settle(id, where, stage string) {
	for _, i := range ff.byWhere[where] {
		ff.drop[i] = true
	}
	if id == "" || stage == stageDuplicate {
		return
	}
	for _, i := range ff.byID[id] {
		if ff.stage[i] != stageDuplicate {
			ff.drop[i] = true
		}
	}
}

// Fail appends f to the file.
func (ff *FailureFile) Fail(f Failure) error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if err := ff.load(); err != nil {
		return err
	}
	ff.settle(f.ID, f.Where, f.Stage)
	if ff.f == nil {
		file, err := os.OpenFile(ff.Path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("failures file: %w", err)
		}
		ff.f, ff.w = file, bufio.NewWriter(file)
		// A killed process may have cut the last line: start a new one.
		if fi, err := file.Stat(); err == nil && fi.Size() > 0 {
			last := make([]byte, 1)
			if _, err := file.ReadAt(last, fi.Size()-1); err == nil && last[0] != '\n' {
				ff.w.WriteByte('\n')
			}
		}
	}
	if len(f.Text) > 200 {
		f.Text = f.Text[:200]
	}
	f.Collection = ff.Collection
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ff.n++
	ff.w.Write(b)
	ff.w.WriteByte('\n')
	// Flush each line: a killed run still leaves every failure it saw.
	if err := ff.w.Flush(); err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	return nil
}

// Stored forgets the earlier failures of a record now stored.
func (ff *FailureFile) Stored(id, where string) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.load() != nil || len(ff.byID) == 0 && len(ff.byWhere) == 0 {
		return
	}
	ff.settle(id, where, "")
}

// Count reports how many failures were written in this run.
func (ff *FailureFile) Count() int {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	return ff.n
}

// Kept reports how many lines the file holds after Close: this run's
// failures and the earlier ones still standing.
func (ff *FailureFile) Kept() int {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	kept := ff.n
	for _, d := range ff.drop {
		if !d {
			kept++
		}
	}
	return kept
}

// Close writes the file out: the earlier lines still standing, then this
// run's. It replaces the file atomically (a new file renamed over it), and
// removes it when no line remains.
func (ff *FailureFile) Close() error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if err := ff.load(); err != nil {
		return err
	}
	if ff.f != nil {
		err := ff.f.Close()
		ff.f, ff.w = nil, nil
		if err != nil {
			return fmt.Errorf("failures file: %w", err)
		}
	}
	dropped := 0
	for _, d := range ff.drop {
		if d {
			dropped++
		}
	}
	switch {
	case ff.old-dropped+ff.n == 0:
		if err := os.Remove(ff.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("failures file: %w", err)
		}
		return nil
	case dropped == 0:
		return nil // nothing to take out: the appended file is the answer
	}
	return ff.rewrite()
}

// rewrite copies the lines still standing to a new file and renames it over
// the old one.
func (ff *FailureFile) rewrite() error {
	in, err := os.Open(ff.Path)
	if err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	defer in.Close()
	tmp, err := atomicfile.Create(ff.Path)
	if err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	defer tmp.Cleanup() // a no-op once committed
	w := bufio.NewWriter(tmp)
	br := bufio.NewReaderSize(in, 64<<10)
	for i := 0; ; i++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 && (i >= len(ff.drop) || !ff.drop[i]) {
			w.Write(bytes.TrimRight(line, "\n"))
			w.WriteByte('\n')
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("failures file: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	if err := tmp.Commit(); err != nil {
		return fmt.Errorf("failures file: %w", err)
	}
	return nil
}
