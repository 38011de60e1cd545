package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/salvoembed/salvo"
)

// FormatFiles is the format of a [Reader] opened by [OpenFiles]: one record
// per document file.
const FormatFiles = "files"

// The fields of a document record.
const (
	FieldPath  = "path"  // the file's path: the pattern's root joined with the ID
	FieldTitle = "title" // see [OpenFiles]
	FieldText  = "text"  // the document's text
)

// MaxDocumentBytes is the largest document file read; a larger one is a
// *[salvo.RecordError] with a *[TooLargeError], and reading goes on.
const MaxDocumentBytes = 64 << 20

// docLimit is MaxDocumentBytes, lowered by tests.
var docLimit int64 = MaxDocumentBytes

// DocumentExtensions are the extensions (any case) of the files that
// [OpenFiles] reads; other files that match a pattern are skipped and
// counted ([Reader.Skipped]).
var DocumentExtensions = []string{".txt", ".text", ".md", ".markdown", ".html", ".htm"}

// SkippedFiles counts the files that matched a pattern of [OpenFiles] but
// are no document salvo reads (an image, a PDF, a .json file).
type SkippedFiles struct {
	Count   int    // how many
	Example string // the first one's path, "" when Count is 0
}

// PatternError is a pattern of [OpenFiles] that cannot match anything: its
// root folder (or, for a plain path, the file) does not exist or cannot be
// read. It comes out of OpenFiles inside an *[InputError].
type PatternError struct {
	Pattern string // as given
	Root    string // the folder before the first metacharacter; the path itself for a plain path
	Err     error  // from the file system
}

func (e *PatternError) Error() string {
	switch {
	case e.Root == e.Pattern && errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("%s: no such file or folder", e.Pattern)
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("%s: the folder %s does not exist (the pattern's files are looked for under it)", e.Pattern, e.Root)
	}
	return fmt.Sprintf("%s: %v", e.Pattern, e.Err)
}

func (e *PatternError) Unwrap() error { return e.Err }

// errNotFolder is a pattern's root that is a file.
var errNotFolder = errors.New("not a folder")

// NoMatchError is a pattern of [OpenFiles] that matched no file at all: a
// *[salvo.RecordError] for the pattern, after the files of the patterns
// before it.
type NoMatchError struct {
	Pattern string // as given
	Root    string // the folder that was searched
}

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("no file under %s matches the pattern (hidden files and folders, whose names start with '.', are matched only by a pattern part that starts with '.')", e.Root)
}

// DocumentError is a document file that matched a pattern but could not be
// read: it carries the ID the record would have had (so that a caller can
// tell that record failed, and keep it), inside a *[salvo.RecordError]
// naming the file. Err says why: an [fs] error, an *[EncodingError], a
// *[TooLargeError].
type DocumentError struct {
	ID  string
	Err error
}

func (e *DocumentError) Error() string { return e.Err.Error() }

func (e *DocumentError) Unwrap() error { return e.Err }

// TooLargeError is a document file larger than [MaxDocumentBytes].
type TooLargeError struct {
	Size, Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the file holds %s, more than the %s salvo reads as one document: split it", size(e.Size), size(e.Limit))
}

