// sql.js in the page and in its own worker, and the cross-origin isolation the manifest asks
// for. Everything the page saw goes into `window.results`; the test compares it whole.
const results = {};
window.results = results;

// sql.js calls WebAssembly.instantiateStreaming and falls back to a slower path when it
// fails: count the streaming compiles that succeed, so the test can tell the two apart.
const streaming = WebAssembly.instantiateStreaming;
results.streamed = 0;
WebAssembly.instantiateStreaming = async (...args) => {
  const compiled = await streaming(...args);
  results.streamed += 1;
  return compiled;
};

const FRUIT = [['apple', 3], ['pear', 0], ['plum', 12], ['fig', 5]];

async function inPage() {
  const SQL = await initSqlJs({ locateFile: (file) => `vendor/sql.js/${file}` });
  const db = new SQL.Database();
  db.run('CREATE TABLE fruit (name TEXT PRIMARY KEY, qty INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO fruit VALUES (?, ?)');
  for (const row of FRUIT) insert.run(row);
  insert.free();
  const [stock] = db.exec('SELECT name, qty FROM fruit WHERE qty > 0 ORDER BY qty DESC');
  const [[total]] = db.exec('SELECT sum(qty) FROM fruit')[0].values;
  const table = document.getElementById('stock');
  for (const [name, qty] of stock.values) table.insertRow().append(name, ` ${qty}`);
  // The database as a file: SQLite's own header.
  const header = new TextDecoder().decode(db.export().slice(0, 15));
  db.close();
  return { columns: stock.columns, rows: stock.values, total, header };
}

// sql.js's worker build: the same engine behind a message API, in a classic worker.
async function inWorker() {
  const worker = new Worker('vendor/sql.js/worker.sql-wasm.js');
  const answers = new Map();
  worker.onmessage = (e) => answers.get(e.data.id)?.(e.data);
  const ask = (id, msg) => new Promise((resolve, reject) => {
    answers.set(id, (d) => (d.error ? reject(new Error(d.error)) : resolve(d)));
    worker.postMessage({ id, ...msg });
  });
  worker.onerror = (e) => answers.forEach((settle) => settle({ error: e.message }));
  await ask(1, { action: 'open' });
  const { results: [r] } = await ask(2, {
    action: 'exec',
    sql: "SELECT upper(name) FROM (SELECT 'pear' AS name UNION SELECT 'fig') ORDER BY 1",
  });
  worker.terminate();
  return r.values;
}

// What WebAssembly threads are built on: memory shared between the page and a worker. A
// browser allows sharing only in a cross-origin isolated page; elsewhere posting it fails
// with a DataCloneError.
async function isolation() {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const worker = new Worker('sab-worker.js');
  let shared;
  try {
    await new Promise((resolve, reject) => {
      worker.onmessage = resolve;
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage(memory.buffer);
    });
    shared = new Int32Array(memory.buffer)[0];
  } catch (e) {
    shared = e.name;
  }
  worker.terminate();
  return {
    crossOriginIsolated: self.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer,
    sharedWithWorker: shared,
  };
}

for (const [name, check] of Object.entries({ inPage, inWorker, isolation })) {
  try {
    results[name] = await check();
  } catch (e) {
    results[name] = { error: String(e) };
  }
}
document.getElementById('out').textContent = JSON.stringify(results, null, 2);
window.ready = true;
