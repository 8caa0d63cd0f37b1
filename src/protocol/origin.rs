//! Where the app's own pages come from, as a value: always `app://localhost`, and in `apphost
//! dev` with `[dev] url` also the framework dev server's origin. The router, the bridge, the
//! navigation guard and delivery all ask this value, so that a dev server is trusted exactly
//! as far as `app://localhost` and no further.

use super::ORIGIN;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    /// The dev server's URL as the manifest gives it (pages load relative to it), and its origin.
    dev: Option<(url::Url, String)>,
}

impl Default for Origins {
    fn default() -> Self {
        Origins::app()
    }
}

impl Origins {
    /// `app://localhost` alone: what `apphost run` trusts.
    pub fn app() -> Origins {
        Origins { dev: None }
    }

    /// `app://localhost` and the origin of the dev server at `url` (an `http(s)://` URL).
    pub fn with_dev_server(url: &str) -> Result<Origins, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!("`{url}` is not an http:// or https:// URL"));
        }
        let origin = parsed.origin().ascii_serialization();
        Ok(Origins {
            dev: Some((parsed, origin)),
        })
    }

    /// The dev server's origin, when pages come from one.
    pub fn dev_server(&self) -> Option<&str> {
        self.dev.as_ref().map(|(_, o)| o.as_str())
    }

    /// Every origin whose pages are the app's own, as `scheme://host[:port]`.
    pub fn list(&self) -> Vec<String> {
        let mut all = vec![ORIGIN.to_owned()];
        all.extend(self.dev_server().map(str::to_owned));
        all
    }

    /// Whether `url` is one of the app's own pages: exactly `app://localhost/…` (not
    /// `app://localhost.evil/`, not `app://localhost:1/`), or exactly the dev server's origin.
    pub fn is_app_url(&self, url: &str) -> bool {
        let under = |origin: &str| {
            url.strip_prefix(origin)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        };
        under(ORIGIN) || self.dev_server().is_some_and(under)
    }

    /// The URL a window opens for its manifest `url`: an absolute URL stays as it is; a path is
    /// joined under the dev server when there is one, else under `app://localhost/`. A path such
    /// as `//evil.com/x` names a file, never a host.
    pub fn start_url(&self, url: &str) -> String {
        if url::Url::parse(url).is_ok() {
            return url.to_owned();
        }
        let path = url.trim_start_matches('/');
        match &self.dev {
            Some((base, _)) => {
                let mut base = base.clone();
                if !base.path().ends_with('/') {
                    let dir = format!("{}/", base.path());
                    base.set_path(&dir);
                }
                base.join(path)
                    .map_or_else(|_| format!("{base}{path}"), |u| u.to_string())
            }
            None => format!("{ORIGIN}/{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Origins;

    #[test]
    fn app_pages_only() {
        let o = Origins::app();
        for url in [
            "app://localhost",
            "app://localhost/",
            "app://localhost/a/b.html?x#y",
        ] {
            assert!(o.is_app_url(url), "{url}");
        }
        for url in [
            "app://localhost.evil.com/",
            "app://localhost:1/",
            "app://localhostx",
            "https://localhost/",
            "http://localhost:5173/",
            "https://example.com/app://localhost/",
            "about:blank",
            "",
        ] {
            assert!(!o.is_app_url(url), "{url}");
        }
        assert_eq!(o.list(), ["app://localhost"]);
    }

    #[test]
    fn a_dev_server_is_trusted_exactly() {
        let o = Origins::with_dev_server("http://localhost:5173").unwrap();
        assert_eq!(o.list(), ["app://localhost", "http://localhost:5173"]);
        assert!(o.is_app_url("http://localhost:5173/"));
        assert!(o.is_app_url("http://localhost:5173/src/main.ts?x"));
        assert!(o.is_app_url("app://localhost/"));
        for url in [
            "http://localhost:51730/",
            "http://localhost:5173.evil.com/",
            "https://localhost:5173/",
            "http://localhost/",
        ] {
            assert!(!o.is_app_url(url), "{url}");
        }
        assert!(Origins::with_dev_server("ftp://x/").is_err());
        assert!(Origins::with_dev_server("not a url").is_err());
    }

    #[test]
    fn start_urls_stay_home() {
        let o = Origins::app();
        assert_eq!(o.start_url("index.html"), "app://localhost/index.html");
        assert_eq!(
            o.start_url("/a/b.html?x=1#y"),
            "app://localhost/a/b.html?x=1#y"
        );
        assert_eq!(o.start_url("//evil.com/x"), "app://localhost/evil.com/x");
        assert_eq!(o.start_url("https://example.com/"), "https://example.com/");
        let dev = Origins::with_dev_server("http://localhost:5173").unwrap();
        assert_eq!(
            dev.start_url("index.html"),
            "http://localhost:5173/index.html"
        );
        assert_eq!(
            dev.start_url("//evil.com/x"),
            "http://localhost:5173/evil.com/x"
        );
        let sub = Origins::with_dev_server("http://127.0.0.1:8000/app").unwrap();
        assert_eq!(sub.start_url("/"), "http://127.0.0.1:8000/app/");
    }
}
