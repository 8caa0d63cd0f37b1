// Records what reaches this window, for the tests to read.
window.events = [];
window.frameReport = null;
for (const name of ["test:ping", "test:toggle", "hello", "limited:report", "frame:probe"]) {
  window.apphost.on(name, (data, meta) => window.events.push([name, data, meta.source]));
}
window.addEventListener("message", (e) => {
  window.frameReport = e.data;
});
