#!/usr/bin/env bash
# perf.sh regenerates the figures of README's performance section: the
# benchmarks of the guard against the framework built-ins, of sessions,
# WebSockets and callbacks (go test -bench, -benchmem, -count 5), and the
# load command's tables (go run ./examples/load). It prints Markdown on
# standard output, or into the file given; progress and the raw
# benchmark lines go to standard error. With benchstat on PATH, its
# summary of each benchmark run follows the table made from it.
#
#	scripts/perf.sh [output.md]
#
# Environment: COUNT, runs of each benchmark (default 5); ONLY=bench or
# ONLY=load for one half; LOAD_FLAGS, flags for the load command (for
# example "-duration 2s -rounds 3"). The benchmarks take several minutes
# and the load command about six with its defaults; a machine that does
# other work meanwhile makes every figure noisier.
# The oauth2-proxy comparison is scripts/oauth2proxy-compare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/dev/stdout}"
count="${COUNT:-5}"
only="${ONLY:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# medians reads `go test -bench` output and prints a Markdown table: a
# row per benchmark, a column per unit, each cell the median of the runs.
medians() {
	awk '
	/^Benchmark/ {
		name = $1
		sub(/^Benchmark/, "", name)
		sub(/-[0-9]+$/, "", name)
		if (!(name in seen)) { seen[name] = 1; names[++n] = name }
		for (i = 3; i + 1 <= NF; i += 2) {
			unit = $(i + 1)
			if (!(unit in useen)) { useen[unit] = 1; units[++nu] = unit }
			k = name SUBSEP unit
			vals[k] = vals[k] " " $i
		}
	}
	function median(list,    a, m, i, j, t) {
		m = split(list, a, " ")
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		if (m % 2) return a[(m + 1) / 2]
		return (a[m / 2] + a[m / 2 + 1]) / 2
	}
	function show(v) {
		if (v >= 100 || v == int(v)) return sprintf("%.0f", v)
		if (v >= 10) return sprintf("%.1f", v)
		return sprintf("%.3g", v)
	}
	END {
		if (n == 0) { print "(no benchmark lines)"; exit }
		line = "| benchmark |"; rule = "|---|"
		for (u = 1; u <= nu; u++) { line = line " " units[u] " |"; rule = rule "--:|" }
		print line; print rule
		for (b = 1; b <= n; b++) {
			line = "| " names[b] " |"
			for (u = 1; u <= nu; u++) {
				k = names[b] SUBSEP units[u]
				line = line " " ((k in vals) ? show(median(vals[k])) : "") " |"
			}
			print line
		}
	}'
}

# bench TITLE PATTERN PACKAGES... runs the benchmarks, as
# `go test PACKAGES -run '^$' -bench PATTERN -benchmem -count COUNT` does
# but with each test binary's log (standard error) kept apart from its
# result lines, which a log line written mid-benchmark would split, and
# prints their section.
bench() {
	local title="$1" pattern="$2" raw="$work/bench-$RANDOM.txt" pkg dir
	shift 2
	echo "== go test $* -run '^\$' -bench '$pattern' -benchmem -count $count" >&2
	for pkg in "$@"; do
		dir="$(go list -f '{{.Dir}}' "$pkg")"
		go test -c -o "$work/bench.test" "$pkg"
		if ! (cd "$dir" && "$work/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchmem -test.count "$count") | tee -a "$raw" >&2; then
			status=1
		fi
	done
	echo "### $title"
	echo
	echo '```sh'
	printf "go test %s -run '^\$' -bench '%s' -benchmem -count %s\n" "$*" "$pattern" "$count"
	echo '```'
	echo
	echo "Medians of $count runs:"
	echo
	medians <"$raw"
	if command -v benchstat >/dev/null; then
		echo
		echo '```'
		benchstat "$(git rev-parse --short HEAD 2>/dev/null || echo this-run)=$raw"
		echo '```'
	fi
	echo
}

{
	model="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
	echo "Made by scripts/perf.sh on $(date -u '+%Y-%m-%d %H:%M UTC'): ${model:-unknown CPU}, $(nproc) cores, $(go version | awk '{ print $3, $4 }'), authwire $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)')."
	echo
	if [ "$only" != load ]; then
		bench "The guard against the framework built-ins, and sessions" 'Guard|SessionCookie|SessionCheck|Gin|Fiber|HTTP' ./auth ./backends
		bench "WebSockets against raw coder/websocket" . ./ws
		bench "Callbacks" . ./callbacks
	fi
	if [ "$only" != bench ]; then
		echo "### The demos under load"
		echo
		echo '```sh'
		echo "go run ./examples/load ${LOAD_FLAGS:-}"
		echo '```'
		echo
		echo "== go run ./examples/load ${LOAD_FLAGS:-}" >&2
		go build -o "$work/load" ./examples/load
		# shellcheck disable=SC2086 # LOAD_FLAGS is a list of flags
		if ! "$work/load" ${LOAD_FLAGS:-}; then
			status=1
		fi
	fi
} >"$out"
exit "$status"
