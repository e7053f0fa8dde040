//! What a template reads of its data, so that a long list is decoded only as far as that: the
//! paths of fields from the data's root, as [`crate::projection::Projection`] takes them
//! (`[]` is the whole data). Where a template can reach data in ways not followed here
//! (variables, `define`d templates, chains), the answer is the whole data.
//!
//! A `range` over the top-level `.items` (the List cols hands the template) projects each item
//! to the fields its body reads; any other `range` keeps the value it ranges over whole (it may
//! be a map, whose keys a projection cannot name ahead of time).

use std::collections::HashMap;

use super::node::{Arg, ListNode, Node, PipeNode, grow};
use super::parse;

/// Where `.` points while walking.
#[derive(Clone)]
enum Dot {
    /// At this path from the root.
    At(Vec<String>),
    /// Inside a value already kept whole.
    Covered,
}

/// The paths the template's main tree reads; `[[]]` when it may read anything.
pub(crate) fn fields(trees: &HashMap<String, ListNode>) -> Vec<Vec<String>> {
    let everything = vec![vec![]];
    let (Some(main), 1) = (trees.get(parse::NAME), trees.len()) else { return everything };
    let mut out = vec![];
    match list(main, &Dot::At(vec![]), &mut out) {
        Some(()) => out,
        None => everything,
    }
}

fn list(l: &ListNode, dot: &Dot, out: &mut Vec<Vec<String>>) -> Option<()> {
    // Templates nest as deep as their text: the stack grows as the parser's does.
    grow(|| nodes(l, dot, out))
}

fn nodes(l: &ListNode, dot: &Dot, out: &mut Vec<Vec<String>>) -> Option<()> {
    for node in &l.nodes {
        match node {
            Node::Text { .. } | Node::Break { .. } | Node::Continue { .. } => {}
            Node::Action { pipe, .. } => pipe_reads(pipe, dot, out)?,
            Node::If(b) => {
                pipe_reads(&b.pipe, dot, out)?;
                list(&b.list, dot, out)?;
                if let Some(e) = &b.else_list {
                    list(e, dot, out)?;
                }
            }
            Node::With(b) => {
                pipe_reads(&b.pipe, dot, out)?;
                let inner = match (plain_field(&b.pipe), dot) {
                    (Some(ident), Dot::At(p)) => Dot::At(p.iter().chain(ident).cloned().collect()),
                    _ => Dot::Covered,
                };
                list(&b.list, &inner, out)?;
                if let Some(e) = &b.else_list {
                    list(e, dot, out)?;
                }
            }
            Node::Range(b) => {
                match (plain_field(&b.pipe), dot) {
                    (Some(ident), Dot::At(p)) if p.is_empty() && ident == ["items"] => {
                        let mut body = vec![];
                        list(&b.list, &Dot::At(vec!["items".into()]), &mut body)?;
                        // Each item must still be there to be counted.
                        if body.is_empty() {
                            body.push(vec!["items".into()]);
                        }
                        out.extend(body);
                    }
                    _ => {
                        pipe_reads(&b.pipe, dot, out)?;
                        list(&b.list, &Dot::Covered, out)?;
                    }
                }
                if let Some(e) = &b.else_list {
                    list(e, dot, out)?;
                }
            }
            Node::Template { .. } => return None,
        }
    }
    Some(())
}

/// The field a pipeline is, when it is one field and nothing else (`.spec.ports`).
fn plain_field(p: &PipeNode) -> Option<&[String]> {
    match (p.decl.as_slice(), p.cmds.as_slice()) {
        ([], [cmd]) => match cmd.args.as_slice() {
            [Arg::Field { ident, .. }] => Some(ident),
            _ => None,
        },
        _ => None,
    }
}

fn pipe_reads(p: &PipeNode, dot: &Dot, out: &mut Vec<Vec<String>>) -> Option<()> {
    if !p.decl.is_empty() {
        return None;
    }
    for cmd in &p.cmds {
        for a in &cmd.args {
            arg(a, dot, out)?;
        }
    }
    Some(())
}

fn arg(a: &Arg, dot: &Dot, out: &mut Vec<Vec<String>>) -> Option<()> {
    match a {
        Arg::Field { ident, .. } => {
            if let Dot::At(p) = dot {
                out.push(p.iter().chain(ident).cloned().collect());
            }
        }
        Arg::Dot { .. } => {
            if let Dot::At(p) = dot {
                out.push(p.clone());
            }
        }
        // `$` is the data itself; other variables are not followed.
        Arg::Variable(v) => match v.ident.split_first() {
            Some((name, fields)) if name == "$" => out.push(fields.to_vec()),
            _ => return None,
        },
        Arg::Pipe(p) => grow(|| pipe_reads(p, dot, out))?,
        Arg::Chain { .. } => return None,
        Arg::Identifier { .. } | Arg::Nil { .. } | Arg::Bool { .. } | Arg::Number(_) | Arg::String { .. } => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::Template;

    fn fields(t: &str) -> Vec<String> {
        let mut f: Vec<String> = Template::parse(t).expect("parses").fields().iter().map(|p| p.join(".")).collect();
        f.sort();
        f
    }

    #[test]
    fn a_range_over_items_reads_what_its_body_reads() {
        assert_eq!(
            fields(r#"{{range .items}}{{.metadata.name}}{{"\t"}}{{.status.podIP}}{{"\n"}}{{end}}"#),
            ["items.metadata.name", "items.status.podIP"]
        );
        assert_eq!(fields("{{range .items}}x{{end}}"), ["items"]);
        assert_eq!(fields("{{range .items}}{{.}}{{end}}"), ["items"]);
        assert_eq!(fields("{{range .items}}{{$.kind}}{{else}}{{.kind}}{{end}}"), ["kind", "kind"]);
        assert_eq!(fields("{{with .spec}}{{.nodeName}}{{end}}"), ["spec", "spec.nodeName"]);
        assert_eq!(fields("{{index .spec.ports 0}}"), ["spec.ports"]);
        assert_eq!(fields("{{.data.password | base64decode}}"), ["data.password"]);
    }

    /// Nesting as deep as the parser takes does not overflow the stack.
    #[test]
    fn deep_nesting_is_walked() {
        let depth = 20_000;
        let t = format!("{}{{{{.a}}}}{}", "{{if .x}}".repeat(depth), "{{end}}".repeat(depth));
        assert_eq!(fields(&t).len(), depth + 1);
        // Parentheses stop at Go's expression depth limit, below that.
        let t = format!("{{{{{}.a{}}}}}", "(print ".repeat(5_000), ")".repeat(5_000));
        assert_eq!(fields(&t), ["a"]);
    }

    #[test]
    fn other_ranges_keep_their_value_and_what_cannot_be_followed_is_everything() {
        // A map's values: the map is kept whole.
        assert_eq!(fields("{{range .data}}{{.x}}{{end}}"), ["data"]);
        assert_eq!(
            fields("{{range .items}}{{range .spec.containers}}{{.image}}{{end}}{{end}}"),
            ["items.spec.containers"]
        );
        for t in [
            "{{.}}",
            "{{$x := .a}}{{$x}}",
            "{{range $i, $e := .items}}{{$e.metadata.name}}{{end}}",
            r#"{{define "t"}}{{.a}}{{end}}{{template "t" .}}"#,
            "{{$}}",
            // A field of a pipeline's result is a chain: not followed.
            "{{(index .spec.ports 0).nodePort}}",
        ] {
            assert_eq!(fields(t), [""], "{t}");
        }
    }
}