// size says n bytes in MiB when that is at least one.
func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// OpenFiles prepares to read one record per document file that the
// patterns match, one file at a time, in the order of the patterns and,
// within a pattern, of the paths (a folder's entries by name, depth first).
//
// A pattern is a path whose parts may hold '*', '?', '[…]', '{a,b}' and
// "**" (any number of folders); see the rules of a shell with bash's
// globstar. Its root is the folder before the first part that holds one of
// them ("notes" for "notes/**/*.md", "." for "*.md"). A record's ID is the
// file's path relative to the root, with '/' between folders
// ("2024/june.md"). A pattern without metacharacters is a plain path (as a
// shell gives after expanding a pattern itself): a file is read, its ID the
// path as given, and a folder stands for every file under it, its root
// being the folder. A file that two patterns match is read once.
//
// Files ending in .txt or .text (plain text), .md or .markdown (Markdown)
// and .html or .htm are read ([DocumentExtensions]); other files are
// skipped and counted ([Reader.Skipped]). Each record has the fields path,
// title and text:
//   - text is the file's text; of a Markdown file without its YAML front
//     matter; of an HTML page the text a browser shows (scripts, styles and
//     templates dropped, white space collapsed except in <pre>, a blank
//     line between blocks and a line break for <br> and list items).
//   - title is, for Markdown, the front matter's title, else the first
//     heading; for HTML, <title>, else the first <h1>…<h6>; else (and for
//     text) the first line that holds something, cut to 200 characters;
//     else the file's name.
//
// Files are read as UTF-8 (a byte order mark is dropped; UTF-16 with a byte
// order mark is decoded; an HTML page is decoded from the charset it
// declares). A file that cannot be read, is no UTF-8 text (*[EncodingError])
// or is too large (*[TooLargeError]) is a *[salvo.RecordError] naming it,
// with a *[DocumentError] holding its ID, and reading goes on with the next file; so is a folder that cannot be
// listed, and a pattern that matched no file (*[NoMatchError]).
//
// A pattern whose root does not exist is an *[InputError] holding a
// *[PatternError], returned at once.
func OpenFiles(patterns []string) (*Reader, error) {
	if len(patterns) == 0 {
		return nil, &InputError{File: "", Err: errors.New("no file patterns given")}
	}
	ff := &filesFormat{}
	for _, p := range patterns {
		w, err := newWalk(p)
		if err != nil {
			return nil, &InputError{File: p, Err: err}
		}
		ff.walks = append(ff.walks, w)
	}
	if overlap(ff.walks) {
		ff.seen = map[string]bool{}
	}
	return &Reader{name: strings.Join(patterns, " "), form: FormatFiles, f: ff}, nil
}

// PatternRoot is the folder that a pattern of [OpenFiles] is searched
// under and whose IDs are relative to: the part before the first part
// holding a metacharacter ("notes" for "notes/**/*.md", "." for "*.md").
// A plain path is its own root.
func PatternRoot(pattern string) string {
	g, _ := parseGlob(filepath.ToSlash(pattern))
	return filepath.FromSlash(g.root)
}

// CountFiles counts the document files the patterns match, for a progress
// total, without reading them. Errors are those of [OpenFiles].
func CountFiles(patterns []string) (int, error) {
	r, err := OpenFiles(patterns)
	if err != nil {
		return 0, err
	}
	ff := r.f.(*filesFormat)
	n := 0
	for _, w := range ff.walks {
		for {
			p, _, err := w.next()
			if err == io.EOF {
				break
			}
			if err == nil && docKindOf(p) != docNone {
				n++
			}
		}
	}
	return n, nil
}

// Skipped counts the files that matched a pattern of [OpenFiles] and were
// skipped, so far, for not being documents; zero for other readers. Unlike
// the other methods, it may be called while another goroutine reads.
func (r *Reader) Skipped() SkippedFiles {
	if ff, ok := r.f.(*filesFormat); ok {
		ff.mu.Lock()
		defer ff.mu.Unlock()
		return ff.skipped
	}
	return SkippedFiles{}
}

// recordFormat is a format that makes whole records itself (IDs included).
type recordFormat interface {
	nextRecord() (*salvo.Record, error)
}

// filesFormat reads the files of every pattern in turn.
type filesFormat struct {
	walks []*walk
	seen  map[string]bool // cleaned paths read, when two patterns' roots overlap

	mu      sync.Mutex // Skipped may be called while another goroutine reads
	skipped SkippedFiles
}

func (ff *filesFormat) next() (map[string]any, int, error) {
	panic("filesFormat makes whole records: use nextRecord")
}

func (ff *filesFormat) nextRecord() (*salvo.Record, error) {
	for len(ff.walks) > 0 {
		w := ff.walks[0]
		p, id, err := w.next()
		switch {
		case err == io.EOF:
			ff.walks = ff.walks[1:]
			if w.found == 0 {
				return nil, &salvo.RecordError{File: w.g.pattern, Err: &NoMatchError{Pattern: w.g.pattern, Root: w.g.root}}
			}
			continue
		case err != nil:
			return nil, err
		}
		if ff.seen != nil {
			clean := filepath.Clean(p)
			if ff.seen[clean] {
				continue
			}
			ff.seen[clean] = true
		}
		kind := docKindOf(p)
		if kind == docNone {
			ff.mu.Lock()
			if ff.skipped.Count == 0 {
				ff.skipped.Example = p
			}
			ff.skipped.Count++
			ff.mu.Unlock()
			continue
		}
		doc, err := readFile(p, kind)
		if err != nil {
			return nil, &salvo.RecordError{File: p, Err: &DocumentError{ID: id, Err: err}}
		}
		if doc.title == "" {
			doc.title = filepath.Base(p)
		}
		fields := map[string]any{FieldPath: p, FieldTitle: doc.title, FieldText: doc.text}
		return &salvo.Record{ID: id, Source: p, Fields: fields}, nil
	}
	return nil, io.EOF
}

