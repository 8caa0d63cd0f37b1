// Writes into the memory the page shares with it (see main.js), then wakes the page.
self.onmessage = (e) => {
  const cells = new Int32Array(e.data);
  Atomics.store(cells, 0, 42);
  Atomics.notify(cells, 0);
  self.postMessage('stored');
};
