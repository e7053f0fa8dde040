//! The workspace's shape, checked without a cluster: plugins stand only on libraries.
//!
//! A plugin that depends on another plugin builds all of that plugin's dependencies and can
//! reach all of its modules; code two plugins share belongs in a library crate (`shared/`,
//! `registry/`). The edges come from `cargo metadata --no-deps`, and `[workspace.dependencies]`
//! from the root manifest, which lists libraries only.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `cargo metadata --format-version 1 --no-deps` of the workspace.
fn metadata() -> Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(kubectl_kit_tests::root())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// A crate of the workspace: its package name and its directory.
struct Crate {
    name: String,
    dir: PathBuf,
}

/// The crates under `ROOT/plugins/`.
fn plugins(meta: &Value, root: &Path) -> Vec<Crate> {
    let under = root.join("plugins");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| {
            let dir = Path::new(p["manifest_path"].as_str()?).parent()?.to_path_buf();
            Some(Crate { name: p["name"].as_str()?.to_string(), dir }).filter(|c| c.dir.starts_with(&under))
        })
        .collect()
}

/// Every dependency of a plugin on a plugin, as `FROM -> TO (KIND)`: a path into `plugins/`,
/// or the package name of a plugin.
fn plugin_edges(meta: &Value, root: &Path) -> Vec<String> {
    let plugins = plugins(meta, root);
    let under = root.join("plugins");
    let mut edges = vec![];
    for p in meta["packages"].as_array().expect("packages") {
        let Some(manifest) = p["manifest_path"].as_str() else { continue };
        if !Path::new(manifest).starts_with(&under) {
            continue;
        }
        let from = p["name"].as_str().unwrap_or("?");
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let name = d["name"].as_str().unwrap_or("?");
            let into_plugins = d["path"].as_str().is_some_and(|path| Path::new(path).starts_with(&under));
            if into_plugins || plugins.iter().any(|c| c.name == name) {
                let kind = d["kind"].as_str().unwrap_or("normal");
                edges.push(format!("{from} -> {name} ({kind} dependency, {manifest})"));
            }
        }
    }
    edges
}

/// The entries of the root manifest's `[workspace.dependencies]` (and of
/// `[workspace.dependencies.NAME]` tables) that name a plugin or a path into `plugins/`.
fn workspace_dependencies_on_plugins(manifest: &str, plugins: &[Crate], root: &Path) -> Vec<String> {
    let is_plugin_path = |value: &str| {
        let path = value.trim().trim_matches(['"', '\'']);
        let path = Path::new(path.trim_start_matches("./"));
        path.starts_with("plugins") || root.join(path).starts_with(root.join("plugins"))
    };
    let mut found = vec![];
    // `Some(None)`: inside [workspace.dependencies]; `Some(Some(name))`: inside a
    // [workspace.dependencies.NAME] table.
    let mut section: Option<Option<String>> = None;
    for (n, raw) in manifest.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.starts_with('[') {
            let header = line.trim_matches(['[', ']']).trim();
            section = match header.strip_prefix("workspace.dependencies") {
                Some("") => Some(None),
                Some(rest) => rest.strip_prefix('.').map(|name| Some(name.trim_matches('"').to_string())),
                None => None,
            };
            if let Some(Some(name)) = &section
                && plugins.iter().any(|c| c.name == *name)
            {
                found.push(format!("Cargo.toml:{}: {line}", n + 1));
            }
            continue;
        }
        let Some(inside) = &section else { continue };
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim();
        // `name = …`, `name.path = …`, or (in a NAME table) `path = …`.
        let (name, field) = match (inside, key.split_once('.')) {
            (Some(table), _) => (table.clone(), Some(key)),
            (None, Some((name, field))) => (name.trim().trim_matches('"').to_string(), Some(field.trim())),
            (None, None) => (key.trim_matches('"').to_string(), None),
        };
        let path_value = match field {
            Some("path") => Some(value.to_string()),
            Some(_) => None,
            // An inline table: `{ path = "plugins/x", … }`.
            None => value
                .split_once("path")
                .and_then(|(_, v)| v.trim_start().strip_prefix('='))
                .map(|v| v.split([',', '}']).next().unwrap_or_default().to_string()),
        };
        // A [workspace.dependencies.NAME] table of a plugin was reported at its header.
        let plugin_name = inside.is_none() && plugins.iter().any(|c| c.name == name);
        if plugin_name || path_value.is_some_and(|v| is_plugin_path(&v)) {
            found.push(format!("Cargo.toml:{}: {line}", n + 1));
        }
    }
    found
}

