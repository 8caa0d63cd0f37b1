// apphost's page bridge, injected into the main frame of every app page before its own scripts.
// It runs as a WebKit user script, so the page's CSP does not apply to it.
(() => {
  "use strict";
  if (window.apphost) return;
  const listeners = new Map();
  const api = {
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
