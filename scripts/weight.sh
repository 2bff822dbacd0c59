#!/usr/bin/env bash
# weight.sh measures what authwire costs a net/http program: packages
# compiled, binary size and a cold build, against the same program with a
# hand-written Basic check. It prints README's "What a net/http app pays"
# table. Run from anywhere: scripts/weight.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "$PWD/.weight-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/authwire" "$work/handwritten"

cat >"$work/authwire/main.go" <<'GO'
package main

import (
	"io"
	"log"
	"net/http"

	"github.com/authwire/authwire/auth"
)

func main() {
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"admin": "admin"}))
	if err != nil {
		log.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+auth.FromContext(r.Context()).User)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8050", a.Handler()))
}
GO

cat >"$work/handwritten/main.go" <<'GO'
package main

import (
	"crypto/subtle"
	"io"
	"log"
	"net/http"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u+":"+p), []byte("admin:admin")) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "hello "+u)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8050", mux))
}
GO

row() { # name dir
	local dir=$1 all outside size stripped start end
	all=$(go list -deps "./$dir" | wc -l)
	outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "./$dir" | grep -vc '^github.com/authwire/authwire/.weight' || true)
	go build -o "$work/bin" "./$dir"
	size=$(stat -c %s "$work/bin")
	go build -ldflags='-s -w' -o "$work/bin" "./$dir"
	stripped=$(stat -c %s "$work/bin")
	start=$(date +%s.%N)
	GOCACHE="$work/cache-$(basename "$dir")" go build -o "$work/bin" "./$dir"
	end=$(date +%s.%N)
	printf '| %s | %d (%d outside std) | %.1f MB (%.1f MB with `-s -w`) | %.0f s |\n' \
		"$2" "$all" "$outside" "$(echo "$size/1000000" | bc -l)" "$(echo "$stripped/1000000" | bc -l)" "$(echo "$end-$start" | bc -l)"
}

rel="${work#"$PWD"/}"
echo "| program | \`go list -deps\` | binary | cold build |"
echo "|---|--:|--:|--:|"
row "$rel/authwire" "net/http + authwire (\`auth\` only)"
row "$rel/handwritten" "net/http + a hand-written Basic check"
