//! The floors of the IPC bench: a bare tao + wry window serving the bench page, with the least
//! `invoke` a wry-based host can offer, and no apphost code. On each call's arrival it prints
//! the line the host prints with `APPHOST_TRACE_CALLS=1`: `apphost-call <micros> <endpoint>`.
//!
//! - `post`: `window.ipc.postMessage(JSON.stringify({id, endpoint, args}))`, answered from the
//!   IPC handler (on the UI thread) with `evaluate_script("__reply(id, args)")` on a webview
//!   handle kept in an `Rc<RefCell<Option<WebView>>>`;
//! - `post-proxy`: the same, but the handler sends the script to the event loop as a user event
//!   (the shape a host with several windows would have);
//! - `fetch`: `fetch('app://localhost/ipc/<endpoint>', {method: 'POST', body})` to a synchronous
//!   custom-protocol handler that answers with the body and its content type.
//!
//! The page reports with `bench.report`; a floor prints its arguments as `apphost-report <json>`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use http::header::CONTENT_TYPE;
use serde_json::Value;
use tao::event::Event;
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use wry::{WebView, WebViewBuilder, WebViewBuilderExtUnix};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Post,
    PostProxy,
    Fetch,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Post, Kind::PostProxy, Kind::Fetch];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::PostProxy => "post-proxy",
            Kind::Fetch => "fetch",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

const POST_SHIM: &str = r#"(() => {
  const pending = new Map();
  let next = 0;
  window.__reply = (id, value) => {
    const resolve = pending.get(id);
    pending.delete(id);
    resolve(value);
  };
  window.apphost = {
    noBytes: true,
    invoke(endpoint, args) {
      return new Promise((resolve) => {
        const id = ++next;
        pending.set(id, resolve);
        window.ipc.postMessage(JSON.stringify({ id, endpoint, args: args === undefined ? null : args }));
      });
    },
  };
})();"#;

const FETCH_SHIM: &str = r#"window.apphost = {
  async invoke(endpoint, args) {
    const bytes = args instanceof ArrayBuffer || ArrayBuffer.isView(args);
    const response = await fetch(`app://localhost/ipc/${endpoint}`, {
      method: "POST",
      headers: { "Content-Type": bytes ? "application/octet-stream" : "application/json" },
      body: bytes ? args : JSON.stringify(args === undefined ? null : args),
    });
    const type = response.headers.get("content-type") || "";
    return type.startsWith("application/octet-stream") ? response.arrayBuffer() : response.json();
  },
};"#;

enum UserEvent {
    Eval(String),
    Exit,
}

#[derive(serde::Deserialize)]
struct Message {
    id: u64,
    endpoint: String,
    args: Value,
}

/// Microseconds since the floor started, from the monotonic clock.
fn micros() -> u128 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros()
}

fn arrived(at: u128, endpoint: &str, args: impl FnOnce() -> Value) {
    eprintln!("apphost-call {at} {endpoint}");
    if endpoint == "bench.report" {
        eprintln!("apphost-report {}", args());
    }
}

pub fn run(kind: Kind, dir: PathBuf) -> ! {
    micros();
    let event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
    let window = WindowBuilder::new()
        .with_title("IPC floor")
        .build(&event_loop)
        .expect("floor: creating the window");
    let webview: Rc<RefCell<Option<WebView>>> = Rc::default();
    let proxy = event_loop.create_proxy();
    let exit = Mutex::new(event_loop.create_proxy());
    let builder = WebViewBuilder::new()
        .with_url("app://localhost/index.html")
        .with_custom_protocol("app".into(), move |_id, req| {
            let at = micros();
            let Some(endpoint) = req.uri().path().strip_prefix("/ipc/") else {
                return crate::common::serve(&dir, req.uri().path());
            };
            let endpoint = endpoint.to_owned();
            let (parts, body) = req.into_parts();
            arrived(at, &endpoint, || serde_json::from_slice(&body).unwrap());
            if endpoint == "bench.exit" {
                let _ = exit.lock().unwrap().send_event(UserEvent::Exit);
            }
            let response = http::Response::builder();
            let response = match parts.headers.get(CONTENT_TYPE) {
                Some(ct) => response.header(CONTENT_TYPE, ct),
                None => response,
            };
            response.body(body.into()).unwrap()
        });
    let builder = match kind {
        Kind::Fetch => builder.with_initialization_script(FETCH_SHIM),
        Kind::Post | Kind::PostProxy => {
            let webview = webview.clone();
            let proxy = proxy.clone();
            builder
                .with_initialization_script(POST_SHIM)
                .with_ipc_handler(move |req| {
                    let at = micros();
                    let msg: Message = serde_json::from_str(req.body()).unwrap();
                    arrived(at, &msg.endpoint, || msg.args.clone());
                    if msg.endpoint == "bench.exit" {
                        let _ = proxy.send_event(UserEvent::Exit);
                        return;
                    }
                    let js = format!("__reply({},{})", msg.id, msg.args);
                    if kind == Kind::PostProxy {
                        let _ = proxy.send_event(UserEvent::Eval(js));
                    } else if let Some(w) = webview.borrow().as_ref() {
                        w.evaluate_script(&js).unwrap();
                    }
                })
        }
    };
    let built = builder
        .build_gtk(window.default_vbox().unwrap())
        .expect("floor: creating the webview");
    *webview.borrow_mut() = Some(built);
    event_loop.run(move |event, _, control_flow| {
        let _ = &window; // lives as long as the loop
        *control_flow = ControlFlow::Wait;
        match event {
            Event::UserEvent(UserEvent::Eval(js)) => {
                if let Some(w) = webview.borrow().as_ref() {
                    w.evaluate_script(&js).unwrap();
                }
            }
            Event::UserEvent(UserEvent::Exit) => *control_flow = ControlFlow::Exit,
            _ => {}
        }
    })
}
