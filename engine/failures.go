package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Failure is one record that could not be stored.
type Failure struct {
	ID    string    `json:"id,omitempty"`
	Where string    `json:"where,omitempty"` // "file:line"
	Stage string    `json:"stage"`           // "input", "embed" or "store"
	Error string    `json:"error"`
	Text  string    `json:"text,omitempty"` // the rendered text, cut to 200 bytes
	Time  time.Time `json:"time"`
	Err   error     `json:"-"` // the error itself, for callers that classify failures
}

// Stages of a Failure.
const (
	StageInput = "input"
	StageEmbed = "embed"
)

// FailureSink receives every failed record. Calls come from one goroutine
// at a time.
type FailureSink interface {
	Fail(f Failure) error
}

// FailureFile writes failures as JSON lines. The file is created (and an
// older one replaced) at the first failure, so a clean run leaves none.
type FailureFile struct {
	Path string

	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
	n  int
}

// Fail appends f to the file.
func (ff *FailureFile) Fail(f Failure) error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.f == nil {
		file, err := os.Create(ff.Path)
		if err != nil {
			return fmt.Errorf("failures file: %w", err)
		}
		ff.f, ff.w = file, bufio.NewWriter(file)
	}
	if len(f.Text) > 200 {
		f.Text = f.Text[:200]
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ff.n++
	ff.w.Write(b)
	ff.w.WriteByte('\n')
	// Flush each line: a killed run still leaves every failure it saw.
	return ff.w.Flush()
}

// Count reports how many failures were written.
func (ff *FailureFile) Count() int {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	return ff.n
}

// Close closes the file. When nothing failed, a failures file left by an
// earlier run is removed: the records it named are stored now or failed
// again (and then it was replaced).
func (ff *FailureFile) Close() error {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.f == nil {
		if err := os.Remove(ff.Path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return ff.f.Close()
}
