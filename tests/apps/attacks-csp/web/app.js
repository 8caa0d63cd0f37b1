// The page's own code. `load` is the kind of loader bundlers write: it propagates the page's
// nonce to the scripts it adds, and resolves their paths against the document's base.
window.ownExternal = true;
window.load = (path) =>
  new Promise((resolve) => {
    const s = document.createElement("script");
    s.nonce = document.currentScript?.nonce || window.pageNonce;
    s.src = path;
    s.onload = () => resolve("loaded " + s.src);
    s.onerror = () => resolve("error " + s.src);
    document.head.append(s);
  });
window.pageNonce = document.currentScript.nonce;
