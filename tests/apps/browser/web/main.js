// Each check below records what the page saw in `window.results`; the test compares the
// record as a whole. `window.storage` is driven by the test across a restart of the app.
import { greet } from './lib.js';

const results = { module: greet('a module') };

function fromWorker(worker) {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => { resolve(e.data); worker.terminate(); };
    worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
  });
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
    img.onerror = () => reject(new Error(`image ${src} failed`));
    img.src = src;
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const checks = {
  // The way bundlers (Vite, webpack 5, esbuild) refer to an asset next to a module.
  async asset() {
    const url = new URL('./pixel.png', import.meta.url);
    return { url: url.href, size: await loadImage(url) };
  },
  async moduleWorker() {
    return fromWorker(new Worker(new URL('./module-worker.js', import.meta.url), { type: 'module' }));
  },
  async classicWorker() {
    return fromWorker(new Worker('classic-worker.js'));
  },
  async wasm() {
    const response = fetch('add.wasm');
    const type = (await response).headers.get('content-type');
    const { instance } = await WebAssembly.instantiateStreaming(response);
    return { type, sum: instance.exports.add(2, 40) };
  },
  async font() {
    const faces = await document.fonts.load('24px Silkscreen');
    await document.fonts.ready;
    const face = [...document.fonts].find((f) => f.family.replace(/"/g, '') === 'Silkscreen');
    const ctx = document.createElement('canvas').getContext('2d');
    const width = (font) => { ctx.font = font; return ctx.measureText('apphost').width; };
    return {
      loaded: faces.length,
      status: face && face.status,
      check: document.fonts.check('24px Silkscreen'),
      // A pixel font is much wider than the fallback: the glyphs really come from the woff2.
      wider: width('24px Silkscreen') > width('24px monospace') * 1.1,
    };
  },
  async sourceMap() {
    const script = await (await fetch('lib.js')).text();
    const name = script.match(/sourceMappingURL=(\S+)/)[1];
    const r = await fetch(name);
    const map = await r.json();
    return { name, type: r.headers.get('content-type'), version: map.version, sources: map.sources };
  },
  async modulepreload() {
    for (let i = 0; i < 100 && window.preloads.length === 0; i++) await sleep(20);
    const { later } = await import('./later.js');
    return {
      supported: document.createElement('link').relList.supports('modulepreload'),
      events: window.preloads,
      later,
    };
  },
  async isolation() {
    return {
      crossOriginIsolated: self.crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer,
      secure: self.isSecureContext,
    };
  },
};

window.results = results;
for (const [name, check] of Object.entries(checks)) {
  try {
    results[name] = await check();
  } catch (e) {
    results[name] = { error: String(e) };
  }
}

const DB = 'fixture';

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('kv');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
}

window.storage = {
  async write(value) {
    localStorage.setItem('greeting', value);
    const db = await openDb();
    const tx = db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put({ value, at: 'indexeddb' }, 'greeting');
    await done(tx);
    db.close();
  },
  async read() {
    const db = await openDb();
    const req = db.transaction('kv').objectStore('kv').get('greeting');
    const stored = await new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result ?? null);
      req.onerror = () => reject(req.error);
    });
    db.close();
    return { local: localStorage.getItem('greeting'), indexed: stored };
  },
};

document.getElementById('out').textContent = JSON.stringify(results, null, 2);
window.ready = true;
