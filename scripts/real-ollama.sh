#!/usr/bin/env bash
# Run a real Ollama server on this machine for salvo's tests, serving a small
# generated fixture embedding model (see internal/tools/fixturemodel).
#
#   scripts/real-ollama.sh build   build Ollama (cached, reused when present)
#   scripts/real-ollama.sh up      build if needed, start `ollama serve` on
#                                  127.0.0.1:11434 (salvo's default) when
#                                  that port is free and no instance is named,
#                                  else on a free 127.0.0.1 port, create the
#                                  fixture model if needed, then print on
#                                  stdout:
#                                    OLLAMA_HOST=127.0.0.1:PORT
#                                    SALVO_TEST_MODEL=salvo-fixture-minilm
#   scripts/real-ollama.sh down    stop the server started by `up`
#   scripts/real-ollama.sh status  say whether it runs (exit 1 if not) and
#                                  print the same assignments as `up`, to
#                                  eval in another shell
#
# Typical use:   eval "$(scripts/real-ollama.sh up)"; ...; scripts/real-ollama.sh down
#
# The assignments are not exported; for child processes such as `go test`
# use:   set -a; eval "$(scripts/real-ollama.sh up)"; set +a
#
# Everything except the two assignments goes to stderr. The environment is
# passed through to `ollama serve`, so OLLAMA_MAX_QUEUE, OLLAMA_NUM_PARALLEL,
# OLLAMA_KEEP_ALIVE, ... can be set by the caller (only HOME, OLLAMA_HOST and
# OLLAMA_MODELS are set by this script). The fixture model is created with
# PARAMETER num_thread 1, which keeps throughput steady on a busy machine.
#
# Everything lives under ${XDG_CACHE_HOME:-$HOME/.cache}/salvo (override with
# SALVO_CACHE_DIR): the Ollama binary, the server's HOME and model store, its
# log, its pid file and the generated fixture.
#
# Other knobs:
#   SALVO_OLLAMA_INSTANCE run a separate server named NAME ([A-Za-z0-9_.-]):
#                         `up`, `down` and `status` then use their own folder
#                         serve-NAME (pid, log, host file, HOME) and leave the
#                         default server alone. Every instance shares the
#                         default one's model store: models are only created
#                         under the lock that also covers every start-up (when
#                         Ollama prunes unreferenced blobs), so no instance can
#                         prune a blob another is uploading.
#   SALVO_OLLAMA_PORT     listen on this port instead of 11434 or a free one
#                         (to restart an instance where its clients expect it)
#   SALVO_OLLAMA_MARCH    -march for the C/C++ code (default x86-64-v3 when the
#                         CPU has AVX2/FMA/F16C/BMI2, else x86-64; native on
#                         other architectures)
#   SALVO_FIXTURE_SEED    seed of the fixture model's weights (default 1)
#   SALVO_OLLAMA_TIMEOUT  seconds to wait for the server to answer (default 120)
#
# Building needs a C/C++ toolchain, Go, and the Debian packages
# nlohmann-json3-dev and libstb-dev; when they are missing and we are root,
# they are installed with apt-get.
set -euo pipefail

OLLAMA_VERSION=0.17.4
MODEL_NAME=salvo-fixture-minilm
MODEL_TAG=latest

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SALVO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/salvo}
instance=${SALVO_OLLAMA_INSTANCE:-}
store_dir=$cache/serve
serve_dir=$store_dir${instance:+-$instance}
models_dir=$store_dir/models
stamp_file=$store_dir/model.stamp
pid_file=$serve_dir/ollama.pid
host_file=$serve_dir/ollama.host
log_file=$serve_dir/ollama.log
include_dir=$cache/include

