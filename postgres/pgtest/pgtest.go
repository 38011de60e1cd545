// Package pgtest starts throw-away PostgreSQL servers for tests: a real
// PostgreSQL (Debian's postgresql-15 binaries, run from a temporary folder)
// and PGlite with pgvector (PostgreSQL compiled to WebAssembly, from npm).
//
// A test package starts each server at most once, when a test first asks
// for it, and stops it when the package's tests end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.PostgreSQL(t).Fresh(t) // a new, empty schema
//		...
//	}
//
// SALVO_TEST_POSTGRES=URL uses a server you run instead of starting one;
// SALVO_TEST_PGLITE=URL does the same for PGlite. When a server can be
// neither started nor found, its tests skip and say how to run them (and
// fail when CI=true).
package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bin is where Debian's postgresql-15 package puts its programs.
const Bin = "/usr/lib/postgresql/15/bin"

// PGlitePackage is the npm package (and version) that serves PGlite over
// the PostgreSQL protocol; it brings @electric-sql/pglite-pgvector.
const PGlitePackage = "@electric-sql/pglite-socket@0.2.17"

// Server is a PostgreSQL server for tests.
type Server struct {
	URL  string // postgres://… of its database
	Name string // "PostgreSQL" or "PGlite", for messages

	dir     string // the temporary folder the server lives in; "" for one we did not start
	stop    func() error
	restart func() error
	down    func() error
	up      func() error
	n       atomic.Int64
}

// Fresh creates a new schema on the server, drops it when the test ends,
// and returns the server's URL with ?schema=NAME (the schema salvo's store
// uses).
func (s *Server) Fresh(tb testing.TB) string {
	tb.Helper()
	schema := s.NewSchema(tb)
	u, _ := url.Parse(s.URL)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// NewSchema creates a new, empty schema and drops it when the test ends.
func (s *Server) NewSchema(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n.Add(1))
	s.Exec(tb, "CREATE SCHEMA "+name)
	tb.Cleanup(func() { s.Exec(tb, "DROP SCHEMA "+name+" CASCADE") })
	return name
}

// Exec runs SQL statements on the server on a connection of their own.
func (s *Server) Exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	s.on(tb, sql, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	})
}

// Scan runs a query of one row on a connection of its own and scans the
// row into dest.
func (s *Server) Scan(tb testing.TB, sql string, args []any, dest ...any) {
	tb.Helper()
	s.on(tb, sql, func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, sql, args...).Scan(dest...)
	})
}

// on runs fn on a connection of its own, within a minute; an error fails
// the test, naming sql.
func (s *Server) on(tb testing.TB, sql string, fn func(context.Context, *pgx.Conn) error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := s.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := fn(ctx, conn); err != nil {
		tb.Fatalf("%s: %s: %v", s.Name, sql, err)
	}
}

// Conn opens a connection to the server (the simple protocol, which PGlite
// needs when connections share its one backend).
func (s *Server) Conn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := Connect(ctx, s.URL)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", s.Name, s.URL, err)
	}
	return conn, nil
}

// Stop stops the server and removes its files; a server the tests did not
// start is left alone.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	err := s.stop()
	if s.dir != "" {
		err = errors.Join(err, os.RemoveAll(s.dir))
	}
	return err
}

// Restart restarts a server the tests started, on the same port, as
// `pg_ctl restart -m fast` does: every connection ends (SQLSTATE 57P01)
// and the server accepts new ones once it is back. Use a server of the
// test's own (StartPostgreSQL): the package's shared one serves other
// tests at the same time.
func (s *Server) Restart() error {
	if s.restart == nil {
		return fmt.Errorf("%s at %s was not started by the tests: it cannot be restarted", s.Name, s.URL)
	}
	return s.restart()
}

// Down stops a server the tests started (pg_ctl stop -m fast) and keeps
// its files; Up starts it again on the same port. See Restart.
func (s *Server) Down() error {
	if s.down == nil {
		return fmt.Errorf("%s at %s was not started by the tests: it cannot be stopped", s.Name, s.URL)
	}
	return s.down()
}

// Up starts a server that Down stopped.
func (s *Server) Up() error {
	if s.up == nil {
		return fmt.Errorf("%s at %s was not started by the tests: it cannot be started", s.Name, s.URL)
	}
	return s.up()
}

// unavailable says why a server cannot be had and how to get one.
type unavailable struct{ why, how string }

func (u *unavailable) Error() string { return u.why + "; " + u.how }

var (
	mu      sync.Mutex
	started = map[string]*Server{}
	failed  = map[string]error{}
)

// get returns the server of this kind, starting it on first use.
func get(tb testing.TB, kind string, start func() (*Server, error)) *Server {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if s := started[kind]; s != nil {
		return s
	}
	err := failed[kind]
	if err == nil {
		var s *Server
		if s, err = start(); err == nil {
			started[kind] = s
			return s
		}
		failed[kind] = err
	}
	var u *unavailable
	if errors.As(err, &u) && os.Getenv("CI") != "true" {
		tb.Skipf("no %s for this test: %v", kind, err)
	}
	tb.Fatalf("%s: %v", kind, err)
	return nil
}

// Run runs the tests of m and then stops the servers they started; use it
// in TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	for kind, s := range started {
		if err := s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping %s: %v\n", kind, err)
			if code == 0 {
				code = 1
			}
		}
		delete(started, kind)
	}
	return code
}

