// apphost's dev client, injected by `apphost dev` into the main frame of the app's own pages
// after the bridge. It runs as a WebKit user script, so the page's CSP does not stop it; what
// it adds to the page (the error overlay) uses the DOM and the CSSOM only, never inline style
// attributes or innerHTML, so that it works under the app's own strict CSP.
//
// The host drives it through `window.__apphost_dev` (evaluated scripts): swap stylesheets,
// reload with the page's state kept, show or clear the error overlay. A page may take over a
// reload by cancelling the `apphost:change` event.
(() => {
  "use strict";
  const CONFIG = __APPHOST_DEV_CONFIG__;
  const here = location.protocol === "app:" ? `app://${location.host}` : location.origin;
  if (window.__apphost_dev || !CONFIG.origins.includes(here)) return;
  const STATE = "apphost:dev-state";

  // A dev server's pages carry no apphost header: their policy (the app's, widened only for the
  // dev server) goes in a <meta> as soon as the head exists, before the page's own scripts run
  // (a mutation observer's callback runs at the parser's microtask checkpoint, which precedes
  // every parser-inserted script).
  if (CONFIG.devServer && here === CONFIG.devServer.origin) {
    const policy = () => {
      const meta = document.createElement("meta");
      meta.httpEquiv = "Content-Security-Policy";
      meta.content = CONFIG.devServer.csp;
      document.head.prepend(meta);
    };
    if (document.head) policy();
    else {
      const watch = new MutationObserver(() => {
        if (!document.head) return;
        watch.disconnect();
        policy();
      });
      watch.observe(document, { childList: true, subtree: true });
    }
  }
  const OVERLAY = "apphost-dev-overlay";

  // --- Stylesheets -------------------------------------------------------------------------
  // The path of a URL on this origin, without the leading slash, query or hash.
  const pathOf = (href) => {
    try {
      const u = new URL(href, location.href);
      const origin = u.protocol === "app:" ? `app://${u.host}` : u.origin;
      return origin === here ? decodeURIComponent(u.pathname.replace(/^\/+/, "")) : null;
    } catch {
      return null;
    }
  };
  // Does `sheet` (or a sheet it @imports, at any depth) come from one of `paths`?
  const sheetUses = (sheet, paths, depth = 0) => {
    if (!sheet || depth > 8) return false;
    if (sheet.href && paths.has(pathOf(sheet.href))) return true;
    let rules;
    try {
      rules = sheet.cssRules;
    } catch {
      return false;
    }
    for (const rule of rules) {
      if (rule instanceof CSSImportRule && (paths.has(pathOf(rule.href)) || sheetUses(rule.styleSheet, paths, depth + 1))) {
        return true;
      }
    }
    return false;
  };
  // Swaps each `<link rel=stylesheet>` that uses a changed file for a fresh clone, removing the
  // old one only once the new one has loaded, so there is no flash of unstyled content.
  // Resolves to false when no link used any of the files (an inline or unknown style): the
  // caller reloads instead.
  const swapCss = (changed) => {
    const paths = new Set(changed);
    const links = [...document.querySelectorAll('link[rel~="stylesheet"]')].filter((l) => sheetUses(l.sheet, paths) || paths.has(pathOf(l.href)));
    if (links.length === 0) return Promise.resolve(false);
    const stamp = Date.now().toString(36);
    return Promise.all(
      links.map(
        (old) =>
          new Promise((done) => {
            const fresh = old.cloneNode();
            const u = new URL(old.href, location.href);
            u.searchParams.set("apphost-dev", stamp);
            fresh.href = u.href;
            const finish = () => {
              old.remove();
              done();
            };
            fresh.addEventListener("load", finish, { once: true });
            fresh.addEventListener("error", finish, { once: true });
            old.after(fresh);
          }),
      ),
    ).then(() => true);
  };

  // --- Reloads that keep the page's state --------------------------------------------------
  const selectorOf = (el) => {
    if (!(el instanceof Element) || el === document.body) return null;
    if (el.id) return `#${CSS.escape(el.id)}`;
    const parts = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const index = [...(e.parentElement ? e.parentElement.children : [])].indexOf(e) + 1;
      parts.unshift(`${e.tagName.toLowerCase()}:nth-child(${index})`);
    }
    return parts.length ? `html > ${parts.join(" > ")}` : null;
  };
  const fields = () => [...document.querySelectorAll("input, textarea, select")];
  const save = () => {
    const values = fields().map((f) => {
      const key = selectorOf(f);
      if (f.type === "checkbox" || f.type === "radio") return [key, f.checked];
      if (f.type === "file" || f.type === "password") return [key, null];
      return [key, f.value];
    });
    const state = {
      url: location.href.split("#")[0],
      hash: location.hash,
      scroll: [window.scrollX, window.scrollY],
      focus: selectorOf(document.activeElement),
      values,
    };
    try {
      sessionStorage.setItem(STATE, JSON.stringify(state));
    } catch {}
  };
  const restore = () => {
    let state;
    try {
      state = JSON.parse(sessionStorage.getItem(STATE) || "null");
      sessionStorage.removeItem(STATE);
    } catch {
      return;
    }
    if (!state || state.url !== location.href.split("#")[0]) return;
    for (const [key, value] of state.values || []) {
      const f = key && document.querySelector(key);
      if (!f || value === null) continue;
      if (f.type === "checkbox" || f.type === "radio") f.checked = value;
      else f.value = value;
    }
    if (state.hash && location.hash !== state.hash) history.replaceState(history.state, "", state.hash);
    const focus = state.focus && document.querySelector(state.focus);
    if (focus && focus.focus) focus.focus({ preventScroll: true });
    const [x, y] = state.scroll || [0, 0];
    window.scrollTo(x, y);
    // Late layout (images, fonts) can move the page: scroll again once everything has loaded.
    if (document.readyState !== "complete") window.addEventListener("load", () => window.scrollTo(x, y), { once: true });
  };
  // Fires the cancelable `apphost:change` event; unless a listener cancels it, reloads with the
  // page's scroll, form values, focus and hash kept.
  const changed = (paths, kind) => {
    const event = new CustomEvent("apphost:change", { cancelable: true, detail: { paths, kind } });
    if (!window.dispatchEvent(event)) return false;
    save();
    location.reload();
    return true;
  };

  // --- The error overlay --------------------------------------------------------------------
  const OVERLAY_CSS = `
    :host { all: initial; position: fixed; inset: 0; z-index: 2147483647; display: block;
            background: rgba(20, 20, 24, 0.86); color: #f3f3f3; overflow: auto;
            font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    .box { max-width: 960px; margin: 48px auto; padding: 20px 24px; background: #1d1f24;
           border-top: 4px solid #e5484d; border-radius: 6px; box-shadow: 0 8px 32px #0008; }
    h1 { margin: 0 0 12px; font: 600 15px/1.3 system-ui, sans-serif; color: #ff8a8f; }
    pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
    p { margin: 14px 0 0; font: 12px/1.4 system-ui, sans-serif; color: #a8acb3; }`;
  let sheet = null;
  const styles = (root) => {
    try {
      sheet = sheet || new CSSStyleSheet();
      sheet.replaceSync(OVERLAY_CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      console.warn("apphost dev: the overlay could not be styled", e);
    }
  };
  const overlay = (error) => {
    const old = document.getElementById(OVERLAY);
    if (old) old.remove();
    if (!error) return;
    const host = document.createElement("div");
    host.id = OVERLAY;
    const root = host.attachShadow({ mode: "open" });
    styles(root);
    const box = document.createElement("div");
    box.className = "box";
    const title = document.createElement("h1");
    title.textContent = error.title;
    const text = document.createElement("pre");
    text.textContent = error.text;
    const note = document.createElement("p");
    note.textContent = error.note;
    box.append(title, text, note);
    root.append(box);
    (document.body || document.documentElement).append(host);
  };
  // The host sends the overlay again after every load while there is an error.
  let pending = null;
  const showPending = () => overlay(pending);

  Object.defineProperty(window, "__apphost_dev", {
    value: Object.freeze({
      css: (paths) => swapCss(paths).then((done) => done || changed(paths, "css")),
      reload: (paths) => changed(paths, "page"),
      overlay: (error) => {
        pending = error;
        if (document.body) showPending();
      },
    }),
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      restore();
      showPending();
    }, { once: true });
  } else {
    restore();
    showPending();
  }
})();
