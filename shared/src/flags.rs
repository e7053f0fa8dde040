//! kubectl's global flags and output flags, one clap struct each, flattened into every plugin.
//!
//! The names, short forms and value syntax are kubectl's (`kubectl options`), so muscle memory and
//! scripts carry over: `--kubeconfig`, `--context`, `-n`, `--as`, `--request-timeout=30s`, `-v=6`.
//!
//! Flag values are user text: parsed by `char` or at checked places (the lints below hold this
//! file to it).

#![deny(clippy::string_slice, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Connection and identity flags shared by every plugin (kubectl's global flags).
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalFlags {
    /// Path to the kubeconfig file to use for CLI requests (overrides KUBECONFIG)
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,

    /// The name of the kubeconfig context to use
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,

    /// The name of the kubeconfig cluster to use
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,

    /// The name of the kubeconfig user to use
    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,

    /// If present, the namespace scope for this CLI request
    #[arg(short = 'n', long, value_name = "NAMESPACE", global = true)]
    pub namespace: Option<String>,

    /// The address and port of the Kubernetes API server
    #[arg(short = 's', long, value_name = "URL", global = true)]
    pub server: Option<String>,

    /// Bearer token for authentication to the API server
    #[arg(long, value_name = "TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,

    /// Path to a cert file for the certificate authority
    #[arg(long, value_name = "PATH", global = true)]
    pub certificate_authority: Option<PathBuf>,

    /// Path to a client certificate file for TLS
    #[arg(long, value_name = "PATH", global = true)]
    pub client_certificate: Option<PathBuf>,

    /// Path to a client key file for TLS
    #[arg(long, value_name = "PATH", global = true)]
    pub client_key: Option<PathBuf>,

    /// Server name to use for server certificate validation
    #[arg(long, value_name = "NAME", global = true)]
    pub tls_server_name: Option<String>,

    /// Username to impersonate for the operation
    #[arg(long = "as", value_name = "USER", global = true)]
    pub as_user: Option<String>,

    /// Group to impersonate for the operation; repeat for several groups
    #[arg(long = "as-group", value_name = "GROUP", global = true)]
    pub as_group: Vec<String>,

    /// The length of time to wait before giving up on a single server request (e.g. 1s, 2m, 3h; 0 = no timeout)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, global = true)]
    pub request_timeout: Option<Duration>,

    /// If true, the server's certificate will not be checked for validity (insecure)
    #[arg(long, global = true)]
    pub insecure_skip_tls_verify: bool,

    /// Default cache directory [default: $KUBECACHEDIR or ~/.kube/cache]
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    /// Log level: 6 prints every request with its status and time
    #[arg(short = 'v', long = "v", value_name = "LEVEL", default_value_t = 0, global = true)]
    pub verbosity: u8,
}

/// `-A/--all-namespaces`, for commands where listing across namespaces makes sense.
#[derive(Debug, Clone, Default, Args)]
pub struct AllNamespaces {
    /// List the requested objects across all namespaces
    #[arg(short = 'A', long = "all-namespaces", action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL", hide_possible_values = true)]
    pub all_namespaces: bool,
}

/// The `-o` values one command accepts: each plugin declares them once, and `--help`, shell
/// completion and the usage error for anything else all list exactly those.
pub trait Formats: Sized + Clone + Send + Sync + 'static {
    /// The format names; a name ending in `=` takes an argument (`jsonpath=TEMPLATE`).
    const NAMES: &'static [&'static str];

    /// The format for `name` (without its `=`) and its argument, if it took one; `None` only
    /// for a name not in [`Formats::NAMES`]. The empty name is the command's default.
    fn pick(name: &str, arg: Option<&str>) -> Option<Self>;
}

/// Every `-o` name kubectl's printers or a command of this suite know. Each command's tests
/// probe its [`Formats`] with these (see [`format_mismatches`]): a name it picks must be one it
/// lists.
pub const KNOWN_FORMATS: &[&str] = &[
    "csv",
    "custom-columns",
    "custom-columns-file",
    "dot",
    "go-template",
    "go-template-file",
    "json",
    "jsonpath",
    "jsonpath-as-json",
    "jsonpath-file",
    "kyaml",
    "markdown",
    "md",
    "mermaid",
    "name",
    "table",
    "template",
    "templatefile",
    "tree",
    "wide",
    "yaml",
];

