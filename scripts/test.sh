#!/usr/bin/env bash
# Runs salvo's whole test suite: brings up a real Ollama server with the
# fixture model (built once, cached under ${XDG_CACHE_HOME:-~/.cache}/salvo;
# the first build takes ~20 minutes on 2 cores), runs `go test -race ./...` against it,
# and stops the server. The output is go test's own (ok and FAIL lines, the
# output of failed tests), followed by the tests that skipped, grouped by the
# reason they gave (go test -json, through scripts/testsummary); the exit
# code is go test's.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -run TestReal ./cmd/salvo/e2e/      # extra arguments go to go test
#   SALVO_SKIP_REAL_OLLAMA=1 scripts/test.sh  # without the real server (its tests skip)
#   OLLAMA_HOST=h:p SALVO_TEST_MODEL=m scripts/test.sh  # against a server you run
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${SALVO_SKIP_REAL_OLLAMA:-}" && -z "${SALVO_TEST_MODEL:-}" ]]; then
	echo "test: starting a real Ollama with the fixture model (scripts/real-ollama.sh up)" >&2
	eval "$(scripts/real-ollama.sh up)"
	export OLLAMA_HOST SALVO_TEST_MODEL
	stop_ollama=1
fi
tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
	if [[ -n ${stop_ollama:-} ]]; then scripts/real-ollama.sh down >&2 || true; fi
}
trap cleanup EXIT

args=("$@")
if ((${#args[@]} == 0)); then
	args=(./...)
fi
# -v or -json asked for: go test's own output, as asked.
for a in "${args[@]}"; do
	if [[ $a == -v || $a == -v=* || $a == -json ]]; then
		go test -race -timeout 30m "${args[@]}" && exit 0 || exit $?
	fi
done
go build -o "$tmp/testsummary" ./scripts/testsummary
set +e
go test -race -json -timeout 30m "${args[@]}" | "$tmp/testsummary"
codes=("${PIPESTATUS[@]}")
set -e
if ((codes[0] != 0)); then
	exit "${codes[0]}"
fi
exit "${codes[1]}"
