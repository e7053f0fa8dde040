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

/// The second line of the tree: the Service, or for a trace that starts before it, the way in
/// (`https://shop.example.com/api → Ingress shop/web → Service shop/api (ClusterIP)`).
fn subject(t: &Trace) -> String {
    let service = format!("{} ({})", t.service, t.kind);
    let Some(e) = &t.entry else {
        return service;
    };
    let mut parts: Vec<String> = e.url.iter().cloned().collect();
    if let (Some(k), Some(n)) = (&e.kind, &e.name) {
        parts.push(format!("{k} {n}"));
    }
    parts.push(if e.traced { format!("Service {service}") } else { "no Service".into() });
    parts.join(" → ")
}

/// The readable tree.
pub fn tree(t: &Trace) -> String {
    let mut s = format!("{} {}\n{}\n", mark(t.status), escape(&t.verdict), escape(&subject(t)));
    for (i, h) in t.hops.iter().enumerate() {
        let last = i + 1 == t.hops.len();
        let (branch, pipe) = if last { ("└─", "   ") } else { ("├─", "│  ") };
        s.push_str(&format!("{branch} {} {:<15} {}\n", mark(h.status), h.hop, escape(&h.reason)));
        // A hop before the Service: its cause, evidence and next command, as a pods cause reads.
        if let Some(f) = &h.finding {
            s.push_str(&format!("{pipe}     cause: {}\n", escape(&f.cause)));
            for e in &f.evidence {
                s.push_str(&format!("{pipe}       {}\n", escape(e)));
            }
            s.push_str(&format!("{pipe}       next: {}\n", escape(&f.command)));
        }
        for d in &h.details {
            s.push_str(&format!("{pipe}     {}\n", escape(d)));
        }
        // A cause's `next:` already says the pods hop's fix.
        if let Some(f) = h
            .fix
            .as_ref()
            .filter(|f| !h.details.iter().any(|d| d.trim_start().strip_prefix("next: ") == Some(f.as_str())))
        {
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

/// The colour of an edge into something with this status.
fn edge_colour(s: Status) -> &'static str {
    match s {
        Status::Ok => "#2e7d32",
        Status::Warn => "#b58900",
        Status::Fail => "#c62828",
    }
}

/// One box of a picture: an id, the lines of its label, its status (`None`: neutral).
struct Box_ {
    id: String,
    lines: Vec<String>,
    status: Option<Status>,
    /// Drawn as an ellipse (the client) or a note (hops beside the path).
    shape: Shape,
}

impl Box_ {
    /// A box of the path: its mark and title, then its detail when there is one.
    fn marked(id: String, status: Status, title: &str, detail: &str) -> Self {
        let mut lines = vec![format!("{} {title}", mark(status))];
        if !detail.is_empty() {
            lines.push(detail.to_string());
        }
        Box_ { id, lines, status: Some(status), shape: Shape::Box }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Box,
    Ellipse,
    Note,
}

/// An edge: from, to, a label (a count), the status of what it leads to, dashed.
struct Edge {
    from: String,
    to: String,
    label: String,
    status: Status,
    dashed: bool,
}

/// Boxes in groups (drawn as clusters / subgraphs), and edges.
struct Picture {
    title: String,
    loose: Vec<Box_>,
    groups: Vec<(String, String, Vec<Box_>)>,
    edges: Vec<Edge>,
}

fn hop_status(t: &Trace, name: &str) -> Option<Status> {
    t.hops.iter().find(|h| h.hop == name).map(|h| h.status)
}

/// The topology as boxes and edges: client → Service → ports → EndpointSlices → pod groups →
/// nodes, with the hops that are beside the path (traffic policies, NetworkPolicies, Ingresses,
/// a selector that selects nothing) as notes on the Service.
fn picture(t: &Trace) -> Picture {
    let topo = &t.topology;
    let dns = t.hops.iter().find(|h| h.hop == "dns");
    let svc_status =
        [hop_status(t, "service"), hop_status(t, "selector")].into_iter().flatten().max().unwrap_or_default();
    let mut p =
        Picture { title: format!("{} {}", mark(t.status), t.verdict), loose: vec![], groups: vec![], edges: vec![] };
    p.loose.push(Box_ { id: "client".into(), lines: vec!["client".into()], status: None, shape: Shape::Ellipse });
    let traced = t.entry.as_ref().is_none_or(|e| e.traced);
    if traced {
        let svc_detail = t.hops.iter().find(|h| h.hop == "service").map(|h| h.reason.clone()).unwrap_or_default();
        p.loose.push(Box_ {
            id: "service".into(),
            lines: vec![format!("{} Service {}", mark(svc_status), t.service), svc_detail],
            status: Some(svc_status),
            shape: Shape::Box,
        });
    }
    match &t.entry {
        Some(e) => entry_picture(&mut p, e, t),
        None => p.edges.push(Edge {
            from: "client".into(),
            to: "service".into(),
            label: dns.map(|h| h.reason.split(' ').next().unwrap_or_default().to_string()).unwrap_or_default(),
            status: dns.map(|h| h.status).unwrap_or_default(),
            dashed: false,
        }),
    }
    for h in t.hops.iter().filter(|h| {
        matches!(h.hop, "traffic-policy" | "network-policy" | "ingress")
            || (h.hop == "selector" && h.status == Status::Fail)
    }) {
        let id = format!("note_{}", h.hop.replace('-', "_"));
        p.loose.push(Box_ {
            id: id.clone(),
            lines: vec![format!("{} {}", mark(h.status), h.hop), h.reason.clone()],
            status: Some(h.status),
            shape: Shape::Note,
        });
        p.edges.push(Edge { from: id, to: "service".into(), label: String::new(), status: h.status, dashed: true });
    }
    let ports: Vec<Box_> =
        topo.ports.iter().enumerate().map(|(i, (label, s))| Box_::marked(format!("port{i}"), *s, label, "")).collect();
    for b in &ports {
        p.edges.push(Edge {
            from: "service".into(),
            to: b.id.clone(),
            label: String::new(),
            status: b.status.unwrap_or_default(),
            dashed: false,
        });
    }
    if !ports.is_empty() {
        p.groups.push(("ports".into(), "Service ports".into(), ports));
    }
    let slices: Vec<Box_> = topo
        .slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut counts = vec![format!("{} ready", s.ready)];
            if s.not_ready > 0 {
                counts.push(format!("{} not ready", s.not_ready));
            }
            if s.terminating > 0 {
                counts.push(format!("{} terminating", s.terminating));
            }
            Box_::marked(format!("slice{i}"), s.status, &s.name, &counts.join(", "))
        })
        .collect();
    for (i, s) in topo.slices.iter().enumerate() {
        for port in &s.ports {
            p.edges.push(Edge {
                from: format!("port{port}"),
                to: format!("slice{i}"),
                label: String::new(),
                status: s.status,
                dashed: false,
            });
        }
    }
    if !slices.is_empty() {
        p.groups.push(("slices".into(), "EndpointSlices".into(), slices));
    } else if !topo.ports.is_empty() && t.hops.iter().any(|h| h.hop == "endpoints") {
        p.loose.push(Box_ {
            id: "no_slices".into(),
            lines: vec!["✗ no EndpointSlice".into()],
            status: Some(Status::Fail),
            shape: Shape::Box,
        });
        for i in 0..topo.ports.len() {
            p.edges.push(Edge {
                from: format!("port{i}"),
                to: "no_slices".into(),
                label: String::new(),
                status: Status::Fail,
                dashed: false,
            });
        }
    }
    let groups: Vec<Box_> = topo
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| Box_::marked(format!("pods{i}"), g.status, &g.label, &g.detail))
        .collect();
    for (i, g) in topo.groups.iter().enumerate() {
        for (slice, n) in &g.slices {
            p.edges.push(Edge {
                from: format!("slice{slice}"),
                to: format!("pods{i}"),
                label: n.to_string(),
                status: g.status,
                dashed: false,
            });
        }
        if g.unsliced > 0 {
            // Selected, but no endpoint: the Service selects them and cannot send them traffic.
            p.edges.push(Edge {
                from: "service".into(),
                to: format!("pods{i}"),
                label: format!("{} selected, no endpoint", g.unsliced),
                status: g.status,
                dashed: true,
            });
        }
        for (node, n) in &g.nodes {
            let status = topo.nodes.get(*node).map(|n| n.status).unwrap_or_default().max(g.status);
            p.edges.push(Edge {
                from: format!("pods{i}"),
                to: format!("node{node}"),
                label: n.to_string(),
                status,
                dashed: false,
            });
        }
    }
    if !groups.is_empty() {
        p.groups.push(("pods".into(), "pods".into(), groups));
    }
    let nodes: Vec<Box_> = topo
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| Box_::marked(format!("node{i}"), n.status, &n.name, &n.state))
        .collect();
    if !nodes.is_empty() {
        p.groups.push(("nodes".into(), "nodes".into(), nodes));
    }
    owners_and_dependents(t, &mut p);
    p
}