/// What disagrees between the formats a command lists and the ones it picks, one line each;
/// empty when they agree. Every listed name (with and without its argument, for `NAME=`) must
/// be read by `-o`, and no other known name may be picked: a format the code handles but does
/// not list is one help, completion and the usage error never mention.
pub fn format_mismatches<F: Formats>() -> Vec<String> {
    let mut wrong = vec![];
    if F::pick("", None).is_none() {
        wrong.push("the default (no -o) is not picked".to_string());
    }
    let listed: Vec<&str> = F::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
    for n in F::NAMES {
        let values = match n.strip_suffix('=') {
            Some(name) => vec![name.to_string(), format!("{name}=ARG")],
            None => vec![n.to_string()],
        };
        for v in values {
            if OutputFlags::<F>::with(Some(v.clone())).format().is_err() {
                wrong.push(format!("-o {v} is listed but refused"));
            }
        }
    }
    for n in KNOWN_FORMATS.iter().filter(|n| !listed.contains(n)) {
        if F::pick(n, None).is_some() || F::pick(n, Some("ARG")).is_some() {
            wrong.push(format!("{n} is picked but not listed"));
        }
        if OutputFlags::<F>::with(Some(n.to_string())).format().is_ok() {
            wrong.push(format!("-o {n} is not listed but accepted"));
        }
    }
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != listed.len() {
        wrong.push(format!("the list {listed:?} names a format twice"));
    }
    wrong
}

/// The known formats a command does not list: each must be a usage error.
pub fn unlisted_formats<F: Formats>() -> Vec<&'static str> {
    KNOWN_FORMATS.iter().copied().filter(|k| !F::NAMES.iter().any(|n| n.trim_end_matches('=') == *k)).collect()
}

/// Checks a command's binary against the formats it lists, one line for each disagreement.
/// `run` runs it with `-o VALUE` and answers its exit code and standard error; `value` gives the
/// `-o` value for a listed name (with an argument after a `NAME=`). A listed format must get
/// past the usage checks (no exit 2); every other known name must be the usage error that names
/// the list.
pub fn binary_format_mismatches<F: Formats>(
    value: impl Fn(&str) -> String,
    mut run: impl FnMut(&str) -> (Option<i32>, String),
) -> Vec<String> {
    let mut wrong = vec![];
    for name in F::NAMES {
        let v = value(name);
        let (code, err) = run(&v);
        if code == Some(2) || err.contains("unable to match a printer") {
            wrong.push(format!("-o {v} is listed but refused (exit {code:?}): {}", err.trim_end()));
        }
    }
    for name in unlisted_formats::<F>() {
        let Err(refusal) = OutputFlags::<F>::with(Some(name.to_string())).format() else {
            wrong.push(format!("-o {name} is not listed but accepted"));
            continue;
        };
        let refusal = refusal.to_string();
        let (code, err) = run(name);
        if code != Some(2) || !err.contains(&refusal) {
            wrong.push(format!(
                "-o {name} is not listed, yet not refused with {refusal:?} (exit {code:?}): {}",
                err.trim_end()
            ));
        }
    }
    wrong
}

/// `-o/--output`, with the formats `F` declares.
#[derive(Debug, Clone, Args)]
pub struct OutputFlags<F: Formats> {
    /// Output format
    #[arg(short = 'o', long = "output", value_name = "FORMAT", value_parser = FormatNames(F::NAMES))]
    pub output: Option<String>,

    #[arg(skip)]
    formats: std::marker::PhantomData<F>,
}

impl<F: Formats> Default for OutputFlags<F> {
    fn default() -> Self {
        OutputFlags { output: None, formats: std::marker::PhantomData }
    }
}

impl<F: Formats> OutputFlags<F> {
    /// `-o` as given.
    pub fn with(output: Option<String>) -> Self {
        OutputFlags { output, formats: std::marker::PhantomData }
    }

    /// The format asked for; kubectl's usage error, listing the command's formats, for any
    /// other.
    pub fn format(&self) -> crate::Result<F> {
        let value = self.output.as_deref().unwrap_or("");
        let picked = if value.is_empty() {
            F::pick("", None)
        } else {
            F::NAMES.iter().find_map(|n| match n.strip_suffix('=') {
                // A bare `jsonpath` is the format without its argument: the plugin says what
                // is missing, as kubectl does.
                Some(name) if value == name => F::pick(name, None),
                Some(name) => value.strip_prefix(n).and_then(|arg| F::pick(name, Some(arg))),
                None if value == *n => F::pick(n, None),
                None => None,
            })
        };
        picked.ok_or_else(|| Self::refusal(value))
    }