// overlap reports whether a file could be matched by two of the walks: one
// root holds another (or is it). Only then are the paths read remembered,
// so that memory stays flat otherwise.
func overlap(walks []*walk) bool {
	roots := make([]string, len(walks))
	for i, w := range walks {
		roots[i] = w.g.root
		if abs, err := filepath.Abs(w.g.root); err == nil {
			roots[i] = abs
		}
	}
	for i, a := range roots {
		for _, b := range roots[i+1:] {
			if within(a, b) || within(b, a) {
				return true
			}
		}
	}
	return false
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readFile reads one document.
func readFile(name string, kind docKind) (document, error) {
	f, err := os.Open(name)
	if err != nil {
		return document{}, ioReason(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, docLimit+1))
	if err != nil {
		return document{}, ioReason(err)
	}
	if int64(len(raw)) > docLimit {
		size := int64(len(raw))
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		return document{}, &TooLargeError{Size: size, Limit: docLimit}
	}
	return readDocument(raw, kind)
}

// ioReason strips the path from a file system error: the record error
// names the file already.
func ioReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot read it: %w", pe.Err)
	}
	return err
}

// walk lists the files one pattern matches, a folder at a time.
type walk struct {
	g      glob
	single string  // a plain path naming a file: the only one
	stack  []frame // the folders being listed, the root first
	begun  bool
	found  int // files matched so far
}

type frame struct {
	dir     string
	segs    []string // dir's path below the root
	entries []fs.DirEntry
	i       int
}

// newWalk checks the pattern's root.
func newWalk(pattern string) (*walk, error) {
	if pattern == "" {
		return nil, errors.New("an empty file pattern")
	}
	g, literal := parseGlob(filepath.ToSlash(pattern))
	g.pattern, g.root = pattern, filepath.FromSlash(g.root)
	fi, err := os.Stat(g.root)
	if err != nil {
		return nil, &PatternError{Pattern: pattern, Root: g.root, Err: err}
	}
	w := &walk{g: g}
	switch {
	case literal && !fi.IsDir():
		w.single = pattern
	case literal:
		w.g.alts = [][]string{{"**", "*"}} // a folder: every file under it
	case !fi.IsDir():
		return nil, &PatternError{Pattern: pattern, Root: g.root, Err: errNotFolder}
	}
	return w, nil
}

// next returns the path of the next file that matches, with its ID; a
// *salvo.RecordError for a folder that cannot be listed; io.EOF at the end.
func (w *walk) next() (path, id string, err error) {
	if !w.begun {
		w.begun = true
		if w.single != "" {
			w.found++
			return w.single, filepath.ToSlash(filepath.Clean(w.single)), nil
		}
		if err := w.push(w.g.root, nil); err != nil {
			return "", "", err
		}
	}
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if top.i == len(top.entries) {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		e := top.entries[top.i]
		top.i++
		full := filepath.Join(top.dir, e.Name())
		segs := append(top.segs[:len(top.segs):len(top.segs)], e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			// A link to a file is read; a link to a folder is not
			// followed (it could lead back up).
			fi, err := os.Stat(full)
			if err != nil || fi.IsDir() {
				continue
			}
			typ = fi.Mode().Type()
		}
		switch {
		case typ.IsDir():
			if w.g.descends(segs) {
				if err := w.push(full, segs); err != nil {
					return "", "", err
				}
			}
		case typ.IsRegular():
			if w.g.matches(segs) {
				w.found++
				return full, strings.Join(segs, "/"), nil
			}
		}
	}
	return "", "", io.EOF
}

// push lists a folder.
func (w *walk) push(dir string, segs []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && len(entries) == 0 {
		return &salvo.RecordError{File: dir, Err: fmt.Errorf("cannot list the folder: %w", ioReason(err))}
	}
	w.stack = append(w.stack, frame{dir: dir, segs: segs, entries: entries})
	return nil
}
