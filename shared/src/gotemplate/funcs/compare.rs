//! The comparison functions `eq`, `ne`, `lt`, `le`, `gt` and `ge`, on Go's basic kinds.

use crate::gotemplate::exec::{value_s, value_v};
use crate::gotemplate::value::{Kind, Val};

#[derive(Clone, Copy, PartialEq, Eq)]
enum BasicKind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Val) -> BasicKind {
    match v.kind() {
        Kind::Bool => BasicKind::Bool,
        Kind::Int | Kind::Int64 => BasicKind::Int,
        Kind::Uint8 => BasicKind::Uint,
        Kind::Float64 => BasicKind::Float,
        Kind::Complex128 => BasicKind::Complex,
        Kind::String => BasicKind::String,
        _ => BasicKind::Invalid,
    }
}

fn int_of(v: &Val) -> i64 {
    v.int_like().unwrap_or(0)
}

fn uint_of(v: &Val) -> u64 {
    match v {
        Val::Uint8(u) => u64::from(*u),
        _ => 0,
    }
}

fn float_of(v: &Val) -> f64 {
    match v {
        Val::Float(f) => *f,
        _ => 0.0,
    }
}

fn complex_of(v: &Val) -> (f64, f64) {
    match v {
        Val::Complex(re, im) => (*re, *im),
        _ => (0.0, 0.0),
    }
}

fn str_of<'v>(v: &'v Val) -> &'v [u8] {
    match v {
        Val::Str(s) => s.bytes(),
        _ => b"",
    }
}

fn type_of(v: &Val) -> &'static str {
    v.type_name().unwrap_or("<nil>")
}

pub(super) fn eq<'a>(arg1: Val<'a>, arg2: Vec<Val<'a>>) -> Result<bool, String> {
    let arg1 = arg1.indirect_interface();
    if arg2.is_empty() {
        return Err("missing argument for comparison".to_string());
    }
    let k1 = basic_kind(&arg1);
    for arg in arg2 {
        let arg = arg.indirect_interface();
        let k2 = basic_kind(&arg);
        let mut truth = false;
        if k1 != k2 {
            match (k1, k2) {
                (BasicKind::Int, BasicKind::Uint) => {
                    truth = int_of(&arg1) >= 0 && int_of(&arg1) as u64 == uint_of(&arg)
                }
                (BasicKind::Uint, BasicKind::Int) => truth = int_of(&arg) >= 0 && uint_of(&arg1) == int_of(&arg) as u64,
                _ => {
                    if arg1.is_valid() && arg.is_valid() {
                        return Err(format!(
                            "incompatible types for comparison: {} and {}",
                            type_of(&arg1),
                            type_of(&arg)
                        ));
                    }
                }
            }
        } else {
            truth = match k1 {
                BasicKind::Bool => matches!((&arg1, &arg), (Val::Bool(a), Val::Bool(b)) if a == b),
                BasicKind::Complex => complex_of(&arg1) == complex_of(&arg),
                BasicKind::Float => float_of(&arg1) == float_of(&arg),
                BasicKind::Int => int_of(&arg1) == int_of(&arg),
                BasicKind::String => str_of(&arg1) == str_of(&arg),
                BasicKind::Uint => uint_of(&arg1) == uint_of(&arg),
                BasicKind::Invalid => {
                    let can_compare = arg1.kind() == arg.kind() || !arg1.is_valid() || !arg.is_valid();
                    if !can_compare {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            value_s(&arg1),
                            type_of(&arg1),
                            type_of(&arg),
                            value_v(&arg)
                        ));
                    }
                    if !arg1.is_valid() || !arg.is_valid() {
                        !arg1.is_valid() && !arg.is_valid()
                    } else {
                        return Err(format!("non-comparable type {}: {}", value_s(&arg), type_of(&arg)));
                    }
                }
            };
        }
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) fn lt(arg1: Val, arg2: Val) -> Result<bool, String> {
    let arg1 = arg1.indirect_interface();
    let k1 = basic_kind(&arg1);
    if k1 == BasicKind::Invalid {
        return Err("invalid type for comparison".to_string());
    }
    let arg2 = arg2.indirect_interface();
    let k2 = basic_kind(&arg2);
    if k2 == BasicKind::Invalid {
        return Err("invalid type for comparison".to_string());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (BasicKind::Int, BasicKind::Uint) => Ok(int_of(&arg1) < 0 || (int_of(&arg1) as u64) < uint_of(&arg2)),
            (BasicKind::Uint, BasicKind::Int) => Ok(int_of(&arg2) >= 0 && uint_of(&arg1) < int_of(&arg2) as u64),
            _ => Err(format!("incompatible types for comparison: {} and {}", type_of(&arg1), type_of(&arg2))),
        };
    }
    Ok(match k1 {
        BasicKind::Bool | BasicKind::Complex | BasicKind::Invalid => {
            return Err("invalid type for comparison".to_string());
        }
        BasicKind::Float => float_of(&arg1) < float_of(&arg2),
        BasicKind::Int => int_of(&arg1) < int_of(&arg2),
        BasicKind::String => str_of(&arg1) < str_of(&arg2),
        BasicKind::Uint => uint_of(&arg1) < uint_of(&arg2),
    })
}

pub(super) fn le(arg1: Val, arg2: Val) -> Result<bool, String> {
    if lt(arg1.clone(), arg2.clone())? {
        return Ok(true);
    }
    eq(arg1, vec![arg2])
}
