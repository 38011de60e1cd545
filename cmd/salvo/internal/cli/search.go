package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/salvoembed/salvo"
	"github.com/salvoembed/salvo/search"
	"github.com/spf13/pflag"
)

const searchHelp = `Usage: salvo search [flags] QUERY

Prints the k stored records that best match QUERY, best first. --mode says
how they are ranked:
  hybrid (default)  both rankings below, fused: a record whose kept field (or
                    text) is the query itself comes first, then the words
                    count as much as they set records apart, so an exact
                    title or name is found whatever the model, and meaning
                    wins where the words are common; when the query
                    cannot be embedded (server down), the words rank
                    alone, with a warning
  vector            meaning: QUERY is embedded with the collection's own
                    model, endpoint and query prefix, and records rank by
                    cosine similarity
  text              words: records rank by BM25 over their text and kept
                    fields (an exact match first, then the phrase); no
                    server is needed
The query prefix matches how the documents were embedded: the model's query
prefix if they got its document prefix (embed --prefix), else none.
With SQLite, the first search by words (text or hybrid) after salvo embed
indexes the words of the records it stored (about 35 µs each, once).

Examples:
  salvo search 'a heist comedy set in Paris'
  salvo search --k 5 --show title,year --json 'movies like Heat'
  salvo search --where 'year >= 2000' --where 'genres ~ sci' 'a heist in space'
  salvo search --mode text 'The Waltz of Kestrel Mills'

Flags:
`

const similarHelp = `Usage: salvo similar [flags] ID

Prints the k records most similar to the stored record ID (never ID itself).
No request is sent: the stored vector is the query. --where keeps only the
records whose kept fields match, before ranking.

Flags:
`

// findFlags are the flags search and similar share.
type findFlags struct {
	db         dbTarget
	collection string
	k          int
	show       []string
	jsonOut    bool
	where      []string           // --where: conditions on kept fields, all must hold
	prefixes   *search.PrefixPair // search: the prefixes that applied, for --json
	mode       search.Mode        // search: the mode that ranked, when not the one asked (for --json)
	warning    string             // search: why
	st         store              // the store open returned the collection of
	perRecord  bool               // --per-record: each record once, by its best piece
}

func (f *findFlags) register(fs *pflag.FlagSet) {
	dbFlag(fs, &f.db)
	fs.StringVar(&f.collection, "collection", "", "collection `NAME` (default: the only one)")
	fs.IntVar(&f.k, "k", 10, "how many results")
	fs.StringSliceVar(&f.show, "show", nil, "the fields (`FIELD,…`) to show (default: the kept fields; see embed --keep)")
	fs.BoolVar(&f.jsonOut, "json", false, `print {"results":[{"id":…,"score":…,"fields":{…}}, …]}`)
	f.registerPieces(fs)
	fs.StringArrayVar(&f.where, "where", nil, "only records whose kept fields match `EXPR`, e.g. 'year >= 2000', 'genres ~ sci', 'genres in (Drama, Comedy)' (= != < <= > >= ~ in; repeat: all must hold)")
}

// filter parses --where against the collection's kept fields.
func (f *findFlags) filter(c *search.Collection) (search.Where, error) {
	w, err := search.ParseWheres(f.where, c.Info.Keep)
	var fe *search.FieldError
	switch {
	case errors.As(err, &fe) && len(fe.Kept) == 0:
		return nil, usageError("--where: %v: embed with --keep FIELD,… to keep fields to filter on", err)
	case errors.As(err, &fe):
		return nil, usageError("--where: %v", err)
	case err != nil && c.Info.Keep == "*":
		return nil, usageError("--where: %v; write FIELD OP VALUE, e.g. 'year >= 2000' (operators = != < <= > >= ~ in)", err)
	case err != nil:
		return nil, usageError("--where: %v; write FIELD OP VALUE, e.g. 'year >= 2000' (operators = != < <= > >= ~ in); the kept fields are %s", err, strings.ReplaceAll(c.Info.Keep, ",", ", "))
	}
	return w, nil
}

// open opens the database and loads the collection to search.
func (f *findFlags) open(ctx context.Context) (*search.Collection, func() error, error) {
	if f.k < 1 {
		return nil, nil, usageError("--k %d: ask for at least 1 result", f.k)
	}
	st, err := f.db.openReadOnly(ctx)
	if err != nil {
		return nil, nil, err
	}
	name, err := pickCollection(ctx, st, f.db.String(), f.collection)
	if err == nil {
		var c *search.Collection
		if c, err = search.Open(ctx, st, name, search.Options{}); err == nil {
			c.PerPiece = !f.perRecord
			f.st = st
			return c, st.Close, nil
		}
	}
	st.Close()
	return nil, nil, err
}

