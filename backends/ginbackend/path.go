package ginbackend

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// ginRoutedPath returns the path engine matches r against, as
// gin.Engine.handleHTTPRequest computes it: the decoded URL path, or the
// escaped one with UseEscapedPath (or UseRawPath when the request has a
// raw path), cleaned of "//", "." and ".." when RemoveExtraSlash is set.
// A nil engine routes like gin's defaults.
func ginRoutedPath(engine *gin.Engine, r *http.Request) string {
	p := r.URL.Path
	if engine == nil {
		return p
	}
	switch {
	case engine.UseEscapedPath:
		p = r.URL.EscapedPath()
	case engine.UseRawPath && r.URL.RawPath != "":
		p = r.URL.RawPath
	}
	if engine.RemoveExtraSlash {
		p = ginCleanPath(p)
	}
	return p
}

// ginCleanPath is gin's cleanPath (gin/path.go, from julienschmidt/
// httprouter), copied because gin does not export it and the guard must
// clean exactly as the router does: it replaces runs of slashes with one,
// drops "." elements, resolves ".." against the element before it (never
// above the root), keeps a trailing slash (and adds one after a final "."
// or ".."), and returns "/" for "".
//
// Copyright 2013 Julien Schmidt. All rights reserved. Based on the path
// package, Copyright 2009 The Go Authors. Use of this source code is
// governed by a BSD-style license that can be found at
// https://github.com/julienschmidt/httprouter/blob/master/LICENSE.
func ginCleanPath(p string) string {
	const stackBufSize = 128
	if p == "" {
		return "/"
	}
	buf := make([]byte, 0, stackBufSize)
	n := len(p)
	r, w := 1, 1
	if p[0] != '/' {
		r = 0
		if n+1 > stackBufSize {
			buf = make([]byte, n+1)
		} else {
			buf = buf[:n+1]
		}
		buf[0] = '/'
	}
	trailing := n > 1 && p[n-1] == '/'
	for r < n {
		switch {
		case p[r] == '/':
			r++
		case p[r] == '.' && r+1 == n:
			trailing = true
			r++
		case p[r] == '.' && p[r+1] == '/':
			r += 2
		case p[r] == '.' && p[r+1] == '.' && (r+2 == n || p[r+2] == '/'):
			r += 3
			if w > 1 {
				w--
				if len(buf) == 0 {
					for w > 1 && p[w] != '/' {
						w--
					}
				} else {
					for w > 1 && buf[w] != '/' {
						w--
					}
				}
			}
		default:
			if w > 1 {
				ginBufApp(&buf, p, w, '/')
				w++
			}
			for r < n && p[r] != '/' {
				ginBufApp(&buf, p, w, p[r])
				w++
				r++
			}
		}
	}
	if trailing && w > 1 {
		ginBufApp(&buf, p, w, '/')
		w++
	}
	if len(buf) == 0 {
		return p[:w]
	}
	return string(buf[:w])
}

// ginBufApp is gin's bufApp: it writes c at w, switching from the
// original string to buf only once the output starts to differ.
func ginBufApp(buf *[]byte, s string, w int, c byte) {
	b := *buf
	if len(b) == 0 {
		if s[w] == c {
			return
		}
		length := len(s)
		if length > cap(b) {
			*buf = make([]byte, length)
		} else {
			*buf = (*buf)[:length]
		}
		b = *buf
		copy(b, s[:w])
	}
	b[w] = c
}
