// apphost's page bridge, injected into the main frame of every app page before its own scripts.
// It runs as a WebKit user script, so the page's CSP does not apply to it.
(() => {
  "use strict";
  if (window.apphost) return;
  // This launch's key: kept in this closure, never on `window`.
  const KEY = "__APPHOST_KEY__";
  const listeners = new Map();
  const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const api = {
    /**
     * Calls an endpoint declared in app.toml. JSON arguments and results by default; an
     * ArrayBuffer or typed array argument travels as raw bytes, and a handler's bytes arrive as
     * an ArrayBuffer. Rejects with `{code, message}`.
     */
    async invoke(endpoint, args) {
      if (typeof endpoint !== "string") throw new TypeError("apphost.invoke(endpoint: string, args?)");
      const bytes = isBytes(args);
      let response;
      try {
        response = await fetch(`app://localhost/__apphost/ipc/${encodeURIComponent(endpoint)}`, {
          method: "POST",
          headers: {
            "X-Apphost-Key": KEY,
            "Content-Type": bytes ? "application/octet-stream" : "application/json",
          },
          body: bytes ? args : JSON.stringify(args === undefined ? null : args),
        });
      } catch (e) {
        throw { code: "unavailable", message: `the host did not answer: ${e}` };
      }
      const type = response.headers.get("content-type") || "";
      if (!response.ok) {
        let error;
        try {
          error = await response.json();
        } catch {
          error = { code: "handler_error", message: `HTTP ${response.status}` };
        }
        throw error;
      }
      return type.startsWith("application/octet-stream") ? response.arrayBuffer() : response.json();
    },
    /** Like `on`, but only for the next event. */
    once(event, cb) {
      const off = api.on(event, (detail) => {
        off();
        cb(detail);
      });
      return off;
    },
    /** Calls `cb(detail)` whenever the host emits `event`. Returns a function that unsubscribes. */
    on(event, cb) {
      if (typeof event !== "string" || typeof cb !== "function") {
        throw new TypeError("apphost.on(event: string, callback: function)");
      }
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(cb);
      return () => api.off(event, cb);
    },
    /** Removes a callback added with `on`. */
    off(event, cb) {
      const set = listeners.get(event);
      if (set) set.delete(cb);
    },
  };
  // The host calls this to deliver an event; one failing callback does not stop the others.
  Object.defineProperty(api, "__dispatch", {
    value(event, detail) {
      for (const cb of [...(listeners.get(event) || [])]) {
        try {
          cb(detail);
        } catch (e) {
          console.error(`apphost: a listener for "${event}" threw`, e);
        }
      }
    },
  });
  Object.defineProperty(window, "apphost", {
    value: Object.freeze(api),
    enumerable: true,
  });
})();
