package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/render"
	"github.com/salvoembed/salvo/source"
	"golang.org/x/term"
)

// sampleSize is how many records of each input salvo reads before it sends
// anything, to catch a mistake about the whole input (a template field that
// no record has) before it fails every record. A smaller input is checked
// whole.
const sampleSize = 1000

// sampleWait bounds the wait for a sample of standard input once its first
// record came: a slow stream is checked on what came meanwhile, and the run
// starts.
var sampleWait = 2 * time.Second

// item is one result of reading: a record, or the error for one.
type item struct {
	rec *salvo.Record
	err error
	// A record read as the JSON text of its values (source.Reader.NextRaw),
	// instead of rec: valid until the next record is read.
	raw *source.RawRecord

	// The record's text, once the sample check has rendered it: the run
	// takes it from here instead of rendering the record again.
	rendered  bool
	text      string
	renderErr error
}

// input is one input, opened and sampled before the run.
type input struct {
	name  string
	r     *source.Reader // nil when closed after the check: the run opens it again
	head  []item         // the sample; the run starts with it while r is open
	whole bool           // head is every record of the input
	rest  <-chan item    // standard input: what follows the sample, from a reading goroutine
	stop  chan struct{}  // closing it ends that goroutine

	mu     sync.Mutex
	taken  bool // the run's reader reads it, and closes it
	closed bool
}

// openInputs opens every input and reads a sample of each. A mistake about
// a whole input (a JSON object without --records, a records path that leads
// nowhere) is returned at once: no record of it could be embedded. Only the
// first input and those that can be read once only (standard input, pipes,
// FIFOs) stay open; the run opens the other regular files again, so that a
// long list of files does not hold a descriptor each.
// The sample of each input is tallied into sample as it is read, so that
// only the samples of the inputs kept open stay in memory.
func openInputs(ctx context.Context, files []string, opts source.Options, rd *render.Renderer) ([]*input, *sample, error) {
	var ins []*input
	smp := &sample{seen: map[string]bool{}, sure: true}
	for i, name := range files {
		r, err := source.Open(name, opts)
		if err != nil {
			closeInputs(ins)
			return nil, nil, err
		}
		in := &input{name: name, r: r}
		ins = append(ins, in)
		if name == source.Stdin {
			err = in.sampleStream(ctx)
		} else {
			in.sampleFile()
		}
		if err != nil {
			closeInputs(ins)
			return nil, nil, err
		}
		smp.add(in, opts, rd)
		if i > 0 && isRegular(name) {
			r.Close()
			in.r, in.head = nil, nil
		}
	}
	return ins, smp, nil
}

// errNoInput is a run without FILE whose standard input was empty.
var errNoInput = errors.New("no input files, and standard input is empty: give one or more FILEs, or pipe records in (cat movies.jsonl | salvo embed --collection movies)\nRun 'salvo embed --help' for the flags.")

// inputFiles is the inputs of a run: the FILEs given, else standard input
// when it is not a terminal (implicit is then true).
func inputFiles(files []string, stdio Stdio) (_ []string, implicit bool, err error) {
	if len(files) > 0 {
		return files, false, nil
	}
	if stdinIsTerminal(stdio) {
		return nil, false, usageError("no input files: give one or more FILEs, or pipe records in (cat movies.jsonl | salvo embed --collection movies)\nRun 'salvo embed --help' for the flags.")
	}
	return []string{source.Stdin}, true, nil
}

