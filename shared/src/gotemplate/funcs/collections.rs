//! `index`, `slice` and `len`.

use crate::gotemplate::value::{Str, Val};

use super::R;

/// `indexArg`: an integer index within `cap`.
fn index_arg(index: &Val, cap: usize) -> Result<usize, String> {
    let x = match index {
        Val::Int(i) | Val::Int64(i) => *i,
        Val::Uint8(u) => i64::from(*u),
        Val::Invalid => return Err("cannot index slice/array with nil".to_string()),
        other => {
            return Err(format!("cannot index slice/array with type {}", other.type_name().unwrap_or("<nil>")));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

pub(super) fn index<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> R<'a> {
    let mut item = item.indirect_interface();
    if !item.is_valid() {
        return Err("index of untyped nil".to_string());
    }
    for index in indexes {
        let index = index.indirect_interface();
        let (it, is_nil) = item.indirect();
        if is_nil {
            return Err("index of nil pointer".to_string());
        }
        item = match it {
            Val::Slice(s) => {
                let x = index_arg(&index, s.len)?;
                if x >= s.len {
                    return Err("reflect: slice index out of range".to_string());
                }
                Val::Iface(s.get(x))
            }
            Val::Str(s) => {
                let x = index_arg(&index, s.bytes().len())?;
                match s.bytes().get(x) {
                    Some(&b) => Val::Uint8(b),
                    None => return Err("reflect: string index out of range".to_string()),
                }
            }
            Val::Map(m) => {
                let key = match &index {
                    Val::Invalid => return Err("value is nil; should be of type string".to_string()),
                    Val::Str(k) => k.bytes().to_vec(),
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name().unwrap_or("<nil>")
                        ));
                    }
                };
                let found = std::str::from_utf8(&key).ok().and_then(|k| m.get(k));
                Val::Iface(found.unwrap_or(&crate::gotemplate::value::NULL))
            }
            other => {
                return Err(format!("can't index item of type {}", other.type_name().unwrap_or("<nil>")));
            }
        };
    }
    Ok(item)
}

pub(super) fn slice<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> R<'a> {
    let item = item.indirect_interface();
    if !item.is_valid() {
        return Err("slice of untyped nil".to_string());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match &item {
        Val::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            (s.bytes().len(), s.bytes().len())
        }
        Val::Slice(s) => (s.len, s.cap),
        other => return Err(format!("can't slice item of type {}", other.type_name().unwrap_or("<nil>"))),
    };
    let mut idx = [0, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        let x = index_arg(index, cap)?;
        if let Some(slot) = idx.get_mut(i) {
            *slot = x;
        }
    }
    let [i, j, k] = idx;
    if i > j {
        return Err(format!("invalid slice index: {i} > {j}"));
    }
    if indexes.len() < 3 {
        return Ok(match item {
            Val::Str(s) => match s {
                Str::Borrowed(b) => Val::Str(Str::Borrowed(b.get(i..j).unwrap_or_default())),
                Str::Owned(b) => Val::string(b.get(i..j).unwrap_or_default().to_vec()),
            },
            Val::Slice(s) => Val::Slice(s.window(i, j, cap)),
            other => other,
        });
    }
    if j > k {
        return Err(format!("invalid slice index: {j} > {k}"));
    }
    Ok(match item {
        Val::Slice(s) => Val::Slice(s.window(i, j, k)),
        other => other,
    })
}

pub(super) fn length<'a>(item: Val<'a>) -> R<'a> {
    let (item, is_nil) = item.indirect();
    if is_nil {
        return Err("len of nil pointer".to_string());
    }
    match item.len() {
        Some(n) => Ok(Val::Int(n as i64)),
        None => match item.type_name() {
            None => Err("reflect: call of reflect.Value.Type on zero Value".to_string()),
            Some(t) => Err(format!("len of type {t}")),
        },
    }
}