func runSearch(ctx context.Context, args []string, stdio Stdio) error {
	var f findFlags
	var hosts hostList
	var api, model string
	fs := newFlagSet("search", searchHelp, stdio)
	fs.Var(&hosts, "host", "Ollama server `URL` (default $OLLAMA_HOST, else http://127.0.0.1:11434)")
	fs.StringVar(&api, "api", "", "endpoint: auto, embed, embeddings, openai (default: the one the collection was embedded with)")
	fs.StringVar(&model, "model", "", "expected model `NAME` (default: the collection's; another one is refused)")
	f.register(fs)
	modeName := fs.String("mode", string(search.ModeHybrid), "how to rank (`MODE`): hybrid (words and meaning), vector (meaning) or text (words)")
	queryPrefix := fs.String("query-prefix", "", "`STRING` put before the query (default: the model's query prefix when the collection was embedded with its document prefix, e.g. \"search_query: \" after --prefix \"search_document: \" for nomic-embed-text; else none)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	query := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(query) == "" {
		return usageError("%v: give the text to search for, e.g. salvo search 'a heist comedy set in Paris'", search.ErrEmptyQuery)
	}
	mode, err := search.ParseMode(*modeName)
	if err != nil {
		return usageError("--mode: %v", err)
	}
	c, closeStore, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	if model != "" && !salvo.SameModel(model, c.Info.Model) {
		return &salvo.ModelMismatchError{Collection: c.Info.Name, Have: c.Info.Model, Want: model}
	}
	where, err := f.filter(c)
	if err != nil {
		return err
	}
	if mode != search.ModeVector {
		if f.warning = indexWords(ctx, f.st, f.db.String(), stdio); f.warning != "" {
			fmt.Fprintf(stdio.Err, "salvo: warning: %s\n", f.warning)
		}
	}
	prefix := search.QueryPrefixFor(c.Info) // the pair of the collection's document prefix
	if fs.Changed("query-prefix") {
		prefix = *queryPrefix
	}
	f.prefixes = &search.PrefixPair{Document: c.Info.Prefix, Query: prefix}
	connect := func() (salvo.Embedder, error) { return queryEmbedder(ctx, hosts, api, c.Info, stdio) }
	results, used, why, err := c.FindFallback(ctx, connect, query, prefix, f.k, where, mode)
	if errors.Is(err, search.ErrEmptyQuery) {
		return usageError("%v; or use --mode vector", err)
	}
	if err != nil {
		return err
	}
	if why != nil {
		w := fallbackWarning(why)
		fmt.Fprintf(stdio.Err, "salvo: warning: %s\n", w)
		f.mode, f.warning = used, strings.TrimPrefix(f.warning+"; "+w, "; ")
	}
	return printResults(stdio.Out, results, &f, c.Info)
}

// fallbackWarning says that a hybrid search ranked by words alone, and
// why.
func fallbackWarning(why error) string {
	return fmt.Sprintf("the results rank by words alone, as with --mode text: the query could not be embedded: %v", why)
}

// queryEmbedder connects to hosts (default: $OLLAMA_HOST…) for the
// collection's model, through the endpoint the collection was embedded
// with unless api (--api) says another.
func queryEmbedder(ctx context.Context, hosts []string, api string, c salvo.Collection, stdio Stdio) (salvo.Embedder, error) {
	s := serverPlan{hosts: hosts, model: c.Model, api: api, dimensions: c.Dimensions, truncate: true, quiet: true}
	if len(s.hosts) == 0 {
		s.hosts = defaultHosts()
	}
	if s.api == "" {
		s.api = apiOfEndpoint(c.Endpoint)
	}
	engineHosts, key, _, _, err := connect(ctx, s, stdio)
	if err != nil {
		return nil, err
	}
	if c.Digest != "" && key.Digest != "" && key.Digest != c.Digest {
		fmt.Fprintf(stdio.Err, "salvo: warning: %s on %s is not the build collection %q was embedded with (digest %.12s, not %.12s): scores may be off; embed the collection again to match\n",
			c.Model, engineHosts[0].Name, c.Name, key.Digest, c.Digest)
	}
	return engineHosts[0].Embedder, nil
}