// stdinIsTerminal reports whether standard input is a terminal (or absent):
// then nobody pipes records in, and salvo would wait for typing.
func stdinIsTerminal(stdio Stdio) bool {
	if stdio.In == nil {
		return true
	}
	f, ok := stdio.In.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// missingInput explains an input FILE that cannot be opened: the file or
// its folder is missing (with a close name of the folder, if any), or it
// cannot be read.
func missingInput(name string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s: cannot read it: %v", name, err)
	}
	dir, base := filepath.Split(name)
	look := dir
	if look == "" {
		look = "."
	}
	entries, derr := os.ReadDir(look)
	if derr != nil {
		return fmt.Errorf("%s: no such file: the folder %s does not exist", name, filepath.Clean(look))
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if s := render.Suggest(base, names); s != "" {
		return fmt.Errorf("%s: no such file; did you mean %s?", name, dir+s)
	}
	if dir == "" {
		return fmt.Errorf("%s: no such file in the current folder", name)
	}
	return fmt.Errorf("%s: no such file in %s", name, dir)
}

// sample is what the first records of the inputs say.
type sample struct {
	seen      map[string]bool // field names
	n, usable int             // records, and those that gave a text
	sure      bool            // every input's field names are known: it was read whole, or it has a header
	noText    error           // the first record without a "text" field, for the default renderer
	text      string          // the first text rendered
	varied    bool            // a later text differs from it
}

func (smp *sample) add(in *input, opts source.Options, rd *render.Renderer) {
	form := in.r.Format()
	header := false
	for i := range in.head {
		it := &in.head[i]
		if it.rec == nil {
			continue
		}
		smp.n++
		header = form == source.FormatCSV || form == source.FormatTSV
		for k := range it.rec.Fields {
			smp.seen[k] = true
		}
		it.text, it.renderErr = rd.Render(it.rec)
		it.rendered = true
		switch err := it.renderErr; {
		case err == nil:
			if smp.usable == 0 {
				smp.text = it.text
			} else if it.text != smp.text {
				smp.varied = true
			}
			smp.usable++
		case errors.Is(err, render.ErrNoTextField) && smp.noText == nil:
			smp.noText = err
		}
	}
	smp.sure = smp.sure && (in.whole || header)
}

func (in *input) sampleFile() {
	for len(in.head) < sampleSize {
		rec, err := in.r.Next()
		if err == io.EOF {
			in.whole = true
			return
		}
		in.head = append(in.head, item{rec: rec, err: err})
		if err != nil && !isLineError(err) {
			in.whole = true // the input failed: nothing more comes
			return
		}
	}
}

// sampleStream starts the goroutine that reads standard input for the rest
// of the run and collects its first records: sampleSize of them, all of
// them, or those that came within sampleWait of the first.
func (in *input) sampleStream(ctx context.Context) error {
	ch := make(chan item, 64)
	in.rest, in.stop = ch, make(chan struct{})
	go func(r *source.Reader, stop <-chan struct{}) {
		defer close(ch)
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			select {
			case ch <- item{rec: rec, err: err}:
			case <-stop:
				return
			}
			if err != nil && !isLineError(err) {
				return
			}
		}
	}(in.r, in.stop)
	var wait <-chan time.Time
	for len(in.head) < sampleSize {
		select {
		case it, ok := <-ch:
			if !ok {
				in.whole = true
				return nil
			}
			in.head = append(in.head, it)
			if wait == nil {
				wait = time.After(sampleWait)
			}
		case <-wait:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// isRegular reports whether name is a regular file: only those can be read
// a second time. A pipe, a FIFO or /dev/stdin gives its data once.
func isRegular(name string) bool {
	if name == source.Stdin {
		return false
	}
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

func isLineError(err error) bool {
	var le *salvo.RecordError
	return errors.As(err, &le)
}

// closeInputs closes the inputs that the run's reader has not taken over.
// The reader runs in a goroutine of the engine's that may outlive the run
// (blocked on an idle standard input); an input it took is its to close.
func closeInputs(ins []*input) {
	for _, in := range ins {
		in.mu.Lock()
		if !in.taken {
			in.closeLocked()
		}
		in.mu.Unlock()
	}
}

func (in *input) closeLocked() {
	if in.stop != nil {
		close(in.stop)
		in.stop = nil
	}
	if in.r != nil {
		in.r.Close()
		in.r = nil
	}
	in.closed = true
}

// check looks at the sampled records for mistakes that would fail or spoil
// every record: a field the texts are built from that no record has, a
// missing "text" field, an --id field that no record has. It returns a fatal
// error when the sample tells for sure (it is the whole input, or the header
// of a CSV or TSV file), or when no sampled record gives a text anyway;
// otherwise the same findings come back as warnings.
//
// A template that gave every sampled record the same text is fatal too,
// unless allowConst: after the fields, which say why more precisely.
func (smp *sample) check(rd *render.Renderer, opts source.Options, flag string, idSet, allowConst bool) (warnings []string, err error) {
	warnings, err = smp.checkFields(rd, opts, flag, idSet)
	if err == nil && !allowConst && !smp.varied {
		if cerr := constantError(rd.SameText(smp.text, smp.usable)); cerr != nil {
			return nil, cerr
		}
	}
	return warnings, err
}

func (smp *sample) checkFields(rd *render.Renderer, opts source.Options, flag string, idSet bool) (warnings []string, err error) {
	n, seen, sure, noText := smp.n, smp.seen, smp.sure, smp.noText
	if n == 0 {
		return nil, nil
	}
	fatal := sure || smp.usable == 0
	if noText != nil && !seen[render.DefaultField] && fatal {
		return nil, noText
	}
	have := slices.Sorted(maps.Keys(seen))
	var found []string
	for _, e := range rd.Absent(have) {
		if !sure {
			e.Sampled = n
		}
		found = append(found, flag+": "+e.Error())
	}
	if idSet && !seen[opts.IDField] {
		e := &render.AbsentFieldError{Field: opts.IDField, Fields: have, Suggestion: render.Suggest(opts.IDField, have)}
		if !sure {
			e.Sampled = n
		}
		found = append(found, "--id: "+e.Error())
	}
	if len(found) == 0 {
		return nil, nil
	}
	if fatal {
		return nil, fmt.Errorf("%s\nNothing was sent: fix %s and run the same command again", strings.Join(found, "\n"), flagsOf(found))
	}
	for i := range found {
		found[i] += "; the run goes on, those records lack it"
	}
	return found, nil
}

// constantError explains a template that gives every record the same
// text; nil for nil.
func constantError(e *render.ConstantTextError) error {
	if e == nil {
		return nil
	}
	return fmt.Errorf("--text: %w\nNothing was sent: fix --text, or pass --allow-constant-text if every record is meant to get that text", e)
}

// flagsOf names the flags that findings are about.
func flagsOf(found []string) string {
	var flags []string
	for _, f := range found {
		flag, _, _ := strings.Cut(f, ":")
		if !slices.Contains(flags, flag) {
			flags = append(flags, flag)
		}
	}
	return strings.Join(flags, " and ")
}

// records yields every record of the inputs with its text: first the
// sampled ones, then the rest.
func records(ins []*input, opts source.Options, rd *render.Renderer, kp keeper) iter.Seq[engine.Input] {
	raw := readsRaw(opts, rd, kp)
	return func(yield func(engine.Input) bool) {
		for _, in := range ins {
			if !in.each(opts, raw, func(it item) bool { return yield(inputOf(in.name, it, rd, kp)) }) {
				return
			}
		}
	}
}

// inputOf is what the engine gets of one result of reading the input name.
func inputOf(name string, it item, rd *render.Renderer, kp keeper) engine.Input {
	var in engine.Input
	switch {
	case it.err != nil:
		in = engine.Input{Where: name, Err: it.err}
		if le := (*salvo.RecordError)(nil); errors.As(it.err, &le) {
			in.Where = salvo.Where(le.File, le.Line)
		}
	case it.raw != nil:
		in = inputOfRaw(name, it.raw, rd, kp)
	default:
		in = engine.Input{ID: it.rec.ID, Where: it.rec.Where(), Fields: keptJSON(it.rec, kp.names, kp.all)}
		if it.rendered {
			in.Text, in.Err = it.text, it.renderErr
		} else {
			in.Text, in.Err = rd.Render(it.rec)
		}
	}
	return in
}

// each calls f for every record of the input until f returns false, and
// reports whether it got to the end. With raw, the records after the sample
// may come as the JSON text of their values (item.raw).
func (in *input) each(opts source.Options, raw bool, f func(item) bool) bool {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return false
	}
	in.taken = true
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		in.closeLocked()
		in.mu.Unlock()
	}()
	if in.r == nil { // closed after the check: read it from the start
		r, err := source.Open(in.name, opts)
		if err != nil {
			return f(item{err: err})
		}
		in.r, in.head, in.whole = r, nil, false
	}
	for _, it := range in.head {
		if !f(it) {
			return false
		}
	}
	in.head = nil
	switch {
	case in.rest != nil:
		for it := range in.rest {
			if !f(it) {
				return false
			}
		}
	case !in.whole:
		for {
			it := in.next(raw)
			if it.err == io.EOF {
				break
			}
			if !f(it) {
				return false
			}
			err := it.err
			if err != nil && !isLineError(err) {
				break // an error that is not about one record ends this input
			}
		}
	}
	return true
}
