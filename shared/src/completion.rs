//! Shell completion through kubectl (1.26 and newer), for every plugin, from its clap command.
//!
//! kubectl completes a plugin's arguments by running `kubectl_complete-<plugin>` from `PATH` with
//! the words typed after the plugin name and the word being completed (`""` for a new word). It
//! reads one candidate per line (`value<TAB>description`) and an optional last line `:<N>`, a
//! Cobra `ShellCompDirective`. It passes the executable's stderr to the terminal and ignores its
//! output when it exits non-zero.
//!
//! Every plugin binary is also its own completion executable: [`crate::run`] sees an argv[0]
//! that starts with `kubectl_complete-` and answers here instead of running the plugin.
//! - Flags and subcommands are completed from the clap [`Command`], so they never drift from
//!   the help.
//! - Values go first to the plugin's hook (a [`Request`] in, [`Values`] out), which knows its
//!   domain (services, presets, resource words); what the hook leaves to us is completed here:
//!   `--namespace` from the cluster, `--context`/`--cluster`/`--user` from the kubeconfig, clap's
//!   possible values, file and directory hints.
//! - Nothing is ever written to stderr, a candidate that contains a control character is left
//!   out (an escaped name would not be the name), and a cluster that fails or is slower than
//!   [`BUDGET`] yields no candidates with `:4`; a command line we cannot follow yields `:1`.
//!
//! krew cannot install the `kubectl_complete-*` executable (kubernetes-sigs/krew#812), so every
//! plugin also gets `completion install [--dir DIR]`, which links it next to the plugin.

use std::collections::HashSet;
use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, ValueHint};

use crate::client::{self, Kube};
use crate::discovery::Catalog;
use crate::error::{Error, Result};
use crate::flags::GlobalFlags;
use crate::output;

/// The name prefix kubectl looks for: `kubectl trace-svc` → `kubectl_complete-trace_svc`.
pub const EXEC_PREFIX: &str = "kubectl_complete-";

/// The longest a completion may wait for the cluster; the user is waiting at the prompt.
pub const BUDGET: Duration = Duration::from_secs(5);

/// Cobra's `ShellCompDirective` bits, as kubectl reads them from the last line.
pub mod directive {
    /// Completion failed; the shell offers nothing.
    pub const ERROR: u32 = 1;
    /// No space after the completed word.
    pub const NO_SPACE: u32 = 2;
    /// No file-name completion when there are no candidates.
    pub const NO_FILE_COMP: u32 = 4;
    /// The candidates are file extensions to filter on.
    pub const FILTER_FILE_EXT: u32 = 8;
    /// Complete directory names only.
    pub const FILTER_DIRS: u32 = 16;
    /// Keep the candidates in the given order.
    pub const KEEP_ORDER: u32 = 32;
}

/// One completion: the word, and a short description some shells show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What replaces the partial word.
    pub value: String,
    /// Shown by zsh and fish; may be empty.
    pub description: String,
}

impl Candidate {
    /// A candidate without description.
    pub fn new(value: impl Into<String>) -> Self {
        Self { value: value.into(), description: String::new() }
    }

    /// A candidate with a description.
    pub fn described(value: impl Into<String>, description: impl Into<String>) -> Self {
        Self { value: value.into(), description: description.into() }
    }
}

/// What a plugin's hook answers for one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// Not the hook's business: complete it generically.
    Unknown,
    /// These words (filtered by the partial word here, so hooks need not).
    Candidates(Vec<Candidate>),
    /// A file name: the shell completes it.
    Files,
    /// A directory name: the shell completes it.
    Dirs,
}

/// The value being completed, as handed to a plugin's hook.
#[derive(Debug, Clone)]
pub struct Request {
    /// The subcommand path below the plugin (`[]`, `["presets", "add"]`).
    pub command: Vec<String>,
    /// The clap id of the argument whose value is completed (`target`, `namespace`, `from`).
    pub arg: String,
    /// True for a flag's value, false for a positional argument.
    pub flag: bool,
    /// The positional words already typed for this (sub)command, in order.
    pub positionals: Vec<String>,
    /// The word being completed, as typed so far.
    pub partial: String,
    /// kubectl's global flags from the words typed, so that `-n`, `--context`, `--kubeconfig`
    /// apply to the lookup as they will to the command.
    pub global: GlobalFlags,
}

