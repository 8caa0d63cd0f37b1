//! The navigation guard on WebKit's own `decide-policy` signal (wry's navigation handler sees
//! only the URL). WebKit asks here for every hop of every frame: a link, `location=`, a meta
//! refresh, each HTTP redirect (`is_redirect`), a frame setting `top.location`; `window.open`
//! and `target=_blank` as new-window actions (a script's `window.open` goes to wry's new-window
//! handler instead, [`new_window`]); and once more with each frame's response, where it
//! says whether the response would fill the window. The decisions are `crate::navigation`'s.
//!
//! Seen on WebKitGTK 2.50: a subframe's navigation is asked about exactly like the main
//! frame's, so local documents (`data:`, `blob:`) pass the navigation and are judged with their
//! response; `file:` from an app page and `javascript:` URLs never reach this signal (WebKit
//! refuses the first and runs the second in place).

use std::sync::Arc;

use gtk::glib::Cast as _;
use webkit2gtk::{
    NavigationPolicyDecision, NavigationPolicyDecisionExt as _, NavigationType, PolicyDecision,
    PolicyDecisionExt as _, PolicyDecisionType, ResponsePolicyDecision,
    ResponsePolicyDecisionExt as _, URIRequestExt as _, URIResponseExt as _, WebViewExt as _,
};

use crate::generation::Core;
use crate::navigation::{self, Navigation};

/// Puts the guard on `webview`: from now on every navigation and response of its frames is
/// decided by the generation current at the time.
pub fn guard(webview: &webkit2gtk::WebView, core: Arc<Core>) {
    webview.connect_decide_policy(move |_, decision, kind| match kind {
        PolicyDecisionType::NavigationAction | PolicyDecisionType::NewWindowAction => {
            let new_window = kind == PolicyDecisionType::NewWindowAction;
            let allow = navigation_allowed(decision, new_window, &core);
            if allow {
                decision.use_()
            } else {
                decision.ignore()
            }
            true
        }
        PolicyDecisionType::Response => {
            // Only a refusal is decided here; what to do with an allowed response (show it,
            // or not, as a download) is left to the other handlers and WebKit's default.
            if response_allowed(decision, &core) {
                false
            } else {
                decision.ignore();
                true
            }
        }
        _ => false,
    });
}

/// `window.open` from script: WebKit asks `create` (wry's new-window handler) without a policy
/// decision first. It does so only during a user's action (WebKit's default refuses pop-ups
/// otherwise, `javascript-can-open-windows-automatically`), so the URL may be handed over.
pub fn new_window(url: &str, core: &Core) {
    let nav = Navigation {
        url,
        new_window: true,
        redirect: false,
        user_action: true,
    };
    let g = core.current();
    navigation::decide(&nav, &g.app.security, &g.origins);
}

fn navigation_allowed(decision: &PolicyDecision, new_window: bool, core: &Core) -> bool {
    let Some(mut action) = decision
        .downcast_ref::<NavigationPolicyDecision>()
        .and_then(|d| d.navigation_action())
    else {
        return false;
    };
    let Some(url) = action.request().and_then(|r| r.uri()) else {
        return false;
    };
    let nav = Navigation {
        url: url.as_str(),
        new_window,
        redirect: action.is_redirect(),
        user_action: action.is_user_gesture()
            || matches!(
                action.navigation_type(),
                NavigationType::LinkClicked | NavigationType::FormSubmitted
            ),
    };
    let g = core.current();
    navigation::decide(&nav, &g.app.security, &g.origins)
}

fn response_allowed(decision: &PolicyDecision, core: &Core) -> bool {
    let Some(d) = decision.downcast_ref::<ResponsePolicyDecision>() else {
        return false;
    };
    let main = d.is_main_frame_main_resource();
    let Some(url) = d.response().and_then(|r| r.uri()) else {
        return false;
    };
    let g = core.current();
    let ok = navigation::response_allowed(&url, main, &g.app.security, &g.origins);
    if !ok {
        let place = if main { "the window" } else { "a frame" };
        tracing::warn!(
            "blocked {url} in {place}: not the app's own pages and not in security.allow-navigation"
        );
    }
    ok
}
