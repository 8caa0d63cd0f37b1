// TypeScript declarations for `window.apphost`, the bridge apphost injects into every app page.
//
// Put this file next to your sources (or list it in tsconfig's `include`/`files`); no import is
// needed: it declares the global `apphost` and `window.apphost`.
//
// Endpoints are what your app.toml declares. When an endpoint has the same name as the builtin
// it is bound to (an endpoint `fs.read_text` with `builtin = …` the same name), `invoke` is typed
// from the `Builtins` map below. Any other name (`notes.export` bound to `fs.write_text`, or a script)
// uses the generic overload; type its result with `BuiltinResult`:
//
//     const text = await apphost.invoke<BuiltinResult<'fs.read_text'>>('notes.load', { path });

export {};

declare global {
  interface Window {
    /** The apphost bridge: call endpoints and exchange events with the host. */
    readonly apphost: Apphost;
  }

  /** What `apphost dev` is about to do for a saved file (see `apphost:change`). */
  interface ApphostChange {
    /** The changed files, relative to the frontend folder (`[]` for the `r` key). */
    paths: string[];
    /** `css`: a style no stylesheet link uses, so the page would reload; `page`: any other file. */
    kind: "css" | "page";
  }

  interface WindowEventMap {
    /**
     * `apphost dev` only: fired before the page reloads for a saved file. `preventDefault()`
     * keeps the page as it is, to apply the change yourself.
     */
    "apphost:change": CustomEvent<ApphostChange>;
  }

  /** The apphost bridge (the same object as `window.apphost`). */
  const apphost: Apphost;

  /** The stable error codes an `invoke` can reject with. */
  type ErrorCode =
    /** No endpoint of that name is declared in app.toml (or the path / item was not found). */
    | "not_found"
    /** Wrong origin, no launch key, the window's `endpoints` does not grant it, or a path outside the endpoint's `scope`. */
    | "forbidden"
    /** The arguments do not have the shape the handler expects. */
    | "bad_args"
    /** The argument or the result is larger than `security.max-payload`. */
    | "too_large"
    /** The call took longer than the endpoint's `timeout-ms`. */
    | "timeout"
    /** The handler (a builtin or a script) failed. */
    | "handler_error"
    /** Not in this build, or not possible here (no display, no clipboard, the host went away). */
    | "unavailable"
    /** The operating system refused a file operation; `kind` says why. */
    | "io_error"
    /** A script went past a sandbox limit other than wall time (memory, operations, depth, sizes). */
    | "limit_exceeded"
    /** The page aborted the call's `signal` (see `InvokeOptions`). */
    | "cancelled";

  /** Why a file operation failed, on errors whose `code` is `io_error`. */
  type IoKind =
    /** The file or folder does not exist. */
    | "not_found"
    /** The path exists already (e.g. a rename onto an existing path). */
    | "already_exists"
    /** The operating system denied access. */
    | "permission_denied"
    /** A part of the path that should be a folder is not one. */
    | "not_a_directory"
    /** The path is a folder where a file was expected. */
    | "is_a_directory"
    /** The folder is not empty (remove it with `recursive: true`). */
    | "directory_not_empty"
    /** The data is not valid (e.g. a file that is not UTF-8 read as text). */
    | "invalid_data"
    /** Any other I/O error; `message` has the details. */
    | "other";

  /** What a failed `invoke` rejects with. */
  interface ApphostError {
    /** The stable, machine-readable code. */
    code: ErrorCode;
    /** A human-readable explanation (not stable: do not match on it). */
    message: string;
    /** For `io_error` only: the kind of I/O failure. */
    kind?: IoKind;
  }

  /** A running script's report, from its `progress(fraction, message?)`. */
  interface Progress {
    /** How far the call is, from 0 to 1. */
    fraction: number;
    /** What the script said (at most 256 characters), or `null`. */
    message: string | null;
  }

  /** The third argument of `invoke`. */
  interface InvokeOptions {
    /**
     * Receives the script's `progress` reports for this call (never another call's), at most one
     * per 50 ms: intermediate reports are dropped, and one made just before the call ends may
     * not arrive. Builtins report none.
     */
    onProgress?: (progress: Progress) => void;
    /**
     * Aborting it rejects the call at once with `cancelled`; a script stops at its next
     * operation. A builtin cannot be stopped midway: it runs to its end, its result is
     * dropped. A signal aborted already rejects without calling.
     */
    signal?: AbortSignal;
  }

  /** The second argument of every event callback. */
  interface EventMeta {
    /** The event's name, as passed to `on`. */
    event: string;
    /** The label of the window that emitted it, or `null` for menu, tray and host events. */
    source: string | null;
  }

  /** The data of an event sent by a menu or tray item with `emit = "…"`. */
  interface MenuEvent {
    /** The item's `id` in app.toml. */
    id: string;
    /** For check items: whether the item is now checked. */
    checked?: boolean;
  }

  /** An event callback: the event's data, then where it came from. */
  type EventCallback<T = unknown> = (data: T, meta: EventMeta) => void;

  /** Removes the callback that `on` or `once` added. */
  type Unsubscribe = () => void;

  /** A path: absolute, or starting with a scope variable, e.g. `$APPDATA/notes/a.md`. */
  type ApphostPath = string;

  /** A file filter of the open and save dialogs. */
  interface DialogFilter {
    /** The name shown, e.g. `Markdown`. */
    name: string;
    /** Extensions without the dot, e.g. `["md", "txt"]`. */
    extensions: string[];
  }

  /** An entry of a folder listing. */
  interface DirEntry {
    /** The entry's file name (not a path). */
    name: string;
    /** What the entry is; a symlink is reported as such, not followed. */
    kind: "file" | "dir" | "symlink" | "other";
    /** Its size in bytes. */
    size: number;
  }

  /** What `fs.stat` reports about a path. */
  interface FileStat {
    /** What the path is. */
    kind: "file" | "dir" | "symlink" | "other";
    /** Its size in bytes. */
    size: number;
    /** When it was last modified, in milliseconds since the Unix epoch (`null` if unknown). */
    modified: number | null;
    /** Whether it is read-only. */
    readonly: boolean;
  }

  /** What `app.info` returns. */
  interface AppInfo {
    /** `[app] id`, e.g. `dev.apphost.notes`. */
    id: string;
    /** `[app] name`. */
    name: string;
    /** `[app] version`, or `null` when the manifest has none. */
    version: string | null;
    /** The version of apphost running the app. */
    host_version: string;
    /**
     * The command-line arguments meant for the app: a packaged app's own arguments (a file
     * manager that opens a file with the app passes its path), or what follows `--` in
     * `apphost run DIR -- …`. Empty otherwise.
     */
    args: string[];
    /** Whether the app runs from an executable made by `apphost package`. */
    packaged: boolean;
  }

  /** A window as `window.list` reports it. */
  interface WindowInfo {
    /** The window's `label` in app.toml. */
    label: string;
    /** Whether it is shown. */
    visible: boolean;
  }

  /** Arguments of the window builtins: the window to act on, by default the calling one. */
  interface WindowTarget {
    /** A `[[window]] label`; default: the window that calls. */
    label?: string;
  }

  /** Arguments of builtins that take none. */
  type NoArgs = undefined | null | Record<string, never>;

  /** Any JSON value (what the store holds). */
  type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

  /**
   * Every builtin, by name: its arguments and what the call resolves with. `null` results mean
   * "done"; failures reject with an `ApphostError`.
   */
  interface Builtins {
    /** The app's id, name and version, and the host's version. */
    "app.info": { args: NoArgs; result: AppInfo };
    /** Quits the app with exit status `code` (default 0). */
    "app.exit": { args: { code?: number } | NoArgs; result: null };
    /** Returns its argument unchanged (to test the bridge). */
    "app.echo": { args: unknown; result: unknown };

    /** The windows the manifest declares that exist now, with their visibility. */
    "window.list": { args: NoArgs; result: WindowInfo[] };
    /** Shows a declared window, building it first if needed. */
    "window.open": { args: { label: string }; result: null };
    /** Closes a window. */
    "window.close": { args: WindowTarget | NoArgs; result: null };
    /** Shows a hidden window. */
    "window.show": { args: WindowTarget | NoArgs; result: null };
    /** Hides a window (it keeps its page). */
    "window.hide": { args: WindowTarget | NoArgs; result: null };
    /** Brings a window to the front and focuses it. */
    "window.focus": { args: WindowTarget | NoArgs; result: null };
    /** Minimizes a window. */
    "window.minimize": { args: WindowTarget | NoArgs; result: null };
    /** Maximizes a window. */
    "window.maximize": { args: WindowTarget | NoArgs; result: null };
    /** Restores a maximized window. */
    "window.unmaximize": { args: WindowTarget | NoArgs; result: null };
    /** Sets a window's title. */
    "window.set_title": { args: WindowTarget & { title: string }; result: null };
    /** Sets a window's inner size in logical pixels. */
    "window.set_size": { args: WindowTarget & { width: number; height: number }; result: null };

    /** Reads a UTF-8 text file (`io_error`/`invalid_data` if it is not UTF-8). */
    "fs.read_text": { args: { path: ApphostPath }; result: string };
    /** Reads a file's bytes. */
    "fs.read_bytes": { args: { path: ApphostPath }; result: ArrayBuffer };
    /** Writes a text file as UTF-8, atomically (a temporary file renamed over it). */
    "fs.write_text": { args: { path: ApphostPath; text: string }; result: null };
    /** Writes bytes to a file, atomically. */
    "fs.write_bytes": { args: { path: ApphostPath; data: ArrayBuffer | Uint8Array }; result: null };
    /** Lists a folder. */
    "fs.list": { args: { path: ApphostPath }; result: DirEntry[] };
    /** Kind, size, modification time and read-only flag of a path. */
    "fs.stat": { args: { path: ApphostPath }; result: FileStat };
    /** Whether a path exists. */
    "fs.exists": { args: { path: ApphostPath }; result: boolean };
    /** Creates a folder and any missing parents (no error if it exists). */
    "fs.mkdir": { args: { path: ApphostPath }; result: null };
    /** Removes a file or an empty folder; with `recursive: true`, a folder and everything in it. */
    "fs.remove": { args: { path: ApphostPath; recursive?: boolean }; result: null };
    /** Renames or moves a path; both ends must be inside the endpoint's scope. */
    "fs.rename": { args: { from: ApphostPath; to: ApphostPath }; result: null };

    /** The value stored under `key`, or `null` if there is none. */
    "store.get": { args: { key: string }; result: Json };
    /** Stores a JSON value under `key` (written to disk atomically). */
    "store.set": { args: { key: string; value: Json }; result: null };
    /** Deletes `key`; resolves with whether it existed. */
    "store.delete": { args: { key: string }; result: boolean };
    /** Every key of the store. */
    "store.keys": { args: NoArgs; result: string[] };
    /** Empties the store. */
    "store.clear": { args: NoArgs; result: null };

    /** The clipboard's text, or `null` if it holds no text. */
    "clipboard.read_text": { args: NoArgs; result: string | null };
    /** Puts text on the clipboard. */
    "clipboard.write_text": { args: { text: string }; result: null };

    /**
     * A native open dialog: one path, several with `multiple: true`, a folder with
     * `directory: true`; `null` when the user cancels.
     */
    "dialog.open": {
      args: {
        /** The dialog's title. */
        title?: string;
        /** Let the user pick several entries (the result is then an array). */
        multiple?: boolean;
        /** Pick folders instead of files. */
        directory?: boolean;
        /** Which files are offered. */
        filters?: DialogFilter[];
        /** Where the dialog starts: a folder or a file, may start with a scope variable. */
        default_path?: ApphostPath;
      } | NoArgs;
      result: string | string[] | null;
    };
    /** A native save dialog: the chosen path, or `null` when the user cancels. */
    "dialog.save": {
      args: {
        /** The dialog's title. */
        title?: string;
        /** The suggested folder and file name, e.g. `$DOCUMENTS/note.md`. */
        default_path?: ApphostPath;
        /** Which files are offered. */
        filters?: DialogFilter[];
      } | NoArgs;
      result: string | null;
    };
    /** A native message box; resolves when it is closed. */
    "dialog.message": {
      args: { title?: string; message: string; kind?: "info" | "warning" | "error" };
      result: null;
    };
    /** A native yes/no question; resolves with `true` for yes. */
    "dialog.confirm": { args: { title?: string; message: string }; result: boolean };

    /** Opens a URL in the system's handler, if `security.open-external` allows it (else `forbidden`). */
    "shell.open": { args: { url: string }; result: null };

    /** Enables or disables the menu or tray item with this `id`. */
    "menu.set_enabled": { args: { id: string; enabled: boolean }; result: null };
    /** Checks or unchecks the check item with this `id`. */
    "menu.set_checked": { args: { id: string; checked: boolean }; result: null };
    /** Changes the label of the menu or tray item with this `id`. */
    "menu.set_text": { args: { id: string; text: string }; result: null };

    /** Shows a desktop notification. */
    "notification.show": { args: { title: string; body?: string }; result: null };
  }

  /** A builtin's name. */
  type BuiltinName = keyof Builtins;
  /** The arguments builtin `K` takes. */
  type BuiltinArgs<K extends BuiltinName> = Builtins[K]["args"];
  /** What a call to builtin `K` resolves with. */
  type BuiltinResult<K extends BuiltinName> = Builtins[K]["result"];
  /**
   * The rest parameters of `invoke` for builtin `K`: the arguments (optional when the builtin
   * needs none), then the options.
   */
  type InvokeArgs<K extends BuiltinName> = undefined extends BuiltinArgs<K>
    ? [args?: BuiltinArgs<K>, options?: InvokeOptions]
    : [args: BuiltinArgs<K>, options?: InvokeOptions];

  /** `window.apphost`. */
  interface Apphost {
    /**
     * Calls an endpoint whose name is a builtin's name (and that is bound to that builtin), typed
     * from `Builtins`. Rejects with an `ApphostError`.
     */
    invoke<K extends BuiltinName>(endpoint: K, ...args: InvokeArgs<K>): Promise<BuiltinResult<K>>;
    /**
     * Calls any endpoint declared in app.toml and granted to this window. `args` travels as JSON;
     * an `ArrayBuffer` or typed array travels as raw bytes. Resolves with the JSON result, or an
     * `ArrayBuffer` for byte results; rejects with an `ApphostError`. (A builtin's name called
     * with arguments that do not fit its `Builtins` entry also lands here, unchecked.)
     * `options` follows a script's progress and cancels the call.
     */
    invoke<T = unknown>(endpoint: string, args?: unknown, options?: InvokeOptions): Promise<T>;
    /**
     * Calls `cb(data, meta)` each time `event` arrives: from a menu or tray item's `emit` (data
     * is a `MenuEvent`), or from `emit` in any window. Returns a function that unsubscribes.
     */
    on<T = unknown>(event: string, cb: EventCallback<T>): Unsubscribe;
    /** Like `on`, for the next `event` only. Returns a function that unsubscribes before then. */
    once<T = unknown>(event: string, cb: EventCallback<T>): Unsubscribe;
    /** Removes a callback added with `on` (the same function object). */
    off<T = unknown>(event: string, cb: EventCallback<T>): void;
    /**
     * Sends `event` with `data` (JSON) to the listeners of every window, this one included.
     * Resolves once the host has taken it.
     */
    emit(event: string, data?: unknown): Promise<void>;
  }
}
