// authwire callbacks client: call server callbacks over one WebSocket.
//
//   const cb = authwire.callbacks();            // connects to /_callbacks/ws
//   const who = await cb.call("whoami");
//   const s = cb.stream("ticks", {count: 10}, item => draw(item));
//   await s.done;                                // or s.cancel()
//   cb.addEventListener("sessionended", () => location.href = "/login?next=" + encodeURIComponent(location.pathname));
//
// The socket reconnects with exponential backoff after network trouble
// (close codes 1001, 1006, 1011, ...) and after 1012 (the user's rights
// changed: the new socket has the rights the user has now), but never by
// itself after 4401 (the session ended: log in again, then call
// reconnect()) or 4403 (forbidden):
// retrying those every few seconds could never succeed. It raises a
// "sessionended" or "forbidden" event instead. Calls in flight when the
// socket closes are rejected with an Error whose code is "disconnected".
(function (global) {
  "use strict";

  class CallbackError extends Error {
    constructor(code, message) {
      super(message || code);
      this.name = "CallbackError";
      this.code = code;
    }
  }

  class Client extends EventTarget {
    constructor(options) {
      super();
      const o = options || {};
      this.prefix = o.prefix || "/_callbacks";
      this.url = o.url || ((location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.prefix + "/ws");
      this.minDelay = o.minDelay || 500;
      this.maxDelay = o.maxDelay || 15000;
      this.nextId = 1;
      this.pending = new Map(); // id -> {resolve, reject, onItem}
      this.queue = [];          // frames waiting for the socket
      this.delay = this.minDelay;
      this.stopped = false;     // true after 4401/4403 or close()
      this.timer = null;
      this.socket = null;
      this.open();
    }

    open() {
      clearTimeout(this.timer);
      const ws = new WebSocket(this.url);
      this.socket = ws;
      ws.onopen = () => {
        this.delay = this.minDelay;
        for (const f of this.queue.splice(0)) ws.send(f);
        this.dispatchEvent(new Event("open"));
      };
      ws.onmessage = (ev) => this.receive(ev.data);
      ws.onclose = (ev) => this.closed(ev.code, ev.reason);
    }

    receive(text) {
      let f;
      try { f = JSON.parse(text); } catch (e) { return; }
      if (f.id === undefined) {
        if (f.error) this.dispatchEvent(new CustomEvent("protocolerror", { detail: f.error }));
        return;
      }
      const p = this.pending.get(f.id);
      if (!p) return;
      if ("data" in f) { if (p.onItem) p.onItem(f.data); return; }
      this.pending.delete(f.id);
      if (f.error) p.reject(new CallbackError(f.error.code, f.error.message));
      else if (f.done) p.resolve();
      else p.resolve(f.result);
    }

    closed(code, reason) {
      this.socket = null;
      for (const [, p] of this.pending) p.reject(new CallbackError("disconnected", "the connection closed (" + code + ")"));
      this.pending.clear();
      this.queue = [];
      this.dispatchEvent(new CustomEvent("close", { detail: { code, reason } }));
      if (code === 4401 || code === 4403) {
        this.stopped = true;
        this.dispatchEvent(new CustomEvent(code === 4401 ? "sessionended" : "forbidden", { detail: { code, reason } }));
        return;
      }
      if (this.stopped) return;
      const delay = this.delay;
      this.delay = Math.min(this.delay * 2, this.maxDelay);
      this.dispatchEvent(new CustomEvent("reconnecting", { detail: { delay } }));
      this.timer = setTimeout(() => this.open(), delay * (0.75 + Math.random() / 2));
    }

    send(frame) {
      const text = JSON.stringify(frame);
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
      else this.queue.push(text);
    }

    start(name, args, onItem) {
      if (this.stopped) return { id: null, done: Promise.reject(new CallbackError("disconnected", "the session ended; reconnect after logging in")) };
      const id = String(this.nextId++);
      const done = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, onItem }));
      this.send({ id, call: name, args: args === undefined ? null : args });
      return { id, done };
    }

    // call runs a unary callback and resolves with its result.
    call(name, args) { return this.start(name, args).done; }

    // stream runs a streaming callback, calling onItem for each item; done
    // resolves when the stream ends and cancel() stops it.
    stream(name, args, onItem) {
      const s = this.start(name, args, onItem);
      return { done: s.done, cancel: () => { if (s.id && this.pending.has(s.id)) this.send({ id: s.id, cancel: true }); } };
    }

    // reconnect opens the socket again after a 4401/4403 (after a new login).
    reconnect() { this.stopped = false; this.delay = this.minDelay; if (!this.socket) this.open(); }

    // close closes the socket for good.
    close() { this.stopped = true; clearTimeout(this.timer); if (this.socket) this.socket.close(1000, "bye"); }
  }

  global.authwire = Object.assign(global.authwire || {}, {
    CallbackError,
    CallbacksClient: Client,
    callbacks: (options) => new Client(options),
  });
})(typeof window !== "undefined" ? window : globalThis);
