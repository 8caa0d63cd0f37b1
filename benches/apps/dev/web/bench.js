// The page of `cargo bench --bench dev`. It watches for the effect of the case's saves and
// reports each with `console.log("bench:…")`, which `apphost dev` prints on stderr, where the
// bench timestamps it. Every case first logs `bench:ready …`. The lines are part of the contract
// with benches/dev.rs:
//
// - css: `bench:css <width>` once a stylesheet `<link>` that dev.js inserted has loaded;
// - js: `bench:js <APP_VERSION> <#field's value>` at every DOMContentLoaded, after dev.js has
//   restored the state (its listener was added at document start, before this one);
// - rhai: `bench:rhai <value>` when `bench.value` answers something new (polled every ~1 ms);
// - manifest: `bench:overlay on|off` when the dev overlay comes or goes, and
//   `bench:endpoint on|off` when `bench.added` becomes callable or stops being so (polled).
"use strict";

const CASE = window.BENCH_CASE;
const log = (text) => console.log(`bench:${text}`);
const invoke = (endpoint, args) => window.apphost.invoke(endpoint, args ?? null);
// Called from a promise continuation, not from a timer, so WebKit does not clamp it to 4 ms.
const tick = () => new Promise((done) => setTimeout(done, 1));

const width = () => parseInt(getComputedStyle(document.getElementById("probe")).width, 10);

function css() {
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node instanceof HTMLLinkElement && node.rel === "stylesheet") {
          node.addEventListener("load", () => log(`css ${width()}`), { once: true });
          node.addEventListener("error", () => log(`css-error ${node.href}`), { once: true });
        }
      }
    }
  }).observe(document.head, { childList: true });
  log(`ready css ${width()}`);
}

function js() {
  const field = document.getElementById("field");
  log(`js ${window.APP_VERSION} ${field.value || "-"}`);
  // The state a reload must keep: set once, restored by dev.js after every reload.
  if (!field.value) field.value = "kept";
}

/** Calls `endpoint` every ~1 ms; `report(reply)` is called with each reply that differs. */
async function poll(endpoint, report) {
  let last;
  for (;;) {
    const reply = await invoke(endpoint).then(
      (value) => JSON.stringify(value),
      () => "error",
    );
    if (reply !== last) {
      report(reply, last === undefined);
      last = reply;
    }
    await tick();
  }
}

function rhai() {
  poll("bench.value", (reply, first) => log(first ? `ready rhai ${reply}` : `rhai ${reply}`));
}

function manifest() {
  let shown = false;
  new MutationObserver(() => {
    const now = document.getElementById("apphost-dev-overlay") !== null;
    if (now !== shown) {
      shown = now;
      log(`overlay ${now ? "on" : "off"}`);
    }
  }).observe(document.body, { childList: true });
  poll("bench.added", (reply, first) => {
    const state = reply === "error" ? "off" : "on";
    log(first ? `ready manifest ${state}` : `endpoint ${state}`);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  invoke("bench.loaded").catch(() => {});
  const cases = { css, js, rhai, manifest };
  if (cases[CASE]) cases[CASE]();
});
