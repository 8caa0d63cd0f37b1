//! `[[menu]]` and `[tray]`.

use std::collections::BTreeMap;

use super::super::accelerator::HOW_TO_WRITE;
use super::super::model::{ItemKind, Manifest, MenuItem, Predefined};
use super::super::path::KeyPath;
use super::super::suggest::closest;
use super::{Ctx, icon_file};
use crate::key_path;

pub(super) fn event_name(cx: &mut Ctx, p: KeyPath, name: &str) {
    if name.is_empty()
        || name.len() > 128
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        cx.error(
            p,
            format!("event name `{name}` must be 1–128 characters without spaces"),
        );
    }
}

pub(super) fn menus(cx: &mut Ctx, m: &Manifest) {
    let mut ids: BTreeMap<String, KeyPath> = BTreeMap::new();
    let mut accels: BTreeMap<String, KeyPath> = BTreeMap::new();
    for (i, menu) in m.menu.iter().enumerate() {
        let p = key_path!["menu", i];
        if menu.label.as_deref().is_none_or(|l| l.trim().is_empty()) {
            cx.missing(p.clone(), "label", "the menu's title, e.g. `\"File\"`");
        }
        if let Some(id) = &menu.id {
            unique_id(cx, &mut ids, p.key("id"), id);
        }
        if menu.items.is_empty() {
            cx.warn(p.clone(), "this menu has no `items`");
        }
        for (j, item) in menu.items.iter().enumerate() {
            menu_item(cx, &mut ids, &mut accels, p.key("items").index(j), item, 0);
        }
    }
    if let Some(tray) = &m.tray {
        let p = key_path!["tray"];
        match &tray.icon {
            Some(icon) => icon_file(cx, p.key("icon"), icon),
            None => cx.missing(p.clone(), "icon", "a PNG or ICO file for the tray"),
        }
        if let Some(e) = &tray.emit {
            event_name(cx, p.key("emit"), e);
        }
        for (j, item) in tray.menu.iter().enumerate() {
            menu_item(cx, &mut ids, &mut accels, p.key("menu").index(j), item, 0);
        }
    }
}

fn unique_id(cx: &mut Ctx, ids: &mut BTreeMap<String, KeyPath>, p: KeyPath, id: &str) {
    if id.is_empty() {
        cx.error(p, "a menu id must not be empty");
    } else if let Some(first) = ids.get(id) {
        cx.error(p, format!("menu id `{id}` is already used at {first}"));
    } else {
        ids.insert(id.to_owned(), p);
    }
}

fn menu_item(
    cx: &mut Ctx,
    ids: &mut BTreeMap<String, KeyPath>,
    accels: &mut BTreeMap<String, KeyPath>,
    p: KeyPath,
    item: &MenuItem,
    depth: usize,
) {
    let set: Vec<&str> = [
        ("id", item.id.is_some()),
        ("label", item.label.is_some()),
        ("accelerator", item.accelerator.is_some()),
        ("enabled", item.enabled.is_some()),
        ("checked", item.checked.is_some()),
        ("emit", item.emit.is_some()),
        ("items", item.items.is_some()),
        ("separator", item.separator.is_some()),
        ("predefined", item.predefined.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    let kind = item.kind();
    for key in &set {
        if !kind.keys().contains(key) {
            cx.error(
                p.key(key),
                format!("`{key}` does not apply to {}", kind.describe()),
            );
        }
    }
    if item.separator == Some(false) {
        cx.error(p.key("separator"), "`separator` can only be true")
            .hint_syntax(
                "write `separator = true`, or leave the key out",
                "write `separator: true`, or leave the key out",
            );
    }
    if matches!(kind, ItemKind::Submenu | ItemKind::Item)
        && item.label.as_deref().is_none_or(|l| l.trim().is_empty())
    {
        cx.missing(p.clone(), "label", "the text shown in the menu");
    }
    if let Some(id) = &item.id {
        unique_id(cx, ids, p.key("id"), id);
    }
    if let Some(a) = &item.accelerator {
        match super::super::accelerator::parse(a) {
            Ok(acc) => {
                let key = format!("{acc:?}");
                if let Some(first) = accels.get(&key) {
                    cx.warn(
                        p.key("accelerator"),
                        format!("accelerator `{a}` is also used at {first}"),
                    );
                } else {
                    accels.insert(key, p.key("accelerator"));
                }
            }
            Err(e) => {
                cx.error(
                    p.key("accelerator"),
                    format!("accelerator `{a}`: {}", e.problem),
                )
                .hint(HOW_TO_WRITE);
            }
        }
    }
    if let Some(name) = &item.predefined
        && Predefined::from_name(name).is_none()
    {
        let names = Predefined::NAMES.iter().map(|(n, _)| *n);
        cx.error(
            p.key("predefined"),
            format!("unknown predefined item `{name}`"),
        )
        .hint(match closest(name, names.clone()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("choose among {}", names.collect::<Vec<_>>().join(", ")),
        });
    }
    if let Some(e) = &item.emit {
        event_name(cx, p.key("emit"), e);
    }
    if kind == ItemKind::Item && item.emit.is_none() && item.id.is_none() {
        cx.warn(p.clone(), "this item does nothing when activated")
            .hint_syntax(
                "give it `emit = \"event-name\"`",
                "give it `emit: \"event-name\"`",
            );
    }
    if let Some(children) = &item.items {
        if depth >= 8 {
            cx.error(p.key("items"), "submenus nest deeper than 8 levels");
            return;
        }
        for (j, child) in children.iter().enumerate() {
            menu_item(cx, ids, accels, p.key("items").index(j), child, depth + 1);
        }
    }
}
