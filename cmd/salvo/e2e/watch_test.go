package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

// The command line, as a process on PostgreSQL 15:
// `salvo embed --source-db URL --sql … --write-back T.C --watch 1s` keeps
// the table's vectors current (5 inserted rows and 3 updated titles within
// 5 s), sends nothing while nothing changes, and SIGTERM stops it with
// exit 130.
func TestWatchProcessPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as a process")
	}
	bin := buildSalvo(t)
	pg := pgtest.PostgreSQL(t)
	schema := pg.NewSchema(t)
	pg.Exec(t, "CREATE TABLE "+schema+".movies (id integer PRIMARY KEY, title text NOT NULL)")
	pg.Exec(t, "INSERT INTO "+schema+".movies SELECT i, 'movie ' || i FROM generate_series(1, 50) AS i")
	srv := ollamatest.New(ollamatest.Config{Dims: 16})
	t.Cleanup(srv.Close)
	db := filepath.Join(t.TempDir(), "salvo.db")
	p := start(t, exec.Command(bin, "embed", "--source-db", pg.URL, "--sql", "SELECT id, title FROM "+schema+".movies",
		"--fields", "title", "--write-back", schema+".movies.embedding", "--watch", "1s", "--host", srv.URL(), "--db", db))

	ctx := context.Background()
	conn, err := pg.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	written := func() (int64, error) {
		var n int64
		err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".movies WHERE embedding IS NOT NULL").Scan(&n)
		return n, err
	}
	alive := func() {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("salvo exited (%v)\n%s", err, p.stderr.String())
		default:
		}
	}
	waitFor(t, "the first poll", time.Minute, func() (bool, error) {
		alive()
		n, _ := written() // an error until the write-back creates the column
		return n == 50 && strings.Contains(p.stderr.String(), "salvo: poll 1:"), nil
	})
	requests := srv.Stats().Requests
	waitFor(t, "two more polls", 10*time.Second, func() (bool, error) {
		alive()
		return strings.Contains(p.stderr.String(), "salvo: poll 3:"), nil
	})
	if got := srv.Stats().Requests; got != requests {
		t.Errorf("polls over unchanged rows sent %d requests", got-requests)
	}

	var old string
	if err := conn.QueryRow(ctx, "SELECT string_agg(embedding::text, '|' ORDER BY id) FROM "+schema+".movies WHERE id IN (10, 20, 30)").Scan(&old); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".movies SELECT i, 'new movie ' || i FROM generate_series(51, 55) AS i"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE "+schema+".movies SET title = title || ' (director''s cut)' WHERE id IN (10, 20, 30)"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "5 inserted and 3 updated rows written back", 5*time.Second, func() (bool, error) {
		alive()
		n, err := written()
		if err != nil || n != 55 {
			return false, err
		}
		var now string
		err = conn.QueryRow(ctx, "SELECT string_agg(embedding::text, '|' ORDER BY id) FROM "+schema+".movies WHERE id IN (10, 20, 30)").Scan(&now)
		return now != old, err
	})

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, p.cmd, p.exited, 30*time.Second, p.stderr)
	if code := p.cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("SIGTERM: exit %d, want 130\n%s", code, p.stderr.String())
	}
}
