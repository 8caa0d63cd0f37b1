//! Where an app's files live, by scope variable (`$APPDATA`…), from the `directories` crate.

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct AppDirs {
    pub data: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub home: PathBuf,
    pub documents: PathBuf,
    pub downloads: PathBuf,
    pub temp: PathBuf,
}

impl AppDirs {
    /// The folders for app `id`: `$XDG_DATA_HOME/<id>` and so on. Without a home folder (no
    /// `$HOME`), everything falls back to a folder under the system's temp folder.
    pub fn for_app(id: &str) -> AppDirs {
        let temp = std::env::temp_dir();
        let fallback = temp.join(format!("apphost-{id}"));
        let base = directories::BaseDirs::new();
        let user = directories::UserDirs::new();
        let under = |f: fn(&directories::BaseDirs) -> &std::path::Path, name: &str| {
            base.as_ref()
                .map_or_else(|| fallback.join(name), |b| f(b).join(id))
        };
        let home = base
            .as_ref()
            .map_or_else(|| fallback.clone(), |b| b.home_dir().to_path_buf());
        AppDirs {
            data: under(|b| b.data_dir(), "data"),
            config: under(|b| b.config_dir(), "config"),
            cache: under(|b| b.cache_dir(), "cache"),
            documents: user
                .as_ref()
                .and_then(|u| u.document_dir())
                .map_or_else(|| home.join("Documents"), |p| p.to_path_buf()),
            downloads: user
                .as_ref()
                .and_then(|u| u.download_dir())
                .map_or_else(|| home.join("Downloads"), |p| p.to_path_buf()),
            home,
            temp,
        }
    }

    /// The folder a scope variable (without `$`) names.
    pub fn var(&self, name: &str) -> Option<&PathBuf> {
        Some(match name {
            "APPDATA" => &self.data,
            "APPCONFIG" => &self.config,
            "APPCACHE" => &self.cache,
            "HOME" => &self.home,
            "DOCUMENTS" => &self.documents,
            "DOWNLOADS" => &self.downloads,
            "TEMP" => &self.temp,
            _ => return None,
        })
    }
}
