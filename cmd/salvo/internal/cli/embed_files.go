package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"

	"github.com/salvoembed/salvo/engine"
	"github.com/salvoembed/salvo/source"
)

// filesHelp describes --files.
const filesHelp = "the FILEs are documents, one record per file: glob patterns (quote them: 'notes/**/*.md' 'site/**/*.html'), folders or paths; .txt, .md and .html are read (fields path, title, text; the ID is the path below the pattern's root), other files are skipped and counted"

// checkFilesFlags refuses the flags that mean nothing for documents.
func checkFilesFlags(f *embedFlags, patterns []string, changed func(string) bool) error {
	for _, flag := range []string{"format", "records", "id", "source-db", "sql", "write-back"} {
		if changed(flag) {
			return usageError("--files with --%s: documents have no format, records path or ID field to choose (the ID is the file's path below the pattern's root); drop --%s", flag, flag)
		}
	}
	if f.distributed {
		return usageError("--files with --distributed is not supported yet: run it without --distributed")
	}
	if len(patterns) == 0 {
		return usageError("--files needs one or more patterns or paths: salvo embed --files 'notes/**/*.md' 'site/**/*.html' (quote a pattern, so that the shell leaves it to salvo)")
	}
	if slices.Contains(patterns, source.Stdin) {
		return usageError("--files reads files, not standard input: drop -")
	}
	return nil
}

// readDocuments sets the plan's input and text for salvo embed --files:
// one record per document file that the patterns match, read one file at
// a time.
func (p *embedPlan) readDocuments(ctx context.Context, f *embedFlags, changed func(string) bool, patterns []string, stdio Stdio, open *closers) error {
	if err := checkFilesFlags(f, patterns, changed); err != nil {
		return err
	}
	renderer, err := newRenderer(f)
	if err != nil {
		return err
	}
	kept := keepOf(f, renderer)
	if len(f.keep) == 0 && !kept.all {
		// search, similar and serve show which document a vector is.
		names := []string{source.FieldTitle, source.FieldPath}
		for _, n := range kept.names {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		kept.names = names
	}
	r, err := source.OpenFiles(patterns)
	if err != nil {
		return err
	}
	in := &input{name: patterns[0], r: r}
	open.add(func() { closeInputs([]*input{in}) })
	in.sampleFile()
	smp := &sample{seen: map[string]bool{}, sure: true}
	smp.add(in, source.Options{}, renderer)
	smp.sure = true // every document has the same fields
	if err := checkSample(smp, renderer, source.Options{}, f, false, stdio); err != nil {
		return err
	}
	if p.store.collection == "" {
		p.store.collection = filesCollection(patterns[0])
	}
	limit := p.input.limit
	p.input.count = func(c *engine.Counters) {
		n, err := source.CountFiles(patterns)
		if err != nil {
			return
		}
		if limit > 0 && n > limit {
			n = limit
		}
		c.Total.Store(int64(n))
	}
	p.text.renderer, p.text.kept = renderer, kept
	p.input.records = withDocumentIDs(records([]*input{in}, source.Options{}, renderer, kept))
	p.input.skipped = r.Skipped
	return nil
}

// withDocumentIDs gives a document that could not be read the ID it would
// have had: its stored record is then not taken for gone (--prune), and the
// failure names it.
func withDocumentIDs(recs iter.Seq[engine.Input]) iter.Seq[engine.Input] {
	return func(yield func(engine.Input) bool) {
		for in := range recs {
			var de *source.DocumentError
			if in.Err != nil && in.ID == "" && errors.As(in.Err, &de) {
				in.ID = de.ID
			}
			if !yield(in) {
				return
			}
		}
	}
}

// filesCollection names the collection of documents after the folder of
// the first pattern: "notes" for 'notes/**/*.md', and for notes/a.md (a
// path the shell expanded) too.
func filesCollection(pattern string) string {
	root := source.PatternRoot(pattern)
	if !hasGlob(pattern) && filepath.Ext(root) != "" {
		root = filepath.Dir(root)
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if name := filepath.Base(root); name != "/" && name != "." && name != "" {
		return name
	}
	return "files"
}

// hasGlob reports whether pattern holds a metacharacter.
func hasGlob(pattern string) bool {
	return source.PatternRoot(pattern) != pattern
}

// printSkipped adds the files --files skipped to the report.
func printSkipped(w io.Writer, r *embedReport) {
	if r.SkippedFiles == nil || *r.SkippedFiles == 0 {
		return
	}
	fmt.Fprintf(w, "       %s skipped: salvo reads %s (e.g. %s)\n",
		plural(int64(*r.SkippedFiles), "file"), extList(), r.skippedExample)
}

func extList() string {
	s := ""
	for i, e := range source.DocumentExtensions {
		switch {
		case i == 0:
		case i == len(source.DocumentExtensions)-1:
			s += " and "
		default:
			s += ", "
		}
		s += e
	}
	return s
}
