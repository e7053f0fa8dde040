//! The command line, as clap reads it: plain data, checked by [`crate::plan`].

use clap::{ArgAction, Parser, Subcommand};
use kubectl_kit_core::flags::{AllNamespaces, FleetFlags, Formats, GlobalFlags, NoHeaders, OutputFlags, go_bool};
use kubectl_kit_core::output::Report;

/// Print Kubernetes objects with named column presets, or with kubectl's custom-columns,
/// JSONPath, Go templates and KYAML (same bytes as kubectl, a fraction of the time and memory).
///
/// Arguments after the resource are preset names (see `kubectl cols presets`) or object names
/// (`RESOURCE/NAME` forces a name). Without presets or -o, prints kubectl's default view, with
/// any `--add` columns appended.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-cols",
    bin_name = "kubectl cols",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  kubectl cols pods ip\n  kubectl cols deploy images ready -A\n  kubectl cols pods --add NODE:.spec.nodeName,QOS:.status.qosClass\n  kubectl cols pods -o custom-columns=NAME:.metadata.name,IP:.status.podIP\n  kubectl cols pods -o jsonpath='{.items[*].metadata.name}'\n  kubectl cols svc web -o go-template='{{(index .spec.ports 0).nodePort}}'\n  kubectl cols -f manifests/ ip\n  kubectl cols --local -f saved-pods.json ip -o csv\n  kubectl cols presets"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// RESOURCE[,RESOURCE…] followed by preset names and object names
    #[arg(value_name = "RESOURCE [PRESET|NAME]...")]
    pub args: Vec<String>,

    /// Selector (label query) to filter on, e.g. -l app=web,tier!=db
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Selector (field query) to filter on, e.g. --field-selector status.phase=Running
    #[arg(long, value_name = "SELECTOR")]
    pub field_selector: Option<String>,

    /// Sort rows by this JSONPath (kubectl's rules: numbers by value, quantities, then byte order)
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,

    /// After listing, watch for changes and print a row for each (the default view too);
    /// with --contexts or several namespaces, one watch each, every row tagged with its context
    #[arg(short = 'w', long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub watch: bool,

    /// Return large lists in chunks rather than all at once (0 disables)
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub chunk_size: u32,

    /// Append columns (HEADER:PATH, label:KEY, annotation:KEY, HEADER:PATH|age) to the view
    #[arg(long, value_name = "COLUMNS")]
    pub add: Vec<String>,

    /// Files, directories or URLs naming the objects to print (as `kubectl get -f`: the live
    /// objects); - reads standard input. With --local, the files' own objects are printed
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<String>,

    /// Process the directories given with -f recursively
    #[arg(short = 'R', long)]
    pub recursive: bool,

    /// Print the objects of the -f files as they are, without contacting the cluster
    #[arg(long)]
    pub local: bool,

    /// Template string or path to template file to use with -o go-template, -o
    /// go-template-file, -o jsonpath… (kubectl's); without -o, it means -o go-template
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Ignore fields a template or column does not find (kubectl's default); =false makes a
    /// missing field an error in -o jsonpath and -o go-template templates
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub allow_missing_template_keys: bool,

    /// Keep only the objects for which this CEL expression on `self` is true, e.g.
    /// 'self.status.phase != "Running"' or 'self.spec.containers.exists(c,
    /// c.image.endsWith(":latest"))'; objects it fails on (a missing field without has()) are
    /// left out, and -v=2 says how many and why
    #[arg(long = "where", value_name = "EXPR")]
    pub where_: Option<String>,

    /// Labels to print as columns after the view's own (the header is the label's last
    /// /-separated part, upper-cased): -L app,tier or -L app -L tier
    #[arg(short = 'L', long, value_name = "LABEL", value_delimiter = ',')]
    pub label_columns: Vec<String>,

    /// Show all labels as the last column (a table, -o wide or presets)
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub show_labels: bool,

    /// Prefix names with their kind (pod/web, deployment.apps/web), as with several types
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub show_kind: bool,

    /// Say nothing of named objects that do not exist, nor of an empty list
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub ignore_not_found: bool,

    /// Watch for changes without printing the objects as they are first
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub watch_only: bool,

    /// With -w or --watch-only, print each change as its event: an EVENT column in tables,
    /// {"type","object"} for templates and custom-columns
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub output_watch_events: bool,

    /// Keep metadata.managedFields in -o kyaml
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true, default_value_t = false, default_missing_value = "true", value_parser = go_bool, value_name = "BOOL")]
    pub show_managed_fields: bool,

    /// Print this subresource of the named objects (status, scale…)
    #[arg(long, value_name = "NAME")]
    pub subresource: Option<String>,

    /// =false builds the default view here (NAME, AGE) instead of asking the server for its
    /// table
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub server_print: bool,

    /// Print the live objects a kustomization directory builds (as kubectl get -k: needs
    /// kubectl or kustomize on PATH to build it)
    #[arg(short = 'k', long, value_name = "DIR")]
    pub kustomize: Option<String>,

    #[command(flatten)]
    pub all: AllNamespaces,

    #[command(flatten)]
    pub output: OutputFlags<Output>,

    #[command(flatten)]
    pub headers: NoHeaders,

    #[command(flatten)]
    pub global: GlobalFlags,

    /// `--contexts`, `--all-contexts`, `--namespaces`, `-n a,b`: one table across them.
    #[command(flatten)]
    pub fleet: FleetFlags,
}

