/// <reference path="../apphost.d.ts" />
// Runs once the page has loaded. `window.apphost` is the bridge to the host.
const info = document.getElementById("info");
if (window.apphost) {
  window.apphost.invoke("app.info").then(
    (app) => { info.textContent = `${app.name} ${app.version ?? ""}`; },
    (err) => { info.textContent = `app.info failed: ${err.code}`; },
  );
  window.apphost.on("menu:hello", () => { info.textContent = "Hello from the menu!"; });
}
