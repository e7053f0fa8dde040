//! kubectl-kit-core: the library every kubectl-kit plugin stands on.
//!
//! One module per concern, each written once and used by every plugin:
//! - [`flags`]: kubectl's global flags, and `-o` with the formats each plugin declares, as clap
//!   structs to flatten.
//! - [`client`]: kubeconfig and flags exactly as kubectl (client-go's `clientcmd`) reads them,
//!   and a client with bounded retries and kubectl's `-v=6` request log.
//! - [`certs`]: the kubeconfig's TLS material, checked before connecting.
//! - [`discovery`]: resource words to API resources by kubectl's rules, with a disk cache.
//! - [`list`]: lists page by page and streamed, watches that resume.
//! - [`projection`]: decoding only the fields a command reads.
//! - [`selector`]: label selectors, evaluated and printed.
//! - [`filter`]: `--where`, a CEL expression on each object.
//! - [`jsonpath`]: kubectl's JSONPath dialect (a model of client-go's).
//! - [`gotemplate`]: kubectl's go-template output (a model of Go's text/template).
//! - [`printers`]: `kubectl get`'s printers: custom-columns, `--sort-by`, the tabwriter layout.
//! - [`quantity`]: resource quantities, parsed and ordered exactly as apimachinery does.
//! - [`manifests`]: `-f` files, directories and standard input, as kubectl reads them.
//! - [`output`]: kubectl-style tables, json/yaml, broken pipes.
//! - [`kyaml`]: `-o kyaml`, byte for byte as kubectl 1.35 prints it.
//! - [`terminal`]: escaping of untrusted text for the terminal.
//! - [`fleet`]: several kubeconfig contexts and namespaces read as one (`--contexts`,
//!   `-n a,b`): targets, a bounded concurrent fan-out, per-context faults and exit status.
//! - [`error`]: one error type, kinds, kubectl-like rendering, exit codes, redaction; the rule
//!   for a read RBAC forbids ([`error::visible`]: not visible, with the server's message).
//! - [`time`]: timestamps, ages and message durations.
//! - [`percent`]: percent-encoding of query values and path segments.
//! - [`net`]: name resolution (`*.localhost` is loopback) and proxies from the environment.
//! - [`completion`]: shell completion through kubectl, and `completion install`.
//!
//! A plugin's `main` is one call to [`run`], or to [`run_completing`] when it completes values
//! of its own (services, presets…).

pub mod certs;
pub mod client;
pub mod completion;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod flags;
pub mod fleet;
pub mod gotemplate;
pub mod jsonpath;
pub mod kyaml;
pub mod list;
pub mod manifests;
pub mod net;
pub mod output;
pub mod percent;
pub mod printers;
pub mod projection;
pub mod quantity;
pub mod selector;
pub mod terminal;
pub mod time;
pub mod unicode;

pub use client::Kube;
pub use error::{Error, Result};

use std::future::Future;
use std::process::ExitCode;

/// Parses the command line, runs the plugin on a single-threaded runtime, prints any error the
/// way kubectl would and turns the outcome into the exit code (0, 1 runtime/API, 2 usage).
///
/// Started as `kubectl_complete-<plugin>`, it completes the command line instead (flags,
/// subcommands, namespaces, contexts…); `completion install|uninstall` manage that link.
pub fn run<C, F, Fut>(body: F) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    run_completing(body, completion::no_values)
}

/// [`run`], with a hook that completes the plugin's own values: it gets a
/// [`completion::Request`] and answers [`completion::Values`], `Unknown` for what it leaves to
/// the shared completion.
pub fn run_completing<C, F, Fut, H, HFut>(body: F, complete: H) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<()>>,
    H: FnOnce(completion::Request) -> HFut,
    HFut: Future<Output = Result<completion::Values>>,
{
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if completion::invoked_as_completer(args.first()) {
        output::silence_stderr();
        let words: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
        output::out(&completion::answer(C::command(), &words, complete));
        // kubectl ignores the output of a completer that fails: always succeed.
        return ExitCode::SUCCESS;
    }
    let mut cmd = completion::with_completion_command(C::command());
    let parsed = cmd.try_get_matches_from_mut(&args).and_then(|m| match completion::requested(&m) {
        Some(request) => Ok(Err(request)),
        None => C::from_arg_matches(&m).map(Ok),
    });
    let cli = match parsed {
        Ok(Ok(cli)) => cli,
        Ok(Err(request)) => {
            let argv0 = args.first().map(std::path::PathBuf::from).unwrap_or_default();
            return match completion::link(&request, cmd.get_name(), &argv0) {
                Ok(message) => {
                    output::out(&message);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    output::err(&e.render());
                    ExitCode::from(e.exit_code())
                }
            };
        }
        Err(e) => {
            // clap prints help/version on stdout with status 0, usage errors on stderr with 2,
            // colouring only for terminals.
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            let _ = e.format(&mut cmd).print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            output::err(&Error::runtime("could not start the async runtime").caused_by_error(e).render());
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(body(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::err(&e.render());
            ExitCode::from(e.exit_code())
        }
    }
}
