//! The three entry points, `fmt.Sprint`, `fmt.Sprintln` and `fmt.Sprintf`: operand spacing,
//! and the format string's flags, argument indexes, widths and precisions.

use serde_json::Value;

use crate::gotemplate::strconv::decode_rune;
use crate::gotemplate::value::{Val, concrete};

use super::{Printer, int_from_arg, parse_arg_number, parsenum, push_char};

impl Printer {
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
