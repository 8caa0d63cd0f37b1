// The page of `cargo bench --bench media` (see benches/media.rs). `window.BENCH` (case.js) says
// which case to run and where the floor's HTTP server is; every result is one
// `console.log("bench:" + JSON)` line, and `bench:done` ends the case.

const report = (what) => console.log("bench:" + JSON.stringify(what));

// From setting `src` to `loadeddata`, and to the first frame composited (the
// requestVideoFrameCallback, or `playing` where there is none).
function firstFrame(url) {
  return new Promise((resolve) => {
    const v = document.createElement("video");
    v.muted = true;
    v.width = 64;
    v.height = 48;
    document.body.append(v);
    const out = {};
    const t0 = performance.now();
    const finish = (extra) => {
      clearTimeout(timer);
      v.removeAttribute("src");
      v.load();
      v.remove();
      resolve(Object.assign(out, extra));
    };
    const timer = setTimeout(() => finish({ error: "timeout after 10 s" }), 10000);
    v.addEventListener("error", () => finish({ error: v.error ? v.error.code : "error" }));
    v.addEventListener("loadeddata", () => (out.loadeddata = performance.now() - t0), { once: true });
    if (v.requestVideoFrameCallback) {
      v.requestVideoFrameCallback(() => finish({ frame: performance.now() - t0, via: "rVFC" }));
    } else {
      v.addEventListener("playing", () => finish({ frame: performance.now() - t0, via: "playing" }));
    }
    v.src = url;
    v.play().catch(() => {});
  });
}

// Reads the whole body through a stream reader, counting bytes.
async function readAll(url) {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { cache: "no-store" });
    if (!r.ok) return { error: "HTTP " + r.status };
    const reader = r.body.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
    return { bytes, ms: performance.now() - t0 };
  } catch (e) {
    return { error: String(e) };
  }
}

const sources = (file) => [
  ["app", file],
  ["floor", BENCH.floor + file],
];

async function speed() {
  // One untimed load of each first: GStreamer's start-up is not what is measured.
  for (const [, url] of sources(BENCH.clip)) await firstFrame(url);
  for (let i = 0; i < BENCH.runs; i++) {
    for (const [from, url] of sources(BENCH.clip)) {
      report(Object.assign({ case: "first-frame", from }, await firstFrame(url)));
    }
  }
  for (let i = 0; i < BENCH.runs; i++) {
    for (const [from, url] of sources(BENCH.large)) {
      report(Object.assign({ case: "throughput", from }, await readAll(url)));
    }
  }
}

async function memory() {
  report({ case: "ready" });
  // The bench reads the idle memory in this pause.
  await new Promise((ok) => setTimeout(ok, BENCH.pauseMs));
  report(Object.assign({ case: "memory", from: "app" }, await readAll(BENCH.huge)));
}

window.addEventListener("load", async () => {
  try {
    await (BENCH.case === "memory" ? memory() : speed());
  } catch (e) {
    report({ case: "failed", error: String(e) });
  }
  report({ case: "done" });
});
