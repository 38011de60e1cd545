package cli

import (
	"time"

	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/engine"
	"github.com/spf13/pflag"
)

const embedHelp = `Usage: salvo embed [flags] FILE...
       salvo embed [flags] --source-db DB --sql QUERY [--write-back TABLE.COLUMN]
       salvo embed [flags] --files 'PATTERN'...     documents: one record per .txt, .md, .html file

Reads records from FILEs (.jsonl/.ndjson, .json, .csv, .tsv, or - for standard
input, also read when no FILE is given) or from the rows of a query (--source-db, --sql), renders
one text per record, embeds the texts through Ollama and stores the vectors in
a SQLite database (--db PATH) or in PostgreSQL (--db postgres://…). Records
already stored with the same text and model are skipped, so a second run only
does what the first did not finish; identical texts share one request. With
--write-back the vectors also go into a column of the query's table.

Examples:
  salvo embed examples/movies.jsonl --fields title,year,genres,summary
  salvo embed movies.csv --text '{{.Title}} ({{index . "Release Date"}})' --id imdb_id
  salvo embed dump.json --records data.movies --host gpu1:11434,gpu2:11434
  cat movies.jsonl | salvo embed --collection movies
  salvo embed --files 'notes/**/*.md' 'site/**/*.html'   # one record per file: fields path, title, text
  salvo embed movies.jsonl --collection movies --plan   # what a run would do: counts, texts, time; sends and writes nothing
  salvo embed movies.jsonl --collection movies --prune  # also delete the stored records the file no longer has
  salvo embed --source-db postgres://app@db/shop --sql "SELECT id, title, summary FROM movies" \
      --fields title,summary --write-back movies.embedding
  salvo embed --source-db postgres://app@db/shop --sql "SELECT id, title, updated_at FROM movies" \
      --fields title --write-back movies.embedding --watch 30s --changed-since updated_at   # keep it current
  salvo embed movies.jsonl --fields title,summary --distributed --db postgres://db/catalog   # same line on each machine

Exit codes: 0 all stored; 1 fatal (flags, server, model, database);
2 finished but some records failed (see --failures); 130 interrupted
(--watch runs until SIGINT or SIGTERM: 130).

Flags:
`

// embedFlags is the command line of salvo embed, as parsed: nothing
// changes it after parseFlags. newEmbedPlan reads it into an embedPlan.
type embedFlags struct {
	hosts        hostList
	model        string
	api          string
	concurrency  autoInt
	batchSize    autoInt
	text         string
	allowConst   bool // --allow-constant-text
	fields       []string
	prefix       string
	idField      string
	records      string
	format       string
	db           dbTarget
	collection   string
	limit        int
	skip         bool
	force        bool
	retries      int
	timeout      time.Duration
	hostTimeout  time.Duration
	dbTimeout    time.Duration
	rate         float64
	failures     string
	jsonOut      bool
	quiet        bool
	dimensions   int
	keepAlive    string
	truncate     bool
	chunk        chunkFlag // --chunk: auto, off (0) or tokens
	chunkOverlap int
	pull         bool
	args         []string // as salvo embed received them, for the run ledger
	apiKeyEnv    string
	onDuplicate  string
	sourceDB     string
	sql          string
	writeBack    string
	keep         []string
	numThread    int
	metricsAddr  string
	distributed  bool
	jobSize      int
	lease        time.Duration
	plan         bool // --plan: print what the run would do, do nothing
	prune        bool // --prune: delete the records the input lacks
	pruneMax     pruneLimit
	files        bool // --files: the FILEs are documents, one record each

	// --watch: poll the input this often; --changed-since COLUMN,
	// --full-every N.
	watch        time.Duration
	changedSince string
	fullEvery    int
}

func (f *embedFlags) register(fs *pflag.FlagSet) {
	f.registerServer(fs)
	fs.Var(&f.concurrency, "concurrency", "requests in flight per host, or auto: adapt to the server (aliases: --concurrent, --workers)")
	fs.Var(&f.batchSize, "batch-size", "texts per request, or auto: aim at ~2 s requests (--api embeddings sends one)")
	f.registerInput(fs)
	f.registerChunk(fs)
	fs.BoolVar(&f.files, "files", false, filesHelp) // salvo embed's only: bench reads one catalog
	dbFlag(fs, &f.db)
	fs.StringVar(&f.collection, "collection", "", "collection `NAME` (default: the first file's name without extension)")
	fs.StringSliceVar(&f.keep, "keep", nil, "record fields (`FIELD,…`) to keep with each vector, shown by search and serve ('*': all; default: the fields the text is made of)")
	fs.IntVar(&f.limit, "limit", 0, "stop after `N` records (0: all)")
	fs.BoolVar(&f.skip, "skip-existing", true, "skip records whose text and model are already stored")
	fs.BoolVar(&f.force, "force", false, "re-embed everything, ignoring stored vectors and the cache")
	fs.IntVar(&f.retries, "retries", engine.DefaultRetries, "resends of a failed request (exponential backoff, full jitter)")
	fs.DurationVar(&f.timeout, "timeout", engine.DefaultTimeout, "per-request timeout")
	fs.DurationVar(&f.hostTimeout, "host-timeout", engine.DefaultHostTimeout, "stop when every server has failed (answering errors, or not at all) for this long")
	fs.DurationVar(&f.dbTimeout, "db-timeout", 2*time.Minute, "PostgreSQL: retry a batch whose connection was lost (a restart, a failover) for this long, then stop")
	fs.Float64Var(&f.rate, "rate", 0, "at most `R` texts per second over all hosts (0: unlimited)")
	fs.StringVar(&f.failures, "failures", "", "failures file `PATH` (default: <db without extension>.failures.jsonl)")
	fs.StringVar(&f.onDuplicate, "on-duplicate", "fail", "a record whose ID an earlier record of the run has: fail (reported, exit 2), first (keep the first), last (keep the last)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the final summary as one JSON object on stdout")
	fs.BoolVar(&f.plan, "plan", false, "print what the run would do (new, changed, unchanged, gone records; the texts to send; an estimate of the time) and stop: no request, nothing written")
	fs.BoolVar(&f.prune, "prune", false, "after a run that read all of its input without a fatal error or an interrupt, delete the collection's records whose IDs the input lacks")
	f.pruneMax = pruneLimit{pct: 50, percent: true}
	fs.Var(&f.pruneMax, "prune-max", "with --prune: delete at most `N` records, or N% of the collection; more is refused and nothing is deleted")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress, no report (errors only)")
	fs.BoolVar(&f.distributed, "distributed", false, "share the run with every process that runs the same command on the same --db postgres://… (any machine): the input is split into jobs in PostgreSQL (River)")
	fs.IntVar(&f.jobSize, "job-size", cluster.DefaultJobSize, "with --distributed: records per job; a job must finish within --lease")
	fs.DurationVar(&f.lease, "lease", cluster.DefaultLease, "with --distributed: how long a job may run; the job of a process that died is given to another after it")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`ADDR`/metrics while the run goes on, e.g. 127.0.0.1:9464")
}

