package ollamatest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Defaults used where a Config field is zero.
const (
	DefaultModel   = "nomic-embed-text"
	DefaultDims    = 768
	DefaultSlots   = 1 // Ollama evaluates embedding models with parallel=1
	DefaultVersion = "0.17.4"
	// LegacyVersion is reported when Config.LegacyOnly is set: the last
	// release before /api/embed appeared in 0.2.6.
	LegacyVersion = "0.2.5"
)

// Config describes the server's models and capacity. The zero value serves
// DefaultModel with DefaultDims dimensions, one slot, no cost, no queue
// limit and no context limit.
type Config struct {
	// Models are the served model names. A name matches with or without
	// ":latest", case-insensitively, with or without "registry.ollama.ai/"
	// and "library/". Default: [DefaultModel].
	Models []string
	// Dims is the length of the vectors. Default: DefaultDims.
	Dims int
	// Slots is the number of requests evaluated in parallel. Default 1.
	Slots int
	// CostPerInput is the slot time one input takes. The inputs of one
	// request are evaluated one after another in one slot.
	CostPerInput time.Duration
	// CostPerRequest is paid by every embedding request under one global
	// lock before it takes a slot, so it is serial across requests
	// (scheduling, tokenising, HTTP handling: about 20 ms on a CPU Ollama).
	CostPerRequest time.Duration
	// QueueLimit is the number of requests that may wait for a slot; one
	// more is answered 503 at once, like OLLAMA_MAX_QUEUE (Ollama's
	// default is 512). 0 means no limit.
	QueueLimit int
	// ContextTokens is the model's context in tokens, a token being a
	// whitespace-separated word. Longer inputs are cut to their first
	// ContextTokens words, or with "truncate":false rejected with 400.
	// 0 means no limit.
	ContextTokens int
	// Words makes a text's vector the normalised sum of one vector per
	// word (see [WordsVector]), so that texts sharing words are near: a
	// search test can then find a document by some of its words. Off, a
	// vector is a hash of the whole text (see [Vector]).
	Words bool
	// LegacyOnly serves only /api/embeddings, like an Ollama older than
	// 0.2.6: /api/embed and the /v1 paths answer 404.
	LegacyOnly bool
	// Version is reported by /api/version. Default DefaultVersion, or
	// LegacyVersion with LegacyOnly.
	Version string
	// LoadDuration is reported as load_duration (and added to
	// total_duration) by the first /api/embed request after the start, or
	// after a request with keep_alive 0 unloaded the model: a cold load.
	// The server does not wait for it.
	LoadDuration time.Duration
	// Revision stands for the version of the served models: a non-empty
	// one changes the digests /api/tags reports (see [DigestOf]), as
	// another version of a model under the same name would. The vectors
	// do not change.
	Revision string
	// Pullable are names that /api/pull can fetch; once pulled they are
	// served. Pulling a served model always succeeds. See [Server.AllowPull].
	Pullable []string
}

func (c Config) withDefaults() Config {
	if len(c.Models) == 0 {
		c.Models = []string{DefaultModel}
	}
	if c.Dims <= 0 {
		c.Dims = DefaultDims
	}
	if c.Slots <= 0 {
		c.Slots = DefaultSlots
	}
	if c.Version == "" {
		c.Version = DefaultVersion
		if c.LegacyOnly {
			c.Version = LegacyVersion
		}
	}
	return c
}

// Server is a running (or, from NewUnstarted, not yet started) fake
// Ollama. All its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	ts      *httptest.Server
	started time.Time

	reqLock chan struct{} // the global lock under which CostPerRequest is paid
	slots   chan struct{}

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced when st changes while someone Awaits
	waiters  int
	models   map[string]*modelInfo
	pullable map[string]bool
	cold     bool // the next request loads the model
	down     bool
	gate     chan struct{} // slot holders wait for it to close; nil when open
	faults   []fault
	chaos    *chaos
	perText  map[string]textFault
	record   bool
	texts    []string
	st       Stats
}