impl Request {
    /// True when completing the positional argument `id` of the plugin itself.
    pub fn is_positional(&self, id: &str) -> bool {
        !self.flag && self.command.is_empty() && self.arg == id
    }

    /// Connects to the cluster the command would use.
    pub async fn kube(&self) -> Result<Kube> {
        Kube::connect(&self.global).await
    }
}

/// The hook of a plugin with nothing of its own to complete.
pub async fn no_values(_: Request) -> Result<Values> {
    Ok(Values::Unknown)
}

/// True when the process was started as `kubectl_complete-<plugin>`.
pub fn invoked_as_completer(argv0: Option<&OsString>) -> bool {
    argv0.and_then(|a| Path::new(a).file_name()).is_some_and(|n| n.to_string_lossy().starts_with(EXEC_PREFIX))
}

/// Answers kubectl's completion request for `words` (the typed words, the partial one last)
/// and returns the lines to print, directive last.
pub fn answer<H, HFut>(cmd: Command, words: &[String], hook: H) -> String
where
    H: FnOnce(Request) -> HFut,
    HFut: Future<Output = Result<Values>>,
{
    let mut cmd = with_completion_command(cmd);
    cmd.build();
    let (candidates, dir) = match locate(&cmd, words) {
        None => (vec![], directive::ERROR),
        Some(Slot::Static(candidates, dir)) => (candidates, dir),
        Some(Slot::Value { request, arg, subcommands }) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Err(_) => (vec![], directive::ERROR),
                Ok(rt) => rt.block_on(async {
                    let found = tokio::time::timeout(BUDGET, values(*request, &arg, hook)).await;
                    let (mut candidates, dir) = match found {
                        Ok(Ok(Values::Candidates(c))) => (c, directive::NO_FILE_COMP),
                        Ok(Ok(Values::Files)) if subcommands.is_empty() => (vec![], 0),
                        Ok(Ok(Values::Dirs)) if subcommands.is_empty() => (vec![], directive::FILTER_DIRS),
                        // A cluster that failed or took too long: nothing to offer, and no file
                        // names either (kubectl's own resource completion does the same).
                        _ => (vec![], directive::NO_FILE_COMP),
                    };
                    let mut all = subcommands;
                    all.append(&mut candidates);
                    (all, dir)
                }),
            }
        }
    };
    let partial = words.last().map(String::as_str).unwrap_or("");
    let value_partial = flag_value_partial(partial);
    render(&candidates, value_partial, dir)
}

/// For `--flag=val`, Cobra completes `val` alone; otherwise the whole word.
fn flag_value_partial(partial: &str) -> &str {
    if partial.starts_with('-') { partial.split_once('=').map_or(partial, |(_, v)| v) } else { partial }
}

