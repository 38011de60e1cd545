#!/usr/bin/env bash
# Cold `salvo search` against a server that answers at once: the time from
# process start to the printed results, loading N vectors from SQLite.
#
#   scripts/bench-search.sh [N] [RUNS] [DIMS]   default 100000 vectors of 768, 10 runs
#
# SALVO_BIN=PATH measures that build of salvo instead of building this
# checkout (to compare two builds in one session). It builds salvo, fakeollama (ollamatest standalone: answers without cost)
# and genmovies into a temporary folder, embeds N generated movies there
# (title as text), runs one search by words (the words index is built by the
# first one after a run, timed apart), then runs `salvo search` RUNS times under /usr/bin/time
# and prints each run's wall time, CPU time (user + system: what the run
# costs, whatever else the machine runs) and peak memory, and the medians.
# Peak RSS counts the database pages SQLite maps into memory.
#
# SERVE_REQUESTS=2000 then also starts `salvo serve`, times its first
# answer (a /api/similar, which loads the collection), sends that many mixed
# search/similar requests from 32 clients at once (curl), and prints the
# requests per second and the server's resident and peak memory.
set -euo pipefail
n=${1:-100000}
runs=${2:-10}
dims=${3:-768}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${fake_pid:-}" "${serve_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cd "$repo"
if [[ -n ${SALVO_BIN:-} ]]; then
	cp "$SALVO_BIN" "$work/salvo"
else
	go build -o "$work/salvo" ./cmd/salvo
fi
go build -o "$work/fakeollama" ./ollamatest/cmd/fakeollama
go run ./internal/tools/moviegen/cmd/genmovies -n "$n" >"$work/movies.jsonl"

port_file=$work/fake.addr
"$work/fakeollama" -addr 127.0.0.1:0 -models all-minilm -dims "$dims" >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 100); do
	host=$(grep -o '127.0.0.1:[0-9]*' "$work/fake.err" "$work/fake.out" 2>/dev/null | head -1 | cut -d: -f2-) || true
	[[ -n $host ]] && break
	sleep 0.1
done
[[ -n $host ]] || { echo "fakeollama did not start" >&2; cat "$work/fake.err" >&2; exit 1; }

cd "$work"
./salvo embed movies.jsonl --host "$host" --model all-minilm --text '{{.title}} ({{.year}})' --keep title,year --quiet
./salvo status
# The first search by words after a run indexes the words of the records
# it stored (SQLite): timed apart, once, so that the runs below measure a
# cold search of an embedded collection.
/usr/bin/time -f '%e %U %S %M' -o time.txt ./salvo search --mode text --k 1 'heist' >/dev/null 2>&1
read -r secs user sys kb <time.txt
echo "first search by words (indexes the words of the run): ${secs}s wall, user $user, sys $sys, peak RSS $((kb / 1024)) MB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
times=() cpus=()
for i in $(seq "$runs"); do
	/usr/bin/time -f '%e %U %S %M' -o time.txt ./salvo search --host "$host" --k 10 'a heist comedy set in Paris' >/dev/null
	read -r secs user sys kb <time.txt
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
	echo "run $i: ${secs}s wall, ${cpu}s CPU (user $user, sys $sys), peak RSS $((kb / 1024)) MB"
	times+=("$secs") cpus+=("$cpu")
done
median() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median of $runs runs: $(printf '%s\n' "${times[@]}" | median)s wall, $(printf '%s\n' "${cpus[@]}" | median)s CPU; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ -n ${SERVE_REQUESTS:-} ]] || exit 0
./salvo serve --host "$host" --addr 127.0.0.1:0 2>serve.err &
serve_pid=$!
for _ in $(seq 100); do
	addr=$(grep -o 'http://127.0.0.1:[0-9]*' serve.err | head -1) || true
	[[ -n $addr ]] && break
	sleep 0.1
done
[[ -n $addr ]] || { echo "salvo serve did not start" >&2; cat serve.err >&2; exit 1; }
first=$(curl -s -o /dev/null -w '%{time_total}' "$addr/api/similar?collection=movies&id=1&k=10")
echo "serve: first answer (/api/similar, loading the collection) in ${first}s"
for i in $(seq "$SERVE_REQUESTS"); do
	if ((i % 2)); then
		echo "$addr/api/similar?collection=movies&id=$((i * 7919 % n + 1))&k=10"
	else
		echo "$addr/api/search?collection=movies&q=heist%20comedy%20$i&k=10"
	fi
done >urls.txt
start=$(date +%s.%N)
xargs -P 32 -n 1 curl -s -o /dev/null -w '%{http_code} %{time_total}\n' <urls.txt >answers.txt
end=$(date +%s.%N)
ok=$(grep -c '^200 ' answers.txt || true)
lat() { awk '{print $2}' answers.txt | sort -n | awk -v p="$1" '{a[NR]=$1} END {i = int(NR * p / 100); if (i < 1) i = 1; printf "%.0f", a[i] * 1000}'; }
echo "serve: $ok of $SERVE_REQUESTS answered 200 from 32 clients in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}')s ($(awk -v a="$start" -v b="$end" -v n="$SERVE_REQUESTS" 'BEGIN {printf "%.0f", n / (b - a)}') requests/s, p50 $(lat 50) ms, p95 $(lat 95) ms)"
echo "serve: resident $(awk '/VmRSS/ {printf "%d MB", $2 / 1024}' /proc/$serve_pid/status), peak $(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' /proc/$serve_pid/status), vectors $((n * dims * 4 / 1000000)) MB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
