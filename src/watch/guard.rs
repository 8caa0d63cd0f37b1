//! The reload-loop guard: an app that writes into its own watched folder (a log, a cache, a
//! store kept next to the frontend) would otherwise reload itself forever, each reload causing
//! the next write. Pure: the caller passes the clock, so tests use synthetic instants.
//!
//! The caller asks [`ReloadGuard::admit`] before each reload it is about to do; the guard does
//! not know what a reload is, so `dev` decides which changes count (a stylesheet swap that
//! does not rerun the page's code need not).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Whether a reload may go ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Go ahead.
    Yes,
    /// The first refusal: show `why` to the developer once.
    Paused { why: String },
    /// Still refused; `why` was already shown.
    StillPaused,
}

/// Counts recent reloads and pauses them when too many happen too fast.
#[derive(Debug)]
pub struct ReloadGuard {
    max_per_window: usize,
    window: Duration,
    /// When the admitted reloads within the last `window` happened, oldest first.
    recent: VecDeque<Instant>,
    /// While paused: the last refused attempt, from which the quiet period is measured.
    paused_since_last: Option<Instant>,
}

impl Default for ReloadGuard {
    /// More than 5 reloads within 1 s pauses: no person saves that fast, a program does.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(1))
    }
}

impl ReloadGuard {
    /// Pauses when more than `max_per_window` reloads would happen within `window`, and resumes
    /// after `window` without any attempt.
    pub fn new(max_per_window: usize, window: Duration) -> Self {
        Self {
            max_per_window,
            window,
            recent: VecDeque::with_capacity(max_per_window + 1),
            paused_since_last: None,
        }
    }

    /// Whether the reload wanted at `now` may go ahead. `now` must not go backwards.
    pub fn admit(&mut self, now: Instant) -> Admit {
        if let Some(last) = self.paused_since_last {
            // Every refused attempt restarts the quiet period: while the app keeps writing,
            // resuming would only start the loop again.
            if now.saturating_duration_since(last) < self.window {
                self.paused_since_last = Some(now);
                return Admit::StillPaused;
            }
            self.paused_since_last = None;
            self.recent.clear();
        }
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= self.window {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        if self.recent.len() >= self.max_per_window {
            self.paused_since_last = Some(now);
            return Admit::Paused {
                why: format!(
                    "reloads are paused: more than {} happened within {} ms. The app probably \
                     writes into its own folder; reloading resumes after {} ms without changes.",
                    self.max_per_window,
                    self.window.as_millis(),
                    self.window.as_millis(),
                ),
            };
        }
        self.recent.push_back(now);
        Admit::Yes
    }

    /// Whether reloads are paused and have been quiet for the whole window by `now`: the next
    /// `admit` would let a reload go ahead again. Asks without changing anything.
    pub fn quiet(&self, now: Instant) -> bool {
        self.paused_since_last
            .is_some_and(|last| now.saturating_duration_since(last) >= self.window)
    }

    /// Whether reloads are paused at the moment (as of the last `admit`).
    pub fn is_paused(&self) -> bool {
        self.paused_since_last.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Runs `admit` at each offset (ms from a common start) and returns a compact trace:
    /// `Y` admitted, `P` paused (first refusal), `s` still paused.
    fn trace(guard: &mut ReloadGuard, offsets: &[u64]) -> String {
        let start = Instant::now();
        offsets
            .iter()
            .map(|&o| match guard.admit(start + ms(o)) {
                Admit::Yes => 'Y',
                Admit::Paused { .. } => 'P',
                Admit::StillPaused => 's',
            })
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[u64], &str)] = &[
            ("five quick saves are fine", &[0, 10, 20, 30, 40], "YYYYY"),
            (
                "the sixth within a second pauses",
                &[0, 10, 20, 30, 40, 50],
                "YYYYYP",
            ),
            (
                "and stays paused while it goes on",
                &[0, 1, 2, 3, 4, 5, 500, 1400],
                "YYYYYPss",
            ),
            (
                "a quiet window resumes",
                &[0, 1, 2, 3, 4, 5, 1005, 1010],
                "YYYYYPYY",
            ),
            (
                "steady saves spaced out never pause",
                &[0, 250, 500, 750, 1000, 1250, 1500],
                "YYYYYYY",
            ),
            (
                "old reloads slide out of the window",
                &[0, 1, 2, 3, 4, 1000, 1001],
                "YYYYYYY",
            ),
            (
                "after resuming the count starts afresh",
                &[0, 1, 2, 3, 4, 5, 1100, 1101, 1102, 1103, 1104, 1105],
                "YYYYYPYYYYYP",
            ),
        ];
        for (what, offsets, expected) in cases {
            let mut guard = ReloadGuard::default();
            assert_eq!(&trace(&mut guard, offsets), expected, "{what}");
        }
    }

    #[test]
    fn the_first_refusal_says_why_and_how_it_ends() {
        let mut guard = ReloadGuard::new(2, ms(300));
        let t = Instant::now();
        assert_eq!(guard.admit(t), Admit::Yes);
        assert_eq!(guard.admit(t + ms(1)), Admit::Yes);
        let Admit::Paused { why } = guard.admit(t + ms(2)) else {
            panic!("expected a pause");
        };
        assert!(why.contains("more than 2"), "{why}");
        assert!(why.contains("300 ms"), "{why}");
        assert!(why.contains("writes into its own folder"), "{why}");
        assert!(why.contains("resumes"), "{why}");
        assert!(guard.is_paused());
        assert!(!guard.quiet(t + ms(100)));
        assert_eq!(guard.admit(t + ms(3)), Admit::StillPaused);
        // Asking changes nothing; the quiet period counts from the last refused attempt.
        assert!(!guard.quiet(t + ms(302)));
        assert!(guard.quiet(t + ms(303)));
        assert!(guard.is_paused());
        assert_eq!(guard.admit(t + ms(303)), Admit::Yes);
        assert!(!guard.is_paused());
    }
}
