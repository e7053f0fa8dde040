//! Quantities (`100m`, `1.5Gi`, `2e3`), as `--sort-by` compares them and trace-svc sums them:
//! parsed or refused, never a panic; and the order they parse into is an order.
#![no_main]

use std::cmp::Ordering;

use kubectl_kit_core::quantity::{self, Quantity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let words: Vec<&str> = text.split('\n').take(3).collect();
    let parsed: Vec<Quantity> = words.iter().filter_map(|w| Quantity::parse(w)).collect();
    for w in &words {
        assert_eq!(quantity::value(w).is_some(), Quantity::parse(w).is_some(), "{w:?}");
    }
    for a in &parsed {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a:?} is not equal to itself");
        let _ = a.to_f64();
        for b in &parsed {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} and {b:?} disagree");
            for c in &parsed {
                if a <= b && b <= c {
                    assert!(a <= c, "{a:?} <= {b:?} <= {c:?} but not {a:?} <= {c:?}");
                }
            }
        }
    }
});
