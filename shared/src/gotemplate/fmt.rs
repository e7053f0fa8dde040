//! Go's `fmt` for the values a template prints: `Sprint`, `Sprintf` and `Sprintln` (the
//! `print`, `printf` and `println` functions, and every `{{value}}`), with Go's verbs, flags,
//! widths, precisions, argument indexes and its in-band errors (`%!d(string=x)`,
//! `%!v(MISSING)`, `%!(EXTRA int=1)`, `%!(BADWIDTH)`…).
//!
//! The arguments are Go `any` values: `Val::Invalid` is a nil interface. One deliberate
//! difference: `%p` of a map or slice prints no address (Go prints where the value lives).

use serde_json::Value;

use super::strconv::{
    MAX_RUNE, RUNE_ERROR, append_rune, can_backquote, decode_rune, format_float, quote_rune_to, quote_to, rune_count,
};
use super::unicode::is_print;
use super::value::{Val, concrete, sorted_entries};

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

#[derive(Clone, Copy, Default)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

/// One formatting run (Go's `pp` and `fmt`).
pub(crate) struct Printer {
    pub(crate) buf: Vec<u8>,
    f: Flags,
    wid: i64,
    prec: i64,
    /// The argument being printed, for `%!verb(type=value)`: top level, or a value met inside.
    arg: Option<Val<'static>>,
    erroring: bool,
    reordered: bool,
    good_arg_num: bool,
}

/// What `badVerb` reports: the argument (top level) or the value met while walking one.
enum Current<'v, 'a> {
    None,
    Arg(&'v Val<'a>),
}

impl Printer {
    pub(crate) fn new() -> Self {
        Printer {
            buf: Vec::new(),
            f: Flags::default(),
            wid: 0,
            prec: 0,
            arg: None,
            erroring: false,
            reordered: false,
            good_arg_num: true,
        }
    }

    fn clear_flags(&mut self) {
        self.f = Flags::default();
        self.wid = 0;
        self.prec = 0;
    }

    // ---- fmt.fmt: padding and the formatting of basic values ----

    fn write_padding(&mut self, n: i64) {
        if n <= 0 {
            return;
        }
        let pad = if self.f.zero && !self.f.minus { b'0' } else { b' ' };
        self.buf.resize(self.buf.len() + n as usize, pad);
    }

