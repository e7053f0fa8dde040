//! Shell completion through kubectl (1.26 and newer), for every plugin, from its clap command.
//!
//! kubectl completes a plugin's arguments by running `kubectl_complete-<plugin>` from `PATH` with
//! the words typed after the plugin name and the word being completed (`""` for a new word). It
//! reads one candidate per line (`value<TAB>description`) and an optional last line `:<N>`, a
//! Cobra `ShellCompDirective`. It passes the executable's stderr to the terminal and ignores its
//! output when it exits non-zero.
//!
//! Every plugin binary is also its own completion executable: [`crate::run`] sees an `argv[0]`
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
//!
//! The parts: `protocol` (what kubectl reads: candidates, directives, the answer),
//! `locate` (following the typed words through the clap command), `values` (the plugin's
//! hook, then the shared completers), `install` (the `completion install|uninstall` link).

mod install;
mod locate;
mod protocol;
mod values;

use std::ffi::OsString;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use clap::Command;

use crate::error::Result;

pub use install::{LinkRequest, link, requested, with_completion_command};
pub use protocol::{Candidate, directive};
pub use values::{MAX_NAMES, Request, Values, names, names_selected, no_values, resource_words};

/// The name prefix kubectl looks for: `kubectl trace-svc` → `kubectl_complete-trace_svc`.
pub const EXEC_PREFIX: &str = "kubectl_complete-";

/// The longest a completion may wait for the cluster; the user is waiting at the prompt.
pub const BUDGET: Duration = Duration::from_secs(5);

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
    let (candidates, dir) = match locate::locate(&cmd, words) {
        None => (vec![], directive::ERROR),
        Some(locate::Slot::Static(candidates, dir)) => (candidates, dir),
        Some(locate::Slot::Value { request, arg, subcommands }) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Err(_) => (vec![], directive::ERROR),
                Ok(rt) => rt.block_on(async {
                    let found = tokio::time::timeout(BUDGET, values::values(*request, &arg, hook)).await;
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
    let value_partial = protocol::flag_value_partial(partial);
    protocol::render(&candidates, value_partial, dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::GlobalFlags;
    use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
    use std::path::PathBuf;

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

    #[test]
    fn resource_words_offer_plurals_and_short_names() {
        let words = resource_words(&crate::discovery::offline());
        let values: Vec<&str> = words.iter().map(|c| c.value.as_str()).collect();
        for want in ["pods", "po", "deployments", "deploy", "svc", "services"] {
            assert!(values.contains(&want), "{want} missing from {values:?}");
        }
    }
}
