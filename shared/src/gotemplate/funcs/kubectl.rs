//! cli-runtime's own functions: `exists` and `base64decode`.

use crate::gotemplate::value::Val;

/// cli-runtime's `exists`: whether `index` could go down these indexes.
pub(super) fn exists(item: Val, indices: Vec<Val>) -> bool {
    let mut v = item;
    for index in indices {
        let (it, is_nil) = v.indirect();
        if is_nil {
            return false;
        }
        v = match it {
            Val::Slice(s) => match index.int_like().filter(|&x| x >= 0 && (x as u64) < s.len as u64) {
                Some(x) => Val::Iface(s.get(x as usize)),
                None => return false,
            },
            Val::Str(s) => {
                match index.int_like().and_then(|x| usize::try_from(x).ok()).and_then(|x| s.bytes().get(x)) {
                    Some(&b) => Val::Uint8(b),
                    None => return false,
                }
            }
            Val::Map(m) => {
                let key: Vec<u8> = match &index {
                    Val::Invalid => vec![],
                    Val::Str(k) => k.bytes().to_vec(),
                    _ => return false,
                };
                let found = std::str::from_utf8(&key).ok().and_then(|k| m.get(k));
                Val::Iface(found.unwrap_or(&crate::gotemplate::value::NULL))
            }
            _ => return false,
        };
    }
    !v.indirect().1
}

/// `base64.StdEncoding.DecodeString`, or the offset Go's `CorruptInputError` names.
pub(crate) fn base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let at = |i: usize| src.get(i).copied();
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u32; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_err = None;
        while j < 4 {
            let Some(c) = at(si) else {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            };
            si += 1;
            if let Some(v) = value(c) {
                if let Some(slot) = dbuf.get_mut(j) {
                    *slot = v;
                }
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while matches!(at(si), Some(b'\n' | b'\r')) {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if at(si) != Some(b'=') {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while matches!(at(si), Some(b'\n' | b'\r')) {
                si += 1;
            }
            if si < src.len() {
                trailing_err = Some(si);
            }
            dlen = j;
            break;
        }
        let [a, b, c, d] = dbuf;
        let val = (a << 18) | (b << 12) | (c << 6) | d;
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(bytes.get(..dlen - 1).unwrap_or_default());
        if let Some(e) = trailing_err {
            return Err(e);
        }
    }
    Ok(out)
}
