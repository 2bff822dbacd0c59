#!/usr/bin/env bash
# oauth2proxy-compare.sh measures authwire's forward-auth endpoint against
# oauth2-proxy's, with the same load from the load command (examples/load):
# the demos' GET /auth/verify and oauth2-proxy's GET /oauth2/auth, each
# asked as nginx's auth_request asks, with a session cookie from a real
# form login (oauth2-proxy: its htpasswd sign-in form). It prints one
# Markdown table: req/s, p50, p99, errors and the server's CPU time per
# request, each against oauth2-proxy's.
#
# oauth2-proxy is built from its Go module into a temporary GOBIN, never
# through authwire's go.mod; that needs the Go module proxy the first
# time. Nothing here leaves loopback. It is run by hand, not by CI:
#
#	scripts/oauth2proxy-compare.sh [output.md]
#
# Environment: OAUTH2_PROXY_VERSION (default v7.15.6); DEMOS, the demo
# backends to compare (default "nethttp gin fiber"); CONNS, ROUNDS and
# DURATION for the load command (default 32, 3 and 5s).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
version="${OAUTH2_PROXY_VERSION:-v7.15.6}"
demos="${DEMOS:-nethttp gin fiber}"
out="${1:-/dev/stdout}"
work="$(mktemp -d)"
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# wait_for URL: until it answers at all (30 s at most).
wait_for() {
	for _ in $(seq 300); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "no answer from $1" >&2
	return 1
}

# cookie_from JAR NAME prints the value of cookie NAME in curl's jar.
cookie_from() { awk -v n="$2" '$6 == n { v = $7 } END { print v }' "$1"; }

echo "building oauth2-proxy $version, the demos and the load command…" >&2
(cd "$work" && GOWORK=off GOBIN="$work/bin" go install "github.com/oauth2-proxy/oauth2-proxy/v7@$version")
pkgs=(./examples/load)
for d in $demos; do pkgs+=("./examples/$d"); done
go build -o "$work/bin/" "${pkgs[@]}"

# The same user on both: viewer / viewer123.
user=viewer pass=viewer123
if command -v htpasswd >/dev/null; then
	htpasswd -nbB "$user" "$pass" >"$work/htpasswd"
else
	echo "$user:{SHA}$(printf %s "$pass" | openssl dgst -binary -sha1 | openssl base64)" >"$work/htpasswd"
fi

# oauth2-proxy: auth only (a static upstream), the htpasswd sign-in form,
# a provider it never calls, cookies without Secure (plain http), no
# per-request log (authwire writes none), loopback as the trusted proxy.
o2port="$(free_port)"
"$work/bin/oauth2-proxy" \
	--http-address="127.0.0.1:$o2port" \
	--provider=google --client-id=authwire-load --client-secret=authwire-load \
	--cookie-secret="$(openssl rand -base64 32 | tr -- '+/' '-_')" --cookie-secure=false \
	--email-domain='*' --htpasswd-file="$work/htpasswd" --upstream=static://202 \
	--reverse-proxy --trusted-proxy-ip=127.0.0.1/32 --set-xauthrequest \
	--request-logging=false >"$work/oauth2-proxy.log" 2>&1 &
o2pid=$!
pids+=("$o2pid")
o2="http://127.0.0.1:$o2port"
wait_for "$o2/ping"
code="$(curl -s -c "$work/o2.jar" -o /dev/null -w '%{http_code}' --data-urlencode "username=$user" --data-urlencode "password=$pass" "$o2/oauth2/sign_in")"
o2cookie="$(cookie_from "$work/o2.jar" _oauth2_proxy)"
if [ "$code" != 302 ] || [ -z "$o2cookie" ]; then
	echo "oauth2-proxy sign-in: $code, cookie '$o2cookie'" >&2
	cat "$work/oauth2-proxy.log" >&2
	exit 1
fi

# What nginx's auth_request sends along (examples/forwardauth/nginx.conf).
headers=(-header "X-Original-URI: /app/dashboard" -header "X-Forwarded-Proto: http"
	-header "X-Forwarded-Host: 127.0.0.1:8080" -header "X-Forwarded-For: 127.0.0.1")
# The cookies an answer sets are kept, as nginx passes them back to the
# browser: authwire refreshes a session's cookie once a minute.
args=(-url "$o2/oauth2/auth" -name oauth2-proxy -cookie "_oauth2_proxy=$o2cookie" -jar -pid "$o2pid" "${headers[@]}")

for d in $demos; do
	ADDR=127.0.0.1:0 STATE_DIR="$work/state-$d" SESSION_SECRET="$(openssl rand -base64 32)" \
		INSECURE_COOKIES=1 TRUSTED_PROXIES=127.0.0.1/32 \
		REDIS_URL= HTPASSWD= HTGROUPS= AUTH_MODE= OIDC_ISSUER= TLS_CERT= TLS_KEY= DEBUG_ADDR= \
		"$work/bin/$d" >"$work/$d.log" 2>&1 &
	pid=$!
	pids+=("$pid")
	base=""
	for _ in $(seq 600); do
		base="$(sed -n 's/^listening on \(http:\/\/.*\)$/\1/p' "$work/$d.log" | head -1)"
		[ -n "$base" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$base" ]; then
		echo "the $d demo did not start:" >&2
		cat "$work/$d.log" >&2
		exit 1
	fi
	# The demo's login form: its page sets the cookie the CSRF token is
	# bound to; the post returns the session cookie.
	jar="$work/$d.jar"
	csrf="$(curl -s -c "$jar" -b "$jar" -H 'Accept: text/html' "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)"
	code="$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' -H 'Accept: text/html' \
		--data-urlencode "username=$user" --data-urlencode "password=$pass" --data-urlencode "csrf_token=$csrf" --data-urlencode "next=/" "$base/login")"
	cookie="$(cookie_from "$jar" authwire_session)"
	if [ "$code" != 303 ] && [ "$code" != 302 ] || [ -z "$cookie" ]; then
		echo "$d demo login: $code, cookie '$cookie'" >&2
		exit 1
	fi
	args+=(-url "$base/auth/verify" -name "authwire ($d demo)" -cookie "authwire_session=$cookie" -jar -pid "$pid" "${headers[@]}")
done

{
	echo "oauth2-proxy $version (built from $(go version -m "$work/bin/oauth2-proxy" | awk '$1 == "mod" { print $2 "@" $3 }')) against authwire $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '(no git)'):"
	echo "each server's forward-auth endpoint with a session cookie from a form login, asked with nginx's auth_request headers."
	echo
	"$work/bin/load" -conns "${CONNS:-32}" -rounds "${ROUNDS:-3}" -duration "${DURATION:-5s}" "${args[@]}"
	echo
	echo "Made by scripts/oauth2proxy-compare.sh."
} >"$out"
