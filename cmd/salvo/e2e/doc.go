// Package e2e holds salvo's end-to-end tests: the command line against a real
// Ollama server (the three endpoints agreeing, a full queue, a server killed
// and restarted mid-run, truncation, --keep-alive and --dimensions), and
// salvo as a process: killed with SIGKILL at ten random points and run again
// (the crash suite), stopped by signals on an idle standard input, and
// facing store faults (a read-only database, two runs on one file, a full
// disk), and a fleet of
// two real servers started, used and stopped with salvo fleet (it needs the
// Ollama binary scripts/real-ollama.sh builds).
//
// The real-server tests run when OLLAMA_HOST and SALVO_TEST_MODEL are set;
// otherwise they skip. The simplest way to run them is
//
//	scripts/test.sh ./e2e/
//
// or, with a server you keep running between runs,
//
//	set -a; eval "$(scripts/real-ollama.sh up)"; set +a
//	go test -race ./e2e/
//	scripts/real-ollama.sh down
//
// Tests that need to restart, kill or reconfigure a server start their own
// instance through scripts/real-ollama.sh (SALVO_OLLAMA_INSTANCE), so the
// shared one is never disturbed.
package e2e