// registerServer adds the flags that choose the server, model and endpoint.
func (f *embedFlags) registerServer(fs *pflag.FlagSet) {
	fs.Var(&f.hosts, "host", "Ollama server `URL`; repeat or comma-separate for several (default $OLLAMA_HOST, else http://127.0.0.1:11434)")
	fs.StringVar(&f.model, "model", "nomic-embed-text", "embedding model `NAME`")
	fs.StringVar(&f.api, "api", "auto", "endpoint: auto (/v1/embeddings with base64 vectors on Ollama ≥ 0.12.7, else /api/embed, else /api/embeddings), embed, embeddings, openai (/v1/embeddings)")
	fs.IntVar(&f.dimensions, "dimensions", 0, "ask the model for `N`-dimensional vectors (models that support it)")
	fs.StringVar(&f.keepAlive, "keep-alive", "", "how long Ollama keeps the model loaded after the run, e.g. 10m or -1")
	fs.BoolVar(&f.truncate, "truncate", true, "let the server cut texts longer than the model's context (reported as truncated); false: such records fail")
	fs.BoolVar(&f.pull, "pull", false, "pull the model through the server when it is missing")
	fs.StringVar(&f.apiKeyEnv, "api-key-env", "", "environment variable `NAME` holding a bearer token for /v1/embeddings (default $SALVO_API_KEY; with --api openai, $OPENAI_API_KEY)")
	fs.IntVar(&f.numThread, "num-thread", 0, "send options.num_thread `N` with every request (uses /api/embed); default: a fleet host's share of the cores (salvo fleet up), else the model's own")
}

// registerInput adds the flags that say how to read records and build texts.
func (f *embedFlags) registerInput(fs *pflag.FlagSet) {
	fs.StringVar(&f.text, "text", "", "Go `TEMPLATE` for the text, e.g. '{{.title}} ({{.year}}): {{.summary}}'; keys with spaces: {{index . \"Major Genre\"}}")
	fs.BoolVar(&f.allowConst, "allow-constant-text", false, "embed a --text template that gives every record the same text (refused otherwise: it names no field, or every sampled record got one text)")
	fs.StringSliceVar(&f.fields, "fields", nil, "embed these fields (`FIELD,…`) as \"a: <a>\\nb: <b>\" (default: the field \"text\")")
	fs.StringVar(&f.prefix, "prefix", "", "`STRING` prepended to every text, e.g. \"search_document: \"")
	fs.StringVar(&f.idField, "id", "id", "`FIELD` holding the record ID; records without it get FILE:LINE")
	fs.StringVar(&f.records, "records", "", "for .json: dotted `PATH` to the array of records, e.g. data.movies")
	fs.StringVar(&f.format, "format", "", "input format: jsonl, json, csv or tsv (default: by extension, else by content)")
	fs.StringVar(&f.sourceDB, "source-db", "", "read records from a database instead of files: postgres://… `URL`, or a SQLite file (PATH, sqlite:PATH or file:PATH)")
	fs.StringVar(&f.sql, "sql", "", "with --source-db: the `QUERY` whose rows are the records; its columns are the fields")
	fs.DurationVar(&f.watch, "watch", 0, "keep running: every `DURATION` (e.g. 30s) read the input again and embed what is new or changed (with --prune, delete what is gone); a file is read again when its size or modification time changes")
	fs.StringVar(&f.changedSince, "changed-since", "", "with --watch and --source-db: a poll reads only the rows whose `COLUMN` (e.g. updated_at) is past the highest value the last poll saw")
	fs.IntVar(&f.fullEvery, "full-every", defaultFullEvery, "with --changed-since: every `N`th poll reads every row, which finds deleted rows (--prune)")
	fs.StringVar(&f.writeBack, "write-back", "", "with --source-db: write each vector into `TABLE.COLUMN` of that database, keyed by the --id column (created if missing); the pieces of long texts (--chunk) go into TABLE_chunks, the row gets their mean")
}
