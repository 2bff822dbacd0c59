package callbacks

import (
	_ "embed"
	"net/http"
)

//go:embed client.js
var clientJS []byte

// serveClient serves the JavaScript client.
func serveClient(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, NewError(CodeBadRequest, "fetch the client with GET"))
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if req.Method == http.MethodGet {
		w.Write(clientJS)
	}
}