// PostgreSQL returns the package's PostgreSQL 15 server, starting it on
// first use (fsync off: tests do not survive power cuts, and need not).
func PostgreSQL(tb testing.TB) *Server {
	tb.Helper()
	return get(tb, "PostgreSQL", func() (*Server, error) {
		if u := os.Getenv("SALVO_TEST_POSTGRES"); u != "" {
			return &Server{URL: u, Name: "PostgreSQL"}, nil
		}
		return StartPostgreSQL(false)
	})
}

// DurablePostgreSQL is [PostgreSQL] with PostgreSQL's default durability
// (fsync on every commit), for benchmarks. With SALVO_TEST_POSTGRES it is
// that server.
func DurablePostgreSQL(tb testing.TB) *Server {
	tb.Helper()
	return get(tb, "PostgreSQL (durable)", func() (*Server, error) {
		if u := os.Getenv("SALVO_TEST_POSTGRES"); u != "" {
			return &Server{URL: u, Name: "PostgreSQL"}, nil
		}
		return StartPostgreSQL(true)
	})
}

// PGlite returns the package's PGlite server with pgvector, starting it on
// first use.
func PGlite(tb testing.TB) *Server {
	tb.Helper()
	return get(tb, "PGlite", func() (*Server, error) {
		if u := os.Getenv("SALVO_TEST_PGLITE"); u != "" {
			return &Server{URL: u, Name: "PGlite"}, nil
		}
		return StartPGlite()
	})
}

// StartPostgreSQL initialises a database cluster in a temporary folder
// (trust authentication, user postgres) and starts PostgreSQL on a free
// loopback port. When the process runs as root, the server runs as the
// postgres user, as PostgreSQL refuses to run as root. durable keeps
// PostgreSQL's default fsync; otherwise it is off, which makes tests
// faster.
func StartPostgreSQL(durable bool) (*Server, error) {
	bin := os.Getenv("SALVO_POSTGRES_BIN")
	if bin == "" {
		bin = Bin
	}
	if _, err := os.Stat(filepath.Join(bin, "pg_ctl")); err != nil {
		return nil, &unavailable{
			why: "PostgreSQL 15 is not installed (" + filepath.Join(bin, "pg_ctl") + " is missing)",
			how: "install it (apt-get install postgresql-15), set SALVO_POSTGRES_BIN to its bin folder, or set SALVO_TEST_POSTGRES=postgres://… to a server the tests may create schemas in",
		}
	}
	dir, err := os.MkdirTemp("", "salvo-pg-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir)
	if !durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if err := run("pg_ctl", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return &Server{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Name: "PostgreSQL",
		dir:  dir,
		stop: func() error { return run("pg_ctl", "-w", "-D", data, "-m", "immediate", "stop") },
		restart: func() error {
			return run("pg_ctl", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-m", "fast", "-o", opts, "restart")
		},
		down: func() error { return run("pg_ctl", "-w", "-D", data, "-m", "fast", "stop") },
		up: func() error {
			return run("pg_ctl", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "start")
		},
	}, nil
}

// PGliteDir is the folder PGlite is installed in:
// $SALVO_PGLITE_DIR, else salvo/pglite under the user's cache folder.
func PGliteDir() string {
	if d := os.Getenv("SALVO_PGLITE_DIR"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "salvo", "pglite")
}

// StartPGlite starts PGlite with pgvector on a free loopback port, from
// the npm package installed in [PGliteDir]. It accepts a few connections
// (-m 4), which share its one backend: clients must send each query as one
// message (the simple protocol), as salvo does on PGlite.
func StartPGlite() (*Server, error) {
	dir := PGliteDir()
	script := filepath.Join(dir, "node_modules", "@electric-sql", "pglite-socket", "dist", "scripts", "server.js")
	how := fmt.Sprintf("install it with: mkdir -p %s && cd %s && npm install %s (or set SALVO_TEST_PGLITE=postgres://… to a PGlite server you run)", dir, dir, PGlitePackage)
	if _, err := os.Stat(script); err != nil {
		return nil, &unavailable{why: "PGlite is not installed (" + script + " is missing)", how: how}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, &unavailable{why: "node is not installed", how: "install Node.js 18 or newer, then " + how}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, script, "-p", strconv.Itoa(port), "-h", "127.0.0.1", "-m", "4", "-e", "@electric-sql/pglite-pgvector:vector")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan error, 1)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		listening := false
		for sc.Scan() { // read to the end: the pipe must not fill up
			if listening {
				continue
			}
			if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
			if strings.Contains(sc.Text(), "listening") {
				listening = true
				ready <- nil
			}
		}
		if !listening {
			ready <- fmt.Errorf("PGlite exited before it listened:\n%s", log.String())
		}
	}()
	select {
	case err = <-ready:
	case <-time.After(2 * time.Minute):
		err = errors.New("PGlite did not listen within 2 minutes")
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, err
	}
	return &Server{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Name: "PGlite",
		stop: func() error {
			cmd.Process.Kill()
			cmd.Wait()
			return nil
		},
	}, nil
}

// freePort returns a loopback TCP port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Connect opens a connection to rawURL with the simple protocol, as
// [Server.Conn]; a schema parameter (salvo's) is left out.
func Connect(ctx context.Context, rawURL string) (*pgx.Conn, error) {
	if u, err := url.Parse(rawURL); err == nil {
		q := u.Query()
		q.Del("schema")
		u.RawQuery = q.Encode()
		rawURL = u.String()
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	return pgx.ConnectConfig(ctx, cfg)
}
