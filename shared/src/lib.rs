//! kubectl-kit-core: the library every kubectl-kit plugin stands on.
//!
//! One module per concern, each written once and used by every plugin:
//! - [`flags`]: kubectl's global flags and output flags, as clap structs to flatten.
//! - [`client`]: kubeconfig exactly as kubectl reads it, and a client with bounded retries.
//! - [`discovery`]: resource words to API resources by kubectl's rules, with a disk cache.
//! - [`output`]: kubectl-style tables, json/yaml, terminal escaping, broken pipes.
//! - [`error`]: one error type, kubectl-like rendering, exit codes, redaction.
//!
//! A plugin's `main` is one call to [`run`].

pub mod client;
pub mod columns;
pub mod discovery;
pub mod error;
pub mod flags;
pub mod jsonpath;
pub mod list;
pub mod output;
pub mod projection;
pub mod selector;
pub mod time;

pub use client::Kube;
pub use error::{Error, Result};

use std::future::Future;
use std::process::ExitCode;

/// Parses the command line, runs the plugin on a single-threaded runtime, prints any error the
/// way kubectl would and turns the outcome into the exit code (0, 1 runtime/API, 2 usage).
pub fn run<C, F, Fut>(body: F) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let cli = match C::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version on stdout with status 0, usage errors on stderr with 2,
            // colouring only for terminals.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            output::err(&Error::runtime("could not start the async runtime").caused_by(e).render());
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
