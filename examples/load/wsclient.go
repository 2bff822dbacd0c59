package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coder/websocket"
)

// wsClient is one WebSocket of a closed loop: each request is a message
// and the answer the server sends back for it. The socket is opened with
// the browser's cookies at the time; after a failure the next request
// opens another.
type wsClient struct {
	url string
	jar *jar
	hc  *http.Client
	// message returns the n-th message; check says what is wrong with
	// the answer to it, or nil.
	message func(buf []byte, n int) []byte
	check   func(answer []byte, n int) error

	conn *websocket.Conn
	n    int
	buf  []byte
}

// connect opens the socket.
func (c *wsClient) connect(ctx context.Context) error {
	h := http.Header{}
	if cookies, _ := c.jar.header(); cookies != "" {
		h.Set("Cookie", cookies)
	}
	conn, res, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPClient: c.hc, HTTPHeader: h})
	if err != nil {
		if res != nil {
			return fmt.Errorf("open %s: %s: %w", c.url, res.Status, err)
		}
		return fmt.Errorf("open %s: %w", c.url, err)
	}
	c.conn = conn
	return nil
}

// Do sends one message and reads the answer.
func (c *wsClient) Do(ctx context.Context) error {
	if c.conn == nil {
		if err := c.connect(ctx); err != nil {
			return err
		}
	}
	c.n++
	c.buf = c.message(c.buf[:0], c.n)
	err := c.conn.Write(ctx, websocket.MessageText, c.buf)
	var answer []byte
	if err == nil {
		_, answer, err = c.conn.Read(ctx)
	}
	if err == nil {
		err = c.check(answer, c.n)
	}
	if err != nil {
		c.conn.CloseNow()
		c.conn = nil
	}
	return err
}

// Close ends the socket with a normal closure.
func (c *wsClient) Close() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close(websocket.StatusNormalClosure, "")
	c.conn = nil
	return err
}

// echoMessage is the n-th message to an echo socket.
func echoMessage(buf []byte, n int) []byte {
	return strconv.AppendInt(append(buf, "authwire load message "...), int64(n), 10)
}

// checkEcho wants the message back as it was sent.
func checkEcho(answer []byte, n int) error {
	if want := echoMessage(nil, n); !bytes.Equal(answer, want) {
		return fmt.Errorf("echo of %q: %q", want, answer)
	}
	return nil
}

// callMessage is the n-th call of the public echo callback, with id n
// and the arguments {"n": n}.
func callMessage(buf []byte, n int) []byte {
	buf = strconv.AppendInt(append(buf, `{"id":"`...), int64(n), 10)
	buf = append(buf, `","call":"echo","args":{"n":`...)
	return append(strconv.AppendInt(buf, int64(n), 10), "}}"...)
}

// checkCall wants the answer to call n: {"id":"n","result":{"n":n}}.
func checkCall(answer []byte, n int) error {
	var frame struct {
		ID     string `json:"id"`
		Result *struct {
			N int `json:"n"`
		} `json:"result"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(answer, &frame); err != nil {
		return fmt.Errorf("answer to call %d: %w: %q", n, err, answer)
	}
	if frame.Error != nil {
		return fmt.Errorf("call %d: %s: %s", n, frame.Error.Code, frame.Error.Message)
	}
	if frame.ID != strconv.Itoa(n) || frame.Result == nil || frame.Result.N != n {
		return fmt.Errorf("answer to call %d: %q", n, answer)
	}
	return nil
}