    /// The format asked for with kubectl's `--template TEXT` beside `-o` (kubectl's rules):
    /// without `-o` it means `-o go-template`; it is the argument of a format named bare
    /// (`-o jsonpath --template '{.x}'`); a format that takes an argument and got one in `-o`
    /// as well matches no printer; a format that takes none ignores it. An empty `TEXT` is no
    /// `--template`.
    pub fn format_with_template(&self, template: Option<&str>) -> crate::Result<F> {
        let Some(text) = template.filter(|t| !t.is_empty()) else { return self.format() };
        let value = self.output.as_deref().unwrap_or("");
        let name = if value.is_empty() { "go-template" } else { value };
        if F::NAMES.iter().any(|n| n.strip_suffix('=') == Some(name)) {
            return F::pick(name, Some(text)).ok_or_else(|| Self::refusal(value));
        }
        if F::NAMES.iter().any(|n| *n == value && !n.ends_with('=')) {
            return self.format();
        }
        Err(Self::refusal(value))
    }

    /// kubectl's usage error for a format it has no printer for, listing the command's formats.
    fn refusal(value: &str) -> crate::Error {
        let mut names: Vec<&str> = F::NAMES.iter().map(|n| n.trim_end_matches('=')).collect();
        names.sort_unstable();
        crate::Error::usage(format!(
            "unable to match a printer suitable for the output format \"{value}\", allowed formats are: {}",
            names.join(",")
        ))
    }
}

/// Reads `-o` as text (checked by [`OutputFlags::format`], with kubectl's message) and tells
/// clap the names, for `--help` and completion.
#[derive(Clone)]
struct FormatNames(&'static [&'static str]);

impl clap::builder::TypedValueParser for FormatNames {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|n| clap::builder::PossibleValue::new(n.trim_end_matches('=')))))
    }
}

/// `--no-headers`, for commands that print tables.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct NoHeaders {
    /// Don't print headers in table output
    #[arg(long, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub no_headers: bool,
}

/// Reads a boolean flag's value as kubectl's flags do (Go's `strconv.ParseBool`): `--watch`
/// alone is true, and `--watch=true`, `=false`, `=1`, `=0`, `=t`, `=F`, `=TRUE`, `=False` say it
/// outright, as kubectl's own tests and scripts write them.
pub fn go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("invalid argument {text:?}: strconv.ParseBool: parsing {text:?}: invalid syntax")),
    }
}

/// Parses a duration the way kubectl's `--request-timeout` does: a bare integer is seconds, else
/// Go's duration syntax (`1h2m3.5s`, `300ms`, `2us`). `0` means no timeout.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        // `find` answers with character boundaries: the splits below always succeed.
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, after) = rest.split_at_checked(num_end).unwrap_or((rest, ""));
        if number.is_empty() {
            return Err(format!("invalid duration {text:?}: expected a number at {rest:?}"));
        }
        let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, after) = after.split_at_checked(unit_end).unwrap_or((after, ""));
        let factor = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(format!("invalid duration {text:?}: missing unit (use s, m or h)")),
            u => return Err(format!("invalid duration {text:?}: unknown unit {u:?}")),
        };
        total += value * factor;
        rest = after;
    }
    // Go refuses durations past about 290 years; beyond what a Duration holds is an error here
    // rather than a panic (found by the `arguments` fuzz target).
    Duration::try_from_secs_f64(total).map_err(|_| format!("invalid duration {text:?}: out of range"))
}

#[cfg(test)]
mod tests {
    use super::{Formats, OutputFlags, go_bool};

    #[test]
    fn booleans_read_as_gos_parse_bool_reads_them() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(go_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(go_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "yes", "no", "tRUE", "2", " true"] {
            let err = go_bool(bad).expect_err(bad);
            assert!(err.contains("strconv.ParseBool"), "{bad}: {err}");
        }
    }

    /// Formats with and without an argument, as cols has them.
    #[derive(Debug, Clone, PartialEq)]
    enum Shape {
        Table,
        Json,
        Template(Option<String>),
        TemplateFile(Option<String>),
    }

    impl Formats for Shape {
        const NAMES: &'static [&'static str] = &["json", "template=", "template-file="];

