#!/usr/bin/env bash
# Walks README.md as a new user would: runs its commands in order, in one
# shell, in a fresh copy of the repository, against a real Ollama serving the
# fixture model. A command that fails fails the walk, so the README cannot
# lead to a dead end without a test saying so.
#
# What runs:
#   - every block fenced ```sh, in order (other fences, such as ```bash for
#     commands that are not part of the walk or ```console for output, are
#     for readers only);
#   - every line `<!-- walk: COMMAND -->`, at its place: a check that readers
#     do not see, e.g. that the commands before it stored what they say.
# A new command in the README gets a ```sh block in the tour, before the
# line that stops the server, and is walked from then on.
#
#   scripts/readme-walk.sh            # walk (needs Go, curl, and the Ollama build
#                                     # of scripts/real-ollama.sh, reused from its cache)
#   scripts/readme-walk.sh --print    # print the script the walk runs
#
# The walk's server is an instance of its own (SALVO_OLLAMA_INSTANCE, default
# "readme"), so a server already running for the tests is left alone; it is
# stopped at the end, also when a command fails. salvo is installed into the
# copy (GOBIN), not into your Go bin folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# walk_script turns README.md into a bash script. Each command is preceded by
# a note of its README line, so a failure says where it happened.
walk_script() {
	local n=0 fence='' run='' cont='' line
	echo 'set -euo pipefail'
	echo 'trap '"'"'echo "walk: failed at README.md:$walk_line" >&2'"'"' ERR'
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		if [[ -n $fence ]]; then
			if [[ $line == '```'* ]]; then
				fence='' run=''
			elif [[ -n $run ]]; then
				if [[ -z $cont && ! $line =~ ^[[:space:]]*(#.*)?$ ]]; then
					printf 'walk_line=%d; echo %q >&2\n' "$n" "walk: README.md:$n: $line"
				fi
				printf '%s\n' "$line"
				cont=''
				[[ $line == *'\' ]] && cont=1
			fi
		elif [[ $line =~ ^\`\`\`sh[[:space:]]*$ ]]; then
			fence=1 run=1
		elif [[ $line == '```'* ]]; then
			fence=1
		elif [[ $line =~ ^'<!-- walk: '(.*)' -->'$ ]]; then
			printf 'walk_line=%d\n%s\n' "$n" "${BASH_REMATCH[1]}"
		fi
	done <"$root/README.md"
}

if [[ ${1:-} == --print ]]; then
	walk_script
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/salvo-readme-walk.XXXXXX")
export SALVO_OLLAMA_INSTANCE=${SALVO_OLLAMA_INSTANCE:-readme}
cleanup() {
	(cd "$root" && scripts/real-ollama.sh down >/dev/null 2>&1) || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# A fresh copy of the tree as git sees it (tracked and new files, not
# ignored ones), as a clone would have it.
mkdir -p "$tmp/salvo" "$tmp/bin"
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$tmp/salvo"
walk_script >"$tmp/walk.sh"

echo "walk: running the README's commands in $tmp/salvo" >&2
cd "$tmp/salvo"
# A reader's shell: no server chosen yet, salvo installed where PATH finds it.
env -u OLLAMA_HOST -u SALVO_TEST_MODEL GOBIN="$tmp/bin" PATH="$tmp/bin:$PATH" bash "$tmp/walk.sh"
echo "walk: every command of README.md ran" >&2
