// Tries what this window is granted and what it is not, and reports the outcome to every
// window through `emit` (the tests drive only the main window).
(async () => {
  const outcome = (p) => p.then((v) => ["ok", v === null ? null : typeof v], (e) => ["err", e.code]);
  const report = {
    info: await window.apphost.invoke("app.info").then((v) => ["ok", v.id], (e) => ["err", e.code]),
    store: await outcome(window.apphost.invoke("store.set", { key: "from-limited", value: 1 })),
    echo: await outcome(window.apphost.invoke("echo", new Uint8Array([1]))),
    dialog: await outcome(window.apphost.invoke("dialog.message", { message: "no" })),
  };
  // Wait until the main window listens.
  setTimeout(() => window.apphost.emit("limited:report", report), 500);
})();
