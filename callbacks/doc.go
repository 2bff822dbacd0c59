// Package callbacks serves named server functions ("callbacks") that a
// page calls over HTTP or over a WebSocket, each call in its own
// goroutine. A callback is public (anyone may call it) or protected by
// auth requirements checked at call time, on every call, over both
// transports: the function body never runs for a denied call.
//
// Wire protocol (stable):
//
//   - HTTP: POST <prefix>/<name> with a JSON body (the args) sent as
//     Content-Type: application/json answers 200 {"result": …}; a stream
//     answers application/x-ndjson lines {"data": …} then {"done": true}.
//     Errors are {"error":{"code":"…","message":"…"}} with 400
//     bad_request, 401 unauthenticated, 403 forbidden, 404 not_found,
//     413 too_large, 415 unsupported_media_type (any other Content-Type,
//     or none), 500 internal, 504 timeout. A call from a browser page of
//     another origin is refused with 403 forbidden before anything else
//     is looked at (see auth.Auth.CheckCrossOrigin and
//     auth.WithTrustedOrigins); requests with neither Sec-Fetch-Site nor
//     Origin, as curl and servers send them, are not browser calls and go
//     on.
//   - WebSocket at <prefix>/ws: the client sends
//     {"id":"7","call":"<name>","args":…} or {"id":"7","cancel":true}; the
//     server answers {"id":"7","result":…}, or {"id":"7","data":…} per
//     item then {"id":"7","done":true}, or {"id":"7","error":{…}}. A frame
//     that is not valid JSON gets {"error":{"code":"bad_request",…}} and
//     the socket stays open.
//
// The JavaScript client is served at <prefix>/client.js.
package callbacks
