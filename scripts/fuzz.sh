#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for a fixed time each
# (FUZZTIME, default 10s), as .ci/run does. With --save it then copies up
# to 40 inputs per target from the fuzzing cache into the target's
# testdata/fuzz/<Target>/, the corpus kept in the repository, which plain
# `go test` replays as seeds.
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" as -fuzztime ends, having found nothing
# (go.dev/issue/75804, fixed in Go 1.27). A run that fails that way, with
# no failing input written, is run once more; any other failure, or that
# one twice, fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

# fuzz_one fuzzes one target, retrying once after the coordinator's
# deadline race.
fuzz_one() {
	local pkg="$1" target="$2" log try
	log="$(mktemp)"
	for try in 1 2; do
		if go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel 2 2>&1 | tee "$log"; then
			rm -f "$log"
			return 0
		fi
		if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log" || [ "$try" = 2 ]; then
			rm -f "$log"
			return 1
		fi
		echo "== $target: the coordinator's deadline race (go.dev/issue/75804), nothing found; once more"
	done
}
fuzztime="${FUZZTIME:-10s}"
save=""
[ "${1:-}" = "--save" ] && save=1
cache="$(go env GOCACHE)/fuzz"
for pkg in $(go list ./...); do
	dir="$(go list -f '{{.Dir}}' "$pkg")"
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "== $pkg $target ($fuzztime)"
		fuzz_one "$pkg" "$target"
		if [ -n "$save" ] && [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			ls "$cache/$pkg/$target" | head -40 | while read -r f; do
				cp "$cache/$pkg/$target/$f" "$dir/testdata/fuzz/$target/$f"
			done
		fi
	done
done