/// The workloads that own the pods (each linked to its groups of pods, with what blocks it
/// beside it) and what calls the Service (admission webhooks, APIServices).
fn owners_and_dependents(t: &Trace, p: &mut Picture) {
    let topo = &t.topology;
    let mut owners = vec![];
    for (i, o) in topo.owners.iter().enumerate() {
        let id = format!("owner{i}");
        owners.push(Box_::marked(id.clone(), o.status, &o.label, &o.detail));
        for (group, n) in &o.groups {
            p.edges.push(Edge {
                from: id.clone(),
                to: format!("pods{group}"),
                label: format!("owns {n}"),
                status: o.status,
                dashed: true,
            });
        }
        if o.groups.is_empty() {
            // A workload with no pod behind the Service: it is what the Service waits for.
            p.edges.push(Edge {
                from: id.clone(),
                to: "service".into(),
                label: "no pod".into(),
                status: o.status,
                dashed: true,
            });
        }
        for (k, (label, status)) in o.blockers.iter().enumerate() {
            let bid = format!("block{i}_{k}");
            p.loose.push(Box_ {
                id: bid.clone(),
                lines: vec![format!("{} {label}", mark(*status))],
                status: Some(*status),
                shape: Shape::Note,
            });
            p.edges.push(Edge { from: bid, to: id.clone(), label: "blocks".into(), status: *status, dashed: true });
        }
    }
    if !owners.is_empty() {
        p.groups.push(("owners".into(), "owners".into(), owners));
    }
    for (i, (label, detail, status)) in topo.dependents.iter().enumerate() {
        let id = format!("dependent{i}");
        p.loose.push(Box_ {
            id: id.clone(),
            lines: vec![format!("{} {label}", mark(*status)), detail.clone()],
            status: Some(*status),
            shape: Shape::Note,
        });
        p.edges.push(Edge { from: id, to: "service".into(), label: "calls".into(), status: *status, dashed: true });
    }
}

