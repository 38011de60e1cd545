#!/usr/bin/env bash
# Runs salvo's main job on the sample catalog: embeds examples/movies.jsonl,
# prints the report and `salvo status`.
#
# It uses the Ollama at $OLLAMA_HOST (default 127.0.0.1:11434) when one
# answers, with $SALVO_MODEL (default nomic-embed-text). Where no Ollama
# answers, it builds and starts one with a small fixture model
# (scripts/real-ollama.sh; the first build takes about 20 minutes on 2 cores) and stops
# it afterwards. That server is an instance of its own (SALVO_OLLAMA_INSTANCE,
# default "demo"): a fixture server already running for the tests is neither
# used nor stopped.
#
#   scripts/demo.sh                 # embed, report, status
#   scripts/demo.sh --limit 50      # extra flags go to salvo embed
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/salvo"
mkdir -p "$cache/bin"
echo "demo: building salvo" >&2
go build -o "$cache/bin/salvo" ./cmd/salvo
salvo="$cache/bin/salvo"

host="${OLLAMA_HOST:-127.0.0.1:11434}"
[[ "${host#*://}" == *:* ]] || host="$host:11434" # Ollama's default port, as Ollama reads OLLAMA_HOST
url="$host"
[[ "$url" == *://* ]] || url="http://$url"
model="${SALVO_MODEL:-nomic-embed-text}"

# next_steps says how to go on once the demo's own server is stopped.
next_steps() {
	cat >&2 <<'HINT'

demo: the demo's Ollama is stopped. To try every command of the README, keep one up:
        go install ./cmd/salvo
        set -a; eval "$(scripts/real-ollama.sh up)"; set +a
        salvo embed examples/movies.jsonl --model salvo-fixture-minilm --fields title,summary
      and stop it with scripts/real-ollama.sh down (README.md, "A tour of every command").
HINT
}

if curl -fsS -m 3 "$url/api/version" >/dev/null 2>&1; then
	echo "demo: using the Ollama at $host" >&2
	# Read the list first: `curl | grep -q` under pipefail fails when grep
	# stops reading early.
	tags=$(curl -fsS -m 5 "$url/api/tags" || true)
	if [[ "$tags" != *"\"name\":\"$model"[:\"]* ]]; then
		echo "demo: the Ollama at $host does not have the model $model." >&2
		echo "      Pull it with:  OLLAMA_HOST=$host ollama pull $model" >&2
		echo "      or run:        SALVO_MODEL=<a model it has> scripts/demo.sh" >&2
		exit 1
	fi
else
	echo "demo: no Ollama answers at $host; starting one with the fixture model" >&2
	echo "demo: (the first time, building Ollama takes about 20 minutes on 2 cores; later runs reuse it)" >&2
	export SALVO_OLLAMA_INSTANCE="${SALVO_OLLAMA_INSTANCE:-demo}"
	trap 'scripts/real-ollama.sh down >&2 || true; next_steps' EXIT
	eval "$(scripts/real-ollama.sh up)"
	host="$OLLAMA_HOST"
	model="$SALVO_TEST_MODEL"
fi

db="${SALVO_DEMO_DB:-salvo-demo.db}"
set +e
"$salvo" embed examples/movies.jsonl --host "$host" --model "$model" --db "$db" \
	--text '{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}' "$@"
code=$?
set -e
echo >&2
"$salvo" status --db "$db"
exit "$code"
