//! `completion install|uninstall`: krew cannot install the `kubectl_complete-*` executable
//! (kubernetes-sigs/krew#812), so every plugin links it next to itself on request.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command, ValueHint};

use super::EXEC_PREFIX;
use crate::error::{Error, Result};
use crate::output;

/// Adds `completion install|uninstall` to a plugin's command, keeping how its own arguments
/// parse (a required positional is not required before the subcommand).
pub fn with_completion_command(cmd: Command) -> Command {
    let had_subcommands = cmd.has_subcommands();
    let dir = || {
        Arg::new("dir")
            .long("dir")
            .value_name("DIR")
            .value_parser(clap::value_parser!(PathBuf))
            .value_hint(ValueHint::DirPath)
            .help("Directory on PATH for the link [default: the directory kubectl found this plugin in]")
    };
    let completion = Command::new("completion")
        .about("Shell completion: link the kubectl_complete-* executable kubectl 1.26+ runs")
        .long_about(
            "Shell completion. kubectl (1.26 and newer) completes a plugin's arguments by running \
             kubectl_complete-<plugin> from PATH; krew cannot install it, so this links it to the plugin.",
        )
        .subcommand_required(true)
        .disable_help_subcommand(true)
        .subcommand(
            Command::new("install")
                .about("Link kubectl_complete-<plugin> to this plugin, so kubectl completes its arguments")
                .arg(dir()),
        )
        .subcommand(Command::new("uninstall").about("Remove the kubectl_complete-<plugin> link").arg(dir()));
    let cmd = cmd.subcommand(completion).subcommand_negates_reqs(true);
    // A plugin without subcommands of its own keeps `help` as an ordinary word (a Service may be
    // called help); `--help` is unchanged. A plugin with subcommands keeps its own parsing rules,
    // so that flags may come first (`kubectl detach -n web list`).
    if had_subcommands { cmd } else { cmd.args_conflicts_with_subcommands(true).disable_help_subcommand(true) }
}

/// What `completion install|uninstall` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// True to create the link, false to remove it.
    pub install: bool,
    /// `--dir`, if given.
    pub dir: Option<PathBuf>,
}

/// The `completion` subcommand, when the command line chose it.
pub fn requested(matches: &ArgMatches) -> Option<LinkRequest> {
    let (_, m) = matches.subcommand().filter(|(name, _)| *name == "completion")?;
    let (action, m) = m.subcommand()?;
    Some(LinkRequest { install: action == "install", dir: m.get_one::<PathBuf>("dir").cloned() })
}

/// Creates or removes `kubectl_complete-<plugin>` in the requested directory. `binary` is the
/// plugin's name (`kubectl-trace_svc`), `argv0` how kubectl started it.
pub fn link(request: &LinkRequest, binary: &str, argv0: &Path) -> Result<String> {
    let plugin = binary.strip_prefix("kubectl-").unwrap_or(binary);
    let target = invoked_path(argv0)?;
    let dir = match &request.dir {
        Some(d) => d.clone(),
        None => target.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let name = format!("{EXEC_PREFIX}{plugin}{}", std::env::consts::EXE_SUFFIX);
    let path = dir.join(&name);
    let existing = std::fs::symlink_metadata(&path).ok();
    if existing.as_ref().is_some_and(|m| !m.file_type().is_symlink() && cfg!(unix)) {
        return Err(Error::runtime(format!("{} exists and is not a link; it was left alone", path.display()))
            .hint("remove it, or choose another directory with --dir"));
    }
    if !request.install {
        if existing.is_none() {
            return Ok(format!("{} was not there\n", path.display()));
        }
        std::fs::remove_file(&path)
            .map_err(|e| Error::runtime(format!("could not remove {}", path.display())).caused_by(e))?;
        return Ok(format!("removed {}\n", path.display()));
    }
    if !dir.is_dir() {
        return Err(Error::runtime(format!("{} is not a directory", dir.display())));
    }
    // Create beside the final name, then rename over it: an existing link is replaced in one
    // step, never left missing.
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    make_link(&target, &tmp).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::runtime(format!("could not create {}", path.display())).caused_by(e)
    })?;
    if !on_path(&dir) {
        output::warn(&format!("{} is not on PATH; kubectl finds {name} only on PATH", dir.display()));
    }
    Ok(format!("{} -> {}\n", path.display(), target.display()))
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

// Symbolic links need privileges on Windows; a copy of the binary answers the same way.
#[cfg(not(unix))]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(|_| ())
}

/// The plugin's path as kubectl started it, absolute but with links kept: under krew that is
/// `~/.krew/bin/kubectl-x`, a link krew moves on upgrade, so our link follows upgrades.
fn invoked_path(argv0: &Path) -> Result<PathBuf> {
    let found = if argv0.components().count() > 1 {
        Some(argv0.to_path_buf())
    } else {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|d| d.join(argv0))
            .find(|p| p.is_file())
    };
    let path = match found {
        Some(p) => p,
        None => std::env::current_exe().map_err(|e| Error::runtime("could not find this executable").caused_by(e))?,
    };
    if path.is_absolute() {
        return Ok(path);
    }
    let cwd =
        std::env::current_dir().map_err(|e| Error::runtime("could not read the current directory").caused_by(e))?;
    // `./kubectl-x` becomes CWD/kubectl-x; `..` is kept, since a link may stand before it.
    Ok(cwd.join(path.components().filter(|c| *c != std::path::Component::CurDir).collect::<PathBuf>()))
}

fn on_path(dir: &Path) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let want = canonical(dir);
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| canonical(&d) == want))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_are_created_replaced_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("kubectl-demo");
        std::fs::write(&bin, "").expect("write");
        let install = LinkRequest { install: true, dir: None };
        let msg = link(&install, "kubectl-demo", &bin).expect("installs");
        let made = dir.path().join("kubectl_complete-demo");
        assert_eq!(std::fs::read_link(&made).expect("a link"), bin);
        assert!(msg.starts_with(&format!("{} -> {}", made.display(), bin.display())), "{msg}");
        // Again: replaced in place.
        link(&install, "kubectl-demo", &bin).expect("reinstalls");
        assert_eq!(std::fs::read_link(&made).expect("a link"), bin);
        let other = tempfile::tempdir().expect("tempdir");
        let req = LinkRequest { install: true, dir: Some(other.path().to_path_buf()) };
        link(&req, "kubectl-demo", &bin).expect("installs elsewhere");
        assert!(other.path().join("kubectl_complete-demo").is_symlink());
        let msg = link(&LinkRequest { install: false, dir: None }, "kubectl-demo", &bin).expect("removes");
        assert!(msg.starts_with("removed"), "{msg}");
        assert!(!made.is_symlink());
        // A real file of that name is never overwritten.
        std::fs::write(&made, "mine").expect("write");
        let e = link(&install, "kubectl-demo", &bin).expect_err("refuses");
        assert!(e.message.contains("is not a link"), "{}", e.message);
        assert_eq!(std::fs::read_to_string(&made).expect("read"), "mine");
    }
}
