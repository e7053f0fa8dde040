//! Selectors as the cluster hands them over (Service maps, `metav1.LabelSelector` with any
//! operator) against any labels, and detach's label planning over them. Never a panic, and a
//! plan that is returned does what it says.
#![no_main]

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubectl_detach::plan::{Sel, Selecting, labels_after, labels_to_remove, labels_to_restore};
use kubectl_kit_core::selector;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

type Labels = BTreeMap<String, String>;

fn sels(v: Option<&Value>) -> Vec<Selecting> {
    let mut out = vec![];
    for (i, s) in v.and_then(Value::as_array).into_iter().flatten().enumerate() {
        let sel = if let Ok(m) = serde_json::from_value::<Labels>(s.clone()) {
            Sel::Map(m)
        } else if let Ok(l) = serde_json::from_value::<LabelSelector>(s.clone()) {
            Sel::Label(l)
        } else {
            continue;
        };
        out.push(Selecting { what: format!("Service/s{i}"), sel });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Value>(data) else { return };
    let labels: Labels = doc.get("labels").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default();
    let leave = sels(doc.get("leave"));
    let keep = sels(doc.get("keep"));
    for s in leave.iter().chain(&keep) {
        let _ = s.sel.matches(&labels);
        let _ = s.sel.keys();
        let _ = s.sel.text();
        if let Sel::Label(l) = &s.sel {
            let _ = selector::to_string(l);
        }
    }
    if let Ok(removed) = labels_to_remove(&labels, &leave, &keep) {
        let after = labels_after(&labels, &removed);
        // The plan's promise: every left selector stops matching, every kept one still matches.
        assert!(leave.iter().all(|s| !s.sel.matches(&after)), "a left selector still matches");
        assert!(
            keep.iter().filter(|s| s.sel.matches(&labels)).all(|s| s.sel.matches(&after)),
            "a kept selector lost the pod"
        );
        let restored = labels_to_restore(&labels, &after);
        assert!(restored.keys().all(|k| removed.contains(k)), "reattach restores a label detach did not remove");
    }
});
