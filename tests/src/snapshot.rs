//! Snapshots of trace-svc's text, taken on the test cluster: what changes from run to run
//! (namespaces, names the controllers make, addresses, ports, times, counts) filtered out, the
//! same way for every test file, into `tests/tests/snapshots/`.

/// Asserts the snapshot `name` of a trace in namespace `ns`, with `more` filters of the test's
/// own.
pub fn trace(name: &str, ns: &str, text: &str, more: impl FnOnce(&mut insta::Settings)) {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(&regex_escape(ns), "[ns]");
    s.add_filter(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uid]");
    s.add_filter(
        r"-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}([^a-z0-9]|$)",
        "-[hash]-[id]$1",
    );
    // The owners hop names ReplicaSets, whose pod-template hash follows the template (an image
    // named after the namespace, say).
    s.add_filter(r"(ReplicaSet \x22?|ReplicaSet/)([a-z0-9-]+)-[bcdfghjklmnpqrstvwxz2456789]{6,10}\b", "$1$2-[hash]");
    s.add_filter(r"\b(kit-test-[a-z]+)-[0-9]+\b", "$1-[n]");
    s.add_filter(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "[ip]");
    s.add_filter(r"(\[ip\]|localhost|127\.0\.0\.1):\d{4,5}\b", "$1:[port]");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[time]");
    s.add_filter(r"restarts: (up to )?\d+", "restarts: $1[n]");
    s.add_filter(r"×\d+", "×[n]");
    // The API server picks a free node port.
    s.add_filter(r"node port \d+", "node port [n]");
    s.add_filter(r"sandbox \\?\x22[0-9a-f]{64}\\?\x22", "sandbox \"[id]\"");
    // What controllers repair by themselves comes and goes (and is not a warning): the
    // EndpointSlice controller's lost races with its own cache, the ClusterIP repair loop's
    // allocation of a Service created while it ran. Not part of what a snapshot shows.
    s.add_filter(r"(?m)^│? *event (FailedToUpdateEndpointSlices|ClusterIPNotAllocated) [^\n]*\n", "");
    // How the API server failed to reach a webhook depends on the machine's network (a proxy
    // from its environment, a route to the ClusterIP or none).
    s.add_filter(r"the API server: failed to call webhook: [^\n]*", "the API server: failed to call webhook: [error]");
    more(&mut s);
    s.bind(|| insta::assert_snapshot!(name, text));
}

/// `s` as a regular expression that matches it literally.
pub fn regex_escape(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\{c}") }).collect()
}