/// A TOML line without its comment (a `#` outside a string).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

#[test]
fn plugins_depend_only_on_libraries() {
    let meta = metadata();
    let root = PathBuf::from(meta["workspace_root"].as_str().expect("workspace_root"));
    let plugins = plugins(&meta, &root);
    assert!(plugins.len() >= 5, "plugins under {}: {}", root.join("plugins").display(), plugins.len());
    let edges = plugin_edges(&meta, &root);
    assert!(
        edges.is_empty(),
        "a plugin depends on a plugin; move what they share into a library crate:\n  {}",
        edges.join("\n  ")
    );
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("root Cargo.toml");
    let listed = workspace_dependencies_on_plugins(&manifest, &plugins, &root);
    assert!(listed.is_empty(), "[workspace.dependencies] lists a plugin (libraries only):\n  {}", listed.join("\n  "));
}

#[test]
fn the_guard_names_the_offending_edge() {
    // The same checks over a workspace where trace-svc stands on push-image, as it once did.
    let root = Path::new("/ws");
    let meta = serde_json::json!({ "packages": [
        { "name": "kubectl-kit-core", "manifest_path": "/ws/shared/Cargo.toml", "dependencies": [] },
        { "name": "kubectl-push-image", "manifest_path": "/ws/plugins/push-image/Cargo.toml", "dependencies": [
            { "name": "kubectl-kit-core", "path": "/ws/shared", "kind": null },
        ] },
        { "name": "kubectl-trace-svc", "manifest_path": "/ws/plugins/trace-svc/Cargo.toml", "dependencies": [
            { "name": "kubectl-kit-core", "path": "/ws/shared", "kind": null },
            { "name": "kubectl-push-image", "path": "/ws/plugins/push-image", "kind": null },
            { "name": "kubectl-cols", "kind": "dev" },
        ] },
        { "name": "kubectl-cols", "manifest_path": "/ws/plugins/cols/Cargo.toml", "dependencies": [] },
    ] });
    assert_eq!(
        plugin_edges(&meta, root),
        [
            "kubectl-trace-svc -> kubectl-push-image (normal dependency, /ws/plugins/trace-svc/Cargo.toml)",
            "kubectl-trace-svc -> kubectl-cols (dev dependency, /ws/plugins/trace-svc/Cargo.toml)",
        ]
    );
    let manifest = r#"
[workspace]
members = ["plugins/*"]  # not a dependency

[workspace.dependencies]
kubectl-kit-core = { path = "shared" }
kubectl-push-image = { path = "plugins/push-image" }
renamed = { path = "./plugins/cols", package = "kubectl-cols" }
kubectl-cols.path = "plugins/cols"
serde = "1" # path = "plugins/x" in a comment is no entry

[workspace.dependencies.kubectl-trace-svc]
version = "0.1"

[workspace.dependencies.other]
path = "plugins/other"
"#;
    let plugins = plugins(&meta, root);
    assert_eq!(
        workspace_dependencies_on_plugins(manifest, &plugins, root),
        [
            "Cargo.toml:7: kubectl-push-image = { path = \"plugins/push-image\" }",
            "Cargo.toml:8: renamed = { path = \"./plugins/cols\", package = \"kubectl-cols\" }",
            "Cargo.toml:9: kubectl-cols.path = \"plugins/cols\"",
            "Cargo.toml:12: [workspace.dependencies.kubectl-trace-svc]",
            "Cargo.toml:16: path = \"plugins/other\"",
        ]
    );
}