/// The way in, before the Service: client → the entry's boxes (Gateway or Ingress, then the
/// route's rule) → the Service traced, and the rule's other backends beside it with their
/// weights.
fn entry_picture(p: &mut Picture, e: &crate::model::Entry, t: &Trace) {
    let mut boxes: Vec<Box_> = e
        .chain
        .iter()
        .enumerate()
        .map(|(i, b)| Box_::marked(format!("entry{i}"), b.status, &b.title, &b.detail))
        .collect();
    if boxes.is_empty() {
        // Nothing matched: the URL, failing.
        let h = t.hops.first();
        let status = h.map(|h| h.status).unwrap_or_default();
        boxes.push(Box_::marked(
            "entry0".into(),
            status,
            e.url.as_deref().unwrap_or("entry"),
            &h.map(|h| h.reason.clone()).unwrap_or_default(),
        ));
    }
    let mut from = "client".to_string();
    let mut first_label = e.url.clone().unwrap_or_default();
    for b in &boxes {
        p.edges.push(Edge {
            from: from.clone(),
            to: b.id.clone(),
            label: std::mem::take(&mut first_label),
            status: b.status.unwrap_or_default(),
            dashed: false,
        });
        from = b.id.clone();
    }
    let weight = |w: Option<i32>| w.map(|w| format!("weight {w}")).unwrap_or_default();
    for (i, b) in e.backends.iter().enumerate() {
        if b.traced && e.traced {
            p.edges.push(Edge {
                from: from.clone(),
                to: "service".into(),
                label: weight(b.weight),
                status: b.status,
                dashed: false,
            });
            continue;
        }
        let id = format!("backend{i}");
        boxes.push(Box_::marked(
            id.clone(),
            b.status,
            &b.backend,
            if b.status == Status::Fail { "does not resolve" } else { "not traced" },
        ));
        p.edges.push(Edge { from: from.clone(), to: id, label: weight(b.weight), status: b.status, dashed: true });
    }
    p.groups.push(("entry".into(), "way in".into(), boxes));
}

