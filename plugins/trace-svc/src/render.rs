//! A trace as text (a tree with ✓ ⚠ ✗, verdict first), JSON/YAML, Graphviz dot or Mermaid.

use kubectl_kit_core::output::escape;

use crate::model::{Status, Trace};

fn mark(s: Status) -> &'static str {
    match s {
        Status::Ok => "✓",
        Status::Warn => "⚠",
        Status::Fail => "✗",
    }
}

/// The readable tree.
pub fn tree(t: &Trace) -> String {
    let mut s = format!("{} {}\n{} ({})\n", mark(t.status), escape(&t.verdict), escape(&t.service), escape(&t.kind));
    for (i, h) in t.hops.iter().enumerate() {
        let last = i + 1 == t.hops.len();
        let (branch, pipe) = if last { ("└─", "   ") } else { ("├─", "│  ") };
        s.push_str(&format!("{branch} {} {:<15} {}\n", mark(h.status), h.hop, escape(&h.reason)));
        for d in &h.details {
            s.push_str(&format!("{pipe}     {}\n", escape(d)));
        }
        if let Some(f) = &h.fix {
            s.push_str(&format!("{pipe}     fix: {}\n", escape(f)));
        }
    }
    s
}

/// The status's name (a Mermaid class) and its fill colour, shared by both pictures.
fn style(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Ok => ("ok", "#c8e6c9"),
        Status::Warn => ("warn", "#fff3b0"),
        Status::Fail => ("fail", "#ffcdd2"),
    }
}

fn dot_escape(s: &str) -> String {
    escape(s).replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz: the path as a chain of boxes coloured by status.
pub fn dot(t: &Trace) -> String {
    let mut s = String::from(
        "digraph trace {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n",
    );
    s.push_str("  client [label=\"client\", shape=ellipse, fillcolor=\"#eeeeee\"];\n");
    let mut prev = "client".to_string();
    for h in &t.hops {
        let (_, color) = style(h.status);
        let id = h.hop.replace('-', "_");
        s.push_str(&format!(
            "  {id} [label=\"{} {}\\n{}\", fillcolor=\"{color}\"];\n",
            mark(h.status),
            h.hop,
            dot_escape(&h.reason)
        ));
        s.push_str(&format!("  {prev} -> {id};\n"));
        prev = id;
    }
    s.push_str("}\n");
    s
}

fn mermaid_escape(s: &str) -> String {
    escape(s).replace('"', "#quot;")
}

/// Mermaid flowchart.
pub fn mermaid(t: &Trace) -> String {
    let mut s = String::from("flowchart LR\n  client([client])\n");
    let mut prev = "client".to_string();
    for h in &t.hops {
        let id = h.hop.replace('-', "_");
        s.push_str(&format!(
            "  {id}[\"{} {}: {}\"]\n  {prev} --> {id}\n",
            mark(h.status),
            h.hop,
            mermaid_escape(&h.reason)
        ));
        let (class, _) = style(h.status);
        s.push_str(&format!("  class {id} {class}\n"));
        prev = id;
    }
    for status in [Status::Ok, Status::Warn, Status::Fail] {
        let (class, fill) = style(status);
        s.push_str(&format!("  classDef {class} fill:{fill}\n"));
    }
    s
}
