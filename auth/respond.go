package auth

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"

	"github.com/authwire/authwire/backends"
)

// errorBody is the JSON shape of every error authwire writes itself; it is
// the same shape the callbacks wire protocol uses.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// reply is a prepared error response: status, machine code and both
// bodies, built once at New so the hot path allocates nothing.
type reply struct {
	status int
	json   []byte
	html   []byte
}

func newReply(status int, code, message string) reply {
	j, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message}})
	title := html.EscapeString(http.StatusText(status))
	h := "<!doctype html><meta charset=utf-8><title>" + title + "</title><h1>" +
		title + "</h1><p>" + html.EscapeString(message) + "</p>\n"
	return reply{status: status, json: j, html: []byte(h)}
}

// replies holds the responses the guard can give.
type replies struct {
	unauthenticated reply
	forbidden       reply
	malformed       reply
	tooLarge        reply
	csrf            reply
	bodyTooLarge    reply
	badForm         reply
	unknownMethod   reply
	internal        reply
	unguarded       reply
}

func newReplies() replies {
	return replies{
		unauthenticated: newReply(http.StatusUnauthorized, "unauthenticated", "authentication required"),
		forbidden:       newReply(http.StatusForbidden, "forbidden", "you do not have access to this resource"),
		malformed:       newReply(http.StatusBadRequest, "bad_request", "malformed Authorization header"),
		tooLarge:        newReply(http.StatusRequestHeaderFieldsTooLarge, "too_large", "Authorization header too large"),
		csrf:            newReply(http.StatusForbidden, "forbidden", "missing or invalid CSRF token; reload the page and try again"),
		bodyTooLarge:    newReply(http.StatusRequestEntityTooLarge, "too_large", "request body too large"),
		badForm:         newReply(http.StatusBadRequest, "bad_request", "malformed form"),
		unknownMethod:   newReply(http.StatusBadRequest, "bad_request", "no login method has the name ?idp= gives; the login page lists them"),
		internal:        newReply(http.StatusInternalServerError, "internal", "internal error"),
		unguarded:       newReply(http.StatusInternalServerError, "internal", "this server is misconfigured: the request did not pass authwire's guard"),
	}
}

// wantsHTML reports whether the caller is a browser navigating (it accepts
// text/html and is not a script announcing itself with X-Requested-With).
func wantsHTML(x backends.Exchange) bool {
	return x.Header("X-Requested-With") == "" && strings.Contains(x.Header("Accept"), "text/html")
}

// fromBrowser reports whether a request looks like a browser's: it has
// Fetch Metadata (every current browser sends Sec-Fetch-Mode to secure
// and loopback origins), or it asks for an HTML page, as a navigation
// does. API clients and scripts (curl, Go's http.Client, most SDKs) send
// neither.
func fromBrowser(x backends.Exchange) bool {
	return x.Header("Sec-Fetch-Mode") != "" || strings.Contains(x.Header("Accept"), "text/html")
}

// send writes r, as HTML for browsers and JSON for everyone else. Error
// responses are never cached, and an HTML one is never framed and runs
// nothing.
func send(x backends.Exchange, r reply) {
	x.SetHeader("Cache-Control", "no-store")
	if wantsHTML(x) {
		x.SetHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		x.SetHeader("X-Frame-Options", "DENY")
		x.Write(r.status, "text/html; charset=utf-8", r.html)
		return
	}
	x.Write(r.status, "application/json", r.json)
}

// WriteError answers x with an error as authwire's own endpoints do: the
// status, with {"error":{"code":code,"message":message}} as JSON, or for a
// browser a small HTML page saying message (escaped), never cached, never
// framed and running nothing. A [LoginMethod] answers its refusals with it,
// such as 400 "bad_request" for a callback it cannot finish.
func WriteError(x backends.Exchange, status int, code, message string) {
	send(x, newReply(status, code, message))
}

// basicChallenge renders the WWW-Authenticate value for realm, quoting it
// as RFC 7230 quoted-string requires.
func basicChallenge(realm string) string {
	var b strings.Builder
	b.WriteString(`Basic realm="`)
	for i := 0; i < len(realm); i++ {
		if realm[i] == '"' || realm[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(realm[i])
	}
	b.WriteString(`", charset="UTF-8"`)
	return b.String()
}
