// The page of `cargo bench --bench ipc`. It runs each case against `window.apphost.invoke` (the
// host's bridge, or a floor's shim) and exits. Round trips are timed by the bench from the
// arrival times the host or floor prints: between `bench.mark` "start" and "end", the gap between
// two arrivals is one full round trip. WebKitGTK's clocks tick in whole milliseconds, so the
// page's own Date.now() mean per case is only a coarse cross-check, sent with `bench.report`.
// The order of the cases is part of the contract with benches/ipc.rs.
"use strict";

const CALLS = 2000;
const WARM_UP = 200;
const BIG_CALLS = 30;
const BIG_WARM_UP = 5; // 200 × 10 MiB would only add a minute of copying to each run
const IN_FLIGHT = 16;

const invoke = (endpoint, args) => window.apphost.invoke(endpoint, args);

function expect(ok, what) {
  if (!ok) throw new Error(`wrong reply to ${what}`);
}

// About 1 KB of JSON.
const object = {
  kind: "bench",
  items: Array.from({ length: 14 }, (_, i) => ({
    id: i,
    name: `item ${i}`,
    tags: ["alpha", "beta"],
    done: i % 2 === 0,
    score: i * 1.5,
  })),
};

function bigBuffer() {
  const bytes = new Uint8Array(10 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 255;
  return bytes;
}

/** `n` calls, one after the other. */
function sequential(endpoint, args, verify) {
  return async (n) => {
    for (let i = 0; i < n; i++) verify(await invoke(endpoint, args));
  };
}

/** `n` no-op calls, `width` at a time. */
function concurrent(width) {
  return async (n) => {
    let started = 0;
    const worker = async () => {
      while (started < n) {
        started++;
        expect((await invoke("bench.noop", null)) === null, "bench.noop");
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
  };
}

function cases() {
  const list = [
    ["noop", CALLS, WARM_UP, sequential("bench.noop", null, (r) => expect(r === null, "bench.noop"))],
    [
      "echo 1 KB JSON",
      CALLS,
      WARM_UP,
      sequential("bench.echo", object, (r) =>
        expect(r.items.length === object.items.length && r.items[13].name === "item 13", "bench.echo"),
      ),
    ],
  ];
  if (!window.apphost.noBytes) {
    const big = bigBuffer();
    const last = big.length - 1;
    const verify = (r) => {
      const got = new Uint8Array(r);
      expect(
        r instanceof ArrayBuffer && got.length === big.length && got[1] === big[1] &&
          got[last >> 1] === big[last >> 1] && got[last] === big[last],
        "bench.echo (bytes)",
      );
    };
    list.push(["echo 10 MiB bytes", BIG_CALLS, BIG_WARM_UP, sequential("bench.echo", big, verify)]);
  }
  list.push([`noop, ${IN_FLIGHT} in flight`, CALLS, WARM_UP, concurrent(IN_FLIGHT)]);
  return list;
}

async function main() {
  const report = { json_bytes: JSON.stringify(object).length };
  let code = 0;
  try {
    for (const [name, calls, warmUp, run] of cases()) {
      await run(warmUp);
      await invoke("bench.mark", `start ${name}`);
      const t0 = Date.now();
      await run(calls);
      const ms = Date.now() - t0;
      await invoke("bench.mark", `end ${name}`);
      report[name] = { calls, ms };
    }
  } catch (e) {
    report.error = String(e && e.message ? e.message : JSON.stringify(e));
    code = 1;
  }
  document.getElementById("status").textContent = code ? report.error : "done";
  await invoke("bench.report", { key: "report", value: report });
  await invoke("bench.exit", { code });
}

main();
