// What the media tests ask of an <audio>/<video>, as a user would see it: does it load its
// metadata, play (muted, so no sound device is needed) and seek? `probe(el)` resolves with
// what it saw, and never hangs: a media error, every <source> failing, or a stage that does not
// finish in time is part of the answer.
//
// Durations and times are strings with one decimal ("2.0"), so a test compares them exactly.

window.probe = function (el, options) {
  const opts = Object.assign({ timeout: 10000, seek: 1.5 }, options);
  const out = {};
  let stage = "metadata";
  return new Promise((resolve) => {
    let finished = false;
    const finish = (extra) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve(Object.assign(out, extra));
    };
    const timer = setTimeout(
      () => finish({ timeout: stage, networkState: el.networkState, readyState: el.readyState }),
      opts.timeout
    );
    const failed = () =>
      finish({ error: el.error ? el.error.code : null, message: el.error ? el.error.message : "" });
    // With <source> children the element itself reports no error: each source does, and the
    // element is left with NETWORK_NO_SOURCE once the last one failed.
    const noSource = () => finish({ error: "every <source> failed", networkState: el.networkState });
    el.addEventListener("error", failed);
    const sources = el.querySelectorAll("source");
    if (sources.length > 0) sources[sources.length - 1].addEventListener("error", noSource);

    const until = (test) =>
      new Promise((ok) => {
        const check = () => (finished || test() ? ok() : setTimeout(check, 20));
        check();
      });
    const run = async () => {
      out.duration = el.duration.toFixed(1);
      if ("videoWidth" in el) {
        out.width = el.videoWidth;
        out.height = el.videoHeight;
      }
      stage = "play";
      el.muted = true;
      await el.play();
      const start = el.currentTime;
      stage = "advance";
      await until(() => el.currentTime >= start + 0.3);
      out.advanced = !finished;
      el.pause();
      stage = "seek";
      const seeked = new Promise((ok) => el.addEventListener("seeked", ok, { once: true }));
      el.currentTime = opts.seek;
      await seeked;
      out.seeked = el.currentTime.toFixed(1);
      finish({});
    };
    const go = () => run().catch((e) => finish({ error: String(e) }));

    if (el.error) failed();
    else if (sources.length > 0 && el.networkState === HTMLMediaElement.NETWORK_NO_SOURCE) noSource();
    else if (el.readyState >= HTMLMediaElement.HAVE_METADATA) go();
    else el.addEventListener("loadedmetadata", go, { once: true });
  });
};

// Reads the whole body of `url` through a stream reader, counting bytes (never holding them).
window.readAll = async function (url) {
  const started = performance.now();
  const r = await fetch(url);
  const reader = r.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  return { status: r.status, bytes, ms: Math.round(performance.now() - started) };
};
