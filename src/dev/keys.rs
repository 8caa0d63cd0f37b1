//! The dev keys: `r` reloads every window, `q` quits, read one key at a time from the terminal.
//!
//! Only when stdin is the terminal and apphost is its foreground job (a background job that
//! touched the terminal would be stopped by SIGTTIN/SIGTTOU). The terminal is put in
//! non-canonical mode without echo, as Vite's own `r`/`q` keys do, and restored on every way
//! out: a normal exit ([`restore_terminal`]) and SIGINT, SIGTERM, SIGHUP or SIGQUIT (a handler
//! restores it and lets the signal's default action go on).

use std::io::Read as _;
use std::sync::OnceLock;
use std::time::Instant;

use super::{Action, Send};

/// The terminal's settings before apphost changed them.
static SAVED: OnceLock<libc::termios> = OnceLock::new();

const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Starts reading the keys, if stdin is the terminal of apphost's foreground job.
pub fn keys(send: Send) {
    if !foreground_terminal() || !raw_mode() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("apphost-dev-keys".into())
        .spawn(move || {
            let mut byte = [0u8; 1];
            let mut stdin = std::io::stdin().lock();
            while let Ok(1) = stdin.read(&mut byte) {
                match byte[0] {
                    b'r' | b'R' => send(Action::Reload {
                        paths: Vec::new(),
                        started: Instant::now(),
                    }),
                    b'q' | b'Q' => {
                        send(Action::Quit);
                        return;
                    }
                    b'h' | b'H' | b'?' => send(Action::Say(
                        "keys: r reloads every window, q quits (Ctrl+C too)".into(),
                    )),
                    _ => {}
                }
            }
        });
    if let Err(e) = spawned {
        restore_terminal();
        tracing::warn!("no thread for the dev keys: {e}");
    }
}

/// Puts the terminal back as it was (a no-op when the keys were never read).
pub fn restore_terminal() {
    if let Some(saved) = SAVED.get() {
        // SAFETY: tcsetattr on fd 0 with a termios read from the same terminal.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved) };
    }
}

fn foreground_terminal() -> bool {
    // SAFETY: plain queries on fd 0 and on this process.
    unsafe {
        libc::isatty(libc::STDIN_FILENO) == 1
            && libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp()
    }
}

/// Non-canonical, no echo; signals (Ctrl+C) still work. False when the terminal refused.
fn raw_mode() -> bool {
    // SAFETY: termios is plain data; tcgetattr fills it or fails.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd 0 is a terminal (checked by the caller); `saved` is a valid termios.
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
        return false;
    }
    if SAVED.set(saved).is_err() {
        return false;
    }
    for signal in SIGNALS {
        // SAFETY: installs an async-signal-safe handler (tcsetattr, signal, raise).
        unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
    }
    let mut raw = saved;
    raw.c_lflag &= !(libc::ICANON | libc::ECHO);
    raw.c_cc[libc::VMIN] = 1;
    raw.c_cc[libc::VTIME] = 0;
    // SAFETY: as above, with settings derived from the terminal's own.
    unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) == 0 }
}

/// Restores the terminal, then lets the signal do what it would have done.
extern "C" fn on_signal(signal: libc::c_int) {
    restore_terminal();
    // SAFETY: signal and raise are async-signal-safe; the default action ends the process.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}
