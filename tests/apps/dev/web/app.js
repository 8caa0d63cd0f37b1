window.version = 1;
window.events = [];
window.apphost.on("test:one", () => window.events.push("one"));
window.apphost.on("test:two", () => window.events.push("two"));
