//! The Go values a template meets, as `reflect.Value`s would hold them: what kubectl's decoder
//! makes of JSON (`map[string]interface {}`, `[]interface {}`, `string`, `int64`, `float64`,
//! `bool`, nil), what template literals and functions make (`int`, `float64`, `complex128`,
//! `uint8` from indexing a string, strings of any bytes), and the interface-typed elements of
//! maps and slices, which Go reports as `interface {}` until something looks inside.

use std::rc::Rc;

use serde_json::{Map, Value};

/// 2^63: the float64 values in int64's range are those in [-2^63, 2^63).
pub(crate) const TWO_POW_63: f64 = (1u64 << 63) as f64;

/// The JSON `null` an interface element can point at.
pub(crate) static NULL: Value = Value::Null;

/// A Go string: any bytes, borrowed from the data or the template, or made by a function.
#[derive(Clone, Debug)]
pub(crate) enum Str<'a> {
    Borrowed(&'a [u8]),
    Owned(Rc<[u8]>),
}

impl Str<'_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Str::Borrowed(b) => b,
            Str::Owned(b) => b,
        }
    }
}

/// A `[]interface {}` window onto a JSON array: `len` elements from `off`, with Go's capacity;
/// elements between the array's end and the capacity are nil.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slice<'a> {
    pub(crate) items: &'a [Value],
    pub(crate) off: usize,
    pub(crate) len: usize,
    pub(crate) cap: usize,
}

impl<'a> Slice<'a> {
    /// A decoded JSON array: its capacity is what `append` grew it to.
    pub(crate) fn of(items: &'a [Value]) -> Self {
        Slice { items, off: 0, len: items.len(), cap: decoded_cap(items.len()) }
    }

    /// The element at `i < len`, as the interface it is.
    pub(crate) fn get(&self, i: usize) -> &'a Value {
        self.items.get(self.off + i).unwrap_or(&NULL)
    }
}

/// A value as a `reflect.Value` holds it.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    /// The zero `reflect.Value`: a missing key, nil data, a nil interface dug out.
    Invalid,
    /// An `interface {}` (a map or slice element) holding a JSON value; `null` is a nil one.
    Iface(&'a Value),
    Bool(bool),
    /// `int`: literals, `len`, range indexes.
    Int(i64),
    /// `int64`: integers from JSON.
    Int64(i64),
    /// `uint8`: a byte of a string.
    Uint8(u8),
    Float(f64),
    Complex(f64, f64),
    Str(Str<'a>),
    Map(&'a Map<String, Value>),
    Slice(Slice<'a>),
}

/// The concrete value of a JSON value, as kubectl's decoder makes it: integers are `int64`
/// (kubectl prints an object through JSON and reads it back, so a float with an integral value
/// in int64's range comes back as an integer too), other numbers `float64`.
pub(crate) fn concrete(v: &Value) -> Val<'_> {
    match v {
        Value::Null => Val::Invalid,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Val::Int64(i);
            }
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
                Val::Int64(f as i64)
            } else {
                Val::Float(f)
            }
        }
        Value::String(s) => Val::Str(Str::Borrowed(s.as_bytes())),
        Value::Array(a) => Val::Slice(Slice::of(a)),
        Value::Object(m) => Val::Map(m),
    }
}

/// Go's `reflect.Kind`, as far as these values go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Invalid,
    Interface,
    Bool,
    Int,
    Int64,
    Uint8,
    Float64,
    Complex128,
    String,
    Map,
    Slice,
}