/// cols' `-o` values: kubectl get's, plus csv and markdown.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The default view, or the presets' columns.
    Default,
    Wide,
    Json,
    Yaml,
    Csv,
    Markdown,
    Name,
    /// `custom-columns=SPEC`; `None` for a bare `custom-columns`.
    CustomColumns(Option<String>),
    CustomColumnsFile(Option<String>),
    JsonPath(Option<String>),
    JsonPathFile(Option<String>),
    JsonPathAsJson(Option<String>),
    /// `go-template=TEMPLATE` and its alias `template=`.
    GoTemplate(Option<String>),
    /// `go-template-file=FILE` and its alias `templatefile=`.
    GoTemplateFile(Option<String>),
    /// The objects as kubectl 1.35 prints them in KYAML.
    Kyaml,
}

impl Formats for Output {
    const NAMES: &'static [&'static str] = &[
        "csv",
        "custom-columns=",
        "custom-columns-file=",
        "go-template=",
        "go-template-file=",
        "json",
        "jsonpath=",
        "jsonpath-as-json=",
        "jsonpath-file=",
        "kyaml",
        "markdown",
        "md",
        "name",
        "template=",
        "templatefile=",
        "wide",
        "yaml",
    ];

    fn pick(name: &str, arg: Option<&str>) -> Option<Self> {
        let arg = arg.map(str::to_string);
        Some(match name {
            "" => Output::Default,
            "wide" => Output::Wide,
            "json" => Output::Json,
            "yaml" => Output::Yaml,
            "csv" => Output::Csv,
            "markdown" | "md" => Output::Markdown,
            "name" => Output::Name,
            "custom-columns" => Output::CustomColumns(arg),
            "custom-columns-file" => Output::CustomColumnsFile(arg),
            "jsonpath" => Output::JsonPath(arg),
            "jsonpath-file" => Output::JsonPathFile(arg),
            "jsonpath-as-json" => Output::JsonPathAsJson(arg),
            "go-template" | "template" => Output::GoTemplate(arg),
            "go-template-file" | "templatefile" => Output::GoTemplateFile(arg),
            "kyaml" => Output::Kyaml,
            _ => return None,
        })
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the presets (built-in and yours) with their specs and the resources they fit
    Presets {
        #[command(subcommand)]
        action: Option<PresetsAction>,
        #[command(flatten)]
        output: OutputFlags<Report>,
        #[command(flatten)]
        headers: NoHeaders,
    },
}

/// `kubectl cols presets …`
#[derive(Debug, Subcommand)]
pub enum PresetsAction {
    /// Add or replace one of your presets (the rest of the file is kept)
    Add {
        /// The preset's name
        name: String,
        /// The resource it fits: plural (pods), plural.group (deployments.apps), short name, or *
        resource: String,
        /// Columns: HEADER:PATH,… (also label:KEY, annotation:KEY, HEADER:PATH|age)
        spec: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn kubectls_flag_forms_parse() {
        let cli = Cli::try_parse_from([
            "kubectl-cols",
            "pods",
            "--allow-missing-template-keys=false",
            "-f",
            "a",
            "-f",
            "b",
            "-R",
        ])
        .expect("parses");
        assert!(!cli.allow_missing_template_keys);
        assert_eq!(cli.filenames, ["a", "b"]);
        assert!(cli.recursive);
        assert!(Cli::try_parse_from(["kubectl-cols", "pods"]).expect("parses").allow_missing_template_keys);
    }

    fn output_of(args: &[&str]) -> std::result::Result<Output, String> {
        let cli = Cli::try_parse_from(["kubectl-cols", "pods"].iter().chain(args)).map_err(|e| e.to_string())?;
        cli.output.format_with_template(cli.template.as_deref()).map_err(|e| e.to_string())
    }

    #[test]
    fn go_templates_and_kyaml_parse_as_kubectl_reads_them() {
        let t = |s: &str| Some(s.to_string());
        assert_eq!(output_of(&["-o", "go-template={{.a}}"]), Ok(Output::GoTemplate(t("{{.a}}"))));
        assert_eq!(output_of(&["-o=template={{.a}}"]), Ok(Output::GoTemplate(t("{{.a}}"))));
        assert_eq!(output_of(&["--output", "go-template-file=f.tmpl"]), Ok(Output::GoTemplateFile(t("f.tmpl"))));
        assert_eq!(output_of(&["-o", "templatefile=f.tmpl"]), Ok(Output::GoTemplateFile(t("f.tmpl"))));
        assert_eq!(output_of(&["-o", "go-template"]), Ok(Output::GoTemplate(None)));
        assert_eq!(output_of(&["-o", "kyaml"]), Ok(Output::Kyaml));
        // --template: alone it is a go-template; beside a bare template format, its argument.
        assert_eq!(output_of(&["--template", "{{.a}}"]), Ok(Output::GoTemplate(t("{{.a}}"))));
        assert_eq!(output_of(&["--template={{.a}}", "-o", "template"]), Ok(Output::GoTemplate(t("{{.a}}"))));
        assert_eq!(output_of(&["-o", "go-template-file", "--template", "f"]), Ok(Output::GoTemplateFile(t("f"))));
        assert_eq!(output_of(&["-o", "jsonpath", "--template", "{.a}"]), Ok(Output::JsonPath(t("{.a}"))));
        assert_eq!(output_of(&["-o", "kyaml", "--template", "{{.a}}"]), Ok(Output::Kyaml));
        let refused = output_of(&["-o", "go-template={{.a}}", "--template", "{{.b}}"]).expect_err("refused");
        assert!(refused.contains("unable to match a printer suitable for the output format \"go-template={{.a}}\""));
        assert!(output_of(&["-o", "Go-Template={{.a}}"]).is_err());
    }
}
