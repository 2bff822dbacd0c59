package ws_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/ws"
)

// A protected echo socket and an admin-only one on net/http. A client
// that logs in (here a script, with Basic on the handshake itself; a
// browser sends its session cookie) gets an echo. When the user's access
// ends (CloseUser here; for a browser's socket, logging out or revoking
// its session), the socket is closed with 4401.
func Example() {
	// A random pair for the example; a service that must keep its sessions
	// across restarts uses auth.KeysFromSecrets(os.Getenv("SESSION_SECRET")).
	hashKey, blockKey := auth.GenerateKeyPair()
	keys := [][]byte{hashKey, blockKey}
	mux := http.NewServeMux()
	a, err := auth.New(mux,
		auth.WithUsers(map[string]string{"admin": "admin", "viewer": "viewer123"}),
		auth.WithUserGroups(map[string][]string{"admin": {"admin"}}),
		auth.WithSessions(auth.SessionConfig{Keys: keys}),
		auth.WithWebSocketRoutes("/ws/echo", "/ws/admin"),
	)
	if err != nil {
		log.Fatal(err)
	}
	sockets, err := ws.New(a, ws.Config{})
	if err != nil {
		log.Fatal(err)
	}
	echo := func(ctx context.Context, c *websocket.Conn, id *auth.Identity) {
		for {
			typ, msg, err := c.Read(ctx) // returns when the socket closes
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}
	mux.Handle("GET /ws/echo", sockets.Handler(echo))
	mux.Handle("GET /ws/admin", sockets.Handler(echo, auth.OneOf("admin")))

	srv := httptest.NewServer(a.Handler()) // serve a.Handler(), not mux
	defer srv.Close()
	defer func() { // close the sockets before the HTTP server
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sockets.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/admin",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {basic}}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	_ = c.Write(ctx, websocket.MessageText, []byte("hello"))
	_, msg, _ := c.Read(ctx)
	fmt.Printf("echo: %s\n", msg)

	// A script's Basic login starts no session (it keeps no cookies);
	// its sockets end with its user.
	sockets.CloseUser("admin")
	_, _, err = c.Read(ctx)
	fmt.Println("closed with", websocket.CloseStatus(err) == ws.StatusUnauthenticated)
	// Output:
	// echo: hello
	// closed with true
}
