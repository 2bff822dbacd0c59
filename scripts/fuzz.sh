#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a fixed time each
# (FUZZTIME, default 10s), as .ci/run does. With --save it then copies up
# to 40 inputs per target from the fuzzing cache into the target's
# testdata/fuzz/<Target>/, the corpus kept in the repository, which plain
# `go test` replays as seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-10s}"
save=""
[ "${1:-}" = "--save" ] && save=1
cache="$(go env GOCACHE)/fuzz"
for pkg in $(go list ./...); do
	dir="$(go list -f '{{.Dir}}' "$pkg")"
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "== $pkg $target ($fuzztime)"
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel 2
		if [ -n "$save" ] && [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			ls "$cache/$pkg/$target" | head -40 | while read -r f; do
				cp "$cache/$pkg/$target/$f" "$dir/testdata/fuzz/$target/$f"
			done
		fi
	done
done
