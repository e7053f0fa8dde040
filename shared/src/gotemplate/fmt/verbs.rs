//! Go's `pp`: what each verb does with each kind of value, the `%!verb(type=value)` errors,
//! and the walk into maps, slices and interfaces.

use crate::gotemplate::value::{Val, concrete, sorted_entries};

use super::{Current, LDIGITS, Printer, UDIGITS, push_char};

impl Printer {
    fn fmt_bool(&mut self, v: bool, verb: char, cur: &Current) {
        match verb {
            't' | 'v' => self.fmt_boolean(v),
            _ => self.bad_verb(verb, cur),
        }
    }

    fn fmt_int(&mut self, v: u64, signed: bool, verb: char, cur: &Current) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt_integer(v, 10, signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_integer(v, 10, signed, verb, LDIGITS),
            'b' => self.fmt_integer(v, 2, signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer(v, 8, signed, verb, LDIGITS),
            'x' => self.fmt_integer(v, 16, signed, verb, LDIGITS),
            'X' => self.fmt_integer(v, 16, signed, verb, UDIGITS),
            'c' => self.fmt_c(v),
            'q' => self.fmt_qc(v),
            'U' => self.fmt_unicode(v),
            _ => self.bad_verb(verb, cur),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading0x: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading0x;
        self.fmt_integer(v, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    fn fmt_float(&mut self, v: f64, verb: char, cur: &Current) {
        match verb {
            'v' => self.fmt_float_raw(v, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_raw(v, verb as u8, -1),
            'f' | 'e' | 'E' => self.fmt_float_raw(v, verb as u8, 6),
            'F' => self.fmt_float_raw(v, b'f', 6),
            _ => self.bad_verb(verb, cur),
        }
    }

    fn fmt_complex(&mut self, re: f64, im: f64, verb: char, cur: &Current) {
        match verb {
            'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                let old_plus = self.f.plus;
                self.buf.push(b'(');
                self.fmt_float(re, verb, cur);
                self.f.plus = true;
                self.fmt_float(im, verb, cur);
                self.buf.extend_from_slice(b"i)");
                self.f.plus = old_plus;
            }
            _ => self.bad_verb(verb, cur),
        }
    }

    fn fmt_string(&mut self, s: &[u8], verb: char, cur: &Current) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, LDIGITS),
            'X' => self.fmt_sx(s, UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, cur),
        }
    }

    /// `%!verb(type=value)`.
    fn bad_verb(&mut self, verb: char, cur: &Current) {
        self.erroring = true;
        self.buf.extend_from_slice(b"%!");
        push_char(&mut self.buf, verb);
        self.buf.push(b'(');
        match cur {
            Current::Arg(v) if v.is_valid() => {
                self.buf.extend_from_slice(v.type_name().unwrap_or("<nil>").as_bytes());
                self.buf.push(b'=');
                self.print_arg(v, 'v');
            }
            _ => self.buf.extend_from_slice(b"<nil>"),
        }
        self.buf.push(b')');
        self.erroring = false;
    }

    /// `printArg`: one `any` argument.
    pub(crate) fn print_arg(&mut self, arg: &Val, verb: char) {
        let arg = match arg {
            Val::Iface(v) => concrete(v),
            other => other.clone(),
        };
        self.arg = None;
        let cur = Current::Arg(&arg);
        if !arg.is_valid() {
            match verb {
                'T' | 'v' => self.pad(b"<nil>"),
                _ => self.bad_verb(verb, &Current::None),
            }
            return;
        }
        match verb {
            'T' => {
                let name = arg.type_name().unwrap_or("<nil>");
                self.fmt_s(name.as_bytes());
                return;
            }
            'p' => {
                self.fmt_pointer(&arg, 'p', &cur);
                return;
            }
            _ => {}
        }
        match &arg {
            Val::Bool(b) => self.fmt_bool(*b, verb, &cur),
            Val::Float(f) => self.fmt_float(*f, verb, &cur),
            Val::Complex(re, im) => self.fmt_complex(*re, *im, verb, &cur),
            Val::Int(i) | Val::Int64(i) => self.fmt_int(*i as u64, true, verb, &cur),
            Val::Uint8(u) => self.fmt_int(u64::from(*u), false, verb, &cur),
            Val::Str(s) => self.fmt_string(s.bytes(), verb, &cur),
            _ => {
                if verb == 'w' && !self.erroring {
                    self.bad_verb(verb, &cur);
                    return;
                }
                self.print_value(&arg, verb, 0);
            }
        }
    }

    /// `%p` and `%v` of what has an address: a map or slice prints no address here.
    fn fmt_pointer(&mut self, v: &Val, verb: char, cur: &Current) {
        match v {
            Val::Map(_) | Val::Slice(_) => match verb {
                'v' | 'p' => self.pad(b"0x0"),
                'b' | 'o' | 'd' | 'x' | 'X' => self.fmt_int(0, false, verb, cur),
                _ => self.bad_verb(verb, cur),
            },
            _ => self.bad_verb(verb, cur),
        }
    }

    /// `printValue`: a value met at `depth` inside an argument.
    fn print_value(&mut self, value: &Val, verb: char, depth: usize) {
        let value = value.clone();
        let cur = Current::Arg(&value);
        match &value {
            Val::Invalid => {
                if depth == 0 {
                    self.buf.extend_from_slice(b"<invalid reflect.Value>");
                } else if verb == 'v' {
                    self.buf.extend_from_slice(b"<nil>");
                } else {
                    self.bad_verb(verb, &Current::None);
                }
            }
            Val::Bool(b) => self.fmt_bool(*b, verb, &cur),
            Val::Int(i) | Val::Int64(i) => self.fmt_int(*i as u64, true, verb, &cur),
            Val::Uint8(u) => self.fmt_int(u64::from(*u), false, verb, &cur),
            Val::Float(f) => self.fmt_float(*f, verb, &cur),
            Val::Complex(re, im) => self.fmt_complex(*re, *im, verb, &cur),
            Val::Str(s) => self.fmt_string(s.bytes(), verb, &cur),
            Val::Map(m) => {
                if self.f.sharp_v {
                    self.buf.extend_from_slice(b"map[string]interface {}{");
                } else {
                    self.buf.extend_from_slice(b"map[");
                }
                for (i, (k, v)) in sorted_entries(m).into_iter().enumerate() {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.buf.extend_from_slice(b", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    self.print_value(&Val::Str(crate::gotemplate::value::Str::Borrowed(k.as_bytes())), verb, depth + 1);
                    self.buf.push(b':');
                    self.print_value(&Val::Iface(v), verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { b'}' } else { b']' });
            }
            Val::Iface(v) => {
                let inner = concrete(v);
                if !inner.is_valid() {
                    if self.f.sharp_v {
                        self.buf.extend_from_slice(b"interface {}(nil)");
                    } else {
                        self.buf.extend_from_slice(b"<nil>");
                    }
                } else {
                    self.print_value(&inner, verb, depth + 1);
                }
            }
            Val::Slice(s) => {
                if self.f.sharp_v {
                    self.buf.extend_from_slice(b"[]interface {}{");
                } else {
                    self.buf.push(b'[');
                }
                for i in 0..s.len {
                    if i > 0 {
                        if self.f.sharp_v {
                            self.buf.extend_from_slice(b", ");
                        } else {
                            self.buf.push(b' ');
                        }
                    }
                    self.print_value(&Val::Iface(s.get(i)), verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { b'}' } else { b']' });
            }
        }
    }
}