/// Prints the candidates that start with the partial word and are safe to print, then the
/// directive.
fn render(candidates: &[Candidate], partial: &str, directive: u32) -> String {
    let mut out = String::new();
    let mut seen = HashSet::new();
    for c in candidates {
        if !c.value.starts_with(partial) || !printable(&c.value) || !seen.insert(c.value.as_str()) {
            continue;
        }
        out.push_str(&c.value);
        let description = describe(&c.description);
        if !description.is_empty() {
            out.push('\t');
            out.push_str(&description);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    out
}

/// A candidate is a word to type: no controls, no bidi overrides, no whitespace.
fn printable(value: &str) -> bool {
    !value.is_empty() && output::escape(value) == value && !value.chars().any(char::is_whitespace)
}

/// The description's first line, escaped, without tabs (which would start another field).
fn describe(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    output::escape(first).replace('\t', " ")
}

/// Where the partial word sits.
enum Slot {
    /// Flag names or nothing at all: known without the hook or the cluster.
    Static(Vec<Candidate>, u32),
    /// A value: ask the hook, then the generic completers. `subcommands` are offered beside the
    /// values where a subcommand could also stand.
    Value { request: Box<Request>, arg: Box<Arg>, subcommands: Vec<Candidate> },
}

/// Follows the typed words through the (built) command the way clap will parse them, and says
/// what the last word is. `None` when the words cannot be followed (an unknown flag that takes
/// the next word, for example).
fn locate(root: &Command, words: &[String]) -> Option<Slot> {
    let (partial, typed) = words.split_last().map_or(("", &[][..]), |(p, t)| (p.as_str(), t));
    let mut cmd = root;
    let mut path: Vec<String> = vec![];
    let mut positionals: Vec<String> = vec![];
    let mut seen: HashSet<String> = HashSet::new();
    let mut globals: Vec<String> = vec![];
    let global_ids = global_ids();
    let mut pending: Option<&Arg> = None;
    let mut only_positionals = false;
    for word in typed {
        if let Some(arg) = pending.take() {
            if global_ids.contains(arg.get_id().as_str()) {
                globals.push(format!("--{}={word}", arg.get_long().unwrap_or_default()));
            }
            continue;
        }
        if only_positionals || word == "-" || !word.starts_with('-') {
            if !only_positionals
                && positionals.is_empty()
                && let Some(sub) = find_subcommand(cmd, word)
            {
                cmd = sub;
                path.push(sub.get_name().to_string());
                continue;
            }
            positionals.push(word.clone());
            continue;
        }
        if word == "--" {
            only_positionals = true;
            continue;
        }
        let (arg, value) = parse_flag(cmd, word)?;
        seen.insert(arg.get_id().to_string());
        match value {
            Some(v) if global_ids.contains(arg.get_id().as_str()) => {
                globals.push(format!("--{}={v}", arg.get_long().unwrap_or_default()));
            }
            Some(_) => {}
            None if takes_value(arg) => pending = Some(arg),
            None => {
                if global_ids.contains(arg.get_id().as_str()) {
                    globals.push(format!("--{}", arg.get_long().unwrap_or_default()));
                }
            }
        }
    }
    let global = parse_globals(&globals);
    let request = |arg: &Arg, flag: bool, partial: &str| {
        Box::new(Request {
            command: path.clone(),
            arg: arg.get_id().to_string(),
            flag,
            positionals: positionals.clone(),
            partial: partial.to_string(),
            global: global.clone(),
        })
    };
    if let Some(arg) = pending {
        return Some(Slot::Value {
            request: request(arg, true, partial),
            arg: Box::new(arg.clone()),
            subcommands: vec![],
        });
    }
    if !only_positionals && partial.starts_with('-') {
        if let Some((name, value)) = partial.split_once('=') {
            let (arg, _) = parse_flag(cmd, &format!("{name}=x"))?;
            return Some(Slot::Value {
                request: request(arg, true, value),
                arg: Box::new(arg.clone()),
                subcommands: vec![],
            });
        }
        return Some(Slot::Static(flag_names(cmd, &seen), directive::NO_FILE_COMP));
    }
    let subcommands = if positionals.is_empty() && !only_positionals { subcommand_names(cmd, partial) } else { vec![] };
    match next_positional(cmd, positionals.len()) {
        Some(arg) => {
            Some(Slot::Value { request: request(arg, false, partial), arg: Box::new(arg.clone()), subcommands })
        }
        None => Some(Slot::Static(subcommands, directive::NO_FILE_COMP)),
    }
}

fn find_subcommand<'c>(cmd: &'c Command, word: &str) -> Option<&'c Command> {
    cmd.get_subcommands().find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
}

/// The argument a flag word names, and its attached value (`--x=v`, `-xv`, `-x=v`).
fn parse_flag<'c>(cmd: &'c Command, word: &str) -> Option<(&'c Arg, Option<String>)> {
    if let Some(long) = word.strip_prefix("--") {
        let (name, value) = match long.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (long, None),
        };
        let arg = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name)))?;
        return Some((arg, value));
    }
    // A cluster of short flags: every one but a value-taking one is a switch; the rest of the
    // word after a value-taking one is its value.
    let shorts = word.strip_prefix('-')?;
    for (i, c) in shorts.char_indices() {
        let arg = cmd.get_arguments().find(|a| a.get_short() == Some(c))?;
        let rest = &shorts[i + c.len_utf8()..];
        if takes_value(arg) {
            let value = rest.strip_prefix('=').unwrap_or(rest);
            return Some((arg, (!value.is_empty()).then(|| value.to_string())));
        }
        if rest.is_empty() {
            return Some((arg, None));
        }
    }
    None
}

/// True when the flag reads the next word as its value (not a switch, not an optional value).
fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values() && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn next_positional(cmd: &Command, typed: usize) -> Option<&Arg> {
    let mut left = typed;
    for arg in cmd.get_positionals() {
        let max = arg.get_num_args().map_or(1, |n| n.max_values());
        if left < max {
            return Some(arg);
        }
        left -= max;
    }
    None
}

