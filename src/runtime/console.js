// apphost's console forwarder, injected into the main frame of the app's own pages by
// `apphost dev` (always) and `apphost run` (at APPHOST_LOG=debug): the page's console.log/
// info/warn/error, uncaught errors and unhandled promise rejections are posted to the host,
// which prints them in the terminal with the window's label and the source line.
(() => {
  "use strict";
  const CONFIG = __APPHOST_CONSOLE_CONFIG__;
  const here = location.protocol === "app:" ? `app://${location.host}` : location.origin;
  if (!CONFIG.origins.includes(here)) return;
  const handler = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.ipc;
  if (!handler) return;
  const post = handler.postMessage.bind(handler);
  const KEY = CONFIG.key;
  const MAX = 16 * 1024;
  const show = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return v.stack ? `${v}\n${v.stack}` : String(v);
    try {
      const text = JSON.stringify(v);
      return text === undefined ? String(v) : text;
    } catch {
      return String(v);
    }
  };
  // Where the console call came from: the first frame with a URL past this one and the console
  // wrapper (WebKit's frames read `name@url:line:column`; this script's have no URL).
  const caller = () => {
    const frames = (new Error().stack || "").split("\n").slice(2);
    for (const frame of frames) {
      const m = frame.match(/([a-z][a-z0-9+.-]*:\/\/[^\s)]+:\d+):\d+\)?$/);
      if (m) return m[1];
    }
    return "";
  };
  const send = (level, text, source) => {
    try {
      const data = JSON.stringify({ text: text.slice(0, MAX), source });
      post(`{"k":"${KEY}","t":"l","e":${JSON.stringify(level)},"d":${data}}`);
    } catch {}
  };
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      send(level, args.map(show).join(" "), caller());
      original(...args);
    };
  }
  window.addEventListener("error", (e) => {
    const source = e.filename ? `${e.filename}:${e.lineno}` : "";
    send("uncaught", e.error ? show(e.error) : String(e.message), source);
  });
  window.addEventListener("unhandledrejection", (e) => send("unhandled rejection", show(e.reason), ""));
})();
