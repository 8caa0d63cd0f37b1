// Notes: the page script. Every host call goes through `window.apphost.invoke` to an endpoint
// that app.toml declares and grants. Nothing is global except `window.notesReady`, set once the
// first load has finished (tests wait on it).
(() => {
  "use strict";

  const host = window.apphost;
  const $ = (id) => document.getElementById(id);
  const el = {
    search: $("search"), list: $("list"), empty: $("empty"), title: $("title"), body: $("body"),
    status: $("status"), add: $("new"), remove: $("delete"), export: $("export"),
  };

  const DIR = "$APPDATA/notes";   // one `<id>.md` file per note body
  const INDEX_KEY = "notes";      // store key: [{id, title, modified}]
  const SELECTED_KEY = "selected"; // store key: the id of the note open at last use
  const SAVE_DELAY_MS = 400;
  const ID = /^[a-z0-9]{1,64}$/;
  const WELCOME_TITLE = "Welcome to Notes";
  const WELCOME_BODY = `This is a note. Edit it, or press Ctrl+N for a new one.

- Changes save themselves a moment after you stop typing; Ctrl+S saves at once.
- The search box filters notes by title and text.
- File › Export… writes the note to a Markdown file in your Documents folder.

Each note is a Markdown file in the app's data folder; the list lives in the app's store.`;

  let notes = [];                   // the index, as stored: [{id, title, modified}]
  const bodies = new Map();         // id → text; no entry when the file could not be read
  let current = null;               // the note in the editor, or null
  const dirtyBodies = new Set();    // ids whose text is not saved yet
  let indexDirty = false;           // the index in the store is out of date
  let timer = null;                 // the pending autosave
  let queue = Promise.resolve();    // writes run one at a time, in order
  let ready = false;
  let dialogOpen = false;

  const invoke = (endpoint, args) => host.invoke(endpoint, args);
  const bodyPath = (id) => `${DIR}/${id}.md`;
  const titleOf = (note) => note.title.trim() || "Untitled";
  const indexValue = () => notes.map(({ id, title, modified }) => ({ id, title, modified }));

  // ---- status line -------------------------------------------------------------------------

  function setStatus(text, isError = false) {
    el.status.textContent = text;
    el.status.classList.toggle("error", isError);
  }

  /** Shows a failed call with its error code (and I/O kind), e.g. "Save failed: io_error (permission_denied) — …". */
  function fail(what, err) {
    console.error(`notes: ${what}`, err);
    const why = typeof err?.code === "string"
      ? `${err.code}${err.kind ? ` (${err.kind})` : ""}${err.message ? ` — ${err.message}` : ""}` : String(err);
    setStatus(`${what} failed: ${why}`, true);
  }

  /** Queues a write after the ones before it. Resolves true on success, false after showing the error. */
  function enqueue(what, task) {
    queue = queue.then(task).then(() => true, (err) => { fail(what, err); return false; });
    return queue;
  }

  // ---- the list ----------------------------------------------------------------------------

  function formatTime(ms) {
    const d = new Date(ms);
    return d.toDateString() === new Date().toDateString()
      ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : d.toLocaleDateString([], { year: "numeric", month: "short", day: "numeric" });
  }

  function matches(note, query) {
    return !query || note.title.toLowerCase().includes(query)
      || (bodies.get(note.id) ?? "").toLowerCase().includes(query);
  }

  /**
   * The ranking `notes.search` (scripts/notes.rhai) gave for a query: `{query, order: id → rank}`.
   * Until it answers, or if it fails, the list filters locally instead.
   */
  let ranked = null;
  let searchTimer = 0;

  /** The notes the list shows: the script's ranking for the query, else those matching it, newest first. */
  function shown() {
    const query = el.search.value.trim();
    if (ranked && ranked.query === query) {
      return notes.filter((n) => ranked.order.has(n.id))
        .sort((a, b) => ranked.order.get(a.id) - ranked.order.get(b.id));
    }
    const q = query.toLowerCase();
    return notes.filter((n) => matches(n, q)).sort((a, b) => b.modified - a.modified);
  }

  /** Asks the script to rank the notes for the search box's query (after saving, so it sees the latest text). */
  async function searchNow() {
    const query = el.search.value.trim();
    if (!query) { ranked = null; render(); return; }
    try {
      await saveNow();
      const hits = await invoke("notes.search", { query });
      if (el.search.value.trim() !== query) return; // typed on meanwhile
      ranked = { query, order: new Map(hits.map((h, i) => [h.id, i])) };
    } catch (err) {
      ranked = null; // the local filter stays
      console.warn("notes.search", err);
    }
    render();
  }

  function searchSoon() {
    render();
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchNow, 150);
  }

  function render() {
    const items = shown().map((note) => {
      const li = document.createElement("li");
      const selected = note === current;
      li.dataset.id = note.id;
      li.tabIndex = 0;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(selected));
      li.classList.toggle("selected", selected);
      const name = Object.assign(document.createElement("span"), { className: "name", textContent: titleOf(note) });
      const time = Object.assign(document.createElement("time"), {
        className: "time", textContent: formatTime(note.modified),
        dateTime: new Date(note.modified).toISOString(), title: new Date(note.modified).toLocaleString(),
      });
      li.append(name, time);
      return li;
    });
    el.list.replaceChildren(...items);
    el.empty.hidden = items.length > 0;
    el.empty.textContent = notes.length ? "No matching notes." : "No notes yet.";
  }

  /** Opens a note (or none) in the editor and remembers it for the next start. */
  function open(id) {
    if (current !== null && current.id === id) return;
    current = notes.find((n) => n.id === id) ?? null;
    const text = current ? bodies.get(current.id) : undefined;
    const editable = text !== undefined;
    el.title.value = current ? current.title : "";
    el.body.value = text ?? "";
    el.title.disabled = el.body.disabled = el.export.disabled = !editable;
    el.remove.disabled = current === null;
    render();
    if (current && !editable) setStatus(`“${titleOf(current)}” could not be read; it stays read-only.`, true);
    if (current) {
      const value = current.id;
      enqueue("Remembering the open note", () => invoke("store.set", { key: SELECTED_KEY, value }));
    }
  }

  // ---- saving ------------------------------------------------------------------------------

  async function writeIndex() {
    indexDirty = false;
    try { await invoke("store.set", { key: INDEX_KEY, value: indexValue() }); } catch (err) { indexDirty = true; throw err; }
  }

  /** Writes what changed: the edited bodies, then the index. Returns the queue's promise. */
  function save() {
    clearTimeout(timer);
    timer = null;
    const ids = [...dirtyBodies];
    dirtyBodies.clear();
    if (!ids.length && !indexDirty) return queue;
    return enqueue("Save", async () => {
      setStatus("Saving…");
      try {
        for (const id of ids) {
          if (!bodies.has(id) || !notes.some((n) => n.id === id)) continue; // deleted meanwhile
          await invoke("fs.write_text", { path: bodyPath(id), text: bodies.get(id) });
        }
      } catch (err) {
        ids.forEach((id) => dirtyBodies.add(id)); // try again on the next save
        throw err;
      }
      if (indexDirty) await writeIndex();
      setStatus("Saved");
    });
  }

  /** Ctrl+S: writes the open note and the index now. */
  function saveNow() {
    if (current && bodies.has(current.id)) dirtyBodies.add(current.id);
    indexDirty = true;
    return save();
  }

  function edited(event) {
    if (!current) return;
    current.title = el.title.value;
    current.modified = Date.now();
    if (event.target === el.body) {
      bodies.set(current.id, el.body.value);
      dirtyBodies.add(current.id);
    }
    indexDirty = true;
    render();
    setStatus("Editing…");
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  }

  // ---- commands ----------------------------------------------------------------------------

  function newId() {
    const [a, b] = crypto.getRandomValues(new Uint32Array(2));
    return Date.now().toString(36) + a.toString(36) + b.toString(36);
  }

  /** Adds a note, opens it and saves it at once. */
  function createNote(title = "", text = "") {
    const note = { id: newId(), title, modified: Date.now() };
    notes.push(note);
    bodies.set(note.id, text);
    dirtyBodies.add(note.id);
    indexDirty = true;
    el.search.value = ""; // so that the new note is in the list
    open(note.id);
    return save();
  }

  const newNote = () => {
    createNote();
    el.title.focus();
  };

  /** Runs one native dialog flow at a time (a second Delete while the first asks is ignored). */
  async function withDialog(flow) {
    if (dialogOpen) return;
    dialogOpen = true;
    try { await flow(); } finally { dialogOpen = false; }
  }

  const deleteNote = () => withDialog(async () => {
    const note = current;
    if (!note) return;
    let yes;
    try {
      yes = await invoke("dialog.confirm", { title: "Delete note", message: `Delete “${titleOf(note)}”? This cannot be undone.` });
    } catch (err) {
      return fail("Delete", err);
    }
    if (!yes || !notes.includes(note)) return;
    const list = shown();
    const next = list[list.indexOf(note) + 1] ?? list[list.indexOf(note) - 1] ?? null;
    notes = notes.filter((n) => n !== note);
    bodies.delete(note.id);
    dirtyBodies.delete(note.id);
    open(next ? next.id : null);
    await enqueue("Delete", async () => {
      const path = bodyPath(note.id);
      if (await invoke("fs.exists", { path })) await invoke("fs.remove", { path });
      await writeIndex();
      if (!notes.length) await invoke("store.delete", { key: SELECTED_KEY });
      setStatus(`Deleted “${titleOf(note)}”`);
    });
  });

  /** A file name from a title: no path separators, control or reserved characters. */
  const fileName = (note) => titleOf(note).replace(/[/\\:*?"<>|\u0000-\u001f]/g, "-").replace(/^\.+/, "").slice(0, 100) || "Untitled";

  const exportNote = () => withDialog(async () => {
    const note = current;
    if (!note || !bodies.has(note.id)) return;
    try {
      const path = await invoke("dialog.save", {
        title: "Export note",
        default_path: `$DOCUMENTS/${fileName(note)}.md`,
        filters: [{ name: "Markdown", extensions: ["md"] }],
      });
      if (path === null) return setStatus("Export cancelled");
      await invoke("notes.export", { path, text: bodies.get(note.id) });
      setStatus(`Exported to ${path}`);
    } catch (err) {
      fail("Export", err);
    }
  });

  // ---- start -------------------------------------------------------------------------------

  /** Reads the index and every body; on the first run, writes a welcome note instead. */
  async function load() {
    await invoke("fs.mkdir", { path: DIR });
    const keys = await invoke("store.keys");
    if (!keys.includes(INDEX_KEY)) return createNote(WELCOME_TITLE, WELCOME_BODY);
    const stored = await invoke("store.get", { key: INDEX_KEY });
    const seen = new Set();
    notes = (Array.isArray(stored) ? stored : []).filter((n) =>
      n && typeof n.id === "string" && ID.test(n.id) && !seen.has(n.id) && seen.add(n.id)
      && typeof n.title === "string" && Number.isFinite(n.modified));
    await Promise.all(notes.map(async (n) => {
      try {
        bodies.set(n.id, await invoke("fs.read_text", { path: bodyPath(n.id) }));
      } catch (err) {
        if (err?.code === "io_error" && err.kind === "not_found") bodies.set(n.id, ""); // never written
        else fail(`Reading “${titleOf(n)}”`, err);
      }
    }));
    const selected = keys.includes(SELECTED_KEY) ? await invoke("store.get", { key: SELECTED_KEY }) : null;
    const first = notes.find((n) => n.id === selected) ?? shown()[0] ?? null;
    open(first ? first.id : null);
  }

  if (!host) {
    setStatus("Not running inside apphost: notes cannot be loaded or saved.", true);
    return;
  }

  const whenReady = (command) => () => { if (ready) command(); };
  for (const [event, command] of [
    ["menu:new", newNote], ["tray:new", newNote], ["menu:save", saveNow],
    ["menu:delete", deleteNote], ["menu:export", exportNote],
  ]) host.on(event, whenReady(command));
  el.add.addEventListener("click", whenReady(newNote));
  el.remove.addEventListener("click", whenReady(deleteNote));
  el.export.addEventListener("click", whenReady(exportNote));
  el.title.addEventListener("input", edited);
  el.body.addEventListener("input", edited);
  el.title.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); el.body.focus(); } });
  el.search.addEventListener("input", searchSoon);
  el.search.addEventListener("keydown", (e) => { if (e.key === "Escape") { el.search.value = ""; searchSoon(); } });
  el.list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-id]");
    if (li) open(li.dataset.id);
  });
  el.list.addEventListener("keydown", (e) => {
    const li = e.target.closest("li[data-id]");
    if (!li) return;
    const to = { ArrowDown: li.nextElementSibling, ArrowUp: li.previousElementSibling, Enter: li, " ": li }[e.key];
    if (!to) return;
    e.preventDefault();
    open(to.dataset.id);
    el.list.querySelector(`li[data-id="${to.dataset.id}"]`)?.focus();
  });
  // Leaving the page (quit, reload): start the pending write rather than drop it.
  document.addEventListener("visibilitychange", () => { if (document.hidden) save(); });
  window.addEventListener("pagehide", () => save());

  load().then(
    () => {
      ready = true;
      if (!el.status.classList.contains("error")) setStatus(notes.length === 1 ? "1 note" : `${notes.length} notes`);
    },
    async (err) => {
      fail("Loading notes", err);
      try {
        const quit = await invoke("dialog.confirm", { title: "Notes", message: `Notes could not load its data (${err?.code ?? "error"}). Quit?` });
        if (quit) await invoke("app.exit", { code: 1 });
      } catch (e) {
        console.error("notes:", e);
      }
    },
  ).finally(() => { window.notesReady = true; });
})();
