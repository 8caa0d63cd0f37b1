// apphost's media script, injected into every frame before the page's own scripts. WebKitGTK
// cannot play media from a custom scheme (WebKit bug 146351), so each launch serves the app's
// media files on loopback HTTP under a secret (src/media). This script points the media
// elements of the app's own pages there: `<audio src>`, `<video src>`, `<source src>`, whether
// written in the HTML, set from script, or made with `new Audio(…)`. The page reads back the
// URLs it wrote (`src`, `currentSrc`, `getAttribute("src")`); any other URL is left alone.
(() => {
  "use strict";
  const CONFIG = __APPHOST_MEDIA_CONFIG__;
  if (location.protocol !== "app:" || location.host !== "localhost") return;
  const APP = "app://localhost/";
  const BASE = CONFIG.base + "/";
  const isMedia = (el) => el instanceof HTMLMediaElement;
  const isSource = (el) => el instanceof HTMLSourceElement && el.parentNode instanceof HTMLMediaElement;
  const ours = (el) => isMedia(el) || el instanceof HTMLSourceElement;

  // A URL of the app's own files, resolved as the page would, moved to the media endpoint.
  const toMedia = (value) => {
    let url;
    try {
      url = new URL(String(value), document.baseURI);
    } catch {
      return null;
    }
    return url.href.startsWith(APP) ? BASE + url.href.slice(APP.length) : null;
  };
  const fromMedia = (value) =>
    typeof value === "string" && value.startsWith(BASE) ? APP + value.slice(BASE.length) : value;

  const proto = Element.prototype;
  const getAttr = proto.getAttribute;
  const setAttr = proto.setAttribute;
  // What the page wrote, for `getAttribute("src")`: element → [written, rewritten].
  const written = new WeakMap();
  // Elements this script made CORS requests (`crossorigin="anonymous"`), which the page did
  // not ask for: their frames and samples stay readable (a canvas, Web Audio), as from any
  // same-origin file, and the page still reads `crossOrigin` as it left it.
  const cors = new WeakSet();
  const askCors = (el) => {
    const target = isMedia(el) ? el : el.parentNode instanceof HTMLMediaElement ? el.parentNode : null;
    if (target && getAttr.call(target, "crossorigin") === null) {
      setAttr.call(target, "crossorigin", "anonymous");
      cors.add(target);
    }
  };

  // The value to store for `src` on `el`: an app file's URL moved to the media endpoint.
  const moved = (el, value) => {
    const text = String(value);
    if (text.startsWith(BASE)) return text;
    const to = toMedia(text);
    if (to === null) return text;
    written.set(el, [text, to]);
    askCors(el);
    return to;
  };
  // Rewrites the `src` attribute the parser (or `innerHTML`) wrote; true if it did.
  const point = (el) => {
    const value = getAttr.call(el, "src");
    if (value === null) return false;
    const to = moved(el, value);
    if (to === value) return false;
    setAttr.call(el, "src", to);
    return true;
  };

  for (const cls of [HTMLMediaElement, HTMLSourceElement]) {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, "src");
    Object.defineProperty(cls.prototype, "src", {
      configurable: true,
      enumerable: d.enumerable,
      get() {
        return fromMedia(d.get.call(this));
      },
      set(v) {
        d.set.call(this, moved(this, v));
      },
    });
  }
  const current = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "currentSrc");
  Object.defineProperty(HTMLMediaElement.prototype, "currentSrc", {
    configurable: true,
    enumerable: current.enumerable,
    get() {
      return fromMedia(current.get.call(this));
    },
  });

  const cross = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "crossOrigin");
  Object.defineProperty(HTMLMediaElement.prototype, "crossOrigin", {
    configurable: true,
    enumerable: cross.enumerable,
    get() {
      return cors.has(this) ? null : cross.get.call(this);
    },
    set(v) {
      cors.delete(this);
      cross.set.call(this, v);
    },
  });

  proto.setAttribute = function setAttribute(name, value) {
    const attr = String(name).toLowerCase();
    if (ours(this) && attr === "crossorigin") cors.delete(this);
    setAttr.call(this, name, ours(this) && attr === "src" ? moved(this, value) : value);
  };
  proto.getAttribute = function getAttribute(name) {
    const value = getAttr.call(this, name);
    if (value === null || !ours(this)) return value;
    const attr = String(name).toLowerCase();
    if (attr === "src") {
      const w = written.get(this);
      if (w && w[1] === value) return w[0];
    }
    if (attr === "crossorigin" && cors.has(this)) return null;
    return value;
  };

  // `new Audio(url)` sets its attribute inside the engine, past the setters above.
  const NativeAudio = window.Audio;
  const Audio = function Audio(src) {
    if (!new.target) throw new TypeError("Constructor Audio requires 'new'");
    const a = new NativeAudio();
    if (src !== undefined) a.src = src;
    return a;
  };
  Audio.prototype = NativeAudio.prototype;
  Object.defineProperty(window, "Audio", { configurable: true, writable: true, value: Audio });

  // Elements the parser makes, and `innerHTML`: rewritten as they arrive, before the media
  // element selects its resource (that waits for a task; this runs in a microtask).
  const visit = (node) => {
    if (!(node instanceof Element)) return;
    const found = ours(node) ? [node] : [];
    if (node.querySelectorAll) found.push(...node.querySelectorAll("audio, video, source"));
    for (const el of found) {
      const pointed = point(el);
      if (!isSource(el) || !written.has(el)) continue;
      // A <source> set from script before it had a parent: its element asks with CORS too.
      askCors(el);
      if (pointed && el.parentNode.networkState === HTMLMediaElement.NETWORK_NO_SOURCE) {
        // Its element already gave up on the old URL: try again.
        el.parentNode.load();
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") visit(r.target);
      else r.addedNodes.forEach(visit);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["src"] });
})();
