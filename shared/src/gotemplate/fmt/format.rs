//! Go's `fmt.fmt`: padding, and the formatting of basic values (booleans, integers, runes,
//! strings, floats) under the current flags, width and precision.

use crate::gotemplate::strconv::{
    MAX_RUNE, RUNE_ERROR, append_rune, can_backquote, decode_rune, format_float, quote_rune_to, quote_to, rune_count,
};
use crate::gotemplate::unicode::is_print;

use super::{Printer, UDIGITS};

impl Printer {
    fn write_padding(&mut self, n: i64) {
        if n <= 0 {
            return;
        }
        let pad = if self.f.zero && !self.f.minus { b'0' } else { b' ' };
        self.buf.resize(self.buf.len() + n as usize, pad);
    }

    pub(super) fn pad(&mut self, b: &[u8]) {
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

    pub(super) fn fmt_boolean(&mut self, v: bool) {
        self.pad(if v { b"true" } else { b"false" });
    }

    pub(super) fn fmt_unicode(&mut self, u: u64) {
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

    pub(super) fn fmt_integer(&mut self, u: u64, base: u64, signed: bool, verb: char, digits: &[u8; 17]) {
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

    pub(super) fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s);
    }

    pub(super) fn fmt_sx(&mut self, s: &[u8], digits: &[u8; 17]) {
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

    pub(super) fn fmt_q(&mut self, s: &[u8]) {
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

    pub(super) fn fmt_c(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) { i64::from(RUNE_ERROR) } else { c as i64 };
        let mut b = Vec::with_capacity(4);
        append_rune(&mut b, r);
        self.pad(&b);
    }

    pub(super) fn fmt_qc(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) { i64::from(RUNE_ERROR) } else { c as i64 };
        let mut b = Vec::with_capacity(8);
        quote_rune_to(&mut b, r, self.f.plus);
        self.pad(&b);
    }

    pub(super) fn fmt_float_raw(&mut self, v: f64, verb: u8, prec: i64) {
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
}
