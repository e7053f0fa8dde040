//! The krew manifests, written from the templates in `krew/` and the archives that exist, and
//! checked as krew-index would; the local index they go into.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::Workspace;
use crate::platform::{PLATFORMS, Platform};
use crate::util;

/// For each os/arch, the preferred platform whose archive of `plugin` exists, with its sha256.
pub(super) fn choose_platforms(archives: &[(String, String)], plugin: &str, version: &str) -> Vec<(Platform, String)> {
    let mut chosen: Vec<(Platform, String)> = vec![];
    for p in PLATFORMS {
        if chosen.iter().any(|(c, _)| c.os == p.os && c.arch == p.arch) {
            continue;
        }
        if let Some((_, sum)) = archives.iter().find(|(name, _)| *name == p.archive(plugin, version)) {
            chosen.push((*p, sum.clone()));
        }
    }
    chosen
}

/// Fills a template in and checks the result against what krew and krew-index ask.
pub(super) fn render(
    template: &str,
    name: &str,
    binary: &str,
    ws: &Workspace,
    base_url: &str,
    platforms: &[(Platform, String)],
) -> Result<String> {
    let mut entries = String::new();
    for (p, sha256) in platforms {
        let bin = p.exe(binary);
        let base = base_url.trim_end_matches('/');
        entries.push_str(&format!(
            "  - selector:\n      matchLabels:\n        os: {os}\n        arch: {arch}\n    uri: {base}/{archive}\n    \
             sha256: {sha256}\n    files:\n    - from: {bin}\n      to: .\n    - from: LICENSE\n      to: .\n    bin: {bin}\n",
            os = p.os,
            arch = p.arch,
            archive = p.archive(name, &ws.version),
        ));
    }
    let body: String =
        template.lines().skip_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect::<String>();
    let text = body
        .replace("{{version}}", &format!("v{}", ws.version))
        .replace("{{homepage}}", &ws.homepage)
        .replace("{{platforms}}\n", &entries);
    check(&text, name)?;
    Ok(text)
}

/// What validate-krew-manifest and the krew-index reviewers check, caught before a release.
fn check(text: &str, name: &str) -> Result<()> {
    if text.contains("{{") {
        bail!("{name}: a placeholder was left in the manifest");
    }
    let v: serde_yaml::Value = serde_yaml::from_str(text).with_context(|| format!("{name}: not valid YAML"))?;
    let field = |path: &[&str]| -> String {
        let mut cur = &v;
        for p in path {
            cur = &cur[*p];
        }
        cur.as_str().unwrap_or_default().to_string()
    };
    let want = [
        (vec!["apiVersion"], "krew.googlecontainertools.github.com/v1alpha2"),
        (vec!["kind"], "Plugin"),
        (vec!["metadata", "name"], name),
    ];
    for (path, value) in want {
        if field(&path) != value {
            bail!("{name}: {} must be {value:?}", path.join("."));
        }
    }
    let short = field(&["spec", "shortDescription"]);
    if short.is_empty() || short.chars().count() > 50 || short.contains('\n') {
        bail!("{name}: shortDescription must be one line of at most 50 characters: {short:?}");
    }
    for (key, width) in [("description", 80), ("caveats", 80)] {
        if let Some(long) = field(&["spec", key]).lines().find(|l| l.chars().count() > width) {
            bail!("{name}: {key} is wrapped at {width} columns; too long: {long:?}");
        }
    }
    let version = field(&["spec", "version"]);
    if !version.starts_with('v') || version[1..].split('.').count() != 3 {
        bail!("{name}: version {version:?} is not v-prefixed semver");
    }
    let platforms = v["spec"]["platforms"].as_sequence().map(Vec::as_slice).unwrap_or_default();
    if platforms.is_empty() {
        bail!("{name}: no platforms");
    }
    for p in platforms {
        let sha = p["sha256"].as_str().unwrap_or_default();
        if sha.len() != 64 || !sha.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')) {
            bail!("{name}: sha256 {sha:?} is not 64 lower-case hex digits");
        }
    }
    Ok(())
}

