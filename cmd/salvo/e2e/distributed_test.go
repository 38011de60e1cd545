package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/salvoembed/salvo/cluster"
	"github.com/salvoembed/salvo/ollamatest"
	"github.com/salvoembed/salvo/postgres/pgtest"
)

const vegaRecords = 3201

// TestDistributedWorkersOneKilled: three salvo processes, each with its own
// server, run the same command over the 3,201-record test catalog on one
// PostgreSQL 15. The one that leads River is killed with SIGKILL while it
// holds a job; the two others finish every job, that one included, after
// its lease. Every record is stored, the servers together embed at most
// 5% more texts than there are records, and salvo status shows the jobs.
func TestDistributedWorkersOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds salvo and runs it as three processes")
	}
	bin := buildSalvo(t)
	pg := pgtest.PostgreSQL(t)
	db := pg.Fresh(t)
	u, _ := url.Parse(db)
	schema := pgx.Identifier{u.Query().Get("schema")}.Sanitize()
	in := filepath.Join(repoRoot(t), "testdata", "catalogs", "vega-movies.jsonl")

	// 200 texts/s each: the run lasts about 5 s, long enough to kill one.
	srvs := make([]*ollamatest.Server, 3)
	procs := make([]*process, 3)
	started := time.Now()
	for i := range srvs {
		srvs[i] = ollamatest.New(ollamatest.Config{Slots: 1, CostPerInput: 5 * time.Millisecond})
		t.Cleanup(srvs[i].Close)
		cmd := exec.Command(bin, "embed", in, "--distributed", "--job-size", "200", "--lease", "3s", "--batch-size", "32", "--db", db,
			"--host", srvs[i].URL(), "--text", `{{.Title}} ({{index . "Release Date"}}), {{index . "Major Genre"}}`, "--json")
		procs[i] = start(t, cmd)
	}

	ctx := context.Background()
	conn, err := pg.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The victim: River's leader (whose death also costs a new election),
	// once it has sent texts and holds a job.
	victim, leaderID := -1, ""
	waitFor(t, "River's leader to hold a job", 30*time.Second, func() (bool, error) {
		var id string
		err := conn.QueryRow(ctx, "SELECT leader_id FROM "+schema+".river_leader").Scan(&id)
		if err != nil {
			return false, nil // no leader yet, or no table yet
		}
		for i, p := range procs {
			if strings.Contains(id, fmt.Sprintf("_pid%d_", p.cmd.Process.Pid)) {
				victim, leaderID = i, id
			}
		}
		if victim < 0 || srvs[victim].Stats().Embedded < 50 {
			return false, nil
		}
		var holds bool
		err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+schema+".river_job WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1)", id).Scan(&holds)
		return holds, err
	})
	if err := procs[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killedAt, victimSent := time.Since(started), srvs[victim].Stats().Inputs

	for i, p := range procs {
		err := <-p.exited
		p.exited <- err
		if i == victim {
			if p.cmd.ProcessState.Success() {
				t.Errorf("the victim was not killed: it exited 0")
			}
			continue
		}
		if err != nil {
			t.Fatalf("worker %d: %v\n%s", i, err, p.stderr.String())
		}
	}
	took := time.Since(started)

	sent := 0
	for _, s := range srvs {
		sent += s.Stats().Inputs
	}
	if sent > vegaRecords*105/100 {
		t.Errorf("the servers embedded %d texts for %d records, want at most 5%% more", sent, vegaRecords)
	}
	read := 0
	for i, p := range procs {
		if i == victim {
			continue
		}
		var s struct {
			Read int
			Jobs struct{ Worked int }
		}
		if err := json.Unmarshal(p.cmd.Stdout.(*bytes.Buffer).Bytes(), &s); err != nil {
			t.Fatalf("worker %d --json: %v", i, err)
		}
		read += s.Read
	}
	if read >= vegaRecords*2 {
		t.Errorf("the survivors read %d records: jobs were worked more than once", read)
	}

	var rescued int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".river_job WHERE state = 'completed' AND $1 = ANY(attempted_by) AND attempted_by[array_length(attempted_by, 1)] <> $1", leaderID).Scan(&rescued); err != nil {
		t.Fatal(err)
	}
	if rescued == 0 {
		t.Errorf("no job of the killed worker was finished by another")
	}

	r := salvo(t, "status", "--db", db, "--json")
	var st struct {
		Collections []collection
		Jobs        []cluster.Counts
	}
	if err := json.Unmarshal([]byte(r.out), &st); err != nil || len(st.Collections) != 1 {
		t.Fatalf("status --json: %s (%v)", r.out, err)
	}
	if c := st.Collections[0].Count; c != vegaRecords {
		t.Errorf("%d records stored, want %d", c, vegaRecords)
	}
	if len(st.Jobs) != 1 || st.Jobs[0].Done != 17 || st.Jobs[0].Running+st.Jobs[0].Waiting+st.Jobs[0].Failed != 0 {
		t.Errorf("status jobs: %+v, want 17 done", st.Jobs)
	}
	if r := salvo(t, "status", "--db", db); !strings.Contains(r.out, "DONE") || !strings.Contains(r.out, "RUNNING") || !strings.Contains(r.out, "WAITING") {
		t.Errorf("salvo status shows no jobs:\n%s", r.out)
	}
	t.Logf("the killed worker's server had received %d texts", victimSent)
	t.Logf("killed the leader (worker %d) at %.1fs; the two others finished at %.1fs; %d texts sent for %d records; %d job(s) of the dead worker finished by another",
		victim, killedAt.Seconds(), took.Seconds(), sent, vegaRecords, rescued)
}
