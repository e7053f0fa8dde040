//! `--sort-by` as kubectl sorts (`k8s.io/kubectl/pkg/cmd/get/sorter.go`): each object's key is
//! the first value its JSONPath yields; kubectl's `isLess` compares two keys; Go's `sort.Sort`
//! (pattern-defeating quicksort) orders the list.
//!
//! The comparison is not a strict order (a missing key is less than everything, another missing
//! key included), so which of two equal keys comes first depends on the algorithm: Go's is
//! followed step for step, so ties come out as kubectl prints them.

use std::cmp::Ordering;

use serde_json::Value;

use super::columns::{SpecError, relaxed};
use crate::jsonpath::{Template, Val, text};
use crate::quantity::Quantity;

/// A compiled `--sort-by` field.
#[derive(Debug, Clone)]
pub struct SortField {
    /// The relaxed expression (`{.metadata.name}`), as kubectl quotes it in errors.
    pub field: String,
    template: Template,
}

/// One object's key: the first value of the field, as kubectl's `isLess` sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// The field yielded nothing.
    Missing,
    /// A value of the document (a Go `interface{}`): null, numbers, strings; others by type name.
    Nil,
    Int(i64),
    Float(f64),
    Str(String),
    /// A value of a type kubectl cannot sort (`bool`, maps, lists): its Go type.
    Unsortable(&'static str),
    /// A value made by the template (a quoted string, a literal, a byte): compared by kind.
    Literal(Literal),
}

/// Template literals keep their own Go kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Uint(u64),
    Float(f64),
    Other(&'static str),
}

impl SortField {
    /// kubectl's `SortObjects`: the field relaxed (`metadata.name` → `{.metadata.name}`), then
    /// parsed, missing keys allowed.
    pub fn for_objects(field: &str) -> Result<Self, SpecError> {
        let relaxed = relaxed(field)?;
        Self::compile(relaxed)
    }

    /// kubectl's table sorter (the default view): a field that does not relax is used as it is.
    pub fn for_table(field: &str) -> Result<Self, SpecError> {
        let relaxed = relaxed(field).unwrap_or_else(|_| field.to_string());
        Self::compile(relaxed).map_err(|e| SpecError(format!("sorting error: {}", e.0)))
    }

    fn compile(field: String) -> Result<Self, SpecError> {
        let template = Template::parse(&field).map_err(|e| SpecError(e.0))?.allow_missing_keys(true);
        Ok(SortField { field, template })
    }

