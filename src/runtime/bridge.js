// apphost's page bridge, injected into the main frame of every page before its own scripts. It
// runs as a WebKit user script, so the page's CSP does not apply to it. It installs itself only
// on the app's own origin: a site reached through `allow-navigation` gets no API and no key.
(() => {
  "use strict";
  const CONFIG = __APPHOST_CONFIG__;
  const here = location.protocol === "app:" ? `app://${location.host}` : location.origin;
  if (window.apphost || !CONFIG.origins.includes(here)) return;
  // This launch's key and WebKit's message handler: kept in this closure, never on `window`,
  // and taken before any page script could replace `window.webkit`.
  const KEY = CONFIG.key;
  const handler = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.ipc;
  const post = handler ? handler.postMessage.bind(handler) : null;
  const IPC = "app://localhost/__apphost/";
  // Posted calls carry at most this much JSON; larger ones, and bytes, go through app://.
  const INLINE = 64 * 1024;
  const listeners = new Map();
  // Calls waiting for their answer: id → {resolve, reject, onProgress, done}.
  const pending = new Map();
  // Ids start at a random point: a call an earlier page of this window left running must not
  // settle, report to or be cancelled as a call of this page.
  let nextId = crypto.getRandomValues(new Uint32Array(1))[0] * 65536 + 1;

  const error = (code, message) => ({ code, message });
  const cancelled = () => error("cancelled", "the call was cancelled");
  const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const isPlain = (v) => v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
  const json = (value) => {
    try {
      return JSON.stringify(value === undefined ? null : value);
    } catch (e) {
      throw error("bad_args", `the arguments cannot be sent as JSON: ${e.message}`);
    }
  };
  const decode = async (response) => {
    const type = response.headers.get("content-type") || "";
    if (!response.ok) {
      let e;
      try {
        e = await response.json();
      } catch {
        e = error("handler_error", `HTTP ${response.status}`);
      }
      throw e;
    }
    return type.startsWith("application/octet-stream") ? response.arrayBuffer() : response.json();
  };
  const request = async (path, init) => {
    let response;
    try {
      response = await fetch(IPC + path, init);
    } catch (e) {
      throw error("unavailable", `the host did not answer: ${e}`);
    }
    return decode(response);
  };

  // Bytes, or an object with exactly one bytes field whose other fields ride along as JSON.
  function bytesOf(args) {
    if (isBytes(args)) return { data: args, side: null };
    if (!isPlain(args)) return null;
    const fields = Object.keys(args).filter((k) => isBytes(args[k]));
    if (fields.length === 0) return null;
    if (fields.length > 1) throw error("bad_args", "an argument object may hold one bytes field");
    const side = { ...args };
    delete side[fields[0]];
    return { data: args[fields[0]], side };
  }

  function invokeNow(endpoint, args, options) {
    if (typeof endpoint !== "string") {
      throw error("bad_args", "apphost.invoke(endpoint: string, args?, {onProgress?, signal?}?)");
    }
    const { onProgress, signal } = options === undefined || options === null ? {} : options;
    if (onProgress !== undefined && typeof onProgress !== "function") {
      throw error("bad_args", "`onProgress` must be a function");
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw error("bad_args", "`signal` must be an AbortSignal");
    }
    if (signal && signal.aborted) throw cancelled();
    const bytes = bytesOf(args);
    const text = bytes ? null : json(args);
    const side = bytes && bytes.side ? encodeURIComponent(json(bytes.side)) : null;
    // Refused here, unsent, when surely past the host's limit (a string's length in UTF-16
    // units is at most its UTF-8 size): WebKit copies a request body whole into the host
    // before the host can refuse it, so a 1 GiB argument would cost the host that much.
    const size = bytes ? bytes.data.byteLength + (side === null ? 0 : side.length) : text.length;
    if (size > CONFIG.maxPayload) {
      throw error("too_large", `the arguments are larger than the ${CONFIG.maxPayload} bytes allowed (security.max-payload)`);
    }
    const id = nextId++;
    const headers = { "X-Apphost-Key": KEY, "X-Apphost-Call": String(id) };
    const path = `ipc/${encodeURIComponent(endpoint)}`;
    return new Promise((resolve, reject) => {
      const call = { resolve, reject, onProgress, done: null };
      pending.set(id, call);
      if (signal) {
        const abort = () => cancel(id);
        signal.addEventListener("abort", abort, { once: true });
        call.done = () => signal.removeEventListener("abort", abort);
      }
      const answer = (response) => response.then((v) => settle(id, true, v), (e) => settle(id, false, e));
      if (bytes) {
        headers["Content-Type"] = "application/octet-stream";
        if (side !== null) headers["X-Apphost-Args"] = side;
        answer(request(path, { method: "POST", headers, body: bytes.data }));
      } else if (text.length > INLINE || !post) {
        headers["Content-Type"] = "application/json";
        answer(request(path, { method: "POST", headers, body: text }));
      } else {
        post(`{"k":"${KEY}","t":"c","i":${id},"e":${JSON.stringify(endpoint)},"a":${text}}`);
      }
    });
  }

  // Settles call `id` once; later answers for it (after a cancel) are ignored.
  function settle(id, ok, value) {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (call.done) call.done();
    (ok ? call.resolve : call.reject)(value);
  }

  // The page stops waiting at once; the host stops a script at its next operation (a builtin
  // runs to its end).
  function cancel(id) {
    if (!pending.has(id)) return;
    settle(id, false, cancelled());
    if (post) post(`{"k":"${KEY}","t":"x","i":${id}}`);
  }

  const api = {
    /**
     * Calls an endpoint declared in app.toml. JSON arguments and results; an ArrayBuffer or
     * typed array (alone, or as one field of an object) travels as raw bytes, and a handler's
     * bytes arrive as an ArrayBuffer. Rejects with `{code, message}` (and `kind` for io_error).
     * `options.onProgress({fraction, message})` receives a script's `progress` reports;
     * aborting `options.signal` rejects at once with `cancelled` and stops a script.
     */
    invoke(endpoint, args, options) {
      try {
        return invokeNow(endpoint, args, options);
      } catch (e) {
        return Promise.reject(e);
      }
    },
    /** Sends `event` with `data` to the listeners of every window of the app, this one too. */
    emit(event, data) {
      try {
        if (typeof event !== "string" || event.length === 0 || event.length > 128 || /[\u0000-\u001f\u007f-\u009f]/.test(event)) {
          throw error("bad_args", "an event name is a string of 1 to 128 characters without control characters");
        }
        const text = json(data);
        if (text.length > CONFIG.maxPayload) {
          throw error("too_large", `the event is larger than the ${CONFIG.maxPayload} bytes allowed`);
        }
        if (!post) throw error("unavailable", "this page cannot post messages to the host");
        post(`{"k":"${KEY}","t":"e","e":${JSON.stringify(event)},"d":${text}}`);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    },
    /**
     * Calls `cb(data, {event, source})` whenever `event` arrives; `source` is the emitting
     * window's label, or null for the host's own events (menus, the tray). Returns a function
     * that unsubscribes.
     */
    on(event, cb) {
      if (typeof event !== "string" || typeof cb !== "function") {
        throw new TypeError("apphost.on(event: string, callback: function)");
      }
      if (!listeners.has(event)) listeners.set(event, new Set());
      // Wrapped, so that the same callback can be added twice and removed once each.
      const entry = { cb };
      listeners.get(event).add(entry);
      return () => {
        const set = listeners.get(event);
        if (set) set.delete(entry);
      };
    },
    /** Like `on`, for the next event only. */
    once(event, cb) {
      const off = api.on(event, (data, meta) => {
        off();
        cb(data, meta);
      });
      return off;
    },
    /** Removes every registration of `cb` for `event`. */
    off(event, cb) {
      const set = listeners.get(event);
      if (!set) return;
      for (const entry of [...set]) if (entry.cb === cb) set.delete(entry);
    },
  };

  // The host settles posted calls with this: 1 = a JSON value, 0 = `{code, message}`,
  // 2 = a token under which the answer waits to be fetched (bytes, or large JSON).
  Object.defineProperty(api, "__reply", {
    value(id, status, payload) {
      if (!pending.has(id)) return;
      if (status === 1) settle(id, true, payload);
      else if (status === 0) settle(id, false, payload);
      else {
        request(`reply/${payload}`, { headers: { "X-Apphost-Key": KEY } }).then(
          (v) => settle(id, true, v),
          (e) => settle(id, false, e),
        );
      }
    },
  });
  // The host reports a running call's progress with this (at most one per 50 ms per call).
  Object.defineProperty(api, "__progress", {
    value(id, fraction, message) {
      const call = pending.get(id);
      if (!call || !call.onProgress) return;
      try {
        call.onProgress({ fraction, message });
      } catch (e) {
        console.error("apphost: an onProgress callback threw", e);
      }
    },
  });
  // The host delivers events with this; one failing listener does not stop the others.
  Object.defineProperty(api, "__dispatch", {
    value(event, data, source) {
      for (const entry of [...(listeners.get(event) || [])]) {
        try {
          entry.cb(data, { event, source });
        } catch (e) {
          console.error(`apphost: a listener for "${event}" threw`, e);
        }
      }
    },
  });
  Object.defineProperty(window, "apphost", { value: Object.freeze(api), enumerable: true });
})();