fn flag_names(cmd: &Command, seen: &HashSet<String>) -> Vec<Candidate> {
    let mut out = vec![];
    for arg in cmd.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if seen.contains(arg.get_id().as_str()) && !repeatable {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if let Some(long) = arg.get_long() {
            out.push(Candidate::described(format!("--{long}"), help.clone()));
        }
        if let Some(short) = arg.get_short() {
            out.push(Candidate::described(format!("-{short}"), help));
        }
    }
    out
}

fn subcommand_names(cmd: &Command, partial: &str) -> Vec<Candidate> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        // `completion` is set up once; a new word lists what the plugin itself does (services,
        // presets…), and `comp<TAB>` still finds it.
        .filter(|s| s.get_name() != "completion" || !partial.is_empty())
        .map(|s| Candidate::described(s.get_name(), s.get_about().map(|a| a.to_string()).unwrap_or_default()))
        .collect()
}

fn global_ids() -> HashSet<String> {
    GlobalFlags::augment_args(Command::new("g")).get_arguments().map(|a| a.get_id().to_string()).collect()
}

/// kubectl's global flags from the words typed; defaults when they do not parse (a half-typed
/// `--request-timeout`, say), since completion must still answer.
fn parse_globals(words: &[String]) -> GlobalFlags {
    let cmd = GlobalFlags::augment_args(Command::new("g").no_binary_name(true));
    cmd.try_get_matches_from(words).ok().and_then(|m| GlobalFlags::from_arg_matches(&m).ok()).unwrap_or_default()
}

/// The hook first; then what every plugin shares.
async fn values<H, HFut>(request: Request, arg: &Arg, hook: H) -> Result<Values>
where
    H: FnOnce(Request) -> HFut,
    HFut: Future<Output = Result<Values>>,
{
    let answer = hook(request.clone()).await?;
    if answer != Values::Unknown {
        return Ok(answer);
    }
    if request.flag {
        match request.arg.as_str() {
            "namespace" => {
                let kube = request.kube().await?;
                return Ok(Values::Candidates(names(&kube, "/api/v1/namespaces").await?));
            }
            "context" | "cluster" | "user" => return kubeconfig_names(&request.global, &request.arg),
            _ => {}
        }
    }
    let possible: Vec<Candidate> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| Candidate::described(v.get_name(), v.get_help().map(|h| h.to_string()).unwrap_or_default()))
        .collect();
    if !possible.is_empty() {
        return Ok(Values::Candidates(possible));
    }
    Ok(match arg.get_value_hint() {
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::ExecutablePath => Values::Files,
        ValueHint::DirPath => Values::Dirs,
        _ => Values::Candidates(vec![]),
    })
}

fn kubeconfig_names(flags: &GlobalFlags, which: &str) -> Result<Values> {
    let Some((kc, _)) = client::load_kubeconfig(flags)? else {
        return Ok(Values::Candidates(vec![]));
    };
    let names: Vec<Candidate> = match which {
        "context" => kc.contexts.iter().map(|c| Candidate::new(c.name.clone())).collect(),
        "cluster" => kc.clusters.iter().map(|c| Candidate::new(c.name.clone())).collect(),
        _ => kc.auth_infos.iter().map(|u| Candidate::new(u.name.clone())).collect(),
    };
    Ok(Values::Candidates(names))
}

/// Most names a completion lists: one page, since a longer list is no help at a prompt and the
/// user is waiting.
pub const MAX_NAMES: usize = 1000;

/// The names of the objects in a collection (`/api/v1/namespaces/default/services`), asking
/// only for their metadata.
pub async fn names(kube: &Kube, collection: &str) -> Result<Vec<Candidate>> {
    names_selected(kube, collection, None).await
}

/// [`names`] of the objects a label selector picks.
pub async fn names_selected(kube: &Kube, collection: &str, selector: Option<&str>) -> Result<Vec<Candidate>> {
    const ACCEPT: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
    let mut path = format!("{collection}?limit={MAX_NAMES}");
    if let Some(s) = selector {
        crate::list::query_pair(&mut path, "labelSelector", s);
    }
    let text = kube.get_raw(&path, ACCEPT).await?;
    let list: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::runtime(format!("unreadable list from {collection}")).caused_by(e))?;
    Ok(list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["metadata"]["name"].as_str())
        .map(Candidate::new)
        .collect())
}

