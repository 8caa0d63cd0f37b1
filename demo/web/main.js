// The demo's checks: each one shows what the host does, live.
const mark = (id, text, ok) => {
  const el = document.getElementById(id);
  el.querySelector("span").textContent = text;
  el.classList.toggle("ok", ok);
  el.classList.toggle("bad", !ok);
};

mark("nonce", document.querySelector("#nonce span").textContent, document.querySelector("#nonce span").textContent === "ran");

fetch("style.css", { headers: { Range: "bytes=0-4" } })
  .then(async (r) => mark("range", `${r.status} "${await r.text()}"`, r.status === 206))
  .catch((e) => mark("range", String(e), false));

window.__injected = false;
const s = document.createElement("script");
s.textContent = "window.__injected = true";
document.head.append(s);
setTimeout(() => mark("injected", window.__injected ? "ran (CSP off?)" : "refused by CSP", !window.__injected), 50);

if (window.apphost) {
  window.apphost.on("demo:hello", (d) => mark("menu", `demo:hello from item "${d.id}"`, true));
  window.apphost.on("demo:dark", (d) => {
    document.body.classList.toggle("dark", d.checked);
    mark("menu", `demo:dark, checked = ${d.checked}`, true);
  });
}
