#!/usr/bin/env bash
# Runs salvo and the guide's four Python approaches (bench/python) against the
# same kind of server, one after another, and prints a markdown table:
# throughput, ratio to the guide's recommended asyncio approach, how busy the
# server was kept, and what the client cost in CPU and memory.
#
#   bench/compare.sh fake [N]  a fresh fakeollama per approach with a fixed
#                              capacity (4 slots, 20ms per input, 10ms serial
#                              per request, 768 dims); N movies, default 400
#   bench/compare.sh cpu [N]   a fresh fakeollama per approach with no cost,
#                              so the client's own CPU per embedding shows;
#                              N default 5000
#   bench/compare.sh real [N]  the Ollama at $OLLAMA_HOST serving
#                              $SALVO_TEST_MODEL; when either is unset, one
#                              started with scripts/real-ollama.sh (instance
#                              $SALVO_OLLAMA_INSTANCE, default "bench") and
#                              stopped afterwards; N default 200
#   bench/compare.sh fleet [N] the same server, then a local fleet: the guide's
#                              asyncio script and salvo against one Ollama
#                              whose model uses every core (num_thread =
#                              nproc) and with the model at num_thread 1,
#                              then salvo against `salvo fleet up --instances
#                              auto` (started, warmed up and stopped here;
#                              the Ollama binary is $SALVO_OLLAMA_BIN or the
#                              one scripts/real-ollama.sh built, the models
#                              $OLLAMA_MODELS or that script's store);
#                              N default 300
#   ... --out FILE             also write the output to FILE
#   DIMS=N ... cpu             vectors of N dimensions (default 768): with
#                              DIMS=8 the vectors weigh almost nothing, and
#                              what remains is the cost of each record
#   SALVO_BIN=PATH ...         run this salvo binary instead of building
#                              one from the work tree (to compare builds)
#   ... --salvo-only           run only salvo, with its defaults and with
#                              --api embed (vectors as JSON numbers); no
#                              Python needed
#
# The first N movies of examples/movies.jsonl are used, or a generated catalog
# (internal/tools/moviegen, seed 7) when N is larger. salvo gets a fresh database per
# run, so nothing is cached. Seconds and emb/s are each program's own timing of
# its work; "wall s" is the whole process, start-up included. CPU and peak RSS
# come from GNU time; for multiprocessing the RSS of all its processes
# together (PSS) is sampled too.
#
# Needs Go, GNU time and Debian's Python with its aiohttp and requests:
#   apt-get install -y time python3-aiohttp python3-requests
set -Eeuo pipefail

die() { echo "compare.sh: $*" >&2; exit 1; }
trap 'echo "compare.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR
usage() { sed -n '2,/^set -Eeuo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

mode="" n="" out="" salvo_only=""
while (($#)); do
	case $1 in
	--out) (($# > 1)) || die "--out needs a FILE"; out=$2; shift ;;
	--out=*) out=${1#--out=} ;;
	--salvo-only) salvo_only=1 ;;
	-h | --help) usage ;;
	fake | cpu | real | fleet) [[ -z $mode ]] || usage; mode=$1 ;;
	*) [[ $1 =~ ^[1-9][0-9]*$ && -z $n ]] || die "unexpected argument '$1' (want: fake|cpu|real|fleet [N] [--out FILE] [--salvo-only])"; n=$1 ;;
	esac
	shift
done
[[ -n $mode ]] || usage
case $mode in
fake) n=${n:-400} ;;
cpu) n=${n:-5000} ;;
real) n=${n:-200} ;;
fleet) n=${n:-300} ;;
esac

PY=/usr/bin/python3
TEMPLATE='{{.title}} ({{.year}}). {{join .genres ", "}}. {{.summary}}'
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install -y time"
[[ -n $salvo_only ]] || $PY -c 'import aiohttp, requests' 2>/dev/null ||
	die "$PY cannot import aiohttp and requests: apt-get install -y python3-aiohttp python3-requests"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/salvo-compare.XXXXXX")