fn dot_escape(s: &str) -> String {
    escape(s).replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_box(b: &Box_, indent: &str) -> String {
    let label = b.lines.iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n");
    let fill = b.status.map_or("#eeeeee", |s| style(s).1);
    let shape = match b.shape {
        Shape::Box => "",
        Shape::Ellipse => ", shape=ellipse",
        Shape::Note => ", shape=note",
    };
    let border = match b.status {
        Some(Status::Fail) => ", color=\"#c62828\", penwidth=2",
        _ => "",
    };
    format!("{indent}{} [label=\"{label}\", fillcolor=\"{fill}\"{shape}{border}];\n", b.id)
}

/// Graphviz: the Service's topology, failing parts in red.
pub fn dot(t: &Trace) -> String {
    let p = picture(t);
    let mut s = format!(
        "digraph trace {{\n  rankdir=LR;\n  graph [fontname=\"Helvetica\", labelloc=t, label=\"{}\"];\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        dot_escape(&p.title)
    );
    for b in &p.loose {
        s.push_str(&dot_box(b, "  "));
    }
    for (id, label, boxes) in &p.groups {
        s.push_str(&format!("  subgraph cluster_{id} {{\n    label=\"{}\";\n    style=dashed;\n", dot_escape(label)));
        for b in boxes {
            s.push_str(&dot_box(b, "    "));
        }
        s.push_str("  }\n");
    }
    for e in &p.edges {
        let mut attrs = vec![format!("color=\"{}\"", edge_colour(e.status))];
        if !e.label.is_empty() {
            attrs.push(format!("label=\"{}\"", dot_escape(&e.label)));
        }
        if e.dashed {
            attrs.push("style=dashed".into());
        }
        if e.status == Status::Fail {
            attrs.push("penwidth=2".into());
        }
        s.push_str(&format!("  {} -> {} [{}];\n", e.from, e.to, attrs.join(", ")));
    }
    s.push_str("}\n");
    s
}

fn mermaid_escape(s: &str) -> String {
    escape(s).replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

fn mermaid_box(b: &Box_, indent: &str) -> String {
    let label = b.lines.iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>");
    let mut s = match b.shape {
        Shape::Ellipse => format!("{indent}{}([\"{label}\"])\n", b.id),
        Shape::Note => format!("{indent}{}>\"{label}\"]\n", b.id),
        Shape::Box => format!("{indent}{}[\"{label}\"]\n", b.id),
    };
    if let Some(st) = b.status {
        s.push_str(&format!("{indent}class {} {}\n", b.id, style(st).0));
    }
    s
}

/// Mermaid flowchart of the same topology as [`dot`].
pub fn mermaid(t: &Trace) -> String {
    let p = picture(t);
    let mut s = format!("flowchart LR\n  %% {}\n", mermaid_escape(&p.title).replace('\n', " "));
    for b in &p.loose {
        s.push_str(&mermaid_box(b, "  "));
    }
    for (id, label, boxes) in &p.groups {
        s.push_str(&format!("  subgraph {id} [\"{}\"]\n", mermaid_escape(label)));
        for b in boxes {
            s.push_str(&mermaid_box(b, "    "));
        }
        s.push_str("  end\n");
    }
    for (i, e) in p.edges.iter().enumerate() {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        let label = if e.label.is_empty() { String::new() } else { format!("|\"{}\"|", mermaid_escape(&e.label)) };
        s.push_str(&format!("  {} {arrow}{label} {}\n", e.from, e.to));
        s.push_str(&format!("  linkStyle {i} stroke:{}\n", edge_colour(e.status)));
    }
    for status in [Status::Ok, Status::Warn, Status::Fail] {
        let (class, fill) = style(status);
        s.push_str(&format!("  classDef {class} fill:{fill}\n"));
    }
    s
}
