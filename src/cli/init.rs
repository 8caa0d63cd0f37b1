//! `apphost init DIR`: a small working app from the built-in template.

use std::path::Path;
use std::process::ExitCode;

use crate::source::{Source, join};
use crate::templates;
use anyhow::{Context, bail};

pub fn run(dir: &Path, name: Option<&str>) -> anyhow::Result<ExitCode> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
        if entries.next().is_some() {
            bail!("`{}` is not empty; choose a new folder", dir.display());
        }
    }
    let folder = dir
        .canonicalize()
        .ok()
        .or_else(|| std::env::current_dir().ok().map(|c| c.join(dir)))
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "my-app".to_owned());
    let slug = slug(&folder);
    let name = name.map(str::to_owned).unwrap_or_else(|| title_case(&slug));
    let id = format!("com.example.{slug}");

    write_dir(templates::init().as_ref(), "", dir, &name, &id)?;
    // Generated, not templated, so that they always match this host.
    for (file, text) in [
        ("app.schema.json", crate::manifest::schema_json() + "\n"),
        ("apphost.d.ts", templates::TYPINGS.to_owned()),
    ] {
        std::fs::write(dir.join(file), text)
            .with_context(|| format!("cannot write `{}`", dir.join(file).display()))?;
    }
    println!("created {} ({id}) in {}", name, dir.display());
    // Quoted for a shell, so that the line can be pasted as it is.
    let arg = shell_quote(&dir.display().to_string());
    println!("next: apphost dev {arg}");
    println!("      (saved changes show at once; `apphost run {arg}` runs it as users will)");
    Ok(ExitCode::SUCCESS)
}

/// Writes folder `rel` of the template into `dest`, filling in the name and id of text files.
fn write_dir(tpl: &dyn Source, rel: &str, dest: &Path, name: &str, id: &str) -> anyhow::Result<()> {
    let here = dest.join(rel);
    std::fs::create_dir_all(&here)
        .with_context(|| format!("cannot create `{}`", here.display()))?;
    for entry in tpl.list(rel)? {
        let path = join(rel, &entry.name);
        if entry.is_dir {
            write_dir(tpl, &path, dest, name, id)?;
            continue;
        }
        let bytes = tpl
            .read(&path, u64::MAX)
            .map_err(|e| anyhow::anyhow!("{} {e}", tpl.describe(&path)))?;
        let bytes = match std::str::from_utf8(&bytes) {
            Ok(text) => templates::render(text, name, id).into_bytes(),
            Err(_) => bytes.into_owned(),
        };
        let out = dest.join(&path);
        std::fs::write(&out, bytes).with_context(|| format!("cannot write `{}`", out.display()))?;
    }
    Ok(())
}

/// A lowercase id segment from a folder name: `My App!` → `my-app`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out,
        Some(_) => format!("app-{out}"),
        None => "my-app".to_owned(),
    }
}

/// `s` as one shell word, so the printed command can be pasted: `My Tool` → `'My Tool'`.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@%".contains(c));
    if plain {
        s.to_owned()
    } else {
        // Inside single quotes nothing is special but the quote itself, closed and escaped.
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_make_valid_ids() {
        assert_eq!(super::slug("My App!"), "my-app");
        assert_eq!(super::slug("2048"), "app-2048");
        assert_eq!(super::slug("…"), "my-app");
        assert_eq!(super::title_case("my-app"), "My App");
    }

    #[test]
    fn shell_words() {
        assert_eq!(super::shell_quote("my-app"), "my-app");
        assert_eq!(super::shell_quote("/tmp/a_b/c.d"), "/tmp/a_b/c.d");
        assert_eq!(super::shell_quote("My Tool"), "'My Tool'");
        assert_eq!(super::shell_quote("it's"), r"'it'\''s'");
        assert_eq!(super::shell_quote("$HOME"), "'$HOME'");
        assert_eq!(super::shell_quote(""), "''");
    }
}
