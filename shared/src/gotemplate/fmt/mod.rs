//! Go's `fmt` for the values a template prints: `Sprint`, `Sprintf` and `Sprintln` (the
//! `print`, `printf` and `println` functions, and every `{{value}}`), with Go's verbs, flags,
//! widths, precisions, argument indexes and its in-band errors (`%!d(string=x)`,
//! `%!v(MISSING)`, `%!(EXTRA int=1)`, `%!(BADWIDTH)`…).
//!
//! The arguments are Go `any` values: `Val::Invalid` is a nil interface. One deliberate
//! difference: `%p` of a map or slice prints no address (Go prints where the value lives).
//!
//! The printer's state, the format-string helpers and the `Sprint*` entry points are here;
//! `format` holds the formatting of basic values, `verbs` what each verb does with each kind, and
//! `printf` the `Sprint`, `Sprintln` and `Sprintf` runs.

mod format;
mod printf;
mod verbs;

use super::value::{Val, concrete};

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