// apiOfEndpoint is the --api value for an endpoint a collection remembers.
// /v1/embeddings maps to auto, which picks it on an Ollama that has it:
// --api openai would send $OPENAI_API_KEY, which the user did not mean for
// this server (give --api openai for an OpenAI-compatible server).
func apiOfEndpoint(endpoint string) string {
	switch endpoint {
	case "/api/embed":
		return "embed"
	case "/api/embeddings":
		return "embeddings"
	}
	return "auto"
}

func runSimilar(ctx context.Context, args []string, stdio Stdio) error {
	var f findFlags
	fs := newFlagSet("similar", similarHelp, stdio)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("give one record ID, e.g. salvo similar tt0113277 (got %d arguments)", fs.NArg())
	}
	c, closeStore, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	where, err := f.filter(c)
	if err != nil {
		return err
	}
	results, err := c.SimilarWhere(ctx, fs.Arg(0), f.k, where)
	if err != nil {
		return err
	}
	return printResults(stdio.Out, results, &f, c.Info)
}

// pickCollection returns name (the collection it stands for when it is an
// alias), or the only collection of the store; an unknown name gets the
// list of the collections there are.
func pickCollection(ctx context.Context, st salvo.Store, db, name string) (string, error) {
	name, err := salvo.Resolve(ctx, st, name) // an alias: its collection
	if err != nil {
		return "", err
	}
	colls, err := st.Collections(ctx)
	if err != nil {
		return "", err
	}
	names := make([]string, len(colls))
	for i, c := range colls {
		names[i] = c.Name
	}
	switch {
	case len(colls) == 0:
		return "", fmt.Errorf("%s has no collections yet: run salvo embed first", db)
	case name == "" && len(colls) == 1:
		return colls[0].Name, nil
	case name == "":
		return "", usageError("%s holds %d collections (%s): choose one with --collection", db, len(colls), strings.Join(names, ", "))
	case !slices.Contains(names, name):
		return "", usageError("%s has no collection %q; its collections: %s (choose one with --collection)", db, name, strings.Join(names, ", "))
	}
	return name, nil
}

// printResults writes results as JSON or as an aligned table of rank, score
// and the fields to show.
func printResults(w io.Writer, results []search.Result, f *findFlags, c salvo.Collection) error {
	if f.jsonOut {
		if results == nil {
			results = []search.Result{}
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			Results  []search.Result    `json:"results"`
			Prefixes *search.PrefixPair `json:"prefixes,omitempty"`
			Mode     search.Mode        `json:"mode,omitempty"`    // set when a hybrid search fell back to words
			Warning  string             `json:"warning,omitempty"` // why
		}{results, f.prefixes, f.mode, f.warning})
	}
	show := f.show
	if len(show) == 0 && c.Keep != "" && c.Keep != "*" {
		show = strings.Split(c.Keep, ",")
	}
	if len(show) == 0 { // every kept field, in the order of the first result that has any
		for _, r := range results {
			if keys, _ := objectKeys(r.Fields); len(keys) > 0 {
				show = keys
				break
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "RANK\tSCORE\tID")
	for _, s := range show {
		fmt.Fprint(tw, "\t", strings.ToUpper(s))
	}
	if len(show) == 0 {
		fmt.Fprint(tw, "\tTEXT")
	}
	fmt.Fprintln(tw)
	for i, r := range results {
		fmt.Fprintf(tw, "%d\t%.4f\t%s", i+1, r.Score, cell(r.ID))
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(r.Fields, &fields)
		for _, s := range show {
			fmt.Fprint(tw, "\t", cell(fieldText(fields[s])))
		}
		if len(show) == 0 {
			fmt.Fprint(tw, "\t", cell(r.Text))
		}
		fmt.Fprintln(tw)
		printPassage(tw, r)
	}
	return tw.Flush()
}

// objectKeys lists the keys of a JSON object in the order written.
func objectKeys(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, err
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys, err
		}
	}
	return keys, nil
}

// fieldText is a kept value for a table: strings as they are, lists
// comma-separated, anything else as JSON.
func fieldText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = fieldText(v)
		}
		return strings.Join(parts, ", ")
	}
	return string(raw)
}

// cellWidth bounds a table cell, so a summary does not fill the screen.
const cellWidth = 60

// cell is s on one line, cut to cellWidth characters.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= cellWidth {
		return s
	}
	r := []rune(s)
	return string(r[:cellWidth-1]) + "…"
}