log() { printf 'real-ollama%s: %s\n' "${instance:+ [$instance]}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ -n $instance && ! $instance =~ ^[A-Za-z0-9_.-]+$ ]]; then
	die "SALVO_OLLAMA_INSTANCE=$instance: use letters, digits, '_', '.' and '-' only"
fi

# --- build ------------------------------------------------------------------

pick_march() {
	if [[ -n ${SALVO_OLLAMA_MARCH:-} ]]; then
		echo "$SALVO_OLLAMA_MARCH"
		return
	fi
	if [[ $(uname -m) != x86_64 ]]; then
		echo native
		return
	fi
	local flags
	flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
	local f
	for f in avx2 fma f16c bmi2; do
		if [[ " $flags " != *" $f "* ]]; then
			echo x86-64
			return
		fi
	done
	echo x86-64-v3
}

march=$(pick_march)
bin_dir=$cache/ollama-$OLLAMA_VERSION-$march/bin
ollama_bin=$bin_dir/ollama

# apt_install installs Debian packages when we are root, else explains.
apt_install() { # package...
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		die "missing: $* (install them, e.g. apt-get install $*)"
	fi
	log "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "$@" >&2; then
		apt-get update >&2
		apt-get install -y --no-install-recommends "$@" >&2
	fi
}

ensure_tools() {
	local missing=()
	command -v curl >/dev/null || missing+=(curl)
	command -v setsid >/dev/null || missing+=(util-linux)
	((${#missing[@]} == 0)) || apt_install "${missing[@]}"
	command -v go >/dev/null || die "go is not installed"
}

ensure_build_deps() {
	local missing=()
	[[ -f /usr/include/nlohmann/json.hpp ]] || missing+=(nlohmann-json3-dev)
	[[ -f /usr/include/stb/stb_image.h ]] || missing+=(libstb-dev)
	command -v g++ >/dev/null || missing+=(g++)
	command -v gcc >/dev/null || missing+=(gcc)
	((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# go_install runs go install of Ollama into GOBIN=$1 with the rest of the
# arguments as flags; the environment is the same for every stage.
go_install() { # gobin [flag...]
	local gobin=$1
	shift
	(
		cd "$cache"
		env -u GOFLAGS \
			GOBIN="$gobin" \
			CGO_ENABLED=1 \
			CGO_CPPFLAGS="-I$include_dir" \
			CGO_CFLAGS="-O3 -march=$march" \
			CGO_CXXFLAGS="-O3 -march=$march" \
			go install "$@" \
			-ldflags="-X=github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
			"github.com/ollama/ollama@v$OLLAMA_VERSION"
	)
}

do_build() {
	if [[ -x $ollama_bin ]]; then
		log "using $ollama_bin"
		return 0
	fi
	command -v go >/dev/null || die "go is not installed"
	ensure_build_deps
	mkdir -p "$include_dir/miniaudio" "$bin_dir"
	# Keep the folder fixed: a different CGO_CPPFLAGS would invalidate the
	# build cache of every C/C++ package.
	if ! cmp -s "$repo_root/scripts/stub/miniaudio/miniaudio.h" "$include_dir/miniaudio/miniaudio.h"; then
		cp "$repo_root/scripts/stub/miniaudio/miniaudio.h" "$include_dir/miniaudio/miniaudio.h"
	fi
	# The compiler's output (some twenty C/C++ warnings from Ollama's own
	# code, harmless) goes to a log, shown only when the build fails.
	local build_log=$cache/build.log
	log "building ollama v$OLLAMA_VERSION (-march=$march) into $bin_dir: about 20 minutes on 2 cores the first time (5 to download modules, 14 to compile), later runs reuse it; log: $build_log"
	local start=$SECONDS
	local tmp_bin
	tmp_bin=$(mktemp -d "$cache/gobin.XXXXXX")
	: >"$build_log"
	# go install -n resolves the packages, downloading every module, and
	# builds nothing: the downloads are a stage of their own.
	log "1/2 downloading Ollama's Go modules"
	if ! go_install "$tmp_bin" -n >>"$build_log" 2>&1; then
		rm -rf "$tmp_bin"
		tail -n 30 "$build_log" >&2 || true
		die "downloading ollama's modules failed (the whole output: $build_log)"
	fi
	log "2/2 compiling Ollama (Go, C and C++; modules took $((SECONDS - start))s)"
	if ! go_install "$tmp_bin" >>"$build_log" 2>&1; then
		rm -rf "$tmp_bin"
		tail -n 30 "$build_log" >&2 || true
		die "building ollama failed (the whole output: $build_log)"
	fi
	mv "$tmp_bin/ollama" "$ollama_bin"
	rm -rf "$tmp_bin"
	log "built $ollama_bin in $((SECONDS - start))s"
}

# --- server -------------------------------------------------------------------

running_pid() {
	[[ -f $pid_file ]] || return 1
	local pid
	pid=$(<"$pid_file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Make sure the pid still belongs to our ollama, not a recycled pid.
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null || true) == "$ollama_bin"* ]] || return 1
	echo "$pid"
}

answers() { # host
	curl -fsS --max-time 5 "http://$1/api/version" >/dev/null 2>&1
}

show_log_tail() {
	if [[ -f $log_file ]]; then
		log "last lines of $log_file:"
		tail -n 30 "$log_file" >&2 || true
	fi
}

# default_port is Ollama's own port, where salvo (and any shell) looks
# without OLLAMA_HOST: the default server takes it when it is free. A named
# instance, which runs beside others, gets a free port.
default_port=11434

port_free() { # port: nothing accepts connections on 127.0.0.1:port
	! timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

pick_port() {
	if [[ -n ${SALVO_OLLAMA_PORT:-} ]]; then
		echo "$SALVO_OLLAMA_PORT"
	elif [[ -z $instance ]] && port_free "$default_port"; then
		echo "$default_port"
	else
		echo 0
	fi
}

start_server() { # [port]
	mkdir -p "$serve_dir/home" "$models_dir"
	local port=${1:-$(pick_port)}
	: >"$log_file"
	rm -f "$pid_file" "$host_file"
	log "starting ollama serve (log: $log_file)"
	# Port 0 lets the kernel pick a free port; the server logs the one it got.
	# setsid puts the server and its runners in their own session and process
	# group, detached from the caller; the inner shell records the pid that
	# exec then hands to ollama.
	# shellcheck disable=SC2016 # $$, $1 and $@ are the inner shell's
	HOME="$serve_dir/home" \
		OLLAMA_MODELS="$models_dir" \
		OLLAMA_HOST="127.0.0.1:$port" \
		setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' real-ollama "$pid_file" "$ollama_bin" serve \
		>>"$log_file" 2>&1 </dev/null 9>&- &
	local timeout=${SALVO_OLLAMA_TIMEOUT:-120}
	local deadline=$((SECONDS + timeout))
	local pid='' host=''
	while ((SECONDS < deadline)); do
		if [[ -z $pid ]]; then
			pid=$(cat "$pid_file" 2>/dev/null || true)
			if [[ -z $pid ]]; then
				sleep 0.1
				continue
			fi
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pid_file"
			if [[ $port == "$default_port" && -z ${SALVO_OLLAMA_PORT:-} ]] && grep -q 'address already in use' "$log_file"; then
				log "port $default_port was taken meanwhile; using a free port"
				start_server 0
				return
			fi
			show_log_tail
			die "ollama serve exited during start-up (log: $log_file)"
		fi
		if [[ -z $host ]]; then
			host=$(sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$log_file" | head -n 1)
		fi
		if [[ -n $host ]] && answers "$host"; then
			echo "$host" >"$host_file"
			log "ollama $OLLAMA_VERSION answers on $host (pid $pid)"
			return 0
		fi
		sleep 0.2
	done
	show_log_tail
	[[ -n $pid ]] && stop_pid "$pid"
	rm -f "$pid_file"
	die "ollama serve did not answer within ${timeout}s (log: $log_file)"
}

# --- fixture model ------------------------------------------------------------

model_exists() { # host
	local tags
	tags=$(curl -fsS --max-time 10 "http://$1/api/tags" 2>/dev/null) || return 1
	[[ $tags == *"\"name\":\"$MODEL_NAME:$MODEL_TAG\""* ]]
}

# ensure_model creates the fixture model from a freshly generated fixture
# folder unless the server already has it, created from identical files.
ensure_model() { # host
	local host=$1
	local seed=${SALVO_FIXTURE_SEED:-1}
	[[ $seed =~ ^[0-9]+$ ]] || die "SALVO_FIXTURE_SEED must be a number"
	local fixture=$cache/fixture/minilm-seed$seed
	log "generating fixture model (seed $seed) in $fixture"
	rm -rf "$fixture.tmp"
	(cd "$repo_root" && go run ./internal/tools/fixturemodel/cmd/mkfixture -out "$fixture.tmp" -seed "$seed") >&2 ||
		die "generating the fixture model failed"
	rm -rf "$fixture"
	mv "$fixture.tmp" "$fixture"

	# Files are keyed by their path in the folder: 1_Pooling/config.json must
	# not be confused with config.json (the ollama CLI keys by base name).
	local files=() digests=() f
	while IFS= read -r f; do
		[[ $f =~ ^[A-Za-z0-9_./-]+$ ]] || die "unexpected file name in the fixture: $f"
		files+=("$f")
		digests+=("sha256:$(sha256sum "$fixture/$f" | cut -d' ' -f1)")
	done < <(cd "$fixture" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
	local i manifest=
	for i in "${!files[@]}"; do
		manifest+="${manifest:+,}\"${files[i]}\":\"${digests[i]}\""
	done
	manifest="{$manifest}"
	local stamp
	stamp=$(sha256sum <<<"$MODEL_NAME:$MODEL_TAG $manifest" | cut -d' ' -f1)
	if [[ -f $stamp_file && $(<"$stamp_file") == "$stamp" ]] && model_exists "$host"; then
		log "model $MODEL_NAME is up to date"
		return 0
	fi

	log "creating model $MODEL_NAME"
	rm -f "$stamp_file"
	for i in "${!files[@]}"; do
		if ! curl -fsS --max-time 10 -I "http://$host/api/blobs/${digests[i]}" >/dev/null 2>&1; then
			curl -fsS --max-time 600 -X POST "http://$host/api/blobs/${digests[i]}" \
				--data-binary "@$fixture/${files[i]}" >/dev/null ||
				die "uploading ${files[i]} failed"
		fi
	done
	local body out
	body="{\"model\":\"$MODEL_NAME:$MODEL_TAG\",\"files\":$manifest,\"parameters\":{\"num_thread\":1},\"stream\":false}"
	out=$(curl -sS --max-time 600 -X POST "http://$host/api/create" \
		-H 'Content-Type: application/json' -d "$body" 2>&1) || true
	if [[ $out != *'"status":"success"'* ]]; then
		log "response: $out"
		show_log_tail
		die "creating model $MODEL_NAME failed"
	fi
	echo "$stamp" >"$stamp_file"
	log "created model $MODEL_NAME"
}

print_assignments() { # host
	printf 'OLLAMA_HOST=%s\n' "$1"
	printf 'SALVO_TEST_MODEL=%s\n' "$MODEL_NAME"
}

# --- commands -----------------------------------------------------------------

cmd_up() {
	ensure_tools
	mkdir -p "$cache"
	local pid host
	if pid=$(running_pid) && host=$(cat "$host_file" 2>/dev/null) && answers "$host"; then
		log "already running on $host (pid $pid)"
		ensure_model "$host"
		print_assignments "$host"
		return 0
	fi
	if pid=$(running_pid); then
		log "pid $pid does not answer; stopping it"
		stop_pid "$pid"
	fi
	do_build
	start_server
	host=$(<"$host_file")
	ensure_model "$host"
	print_assignments "$host"
}

stop_pid() { # pid: stop the server, then anything left in its process group
	local pid=$1 i
	if kill "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid did not stop; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	# The server is the leader of its own process group (setsid): remove any
	# runner it left behind.
	kill -KILL -- "-$pid" 2>/dev/null || true
}

cmd_down() {
	local pid
	if pid=$(running_pid); then
		log "stopping ollama (pid $pid)"
		stop_pid "$pid"
	else
		log "not running"
	fi
	rm -f "$pid_file" "$host_file"
}

cmd_status() {
	local pid host
	if pid=$(running_pid) && host=$(cat "$host_file" 2>/dev/null) && answers "$host"; then
		log "running on $host (pid $pid)"
		print_assignments "$host"
		return 0
	fi
	log "not running"
	return 1
}

lock() {
	mkdir -p "$cache"
	exec 9>"$cache/lock"
	flock 9
}

case ${1:-} in
build | up | down) lock ;;
esac

case ${1:-} in
build) do_build ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
	echo "usage: $0 build|up|down|status" >&2
	exit 2
	;;
esac
