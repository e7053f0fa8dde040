//! `--sort-by`: the field as typed (relaxed for objects, as typed for tables), each object's key,
//! and Go's pdqsort driven by kubectl's comparison, which is not a strict order. Never a panic,
//! and a sort that succeeds keeps every element.
#![no_main]

use kubectl_kit_core::printers::sorting::{self, SortField, SortKey};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (field, values) = text.split_once('\n').unwrap_or((text, ""));
    // Objects whose field values are the lines below the field: strings (quantities among
    // them), numbers, or missing.
    let objects: Vec<_> = values
        .split('\n')
        .take(64)
        .enumerate()
        .map(|(i, v)| match (v.parse::<i64>(), v.parse::<f64>()) {
            _ if v == "-" => json!({"metadata": {"name": format!("o{i}")}}),
            (Ok(n), _) => json!({"metadata": {"name": format!("o{i}")}, "spec": {"v": n}}),
            (_, Ok(f)) if f.is_finite() => json!({"metadata": {"name": format!("o{i}")}, "spec": {"v": f}}),
            _ => json!({"metadata": {"name": format!("o{i}")}, "spec": {"v": v}}),
        })
        .collect();
    for sorter in [SortField::for_objects(field), SortField::for_table(field), SortField::for_objects(".spec.v")] {
        let Ok(sorter) = sorter else { continue };
        let Ok(keys) = objects.iter().map(|o| sorter.key(o)).collect::<Result<Vec<SortKey>, _>>() else { continue };
        let _ = sorter.check_found(&keys);
        let mut keyed: Vec<(SortKey, usize)> = keys.into_iter().zip(0..).collect();
        if sorting::sort(&mut keyed).is_ok() {
            let mut seen: Vec<usize> = keyed.iter().map(|(_, i)| *i).collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..objects.len()).collect::<Vec<_>>(), "an element was lost or doubled");
        }
    }
});
