#!/usr/bin/env bash
# Runs salvo's whole test suite: brings up a real Ollama server with the
# fixture model (built once, cached under ${XDG_CACHE_HOME:-~/.cache}/salvo;
# the first build takes ~10 minutes), runs `go test -race ./...` against it,
# and stops the server.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -run TestReal ./e2e/      # extra arguments go to go test
#   SALVO_SKIP_REAL_OLLAMA=1 scripts/test.sh  # without the real server (its tests skip)
#   OLLAMA_HOST=h:p SALVO_TEST_MODEL=m scripts/test.sh  # against a server you run
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${SALVO_SKIP_REAL_OLLAMA:-}" && -z "${SALVO_TEST_MODEL:-}" ]]; then
	echo "test: starting a real Ollama with the fixture model (scripts/real-ollama.sh up)" >&2
	eval "$(scripts/real-ollama.sh up)"
	export OLLAMA_HOST SALVO_TEST_MODEL
	trap 'scripts/real-ollama.sh down >&2 || true' EXIT
fi

args=("$@")
if ((${#args[@]} == 0)); then
	args=(./...)
fi
go test -race -timeout 30m "${args[@]}"