    /// The template, for projections.
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// An object's key. kubectl parses the field afresh for each comparison, so each key is
    /// evaluated on a fresh template.
    pub fn key(&self, obj: &Value) -> Result<SortKey, String> {
        let fresh = self.template.clone();
        let sets = fresh.find_results(obj).map_err(|e| e.0)?;
        let Some(v) = sets.first().and_then(|s| s.first()) else { return Ok(SortKey::Missing) };
        Ok(match v {
            Val::Doc(Value::Null) => SortKey::Nil,
            Val::Doc(Value::Number(n)) => match text::as_int64(n) {
                Some(i) => SortKey::Int(i),
                None => SortKey::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Val::Doc(Value::String(s)) => SortKey::Str(s.clone()),
            Val::Doc(Value::Bool(_)) => SortKey::Unsortable("bool"),
            Val::Doc(Value::Object(_)) => SortKey::Unsortable("map[string]interface {}"),
            Val::Doc(Value::Array(_)) => SortKey::Unsortable("[]interface {}"),
            Val::Text(s) => SortKey::Literal(Literal::Str((*s).to_string())),
            Val::Int(i) => SortKey::Literal(Literal::Int(*i)),
            Val::Byte(b) => SortKey::Literal(Literal::Uint(u64::from(*b))),
            Val::Float(f) => SortKey::Literal(Literal::Float(*f)),
            Val::Bool(_) => SortKey::Literal(Literal::Other("bool")),
            Val::Invalid => SortKey::Literal(Literal::Other("invalid")),
        })
    }

    /// kubectl's check before sorting a list: some object must have the field.
    pub fn check_found(&self, keys: &[SortKey]) -> Result<(), String> {
        if !keys.is_empty() && keys.iter().all(|k| *k == SortKey::Missing) {
            return Err(format!("couldn't find any field with path \"{}\" in the list of objects", self.field));
        }
        Ok(())
    }
}

/// kubectl's `Less` on two keys: a missing key first, then `isLess`.
pub fn less(a: &SortKey, b: &SortKey) -> Result<bool, String> {
    use SortKey::*;
    if *a == Missing {
        return Ok(true);
    }
    if *b == Missing {
        return Ok(false);
    }
    let mismatch = || Err("unsortable interface: interface".to_string());
    match (a, b) {
        (Literal(x), Literal(y)) => literal_less(x, y),
        (Literal(_), _) | (_, Literal(_)) => mismatch(),
        (Nil, Nil) => Ok(false),
        (Nil, _) => Ok(true),
        (_, Nil) => Ok(false),
        (Unsortable(t), _) => Err(format!("unsortable type: {t}")),
        (Int(x), Int(y)) => Ok(x < y),
        (Float(x), Float(y)) => Ok(x < y),
        (Str(x), Str(y)) => Ok(match (Quantity::parse(x), Quantity::parse(y)) {
            (Some(p), Some(q)) => p.cmp(&q) == Ordering::Less,
            _ => x < y,
        }),
        _ => mismatch(),
    }
}

fn literal_less(a: &Literal, b: &Literal) -> Result<bool, String> {
    match (a, b) {
        (Literal::Str(x), Literal::Str(y)) => Ok(x < y),
        (Literal::Int(x), Literal::Int(y)) => Ok(x < y),
        (Literal::Uint(x), Literal::Uint(y)) => Ok(x < y),
        (Literal::Float(x), Literal::Float(y)) => Ok(x < y),
        (Literal::Other(t), _) => Err(format!("unsortable type: {t}")),
        _ => Err("unsortable interface: interface".into()),
    }
}

/// kubectl's fatal message for an unsortable field (it exits with status 1).
pub fn unsortable(field: &str, why: &str) -> String {
    format!("Field {field} in *unstructured.Unstructured is an unsortable type: interface, err: {why}")
}

/// Sorts `items` by their keys as Go's `sort.Sort` orders them with kubectl's `Less`; the
/// first failing comparison is the error (kubectl exits there).
pub fn sort<T>(items: &mut [(SortKey, T)]) -> Result<(), String> {
    let mut data = Data { items, failure: None };
    let n = data.items.len();
    if n > 1 {
        let limit = usize::BITS - n.leading_zeros();
        pdqsort(&mut data, 0, n, limit as usize);
    }
    match data.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Go's `sort.Interface` over the keyed items; a failed comparison is remembered and answers
/// false from then on.
struct Data<'a, T> {
    items: &'a mut [(SortKey, T)],
    failure: Option<String>,
}

impl<T> Data<'_, T> {
    fn less(&mut self, i: usize, j: usize) -> bool {
        if self.failure.is_some() {
            return false;
        }
        // Go's pdqsort only compares indexes inside the slice; were one outside, the answer
        // would be "not less" rather than a panic.
        let (Some((a, _)), Some((b, _))) = (self.items.get(i), self.items.get(j)) else { return false };
        match less(a, b) {
            Ok(v) => v,
            Err(e) => {
                self.failure = Some(e);
                false
            }
        }
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.items.swap(i, j);
    }
}

// What follows is Go's pdqsort (sort/zsortinterface.go) expressed over `Data`, so that
// elements that compare equal end up where kubectl puts them.

fn insertion_sort<T>(data: &mut Data<'_, T>, a: usize, b: usize) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && data.less(j, j - 1) {
            data.swap(j, j - 1);
            j -= 1;
        }
    }
}

fn sift_down<T>(data: &mut Data<'_, T>, lo: usize, hi: usize, first: usize) {
    let mut root = lo;
    loop {
        let mut child = 2 * root + 1;
        if child >= hi {
            return;
        }
        if child + 1 < hi && data.less(first + child, first + child + 1) {
            child += 1;
        }
        if !data.less(first + root, first + child) {
            return;
        }
        data.swap(first + root, first + child);
        root = child;
    }
}