/// Makes `index` a git repository whose last commit holds the current manifests (krew clones
/// an index and later fast-forwards it with `krew update`).
pub(super) fn commit_index(index: &Path, version: &str) -> Result<()> {
    let git = |args: &[&str]| -> Result<String> {
        let out = util::run(
            Command::new("git")
                .current_dir(index)
                .args(["-c", "user.name=kubectl-kit", "-c", "user.email=dev@kubectl-kit.invalid"])
                .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
                .args(args),
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    };
    if !index.join(".git").is_dir() {
        git(&["init", "--quiet"]).context("git is needed to lay out the krew index")?;
    }
    git(&["add", "--all", "plugins"])?;
    if !git(&["status", "--porcelain"])?.trim().is_empty() || git(&["rev-parse", "--verify", "-q", "HEAD"]).is_err() {
        git(&["commit", "--quiet", "-m", &format!("kubectl-kit v{version}")])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(target: &str) -> Platform {
        *Platform::of(target).expect("a known target")
    }

    fn ws() -> Workspace {
        Workspace {
            version: "1.2.3".into(),
            homepage: "https://example.com/kit".into(),
            binaries: vec!["kubectl-trace_svc".into()],
        }
    }

    const TEMPLATE: &str = "# comment for the template's readers\n# more\napiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata:\n  name: trace-svc\nspec:\n  version: {{version}}\n  homepage: {{homepage}}\n  shortDescription: Trace a Service\n  description: |\n    Traces.\n  platforms:\n{{platforms}}\n";

    #[test]
    fn manifests_take_version_uris_and_hashes_from_the_release() {
        let linux = platform("x86_64-unknown-linux-gnu");
        let windows = platform("x86_64-pc-windows-msvc");
        let sums = vec![(linux, "a".repeat(64)), (windows, "b".repeat(64))];
        let out = render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://dl.example/v1.2.3/", &sums)
            .expect("renders");
        assert_eq!(
            out,
            format!(
                "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata:\n  name: trace-svc\nspec:\n  \
                 version: v1.2.3\n  homepage: https://example.com/kit\n  shortDescription: Trace a Service\n  description: |\n    \
                 Traces.\n  platforms:\n  - selector:\n      matchLabels:\n        os: linux\n        arch: amd64\n    \
                 uri: https://dl.example/v1.2.3/kubectl-trace-svc-v1.2.3-x86_64-unknown-linux-gnu.tar.gz\n    sha256: {}\n    \
                 files:\n    - from: kubectl-trace_svc\n      to: .\n    - from: LICENSE\n      to: .\n    bin: kubectl-trace_svc\n  \
                 - selector:\n      matchLabels:\n        os: windows\n        arch: amd64\n    \
                 uri: https://dl.example/v1.2.3/kubectl-trace-svc-v1.2.3-x86_64-pc-windows-msvc.zip\n    sha256: {}\n    \
                 files:\n    - from: kubectl-trace_svc.exe\n      to: .\n    - from: LICENSE\n      to: .\n    \
                 bin: kubectl-trace_svc.exe\n",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
    }

    #[test]
    fn manifests_that_krew_index_would_refuse_are_errors() {
        let sums = vec![(platform("x86_64-unknown-linux-gnu"), "a".repeat(64))];
        let r = |t: &str, name: &str| render(t, name, "kubectl-trace_svc", &ws(), "https://x/", &sums);
        assert!(r(TEMPLATE, "cols").is_err(), "name must match the file");
        let long = TEMPLATE.replace("Trace a Service", &"x".repeat(51));
        assert!(r(&long, "trace-svc").is_err());
        let wide = TEMPLATE.replace("Traces.", &"word ".repeat(20));
        assert!(r(&wide, "trace-svc").is_err());
        let upper = vec![(platform("x86_64-unknown-linux-gnu"), "A".repeat(64))];
        assert!(render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://x/", &upper).is_err());
        assert!(render(TEMPLATE, "trace-svc", "kubectl-trace_svc", &ws(), "https://x/", &[]).is_err());
    }

    #[test]
    fn one_platform_per_os_arch_preferring_static_builds() {
        let names = |ts: &[&str]| -> Vec<(String, String)> {
            ts.iter().map(|t| (format!("kubectl-cols-v1.2.3-{t}"), "c".repeat(64))).collect()
        };
        let gnu_only = choose_platforms(&names(&["x86_64-unknown-linux-gnu.tar.gz"]), "cols", "1.2.3");
        assert_eq!(gnu_only.iter().map(|(p, _)| p.target).collect::<Vec<_>>(), ["x86_64-unknown-linux-gnu"]);
        let both = choose_platforms(
            &names(&[
                "x86_64-unknown-linux-gnu.tar.gz",
                "x86_64-unknown-linux-musl.tar.gz",
                "x86_64-apple-darwin.tar.gz",
                "x86_64-pc-windows-gnu.zip",
            ]),
            "cols",
            "1.2.3",
        );
        assert_eq!(
            both.iter().map(|(p, _)| p.target).collect::<Vec<_>>(),
            ["x86_64-unknown-linux-musl", "x86_64-apple-darwin", "x86_64-pc-windows-gnu"]
        );
        // Archives of another version, or of another plugin, are not this one's.
        assert!(choose_platforms(&names(&["x86_64-apple-darwin.tar.gz"]), "cols", "9.9.9").is_empty());
        assert!(choose_platforms(&names(&["x86_64-apple-darwin.tar.gz"]), "detach", "1.2.3").is_empty());
    }
}
