#!/usr/bin/env bash
# Runs every fuzz target of the module (every reader and decoder has one)
# for DURATION each, one after another, and stops at the first failure
# (go test writes the failing input under the package's testdata/fuzz/).
#
#   scripts/fuzz.sh            # 10s per target
#   scripts/fuzz.sh 1s         # what CI runs (.ci/run)
#   scripts/fuzz.sh 5m         # before a release
#   FUZZ_MATCH=CSV scripts/fuzz.sh 1m   # only targets whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
match=${FUZZ_MATCH:-.}

fuzz_one() {
	go test -run '^$' -fuzz "^${2}\$" -fuzztime "$3" "./${1#./}" >"$log" 2>&1
}

# deadline_only: the run failed on nothing but Go's own deadline. Before Go
# 1.27 (go.dev/issue/75804) the fuzzer can end a run of -fuzztime DURATION
# with a bare "context deadline exceeded" when a worker, slowed by a busy
# machine, answers after the deadline: no input failed, none was written.
deadline_only() {
	grep -q 'context deadline exceeded' "$log" &&
		! grep -q -e 'Failing input written' -e '^panic:' -e '_test\.go:[0-9]*:' "$log" &&
		[[ -z $(git status --porcelain -- "$1/testdata/fuzz/$2") ]]
}

n=0
start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# "dir<TAB>FuzzName" for every fuzz function in a _test.go file.
while IFS=$'\t' read -r dir name; do
	[[ $name =~ $match ]] || continue
	echo "fuzz: $dir $name ($duration)" >&2
	ok=1
	if ! fuzz_one "$dir" "$name" "$duration"; then
		ok=0
		# After a deadline-only failure the target runs again for as many
		# inputs as the first run tried (-fuzztime Nx): a count has no clock
		# to race, so only a real failure can fail it.
		if deadline_only "$dir" "$name"; then
			execs=$( (grep -o 'execs: [0-9]*' "$log" || true) | tail -n 1 | tr -dc 0-9)
			execs=$((${execs:-0} > 1000 ? execs : 1000))
			echo "fuzz: $name ended on Go's own deadline with nothing failed; again for ${execs} inputs" >&2
			fuzz_one "$dir" "$name" "${execs}x" && ok=1
		fi
	fi
	if ((!ok)); then
		tail -n 40 "$log" >&2
		echo "fuzz: $name in ./$dir failed; rerun it with: go test -run '^$' -fuzz '^${name}\$' ./$dir" >&2
		exit 1
	fi
	n=$((n + 1))
done < <(git ls-files '*_test.go' | xargs grep -H '^func Fuzz[A-Za-z0-9_]*(' |
	sed -E -e 's#^([^/:]+_test\.go:)#./\1#' -e 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1\t\2#' | sort -u)
echo "fuzz: $n targets, ${duration} each, in $((SECONDS - start))s" >&2