impl<'a> Val<'a> {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Val::Invalid => Kind::Invalid,
            Val::Iface(_) => Kind::Interface,
            Val::Bool(_) => Kind::Bool,
            Val::Int(_) => Kind::Int,
            Val::Int64(_) => Kind::Int64,
            Val::Uint8(_) => Kind::Uint8,
            Val::Float(_) => Kind::Float64,
            Val::Complex(..) => Kind::Complex128,
            Val::Str(_) => Kind::String,
            Val::Map(_) => Kind::Map,
            Val::Slice(_) => Kind::Slice,
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        !matches!(self, Val::Invalid)
    }

    /// `reflect.Type.String()`; `None` for the zero Value, whose Type panics in Go.
    pub(crate) fn type_name(&self) -> Option<&'static str> {
        Some(match self {
            Val::Invalid => return None,
            Val::Iface(_) => "interface {}",
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Int64(_) => "int64",
            Val::Uint8(_) => "uint8",
            Val::Float(_) => "float64",
            Val::Complex(..) => "complex128",
            Val::Str(_) => "string",
            Val::Map(_) => "map[string]interface {}",
            Val::Slice(_) => "[]interface {}",
        })
    }

    /// `indirectInterface`: the value inside an interface, or the zero Value for a nil one.
    pub(crate) fn indirect_interface(self) -> Val<'a> {
        match self {
            Val::Iface(v) => concrete(v),
            other => other,
        }
    }

    /// `indirect`: the value at the end of interfaces, and whether that was a nil interface
    /// (then the interface itself is returned).
    pub(crate) fn indirect(self) -> (Val<'a>, bool) {
        match self {
            Val::Iface(Value::Null) => (self, true),
            Val::Iface(v) => (concrete(v), false),
            other => (other, false),
        }
    }

    /// `isTrue`: not the zero value of its type.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Val::Invalid => false,
            Val::Iface(v) => !v.is_null(),
            Val::Bool(b) => *b,
            Val::Int(i) | Val::Int64(i) => *i != 0,
            Val::Uint8(u) => *u != 0,
            Val::Float(f) => *f != 0.0,
            Val::Complex(re, im) => *re != 0.0 || *im != 0.0,
            Val::Str(s) => !s.bytes().is_empty(),
            Val::Map(m) => !m.is_empty(),
            Val::Slice(s) => s.len > 0,
        }
    }

    /// `reflect.Value.Len` of strings, maps and slices.
    pub(crate) fn len(&self) -> Option<usize> {
        match self {
            Val::Str(s) => Some(s.bytes().len()),
            Val::Map(m) => Some(m.len()),
            Val::Slice(s) => Some(s.len),
            _ => None,
        }
    }

    /// The integer of an integer kind (`reflect.Value.Int`, or `Uint` as int64).
    pub(crate) fn int_like(&self) -> Option<i64> {
        match self {
            Val::Int(i) | Val::Int64(i) => Some(*i),
            Val::Uint8(u) => Some(i64::from(*u)),
            _ => None,
        }
    }

    /// An owned string value.
    pub(crate) fn string(bytes: Vec<u8>) -> Val<'a> {
        Val::Str(Str::Owned(bytes.into()))
    }
}

/// A map's entries in Go's order (`fmtsort`: keys by `<`).
pub(crate) fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries
}

/// `runtime.roundupsize` for an allocation holding pointers (Go 1.26's size classes).
fn roundupsize(size: u64) -> u64 {
    const SIZE_CLASSES: [u64; 68] = [
        0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416,
        448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456,
        4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432,
        19072, 20480, 21760, 24576, 27264, 28672, 32768,
    ];
    const MALLOC_HEADER: u64 = 8;
    const MIN_SIZE_FOR_HEADER: u64 = 512;
    const PAGE: u64 = 8192;
    if size <= 32768 - MALLOC_HEADER {
        let req = if size > MIN_SIZE_FOR_HEADER { size + MALLOC_HEADER } else { size };
        let class = SIZE_CLASSES.iter().copied().find(|&c| c >= req).unwrap_or(req);
        return class - (req - size);
    }
    size.div_ceil(PAGE).saturating_mul(PAGE)
}

/// The capacity of a `[]interface {}` that `append` grew one element at a time to `len`
/// elements, as kubectl's JSON decoder builds arrays (`slice` may reach past the length).
pub(crate) fn decoded_cap(len: usize) -> usize {
    const ELEM: u64 = 16;
    let len = len as u64;
    let mut cap: u64 = 0;
    while cap < len {
        let new_len = cap + 1;
        let double = cap * 2;
        let mut new_cap = if new_len > double {
            new_len
        } else if cap < 256 {
            double
        } else {
            let mut c = cap;
            while c < new_len {
                c += (c + 3 * 256) >> 2;
            }
            c
        };
        new_cap = roundupsize(new_cap.saturating_mul(ELEM)) / ELEM;
        cap = new_cap;
    }
    usize::try_from(cap).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_have_the_capacity_go_gives_them() {
        let caps: Vec<usize> = (0..10).map(decoded_cap).collect();
        assert_eq!(caps, [0, 1, 2, 4, 4, 8, 8, 8, 8, 16]);
        assert_eq!(decoded_cap(33), 71);
    }
}
