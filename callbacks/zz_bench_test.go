package callbacks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/ws"
)

func handoffLoop(ctx context.Context, c *websocket.Conn, done chan struct{}) {
	_, data, err := c.Read(ctx)
	if err != nil {
		close(done)
		return
	}
	go handoffLoop(ctx, c, done)
	out := echo(data)
	wctx, cancel := context.WithCancel(ctx)
	c.Write(wctx, websocket.MessageText, out)
	cancel()
}

func afterLoop(ctx context.Context, c *websocket.Conn, done chan struct{}) {
	_, data, err := c.Read(ctx)
	if err != nil {
		close(done)
		return
	}
	out := echo(data)
	wctx, cancel := context.WithCancel(ctx)
	c.Write(wctx, websocket.MessageText, out)
	cancel()
	go afterLoop(ctx, c, done)
}

func echoLoop(ctx context.Context, c *websocket.Conn, mode int) {
	if mode == 7 {
		done := make(chan struct{})
		go afterLoop(ctx, c, done)
		<-done
		return
	}
	if mode == 6 {
		work := make(chan []byte)
		defer close(work)
		go func() {
			for data := range work {
				out := echo(data)
				wctx, cancel := context.WithCancel(ctx)
				c.Write(wctx, websocket.MessageText, out)
				cancel()
			}
		}()
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			work <- data
		}
	}
	if mode == 5 {
		done := make(chan struct{})
		go handoffLoop(ctx, c, done)
		<-done
		return
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if mode == 2 {
			go func() {
				out := echo(data)
				wctx, cancel := context.WithTimeout(ctx, 10e9)
				c.Write(wctx, websocket.MessageText, out)
				cancel()
			}()
			continue
		}
		if mode == 4 {
			ch := make(chan []byte, 1)
			go func() { ch <- echo(data) }()
			out := <-ch
			c.Write(ctx, websocket.MessageText, out)
			continue
		}
		if mode == 3 {
			out := echo(data)
			wctx, cancel := context.WithCancel(ctx)
			c.Write(wctx, websocket.MessageText, out)
			cancel()
			continue
		}
		if mode == 1 {
			out := echo(data)
			wctx, cancel := context.WithTimeout(ctx, 10e9)
			c.Write(wctx, websocket.MessageText, out)
			cancel()
			continue
		}
		var in struct {
			ID     string          `json:"id"`
			Call   string          `json:"call"`
			Args   json.RawMessage `json:"args"`
			Cancel bool            `json:"cancel"`
		}
		if err := json.Unmarshal(data, &in); err != nil {
			return
		}
		out, _ := json.Marshal(struct {
			ID     string `json:"id,omitempty"`
			Result any    `json:"result"`
		}{in.ID, in.Args})
		if err := c.Write(ctx, websocket.MessageText, out); err != nil {
			return
		}
	}
}

func echo(data []byte) []byte {
	var in struct {
		ID     string          `json:"id"`
		Call   string          `json:"call"`
		Args   json.RawMessage `json:"args"`
		Cancel bool            `json:"cancel"`
	}
	json.Unmarshal(data, &in)
	out, _ := json.Marshal(struct {
		ID     string `json:"id,omitempty"`
		Result any    `json:"result"`
	}{in.ID, in.Args})
	return out
}

func BenchmarkZZ(b *testing.B) {
	mux := http.NewServeMux()
	a, err := auth.New(mux, auth.WithUsers(map[string]string{"admin": "admin"}), auth.WithPublicRoutes("/ws0", "/ws1", "/ws2", "/ws3", "/ws4", "/ws5", "/ws6", "/ws7"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := ws.New(a, ws.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for m := range 8 {
		mux.Handle(fmt.Sprintf("/ws%d", m), s.PublicHandler(func(ctx context.Context, c *websocket.Conn, id *auth.Identity) { echoLoop(ctx, c, m) }))
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	raw := dialBench(b, rawEchoServer(b), nil)
	for m := range 8 {
		c := dialBench(b, "ws"+strings.TrimPrefix(srv.URL, "http")+fmt.Sprintf("/ws%d", m), nil)
		b.Run(fmt.Sprint("mode", m), func(b *testing.B) {
			for b.Loop() {
				roundTrip(b, c)
			}
		})
	}
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			roundTrip(b, raw)
		}
	})
}
