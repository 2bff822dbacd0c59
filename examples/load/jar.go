package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
)

// jar is the cookie jar of one browser that has logged in: the cookies
// its connections send, kept as a browser keeps them. Every Set-Cookie an
// answer carries is stored, on whichever connection it came, and the
// other connections send the new value from their next request on.
type jar struct {
	site *url.URL
	j    *cookiejar.Jar
	gen  atomic.Uint64 // counts the answers stored
}

func newJar(site *url.URL) *jar {
	j, _ := cookiejar.New(nil) // an error only for an options value it cannot use
	return &jar{site: site, j: j}
}

// header returns the Cookie header the site's pages get now ("" for
// none), and the jar's generation it reflects.
func (j *jar) header() (string, uint64) {
	gen := j.gen.Load()
	var b strings.Builder
	for i, c := range j.j.Cookies(j.site) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name + "=" + c.Value)
	}
	return b.String(), gen
}

// generation changes whenever the jar stores an answer's cookies.
func (j *jar) generation() uint64 { return j.gen.Load() }

// store keeps the cookies res sets, as a browser does.
func (j *jar) store(res *http.Response) {
	if cs := res.Cookies(); len(cs) > 0 {
		j.j.SetCookies(j.site, cs)
		j.gen.Add(1)
	}
}

// has reports whether the jar holds a cookie named name.
func (j *jar) has(name string) bool {
	for _, c := range j.j.Cookies(j.site) {
		if c.Name == name && c.Value != "" {
			return true
		}
	}
	return false
}