fake_pid="" run_pid="" started_real="" fleet_up=""
cleanup() {
	set +e
	[[ -n $fleet_up ]] && XDG_STATE_HOME=$tmp/state "$tmp/salvo" fleet down 2>/dev/null
	[[ -n $run_pid ]] && kill -- "-$run_pid" 2>/dev/null
	[[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	[[ -n $started_real ]] && scripts/real-ollama.sh down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "compare.sh: building salvo and fakeollama" >&2
if [[ -n ${SALVO_BIN:-} ]]; then
	cp "$SALVO_BIN" "$tmp/salvo"
else
	go build -o "$tmp/salvo" ./cmd/salvo
fi
go build -o "$tmp/fakeollama" ./ollamatest/cmd/fakeollama

catalog=$tmp/movies.jsonl
if ((n <= $(wc -l <examples/movies.jsonl))); then
	head -n "$n" examples/movies.jsonl >"$catalog"
	catalog_desc="the first $n movies of examples/movies.jsonl"
else
	go run ./internal/tools/moviegen/cmd/genmovies -n "$n" -seed 7 >"$catalog"
	catalog_desc="$n movies from \`go run ./internal/tools/moviegen/cmd/genmovies -n $n -seed 7\`"
fi

case $mode in
fake)
	model=nomic-embed-text
	fake_args=(-slots 4 -cost-per-input 20ms -cost-per-request 10ms -dims 768 -models "$model")
	;;
cpu)
	model=nomic-embed-text
	fake_args=(-slots 64 -cost-per-input 0 -cost-per-request 0 -dims "${DIMS:-768}" -models "$model")
	;;
real | fleet)
	if [[ -z ${OLLAMA_HOST:-} || -z ${SALVO_TEST_MODEL:-} ]]; then
		export SALVO_OLLAMA_INSTANCE=${SALVO_OLLAMA_INSTANCE:-bench}
		# Stopped afterwards only if it was not already running.
		scripts/real-ollama.sh status >/dev/null 2>&1 || started_real=1
		eval "$(scripts/real-ollama.sh up)"
	fi
	model=$SALVO_TEST_MODEL
	url=$OLLAMA_HOST
	[[ $url == *://* ]] || url=http://$url
	url=${url%/}
	echo "compare.sh: warming $model up on $url" >&2
	curl -fsS --max-time 300 "$url/api/embed" -d "{\"model\":\"$model\",\"input\":\"warm up\"}" >/dev/null ||
		die "cannot embed with $model at $url (is the model there? ollama pull $model)"
	;;
esac

# start_fake FILE: a fresh fakeollama whose output goes to FILE; sets url.
start_fake() {
	: >"$1"
	"$tmp/fakeollama" "${fake_args[@]}" >"$1" 2>"$1.err" &
	fake_pid=$!
	local i
	for ((i = 0; i < 200; i++)); do
		url=$(head -n 1 "$1" || true)
		[[ $url == http://* ]] && return
		kill -0 "$fake_pid" 2>/dev/null || die "fakeollama failed: $(cat "$1.err")"
		sleep 0.05
	done
	die "fakeollama printed no URL within 10s"
}

# stop_fake: SIGTERM makes fakeollama print its statistics and exit.
stop_fake() {
	kill -TERM "$fake_pid"
	wait "$fake_pid" || true
	fake_pid=
}

# tree_pss_kb PID: the proportional set size of PID's descendants together,
# in KB. PSS, unlike RSS, counts pages that forked processes share once.
tree_pss_kb() {
	local pids p
	pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				q = p
				while (q in parent && q != root && q > 1) q = parent[q]
				if (q == root && p != root) print p
			}
		}')
	for p in $pids; do
		cat "/proc/$p/smaps_rollup" 2>/dev/null || true # it may have exited
	done | awk '/^Pss:/ { sum += $2 } END { print sum + 0 }'
}

# warm MODEL URL [OPTIONS]: one request loads the model (with OPTIONS, as
# the runs will send them, so that they do not load it again).
warm() {
	curl -fsS --max-time 300 "$2/api/embed" -d "{\"model\":\"$1\",\"input\":\"warm up\"${3:+,\"options\":$3}}" >/dev/null ||
		die "cannot embed with $1 at $2"
}

if [[ $mode == fleet ]]; then
	cache=${SALVO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/salvo}
	ollama_bin=${SALVO_OLLAMA_BIN:-$(ls -d "$cache"/ollama-*/bin/ollama 2>/dev/null | head -n 1)}
	[[ -x $ollama_bin ]] || die "no Ollama binary: set SALVO_OLLAMA_BIN or run scripts/real-ollama.sh build"
	models=${OLLAMA_MODELS:-$cache/serve/models}
	export XDG_STATE_HOME=$tmp/state # the fleet's state file, which salvo embed reads
	threads=$(nproc)
	one_model=$model
	# The same weights, loaded with every core: what a user's Ollama does.
	all_model=$model-threads$threads
	curl -fsS --max-time 300 "$url/api/create" \
		-d "{\"model\":\"$all_model\",\"from\":\"$model\",\"parameters\":{\"num_thread\":$threads},\"stream\":false}" >/dev/null ||
		die "cannot create $all_model from $model on $url"
	warm "$all_model" "$url"
fi

commands=() nrun=0 setup=""
# run NAME FLAGS: runs one approach over the catalog and records the result
# in $tmp/runs.tsv for table.py ($setup, when set, names the servers).
run() {
	local name=$1 flags=$2 i=$((++nrun)) cmd rc=0 peak=0 cur
	local base=$tmp/run$i server=
	if [[ $mode != real && $mode != fleet ]]; then
		start_fake "$base.server"
		# With no cost per input the server is never busy: no utilisation.
		[[ $mode == fake ]] && server=$base.server
	fi
	# shellcheck disable=SC2206 # flags are plain words
	local extra=($flags)
	case $name in
	salvo) cmd=("$tmp/salvo" embed "$catalog" --host "$url" --model "$model" --db "$base.db" --text "$TEMPLATE" --json --quiet "${extra[@]}") ;;
	*) cmd=("$PY" "bench/python/$name.py" --input "$catalog" --host "$url" --model "$model" --out "$base.jsonl" "${extra[@]}") ;;
	esac
	local shown
	shown=$(printf '%q ' "${cmd[@]}")
	shown=${shown//$tmp/\$TMP}
	commands+=("${shown//$url/\$URL}")
	echo "compare.sh: [$i] $name $flags" >&2

	# A session of its own, so cleanup can end the run with all its processes.
	setsid -w /usr/bin/time -f '%e %U %S %M' -o "$base.time" "${cmd[@]}" >"$base.out" 2>"$base.err" &
	run_pid=$!
	if [[ $name == multiprocessing_pool ]]; then
		# Sampled, and only here: GNU time reports the largest single process.
		while kill -0 "$run_pid" 2>/dev/null; do
			cur=$(tree_pss_kb "$run_pid")
			((cur > peak)) && peak=$cur
			sleep 0.2
		done
	fi
	wait "$run_pid" || rc=$?
	run_pid=
	[[ -n $fake_pid ]] && stop_fake
	if ((rc != 0 && rc != 2)); then
		echo "compare.sh: $name $flags exited with $rc:" >&2
		tail -n 5 "$base.err" >&2
	elif [[ -s $base.err ]]; then
		echo "compare.sh: $name $flags logged $(wc -l <"$base.err") lines of errors, the last:" >&2
		tail -n 1 "$base.err" >&2
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$flags" "$rc" "$base.time" "$base.out" "$server" "$peak" "$setup" >>"$tmp/runs.tsv"
}

load=$(cut -d ' ' -f 1-3 /proc/loadavg)
if [[ $mode == fleet ]]; then
	model=$all_model setup="one Ollama, model num_thread $threads"
	run asyncio_aiohttp "--concurrent 10"
	run salvo ""
	model=$one_model setup="one Ollama, model num_thread 1"
	warm "$model" "$url"
	run asyncio_aiohttp "--concurrent 10"
	run salvo ""
	for pin in "" --pin; do
		echo "compare.sh: salvo fleet up --instances auto $pin" >&2
		fleet_out=$(OLLAMA_MODELS=$models "$tmp/salvo" fleet up --instances auto $pin --ollama "$ollama_bin" 2>"$tmp/fleet.err") ||
			die "salvo fleet up failed: $(cat "$tmp/fleet.err")"
		fleet_up=1
		fleet_url=${fleet_out#OLLAMA_HOST=}
		fleet_threads=$("$tmp/salvo" fleet status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["instances"][0]["num_thread"])')
		IFS=, read -ra fleet_hosts <<<"$fleet_url"
		for h in "${fleet_hosts[@]}"; do warm "$model" "http://$h" "{\"num_thread\":$fleet_threads}"; done
		commands+=("salvo fleet up --instances auto${pin:+ $pin} --ollama \$OLLAMA_BIN   # \$URL=$fleet_url")
		url=$fleet_url setup="salvo fleet up --instances auto${pin:+ $pin}: ${#fleet_hosts[@]} Ollama, num_thread $fleet_threads each"
		run salvo ""
		url=${url%%,*}
		"$tmp/salvo" fleet down 2>/dev/null
		fleet_up=
	done
	url=${OLLAMA_HOST:-$url}
	[[ $url == *://* ]] || url=http://$url
else
run salvo ""
if [[ -n $salvo_only ]]; then
	run salvo "--api embed"
else
	run salvo "--api embeddings --concurrency 10"
	run asyncio_aiohttp "--concurrent 10"
	run threadpool "--max-workers 10"
	if [[ $mode == real ]]; then
		run multiprocessing_pool "--workers 4 --batch-size 50"
	else
		run multiprocessing_pool "--workers 10 --batch-size 100"
		formula=$((n / 20)) # the guide's batch_size = total_movies // (workers * 2)
		((formula > 0 && formula != 100)) && run multiprocessing_pool "--workers 10 --batch-size $formula"
	fi
	run sequential ""
fi
fi

{
	echo "Mode \`$mode\`, $catalog_desc; load average before: $load."
	case $mode in
	real) echo "Server: Ollama at \$URL=$url, model $model (warmed up first)." ;;
	fleet) echo "Servers: Ollama at \$URL=$url, models $all_model (num_thread $threads) and $one_model (num_thread 1), then \`salvo fleet up --instances auto\` (\$URL = its OLLAMA_HOST), each warmed up first; machine: $(nproc) cores." ;;
	*) echo "Server: a fresh \`fakeollama ${fake_args[*]}\` per approach (\$URL = its address)." ;;
	esac
	echo
	echo '```'
	printf '%s\n' "${commands[@]}"
	echo '```'
	echo
	$PY bench/table.py "$tmp/runs.tsv"
} | tee "${out:-/dev/null}"