        fn pick(name: &str, arg: Option<&str>) -> Option<Self> {
            let arg = arg.map(str::to_string);
            Some(match name {
                "" => Shape::Table,
                "json" => Shape::Json,
                "template" => Shape::Template(arg),
                "template-file" => Shape::TemplateFile(arg),
                _ => return None,
            })
        }
    }

    #[test]
    fn formats_with_an_argument() {
        let pick = |o: &str| OutputFlags::<Shape>::with(Some(o.into())).format().map_err(|e| e.to_string());
        assert_eq!(pick("json"), Ok(Shape::Json));
        assert_eq!(pick("template={.a}"), Ok(Shape::Template(Some("{.a}".into()))));
        assert_eq!(pick("template=a=b"), Ok(Shape::Template(Some("a=b".into()))));
        assert_eq!(pick("template="), Ok(Shape::Template(Some(String::new()))));
        // Bare: the command says what is missing.
        assert_eq!(pick("template"), Ok(Shape::Template(None)));
        assert_eq!(pick("template-file=x"), Ok(Shape::TemplateFile(Some("x".into()))));
        assert_eq!(OutputFlags::<Shape>::default().format().ok(), Some(Shape::Table));
        for bad in ["jsonx", "json=", "templates", "Template=x", "=x"] {
            assert_eq!(
                pick(bad),
                Err(format!(
                    "error: unable to match a printer suitable for the output format \"{bad}\", allowed formats are: json,template,template-file"
                )),
                "{bad}"
            );
        }
    }

    /// kubectl get's template formats beside one without an argument.
    #[derive(Debug, Clone, PartialEq)]
    enum Templated {
        Table,
        Json,
        GoTemplate(Option<String>),
        JsonPath(Option<String>),
    }

    impl Formats for Templated {
        const NAMES: &'static [&'static str] = &["go-template=", "json", "jsonpath="];

        fn pick(name: &str, arg: Option<&str>) -> Option<Self> {
            let arg = arg.map(str::to_string);
            Some(match name {
                "" => Templated::Table,
                "json" => Templated::Json,
                "go-template" => Templated::GoTemplate(arg),
                "jsonpath" => Templated::JsonPath(arg),
                _ => return None,
            })
        }
    }

    #[test]
    fn template_flag_follows_kubectls_rules() {
        let pick = |o: Option<&str>, t: Option<&str>| {
            OutputFlags::<Templated>::with(o.map(String::from)).format_with_template(t).map_err(|e| e.to_string())
        };
        let some = |t: &str| Some(t.to_string());
        // No -o: --template means go-template.
        assert_eq!(pick(None, Some("{{.a}}")), Ok(Templated::GoTemplate(some("{{.a}}"))));
        assert_eq!(pick(Some(""), Some("{{.a}}")), Ok(Templated::GoTemplate(some("{{.a}}"))));
        // A bare template format takes it as its argument.
        assert_eq!(pick(Some("jsonpath"), Some("{.a}")), Ok(Templated::JsonPath(some("{.a}"))));
        assert_eq!(pick(Some("go-template"), Some("x")), Ok(Templated::GoTemplate(some("x"))));
        // A format without an argument ignores it.
        assert_eq!(pick(Some("json"), Some("x")), Ok(Templated::Json));
        // Empty or absent: -o alone decides.
        assert_eq!(pick(None, Some("")), Ok(Templated::Table));
        assert_eq!(pick(Some("go-template=y"), None), Ok(Templated::GoTemplate(some("y"))));
        assert_eq!(pick(Some("go-template"), Some("")), Ok(Templated::GoTemplate(None)));
        // An argument in -o and --template too: no printer, kubectl's message.
        for o in ["go-template=y", "go-template=", "jsonpath={.b}", "yaml"] {
            assert_eq!(
                pick(Some(o), Some("x")),
                Err(format!(
                    "error: unable to match a printer suitable for the output format \"{o}\", allowed formats are: go-template,json,jsonpath"
                )),
                "{o}"
            );
        }
    }

    #[test]
    fn a_format_picked_but_not_listed_is_found() {
        assert_eq!(super::format_mismatches::<Shape>(), Vec::<String>::new());
        assert!(super::unlisted_formats::<Shape>().contains(&"yaml"));
        assert!(!super::unlisted_formats::<Shape>().contains(&"json"));

        /// `yaml` handled but not listed; `csv` listed but not handled.
        #[derive(Debug, Clone)]
        struct Drifted;
        impl Formats for Drifted {
            const NAMES: &'static [&'static str] = &["csv", "json"];
            fn pick(name: &str, _: Option<&str>) -> Option<Self> {
                matches!(name, "" | "json" | "yaml").then_some(Drifted)
            }
        }
        assert_eq!(
            super::format_mismatches::<Drifted>(),
            ["-o csv is listed but refused", "yaml is picked but not listed"]
        );
    }

    #[test]
    fn a_binary_that_refuses_a_listed_format_or_accepts_another_is_found() {
        // A command that reads -o as it declares it: usage errors exit 2 with the message.
        let honest = |v: &str| match OutputFlags::<Shape>::with(Some(v.to_string())).format() {
            Ok(_) => (Some(1), "error: no kubeconfig found\n".to_string()),
            Err(e) => (Some(2), format!("{e}\n")),
        };
        let value = |n: &str| if n.ends_with('=') { format!("{n}ARG") } else { n.to_string() };
        assert_eq!(super::binary_format_mismatches::<Shape>(value, honest), Vec::<String>::new());
        // One that refuses `json` after all, and prints YAML when asked.
        let drifted = |v: &str| match v {
            "json" => (Some(2), "error: json is not supported\n".to_string()),
            "yaml" => (Some(0), String::new()),
            other => honest(other),
        };
        let wrong = super::binary_format_mismatches::<Shape>(value, drifted);
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert!(wrong[0].starts_with("-o json is listed but refused (exit Some(2))"), "{wrong:?}");
        assert!(wrong[1].starts_with("-o yaml is not listed, yet not refused"), "{wrong:?}");
    }

    use super::*;

    #[test]
    fn durations_parse_like_kubectl() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.5").is_err());
        assert_eq!(parse_duration("1µs"), Ok(Duration::from_micros(1)));
        assert_eq!(parse_duration("1µs2s"), Ok(Duration::from_micros(2_000_001)));
        for bad in ["é", "1é", "1sé", "1.é5s", "µ"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration("55555555555555555555555s"),
            Err("invalid duration \"55555555555555555555555s\": out of range".into())
        );
    }
}