    fn pad(&mut self, b: &[u8]) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.extend_from_slice(b);
            return;
        }
        let width = self.wid - rune_count(b) as i64;
        if !self.f.minus {
            self.write_padding(width);
            self.buf.extend_from_slice(b);
        } else {
            self.buf.extend_from_slice(b);
            self.write_padding(width);
        }
    }

    fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { b"true" } else { b"false" });
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec: i64 = 4;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec;
        }
        let mut digits = Vec::new();
        let mut v = u;
        loop {
            digits.push(UDIGITS.get((v & 0xF) as usize).copied().unwrap_or(b'0'));
            prec -= 1;
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        while prec > 0 {
            digits.push(b'0');
            prec -= 1;
        }
        digits.extend_from_slice(b"+U");
        digits.reverse();
        if self.f.sharp && u <= u64::from(MAX_RUNE) && char::from_u32(u as u32).is_some_and(is_print) {
            digits.extend_from_slice(b" '");
            append_rune(&mut digits, u as i64);
            digits.push(b'\'');
        }
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&digits);
        self.f.zero = old_zero;
    }

    fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative { (u as i64).unsigned_abs() } else { u };
        let mut prec: i64 = 0;
        if self.f.prec_present {
            prec = self.prec;
            if prec == 0 && u == 0 {
                let old_zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.wid);
                self.f.zero = old_zero;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec -= 1;
            }
        }
        let digit = |n: u64| digits.get(n as usize).copied().unwrap_or(b'0');
        let mut out: Vec<u8> = Vec::with_capacity(24);
        while u >= base {
            out.push(digit(u % base));
            u /= base;
        }
        out.push(digit(u));
        while (out.len() as i64) < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(digit(16));
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&out);
        self.f.zero = old_zero;
    }

    /// The first `prec` runes, when a precision is given.
    fn truncate<'b>(&self, s: &'b [u8]) -> &'b [u8] {
        if !self.f.prec_present {
            return s;
        }
        let mut n = self.prec;
        let mut i = 0;
        while i < s.len() {
            n -= 1;
            if n < 0 {
                return s.get(..i).unwrap_or(s);
            }
            let (_, w) = decode_rune(s.get(i..).unwrap_or_default());
            i += w.max(1);
        }
        s
    }

    fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s);
    }

    fn fmt_sx(&mut self, s: &[u8], digits: &[u8; 17]) {
        let mut length = s.len() as i64;
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.wid);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            self.write_padding(self.wid - width);
        }
        let digit = |n: u8| digits.get(usize::from(n)).copied().unwrap_or(b'0');
        if self.f.sharp {
            self.buf.extend_from_slice(&[b'0', digit(16)]);
        }
        for (i, &c) in s.iter().take(length as usize).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(b' ');
                if self.f.sharp {
                    self.buf.extend_from_slice(&[b'0', digit(16)]);
                }
            }
            self.buf.extend_from_slice(&[digit(c >> 4), digit(c & 0xF)]);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            self.write_padding(self.wid - width);
        }
    }

    fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            let mut q = Vec::with_capacity(s.len() + 2);
            q.push(b'`');
            q.extend_from_slice(s);
            q.push(b'`');
            self.pad(&q);
            return;
        }
        let mut q = Vec::with_capacity(s.len() + 2);
        quote_to(&mut q, s, self.f.plus);
        self.pad(&q);
    }

    fn fmt_c(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) { i64::from(RUNE_ERROR) } else { c as i64 };
        let mut b = Vec::with_capacity(4);
        append_rune(&mut b, r);
        self.pad(&b);
    }

    fn fmt_qc(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) { i64::from(RUNE_ERROR) } else { c as i64 };
        let mut b = Vec::with_capacity(8);
        quote_rune_to(&mut b, r, self.f.plus);
        self.pad(&b);
    }

    fn fmt_float_raw(&mut self, v: f64, verb: u8, prec: i64) {
        let prec = if self.f.prec_present { self.prec } else { prec };
        let mut num = vec![b'+'];
        format_float(&mut num, v, verb, prec);
        if matches!(num.get(1), Some(b'-' | b'+')) {
            num.remove(0);
        }
        if self.f.space
            && !self.f.plus
            && let Some(first) = num.first_mut().filter(|c| **c == b'+')
        {
            *first = b' ';
        }
        if matches!(num.get(1), Some(b'I' | b'N')) {
            let old_zero = self.f.zero;
            self.f.zero = false;
            if num.get(1) == Some(&b'N') && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = old_zero;
            return;
        }
        if self.f.sharp && verb != b'b' {
            let mut digits: i64 = 0;
            if matches!(verb, b'v' | b'g' | b'G' | b'x') {
                digits = if prec == -1 { 6 } else { prec };
            }
            let mut tail: Vec<u8> = Vec::new();
            let mut has_decimal_point = false;
            let mut saw_nonzero_digit = false;
            let mut i = 1;
            while i < num.len() {
                let c = num.get(i).copied().unwrap_or(b'0');
                match c {
                    b'.' => has_decimal_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(num.get(i..).unwrap_or_default());
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != b'x' && verb != b'X' => {
                        tail.extend_from_slice(num.get(i..).unwrap_or_default());
                        num.truncate(i);
                        break;
                    }
                    _ => {
                        if c != b'0' {
                            saw_nonzero_digit = true;
                        }
                        if saw_nonzero_digit {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_decimal_point {
                if num.len() == 2 && num.get(1) == Some(&b'0') {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        if self.f.plus || num.first() != Some(&b'+') {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.wid > num.len() as i64 {
                self.buf.push(num.first().copied().unwrap_or(b'+'));
                self.write_padding(self.wid - num.len() as i64);
                self.buf.extend_from_slice(num.get(1..).unwrap_or_default());
                return;
            }
            self.pad(&num);
            return;
        }
        self.pad(num.get(1..).unwrap_or_default());
    }

    // ---- pp: verbs for each kind ----

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
                    self.print_value(&Val::Str(super::value::Str::Borrowed(k.as_bytes())), verb, depth + 1);
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

    // ---- the three entry points ----

    /// `fmt.Sprint`: spaces between operands when neither is a string.
    pub(crate) fn do_print(&mut self, args: &[Val]) {
        let mut prev_string = false;
        for (i, arg) in args.iter().enumerate() {
            let is_string = matches!(arg, Val::Str(_)) || matches!(arg, Val::Iface(Value::String(_)));
            if i > 0 && !is_string && !prev_string {
                self.buf.push(b' ');
            }
            self.print_arg(arg, 'v');
            prev_string = is_string;
        }
    }

    /// `fmt.Sprintln`.
    pub(crate) fn do_println(&mut self, args: &[Val]) {
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.buf.push(b' ');
            }
            self.print_arg(arg, 'v');
        }
        self.buf.push(b'\n');
    }

    /// `argNumber`: an explicit `[n]` argument index at `format[i]`.
    fn arg_number(&mut self, arg_num: usize, format: &[u8], i: usize, num_args: usize) -> (usize, usize, bool) {
        if format.get(i) != Some(&b'[') {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(format.get(i..).unwrap_or_default());
        if ok && 0 <= index && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    /// `fmt.Sprintf`.
    pub(crate) fn do_printf(&mut self, format: &[u8], a: &[Val]) {
        let end = format.len();
        let mut arg_num: usize = 0;
        let mut after_index;
        self.reordered = false;
        let mut i = 0;
        'format_loop: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && format.get(i) != Some(&b'%') {
                i += 1;
            }
            if i > lasti {
                self.buf.extend_from_slice(format.get(lasti..i).unwrap_or_default());
            }
            if i >= end {
                break;
            }
            i += 1;
            self.clear_flags();
            'simple: while i < end {
                let c = format.get(i).copied().unwrap_or(0);
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            if c == b'v' || c == b'w' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            if let Some(arg) = a.get(arg_num) {
                                self.print_arg(arg, char::from(c));
                            }
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break 'simple;
                    }
                }
                i += 1;
            }
            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());
            if format.get(i) == Some(&b'*') {
                i += 1;
                let (w, ok, next) = int_from_arg(a, arg_num);
                self.wid = w;
                self.f.wid_present = ok;
                arg_num = next;
                if !self.f.wid_present {
                    self.buf.extend_from_slice(b"%!(BADWIDTH)");
                }
                if self.wid < 0 {
                    self.wid = -self.wid;
                    self.f.minus = true;
                    self.f.zero = false;
                }
                after_index = false;
            } else {
                let (w, ok, next) = parsenum(format, i, end);
                self.wid = w;
                self.f.wid_present = ok;
                i = next;
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }
            if i + 1 < end && format.get(i) == Some(&b'.') {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());
                if format.get(i) == Some(&b'*') {
                    i += 1;
                    let (p, ok, next) = int_from_arg(a, arg_num);
                    self.prec = p;
                    self.f.prec_present = ok;
                    arg_num = next;
                    if self.prec < 0 {
                        self.prec = 0;
                        self.f.prec_present = false;
                    }
                    if !self.f.prec_present {
                        self.buf.extend_from_slice(b"%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ok, next) = parsenum(format, i, end);
                    self.prec = p;
                    self.f.prec_present = ok;
                    i = next;
                    if !self.f.prec_present {
                        self.prec = 0;
                        self.f.prec_present = true;
                    }
                }
            }
            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, format, i, a.len());
            }
            if i >= end {
                self.buf.extend_from_slice(b"%!(NOVERB)");
                break;
            }
            let (r, size) = decode_rune(format.get(i..).unwrap_or_default());
            let verb = char::from_u32(r).unwrap_or('\u{FFFD}');
            i += size.max(1);
            match verb {
                '%' => self.buf.push(b'%'),
                _ if !self.good_arg_num => {
                    self.buf.extend_from_slice(b"%!");
                    push_char(&mut self.buf, verb);
                    self.buf.extend_from_slice(b"(BADINDEX)");
                }
                _ if arg_num >= a.len() => {
                    self.buf.extend_from_slice(b"%!");
                    push_char(&mut self.buf, verb);
                    self.buf.extend_from_slice(b"(MISSING)");
                }
                _ => {
                    if verb == 'v' || verb == 'w' {
                        self.f.sharp_v = self.f.sharp;
                        self.f.sharp = false;
                        self.f.plus_v = self.f.plus;
                        self.f.plus = false;
                    }
                    if let Some(arg) = a.get(arg_num) {
                        self.print_arg(arg, verb);
                    }
                    arg_num += 1;
                }
            }
        }
        if !self.reordered && arg_num < a.len() {
            self.clear_flags();
            self.buf.extend_from_slice(b"%!(EXTRA ");
            for (k, arg) in a.iter().skip(arg_num).enumerate() {
                if k > 0 {
                    self.buf.extend_from_slice(b", ");
                }
                let arg = match arg {
                    Val::Iface(v) => concrete(v),
                    other => other.clone(),
                };
                match arg.type_name() {
                    None => self.buf.extend_from_slice(b"<nil>"),
                    Some(t) => {
                        self.buf.extend_from_slice(t.as_bytes());
                        self.buf.push(b'=');
                        self.print_arg(&arg, 'v');
                    }
                }
            }
            self.buf.push(b')');
        }
    }
}

