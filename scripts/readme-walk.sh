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
#     do not see, e.g. that the commands before it stored what they say;
#   - in the tour (the section "A tour of every command"), every ```console
#     sample: each of its `$ COMMAND` lines (with its `\` continuation lines)
#     is run at its place, and the shape of what it prints (stdout and stderr)
#     must be the shape of the sample's lines under it: the same table
#     headers (COLLECTION  MODEL  DIMS  RECORDS: the same columns, in order)
#     and the same lines starting with a word and a colon (salvo:, store:),
#     in the same order. Figures, IDs and scores may differ; a column or a
#     line that the sample lacks or shows in excess fails the walk.
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
	local n=0 fence='' run='' cont='' line section='' sample='' cmd_open='' out_open=''
	echo 'set -euo pipefail'
	echo 'trap '"'"'echo "walk: failed at README.md:$walk_line" >&2'"'"' ERR'
	echo 'walk_tmp=${WALK_TMP:-$(mktemp -d)}; mkdir -p "$walk_tmp"'
	declare -f walk_shape walk_compare
	while IFS= read -r line || [[ -n $line ]]; do
		n=$((n + 1))
		if [[ -n $fence ]]; then
			if [[ $line == '```'* ]]; then
				if [[ -n $sample ]]; then
					close_sample
				fi
				fence='' run='' sample=''
			elif [[ -n $run ]]; then
				if [[ -z $cont && ! $line =~ ^[[:space:]]*(#.*)?$ ]]; then
					printf 'walk_line=%d; echo %q >&2\n' "$n" "walk: README.md:$n: $line"
				fi
				printf '%s\n' "$line"
				cont=''
				[[ $line == *'\' ]] && cont=1
			elif [[ -n $sample ]]; then
				if [[ -n $cont ]]; then
					printf '%s\n' "$line"
					cont=''
					[[ $line == *'\' ]] && cont=1
					[[ -z $cont ]] && { echo 'WALK_CMD_EOF'; echo 'cat >"$walk_tmp/sample" <<'"'"'WALK_SAMPLE_EOF'"'"''; out_open=1; }
				elif [[ $line == '$ '* ]]; then
					close_sample
					printf 'walk_line=%d\ncat >"$walk_tmp/cmd" <<'"'"'WALK_CMD_EOF'"'"'\n%s\n' "$n" "${line#'$ '}"
					cmd_open=1
					if [[ $line == *'\' ]]; then
						cont=1
					else
						echo 'WALK_CMD_EOF'
						echo 'cat >"$walk_tmp/sample" <<'"'"'WALK_SAMPLE_EOF'"'"''
						out_open=1
					fi
				elif [[ -n $out_open ]]; then
					printf '%s\n' "$line"
				fi
			fi
		elif [[ $line =~ ^\`\`\`sh[[:space:]]*$ ]]; then
			fence=1 run=1
		elif [[ $line =~ ^\`\`\`console[[:space:]]*$ && $section == tour ]]; then
			fence=1 sample=1 cmd_open='' out_open=''
		elif [[ $line == '```'* ]]; then
			fence=1
		elif [[ $line =~ ^'<!-- walk: '(.*)' -->'$ ]]; then
			printf 'walk_line=%d\n%s\n' "$n" "${BASH_REMATCH[1]}"
		elif [[ $line == '## '* ]]; then
			section=''
			[[ $line == '## A tour of every command'* ]] && section=tour
		fi
	done <"$root/README.md"
}

# close_sample ends the command and sample being written by walk_script and
# compares them.
close_sample() {
	if [[ -n $out_open ]]; then
		echo 'WALK_SAMPLE_EOF'
		echo 'walk_compare'
	elif [[ -n $cmd_open ]]; then
		echo 'WALK_CMD_EOF'
		echo ': >"$walk_tmp/sample"; walk_compare'
	fi
	cmd_open='' out_open=''
}

# walk_shape prints the shape of output on stdin: its table headers (words
# in capitals, two spaces or more apart) as "table: A B C", and the first
# word of lines such as "salvo: …" or "store: …".
walk_shape() {
	awk '
		/^[A-Z][A-Z0-9_]*(  +[A-Z][A-Z0-9_]*)+ *$/ { $1 = $1; print "table: " $0; next }
		/^[a-z][a-z-]*: / { print $1 }
	'
}

# walk_compare runs $walk_tmp/cmd (its exit status does not matter: samples
# of mistakes fail on purpose) and compares the shape of its output with the
# shape of $walk_tmp/sample.
walk_compare() {
	bash "$walk_tmp/cmd" >"$walk_tmp/real" 2>&1 || true
	if ! diff <(walk_shape <"$walk_tmp/sample") <(walk_shape <"$walk_tmp/real") >"$walk_tmp/diff"; then
		echo "walk: README.md:$walk_line: the sample does not have the shape of what \`$(head -n 1 "$walk_tmp/cmd")\` prints (< sample, > real):" >&2
		cat "$walk_tmp/diff" >&2
		echo "walk: it printed:" >&2
		cat "$walk_tmp/real" >&2
		return 1
	fi
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
find . -type f | LC_ALL=C sort >"$tmp/before"
env -u OLLAMA_HOST -u SALVO_TEST_MODEL GOBIN="$tmp/bin" PATH="$tmp/bin:$PATH" WALK_TMP="$tmp/walk" bash "$tmp/walk.sh"
# What the tour wrote is ignored by git: a reader's clone stays clean.
untracked=()
while IFS= read -r f; do
	git -C "$root" check-ignore -q --no-index "${f#./}" || untracked+=("${f#./}")
done < <(find . -type f | LC_ALL=C sort | comm -13 "$tmp/before" -)
if ((${#untracked[@]})); then
	echo "walk: the tour leaves files git would show as untracked (add them to .gitignore): ${untracked[*]}" >&2
	exit 1
fi
echo "walk: every command of README.md ran" >&2
