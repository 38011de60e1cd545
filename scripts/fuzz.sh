#!/usr/bin/env bash
# Runs every fuzz target of the module (every reader and decoder has one)
# for DURATION each, one after another, and stops at the first failure
# (go test writes the failing input under the package's testdata/fuzz/).
#
#   scripts/fuzz.sh            # 10s per target
#   scripts/fuzz.sh 2s         # what CI runs (.ci/run)
#   scripts/fuzz.sh 5m         # before a release
#   FUZZ_MATCH=CSV scripts/fuzz.sh 1m   # only targets whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
match=${FUZZ_MATCH:-.}

fuzz_one() {
	go test -run '^$' -fuzz "^${2}\$" -fuzztime "$duration" "./${1#./}" >"$log" 2>&1
}

n=0
start=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# "dir<TAB>FuzzName" for every fuzz function in a _test.go file.
while IFS=$'\t' read -r dir name; do
	[[ $name =~ $match ]] || continue
	echo "fuzz: $dir $name ($duration)" >&2
	# Go's fuzzer can end a short run with "context deadline exceeded"
	# while it minimises a new input at the deadline: when no new failing
	# input was written, the target is run once more.
	if ! fuzz_one "$dir" "$name" && ! { grep -q 'context deadline exceeded' "$log" && [[ -z $(git status --porcelain -- "$dir/testdata/fuzz/$name") ]] && fuzz_one "$dir" "$name"; }; then
		tail -n 40 "$log" >&2
		echo "fuzz: $name in ./$dir failed; rerun it with: go test -run '^$' -fuzz '^${name}\$' ./$dir" >&2
		exit 1
	fi
	n=$((n + 1))
done < <(git ls-files '*_test.go' | xargs grep -H '^func Fuzz[A-Za-z0-9_]*(' |
	sed -E -e 's#^([^/:]+_test\.go:)#./\1#' -e 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1\t\2#' | sort -u)
echo "fuzz: $n targets, ${duration} each, in $((SECONDS - start))s" >&2
