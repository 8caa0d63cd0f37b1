// An iframe of an opaque origin (sandboxed without allow-same-origin): it gets no bridge, and
// what it can still reach — WebKit's message handler, a fetch to the IPC URL with a guessed key —
// must do nothing. It reports what it saw to its parent.
(async () => {
  const guess = "0".repeat(64);
  const report = { bridge: typeof window.apphost, origin: String(window.origin) };
  const handler = window.webkit && window.webkit.messageHandlers && window.webkit.messageHandlers.ipc;
  report.handler = typeof handler;
  if (handler) {
    handler.postMessage(JSON.stringify({ k: guess, t: "c", i: 1, e: "store.set", a: { key: "from-frame", value: 1 } }));
    handler.postMessage(JSON.stringify({ k: guess, t: "e", e: "frame:probe", d: 1 }));
    handler.postMessage(JSON.stringify({ t: "e", e: "frame:probe", d: 2 }));
  }
  for (const [name, key] of [["fetchKeyed", guess], ["fetchBare", null]]) {
    try {
      const headers = key ? { "X-Apphost-Key": key } : {};
      const r = await fetch("app://localhost/__apphost/ipc/store.set", {
        method: "POST",
        headers,
        body: JSON.stringify({ key: "from-frame", value: 2 }),
      });
      report[name] = r.status;
    } catch (e) {
      report[name] = "failed";
    }
  }
  parent.postMessage(report, "*");
})();