// New starts a server on a free port of 127.0.0.1. Close it when done.
func New(cfg Config) *Server {
	s := NewUnstarted(cfg)
	s.Start()
	return s
}

// NewUnstarted returns a server that does not listen yet: use its Handler
// directly, or call Start.
func NewUnstarted(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		started:  time.Now(),
		reqLock:  make(chan struct{}, 1),
		slots:    make(chan struct{}, cfg.Slots),
		changed:  make(chan struct{}),
		models:   make(map[string]*modelInfo),
		pullable: make(map[string]bool),
		cold:     true,
		perText:  make(map[string]textFault),
	}
	for _, name := range cfg.Models {
		s.addModel(name, s.started)
	}
	for _, name := range cfg.Pullable {
		s.pullable[canonical(name)] = true
	}
	s.st.ByPath = make(map[string]int)
	s.st.Slots = cfg.Slots
	return s
}

// Start starts a server made by NewUnstarted on a free port of the
// loopback interface. It panics if the server was started already.
func (s *Server) Start() {
	if s.ts != nil {
		panic("ollamatest: Start called twice")
	}
	s.ts = httptest.NewServer(s) // httptest listens on 127.0.0.1 only
}

// URL is the base URL, e.g. "http://127.0.0.1:39153", without a slash. It
// is empty until the server is started.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Addr is the host:port the server listens on, the form OLLAMA_HOST takes;
// empty until the server is started.
func (s *Server) Addr() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.Listener.Addr().String()
}

// Close stops the server and closes its connections, waiting for its
// handlers to return; requests waiting at a Gate are released first.
func (s *Server) Close() {
	s.openGate()
	if s.ts != nil {
		s.ts.CloseClientConnections()
		s.ts.Close()
	}
}

// CloseClientConnections closes the open connections at once, as a
// restarting server would, without stopping the server.
func (s *Server) CloseClientConnections() {
	if s.ts != nil {
		s.ts.CloseClientConnections()
	}
}

// Handler is the server's http.Handler (the Server itself).
func (s *Server) Handler() http.Handler { return s }

// Config returns the configuration in force, with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// ServeHTTP routes like Ollama's gin router: unknown paths answer
// "404 page not found" and known paths with another method
// "405 method not allowed", both as text/plain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.down
	if down {
		s.st.Refused++
	} else {
		s.st.ByPath[r.URL.Path]++
	}
	s.notifyLocked()
	s.mu.Unlock()
	if down {
		hangUp(w, true)
		return
	}

	p := r.URL.Path
	if s.cfg.LegacyOnly && (p == "/api/embed" || strings.HasPrefix(p, "/v1/")) {
		plainError(w, http.StatusNotFound, "404 page not found")
		return
	}
	var h http.HandlerFunc
	get := false // GET and HEAD, else POST
	switch p {
	case "/":
		h, get = s.handleRoot, true
	case "/api/version":
		h, get = s.handleVersion, true
	case "/api/tags":
		h, get = s.handleTags, true
	case "/v1/models":
		h, get = s.handleOpenAIModels, true
	case "/api/embed":
		h = s.embedding(s.handleEmbed)
	case "/api/embeddings":
		h = s.embedding(s.handleEmbeddings)
	case "/v1/embeddings":
		h = s.embedding(s.handleOpenAI)
	case "/api/show":
		h = s.handleShow
	case "/api/pull":
		h = s.handlePull
	default:
		plainError(w, http.StatusNotFound, "404 page not found")
		return
	}
	ok := r.Method == http.MethodPost
	if get {
		ok = r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	if !ok {
		plainError(w, http.StatusMethodNotAllowed, "405 method not allowed")
		return
	}
	h(w, r)
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("Ollama is running"))
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.cfg.Version})
}

// plainError answers like gin's default 404 and 405 pages.
func plainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// hangUp closes the connection without an answer, as a crashed server or
// a broken proxy would; with reset the peer gets a TCP reset instead of an
// orderly close.
func hangUp(w http.ResponseWriter, reset bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok && reset {
				tc.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