fn heap_sort<T>(data: &mut Data<'_, T>, a: usize, b: usize) {
    let first = a;
    let hi = b - a;
    for i in (0..=(hi.saturating_sub(1)) / 2).rev() {
        sift_down(data, i, hi, first);
    }
    for i in (0..hi).rev() {
        data.swap(first, first + i);
        sift_down(data, 0, i, first);
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

fn pdqsort<T>(data: &mut Data<'_, T>, mut a: usize, mut b: usize, mut limit: usize) {
    const MAX_INSERTION: usize = 12;
    let mut was_balanced = true;
    let mut was_partitioned = true;
    loop {
        let length = b - a;
        if length <= MAX_INSERTION {
            insertion_sort(data, a, b);
            return;
        }
        if limit == 0 {
            heap_sort(data, a, b);
            return;
        }
        if !was_balanced {
            break_patterns(data, a, b);
            limit -= 1;
        }
        let (mut pivot, mut hint) = choose_pivot(data, a, b);
        if hint == Hint::Decreasing {
            reverse_range(data, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = Hint::Increasing;
        }
        if was_balanced && was_partitioned && hint == Hint::Increasing && partial_insertion_sort(data, a, b) {
            return;
        }
        if a > 0 && !data.less(a - 1, pivot) {
            a = partition_equal(data, a, b, pivot);
            continue;
        }
        let (mid, already) = partition(data, a, b, pivot);
        was_partitioned = already;
        let (left, right) = (mid - a, b - mid);
        let balance_threshold = length / 8;
        if left < right {
            was_balanced = left >= balance_threshold;
            pdqsort(data, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right >= balance_threshold;
            pdqsort(data, mid + 1, b, limit);
            b = mid;
        }
    }
}

fn partition<T>(data: &mut Data<'_, T>, a: usize, b: usize, pivot: usize) -> (usize, bool) {
    data.swap(a, pivot);
    // i and j are inclusive; j may step below a+1, so they are signed.
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    while i <= j && data.less(i as usize, a) {
        i += 1;
    }
    while i <= j && !data.less(j as usize, a) {
        j -= 1;
    }
    if i > j {
        data.swap(j as usize, a);
        return (j as usize, true);
    }
    data.swap(i as usize, j as usize);
    i += 1;
    j -= 1;
    loop {
        while i <= j && data.less(i as usize, a) {
            i += 1;
        }
        while i <= j && !data.less(j as usize, a) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    data.swap(j as usize, a);
    (j as usize, false)
}

fn partition_equal<T>(data: &mut Data<'_, T>, a: usize, b: usize, pivot: usize) -> usize {
    data.swap(a, pivot);
    let (mut i, mut j) = (a as isize + 1, b as isize - 1);
    loop {
        while i <= j && !data.less(a, i as usize) {
            i += 1;
        }
        while i <= j && data.less(a, j as usize) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
    }
    i as usize
}

fn partial_insertion_sort<T>(data: &mut Data<'_, T>, a: usize, b: usize) -> bool {
    const MAX_STEPS: usize = 5;
    const SHORTEST_SHIFTING: usize = 50;
    let mut i = a + 1;
    for _ in 0..MAX_STEPS {
        while i < b && !data.less(i, i - 1) {
            i += 1;
        }
        if i == b {
            return true;
        }
        if b - a < SHORTEST_SHIFTING {
            return false;
        }
        data.swap(i, i - 1);
        if i - a >= 2 {
            // Go shifts down to index 1 of the whole data, not of the range.
            let mut j = i - 1;
            while j >= 1 {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j -= 1;
            }
        }
        if b - i >= 2 {
            let mut j = i + 1;
            while j < b {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j += 1;
            }
        }
    }
    false
}

fn break_patterns<T>(data: &mut Data<'_, T>, a: usize, b: usize) {
    let length = b - a;
    if length >= 8 {
        let mut random = length as u64;
        let modulus = 1u64 << (usize::BITS - length.leading_zeros());
        let mut next = || {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            random
        };
        for idx in a + (length / 4) * 2 - 1..=a + (length / 4) * 2 + 1 {
            let mut other = (next() & (modulus - 1)) as usize;
            if other >= length {
                other -= length;
            }
            data.swap(idx, a + other);
        }
    }
}

fn choose_pivot<T>(data: &mut Data<'_, T>, a: usize, b: usize) -> (usize, Hint) {
    const SHORTEST_NINTHER: usize = 50;
    const MAX_SWAPS: usize = 4 * 3;
    let l = b - a;
    let mut swaps = 0;
    let mut i = a + l / 4;
    let mut j = a + l / 4 * 2;
    let mut k = a + l / 4 * 3;
    if l >= 8 {
        if l >= SHORTEST_NINTHER {
            i = median_adjacent(data, i, &mut swaps);
            j = median_adjacent(data, j, &mut swaps);
            k = median_adjacent(data, k, &mut swaps);
        }
        j = median(data, i, j, k, &mut swaps);
    }
    match swaps {
        0 => (j, Hint::Increasing),
        MAX_SWAPS => (j, Hint::Decreasing),
        _ => (j, Hint::Unknown),
    }
}

fn order2<T>(data: &mut Data<'_, T>, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
    if data.less(b, a) {
        *swaps += 1;
        return (b, a);
    }
    (a, b)
}

fn median<T>(data: &mut Data<'_, T>, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
    let (a, b) = order2(data, a, b, swaps);
    let (b, c) = order2(data, b, c, swaps);
    let (_, b) = order2(data, a, b, swaps);
    let _ = c;
    b
}

fn median_adjacent<T>(data: &mut Data<'_, T>, a: usize, swaps: &mut usize) -> usize {
    median(data, a - 1, a, a + 1, swaps)
}

fn reverse_range<T>(data: &mut Data<'_, T>, a: usize, b: usize) {
    let (mut i, mut j) = (a, b - 1);
    while i < j {
        data.swap(i, j);
        i += 1;
        j -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SortKey::*;

    #[test]
    fn keys_compare_as_kubectl_compares_them() {
        assert_eq!(less(&Str("100m".into()), &Str("1".into())), Ok(true));
        assert_eq!(less(&Str("10".into()), &Str("9".into())), Ok(false));
        assert_eq!(less(&Str("pod-45rhk".into()), &Str("pod-7qjkz".into())), Ok(true), "byte order");
        assert_eq!(less(&Missing, &Missing), Ok(true), "a missing key is less than anything");
        assert_eq!(less(&Nil, &Int(1)), Ok(true));
        assert_eq!(less(&Int(1), &Float(2.0)), Err("unsortable interface: interface".into()));
        assert_eq!(less(&Unsortable("bool"), &Int(1)), Err("unsortable type: bool".into()));
    }

    #[test]
    fn ties_land_where_go_puts_them() {
        // Up to 12 elements Go sorts by insertion: a missing key moves before everything.
        let mut small: Vec<(SortKey, &str)> = vec![(Missing, "m1"), (Int(2), "a2"), (Missing, "m2"), (Int(1), "b1")];
        sort(&mut small).unwrap();
        let order: Vec<&str> = small.iter().map(|(_, s)| *s).collect();
        assert_eq!(order, ["m2", "m1", "b1", "a2"]);
        // Larger lists go through pdqsort; the result is sorted and every element kept.
        let mut big: Vec<(SortKey, usize)> = (0..200).map(|i| (Int((i * 7919 % 101) as i64), i)).collect();
        sort(&mut big).unwrap();
        assert!(big.windows(2).all(|w| less(&w[1].0, &w[0].0) == Ok(false)));
        let mut seen: Vec<usize> = big.iter().map(|(_, i)| *i).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn fields_relax_and_must_be_found() {
        let f = SortField::for_objects("metadata.name").unwrap();
        assert_eq!(f.field, "{.metadata.name}");
        assert_eq!(f.key(&serde_json::json!({"metadata": {"name": "a"}})), Ok(Str("a".into())));
        assert_eq!(
            f.check_found(&[Missing]).unwrap_err(),
            "couldn't find any field with path \"{.metadata.name}\" in the list of objects"
        );
        assert!(SortField::for_objects("{.a}{.b}").is_err());
        assert_eq!(SortField::for_table("{.a}{.b}").unwrap().field, "{.a}{.b}");
    }
}