/// kubectl's `--dry-run` strategies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DryRun {
    /// Change the cluster.
    #[default]
    None,
    /// Only print what would be sent; nothing reaches the server.
    Client,
    /// Send the request with `dryRun=All`: the server validates and answers with the result,
    /// and persists nothing.
    Server,
}

impl DryRun {
    /// The suffix kubectl prints after a dry-run result: ` (dry run)`, ` (server dry run)`.
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// `--dry-run`, for commands that write.
#[derive(Debug, Clone, Default, Args)]
pub struct DryRunFlag {
    /// Must be "none", "server", or "client". If client strategy, only print what would be
    /// changed. If server strategy, submit the change to the server without persisting it
    #[arg(long = "dry-run", value_enum, value_name = "STRATEGY", default_value = "none", num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: DryRun,
}

/// Which kubeconfig contexts a reading command reads (see [`crate::fleet`]). Without these
/// flags it reads the one context kubectl would, exactly as kubectl does.
#[derive(Debug, Clone, Default, Args)]
pub struct ContextFlags {
    /// Read from every kubeconfig context matching these names or shell globs, in this order
    /// (comma-separated: 'prod-*,staging'); rows carry a CONTEXT column
    #[arg(long, value_name = "PATTERN[,PATTERN…]", value_delimiter = ',', global = true, conflicts_with_all = ["context", "all_contexts"])]
    pub contexts: Vec<String>,

    /// Read from every context of the kubeconfig (KUBECONFIG's files merged), sorted by name
    #[arg(long, global = true, conflicts_with = "context")]
    pub all_contexts: bool,

    /// How many contexts are read at once
    #[arg(long, value_name = "N", global = true, default_value_t = crate::fleet::PARALLEL, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
}

/// Where a reading command reads: [`ContextFlags`], and several namespaces at once. With none
/// of these, a command reads the one context and namespace kubectl would, as kubectl does.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetFlags {
    #[command(flatten)]
    pub contexts: ContextFlags,

    /// Read these namespaces (comma-separated; shell globs match the namespaces you can list).
    /// `-n a,b` and `-n 'team-*'` say the same
    #[arg(
        long,
        value_name = "NAMESPACE[,NAMESPACE…]",
        value_delimiter = ',',
        global = true,
        conflicts_with = "namespace"
    )]
    pub namespaces: Vec<String>,
}