/// The words kubectl accepts for a resource: plural names (qualified by group where the plural
/// alone is ambiguous) and short names, from discovery (its disk cache when warm).
pub fn resource_words(catalog: &Catalog) -> Vec<Candidate> {
    let preferred = catalog.preferred();
    let mut out = vec![];
    let mut plurals = HashSet::new();
    for r in &preferred {
        // The first resource with a plural owns it (kubectl picks it); the others need a group.
        let value = if plurals.insert(r.name.as_str()) { r.name.clone() } else { r.qualified() };
        out.push(Candidate::described(value, format!("{} ({})", r.kind, r.api_version())));
    }
    for r in &preferred {
        for s in &r.short_names {
            out.push(Candidate::described(s.clone(), format!("{} ({})", r.name, r.api_version())));
        }
    }
    out
}

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
    use clap::{CommandFactory, Parser, Subcommand};

    /// A plugin shaped like ours: a positional, a subcommand, flags of every kind.
    #[derive(Debug, Parser)]
    #[command(name = "kubectl-demo", bin_name = "kubectl demo", args_conflicts_with_subcommands = true)]
    struct Demo {
        #[command(subcommand)]
        command: Option<Sub>,
        /// The thing
        target: Option<String>,
        /// Output format
        #[arg(short = 'o', long)]
        output: Option<String>,
        /// Sort field
        #[arg(long, value_parser = ["name", "kind"])]
        sort_by: Option<String>,
        /// Watch
        #[arg(short = 'w', long)]
        watch: bool,
        /// A file
        #[arg(short = 'f', long)]
        filename: Option<PathBuf>,
        /// Only namespaced ones
        #[arg(long, num_args = 0..=1, default_missing_value = "true")]
        namespaced: Option<bool>,
        #[command(flatten)]
        global: GlobalFlags,
    }

    #[derive(Debug, Subcommand)]
    enum Sub {
        /// Explain a word
        Why { word: String },
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    async fn hook(r: Request) -> Result<Values> {
        Ok(match (r.arg.as_str(), r.flag) {
            ("target", false) => Values::Candidates(vec![
                Candidate::new(format!("svc-in-{}", r.global.namespace.as_deref().unwrap_or("default"))),
                Candidate::new("other"),
                Candidate::new("evil\u{1b}[31m"),
                Candidate::described("two words", "never offered"),
            ]),
            ("word", false) => Values::Candidates(vec![Candidate::described("po", "pods\twith a tab\nand a line")]),
            ("output", true) => Values::Candidates(vec![Candidate::new("json"), Candidate::new("yaml")]),
            _ => Values::Unknown,
        })
    }

    fn complete(w: &[&str]) -> String {
        answer(Demo::command(), &words(w), hook)
    }

    #[test]
    fn positionals_come_from_the_hook_with_subcommands_beside_them() {
        let out = complete(&[""]);
        assert!(out.contains("why\tExplain a word\n"), "{out}");
        assert!(!out.contains("completion"), "only once typed: {out}");
        assert!(out.contains("svc-in-default\nother\n"), "{out}");
        assert!(complete(&["comp"]).starts_with("completion\t"));
        assert!(out.ends_with(":4\n"), "{out}");
        assert!(!out.contains("help"), "the help subcommand is not offered: {out}");
    }

    #[test]
    fn control_characters_and_whitespace_never_reach_the_shell() {
        let out = complete(&[""]);
        assert!(!out.contains('\u{1b}'), "{out:?}");
        assert!(!out.contains("two words"), "{out:?}");
        let out = complete(&["why", ""]);
        assert_eq!(out, "po\tpods with a tab\n:4\n");
    }

    #[test]
    fn the_partial_word_filters_and_global_flags_reach_the_hook() {
        assert_eq!(complete(&["-n", "kube-system", "s"]), "svc-in-kube-system\n:4\n");
        assert_eq!(complete(&["--namespace=team-a", "s"]), "svc-in-team-a\n:4\n");
        assert_eq!(complete(&["-wn", "x", "sv"]), "svc-in-x\n:4\n");
        // After the positional there is nothing more to complete.
        assert_eq!(complete(&["other", ""]), ":4\n");
    }

    #[test]
    fn flag_names_come_from_the_command_and_given_ones_are_not_repeated() {
        let out = complete(&["--so"]);
        assert_eq!(out, "--sort-by\tSort field\n:4\n");
        let out = complete(&["-"]);
        assert!(out.contains("-o\tOutput format\n") && out.contains("--kubeconfig\t"), "{out}");
        let out = complete(&["-w", "--w"]);
        assert!(!out.contains("--watch"), "{out}");
        // Repeatable flags stay on offer.
        let out = complete(&["--as-group", "a", "--as-"]);
        assert!(out.contains("--as-group"), "{out}");
        // Subcommand flags: global flags propagate into subcommands.
        let out = complete(&["why", "--con"]);
        assert_eq!(out, "--context\tThe name of the kubeconfig context to use\n:4\n");
    }

    #[test]
    fn flag_values_from_hook_possible_values_and_hints() {
        assert_eq!(complete(&["-o", ""]), "json\nyaml\n:4\n");
        assert_eq!(complete(&["--output=j"]), "json\n:4\n");
        assert_eq!(complete(&["--sort-by", ""]), "name\nkind\n:4\n");
        assert_eq!(complete(&["-f", ""]), ":0\n", "files are left to the shell");
        assert_eq!(complete(&["--kubeconfig", ""]), ":0\n");
        assert_eq!(complete(&["--cache-dir", ""]), ":0\n");
        // An optional-value flag does not swallow the next word.
        assert_eq!(complete(&["--namespaced", "ot"]), "other\n:4\n");
    }

    #[test]
    fn completion_subcommand_completes_too() {
        assert_eq!(
            complete(&["completion", ""]),
            "install\tLink kubectl_complete-<plugin> to this plugin, so kubectl completes its arguments\nuninstall\tRemove the kubectl_complete-<plugin> link\n:4\n"
        );
        assert_eq!(complete(&["completion", "install", "--dir", ""]), ":16\n");
    }

    #[test]
    fn unknown_flags_are_an_error_directive() {
        assert_eq!(complete(&["--no-such-flag", ""]), ":1\n");
    }

    #[test]
    fn kubeconfig_names_complete_context_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let kc = dir.path().join("config");
        std::fs::write(
            &kc,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster: {server: 'https://127.0.0.1:1'}\n\
             users:\n- name: u1\n  user: {}\ncontexts:\n- name: dev\n  context: {cluster: c1, user: u1}\n\
             - name: prod\n  context: {cluster: c1, user: u1}\ncurrent-context: dev\n",
        )
        .expect("write");
        let kc = kc.display().to_string();
        assert_eq!(complete(&["--kubeconfig", &kc, "--context", ""]), "dev\nprod\n:4\n");
        assert_eq!(complete(&["--kubeconfig", &kc, "--cluster", ""]), "c1\n:4\n");
        assert_eq!(complete(&["--kubeconfig", &kc, "--user", ""]), "u1\n:4\n");
        // Nothing listens on port 1: no candidates, no file names, nothing on stderr.
        assert_eq!(complete(&["--kubeconfig", &kc, "-n", ""]), ":4\n");
    }

    #[test]
    fn argv0_decides_completion_mode() {
        assert!(invoked_as_completer(Some(&OsString::from("/x/kubectl_complete-trace_svc"))));
        assert!(invoked_as_completer(Some(&OsString::from("kubectl_complete-cols"))));
        assert!(!invoked_as_completer(Some(&OsString::from("/x/kubectl-cols"))));
        assert!(!invoked_as_completer(None));
    }

    #[test]
    fn the_completion_command_keeps_the_plugin_parsing() {
        let cmd = with_completion_command(Demo::command());
        let m = cmd.clone().try_get_matches_from(["kubectl-demo", "completion", "install", "--dir", "/tmp"]);
        let m = m.expect("parses");
        assert_eq!(requested(&m), Some(LinkRequest { install: true, dir: Some(PathBuf::from("/tmp")) }));
        let m = cmd.clone().try_get_matches_from(["kubectl-demo", "thing", "-o", "json"]).expect("parses");
        assert_eq!(requested(&m), None);
        let demo = Demo::from_arg_matches(&m).expect("plugin parses its own words");
        assert_eq!(demo.target.as_deref(), Some("thing"));
        cmd.debug_assert();
    }

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

    #[test]
    fn resource_words_offer_plurals_and_short_names() {
        let words = resource_words(&crate::discovery::offline());
        let values: Vec<&str> = words.iter().map(|c| c.value.as_str()).collect();
        for want in ["pods", "po", "deployments", "deploy", "svc", "services"] {
            assert!(values.contains(&want), "{want} missing from {values:?}");
        }
    }
}