fn push_char(buf: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// `parsenum`: a decimal number at `s[start..end]`.
fn parsenum(s: &[u8], start: usize, end: usize) -> (i64, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut i = start;
    while i < end {
        let Some(&c) = s.get(i) else { break };
        if !c.is_ascii_digit() {
            break;
        }
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(c - b'0');
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

/// `parseArgNumber`: `[n]` at the start of `format`.
fn parse_arg_number(format: &[u8]) -> (i64, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format.get(i) == Some(&b']') {
            let (width, ok, newi) = parsenum(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// `intFromArg`: a `*` width or precision.
fn int_from_arg(a: &[Val], arg_num: usize) -> (i64, bool, usize) {
    let mut new_arg_num = arg_num;
    let mut num = 0;
    let mut is_int = false;
    if let Some(arg) = a.get(arg_num) {
        let arg = match arg {
            Val::Iface(v) => concrete(v),
            other => other.clone(),
        };
        if let Some(n) = arg.int_like() {
            num = n;
            is_int = true;
        }
        new_arg_num = arg_num + 1;
        if too_large(num) {
            num = 0;
            is_int = false;
        }
    }
    (num, is_int, new_arg_num)
}

/// `fmt.Sprint`.
pub(crate) fn sprint(args: &[Val]) -> Vec<u8> {
    let mut p = Printer::new();
    p.do_print(args);
    p.buf
}

/// `fmt.Sprintln`.
pub(crate) fn sprintln(args: &[Val]) -> Vec<u8> {
    let mut p = Printer::new();
    p.do_println(args);
    p.buf
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &[u8], args: &[Val]) -> Vec<u8> {
    let mut p = Printer::new();
    p.do_printf(format, args);
    p.buf
}

/// `%v` of one value (`fmt.Sprint(v)`, and the `%v` in error messages).
pub(crate) fn sprint_one(v: &Val) -> Vec<u8> {
    let mut p = Printer::new();
    p.print_arg(v, 'v');
    p.buf
}

/// `%s` of one value, as error messages print a `reflect.Value` with `%s`.
pub(crate) fn sprint_s(v: &Val) -> Vec<u8> {
    let mut p = Printer::new();
    p.print_arg(v, 's');
    p.buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gotemplate::value::Str;

    fn s(b: &[u8]) -> Val<'_> {
        Val::Str(Str::Borrowed(b))
    }

    fn pf(format: &str, args: &[Val]) -> String {
        String::from_utf8_lossy(&sprintf(format.as_bytes(), args)).into_owned()
    }

    #[test]
    fn verbs_flags_and_errors_print_as_go_prints_them() {
        assert_eq!(pf("%5d|%-5d|%05d", &[Val::Int(42), Val::Int(42), Val::Int(-42)]), "   42|42   |-0042");
        assert_eq!(pf("%d", &[s(b"hi")]), "%!d(string=hi)");
        assert_eq!(pf("%d %d", &[Val::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(pf("%d", &[Val::Int(1), Val::Int64(2)]), "1%!(EXTRA int64=2)");
        assert_eq!(pf("%[2]d %[1]d", &[Val::Int(1), Val::Int(2)]), "2 1");
        assert_eq!(pf("%q %x %X", &[s(b"a\n"), s(b"hi"), Val::Int(255)]), "\"a\\n\" 6869 FF");
        assert_eq!(
            pf("%.2f %e %g", &[Val::Float(1.23456), Val::Float(1234.5678), Val::Float(1e21)]),
            "1.23 1.234568e+03 1e+21"
        );
        assert_eq!(pf("%T %T %v", &[Val::Int64(1), Val::Invalid, Val::Invalid]), "int64 <nil> <nil>");
        assert_eq!(
            pf("%c %U %#U", &[Val::Int(0x263A), Val::Int(0x263A), Val::Int(0x263A)]),
            "\u{263A} U+263A U+263A '\u{263A}'"
        );
        assert_eq!(pf("%", &[]), "%!(NOVERB)");
        assert_eq!(pf("%*d", &[s(b"x"), Val::Int(1)]), "%!(BADWIDTH)1");
    }
}
