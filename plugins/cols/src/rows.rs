//! The rows of a table, kept until the list ends because column widths need every row.
//!
//! Only the finished cells are kept, and memory grows in step with them:
//!
//! - Rows are packed into chunks of a fixed size that are never reallocated (one growing
//!   buffer doubles: it overshoots by up to 2× and copies everything at each doubling, which
//!   shows in the peak RSS). A row never straddles two chunks; a row longer than a chunk gets a
//!   chunk of its own.
//! - A value that repeats down a column (node, image, namespace, phase) is stored once and
//!   referred to by number. A column whose values keep changing (names, IPs) stops being looked
//!   up after a while, so its dictionary stays small.
//!
//! A stored cell is a LEB128 tag: `len << 1` followed by `len` bytes of text, or `id << 1 | 1`
//! for entry `id` of the dictionary.

use std::collections::HashMap;

use kubectl_kit_core::printers::sorting::SortKey;

/// Bytes per chunk (below glibc's mmap threshold, so chunks come from the heap).
const CHUNK: usize = 64 * 1024;

/// Distinct values a column may collect before it has to show repeats to stay interned: at
/// least two rows per value on average.
const FREE_VALUES: usize = 1024;

/// Rows of cells, in arrival order; sort keys and the print order when sorting.
pub(crate) struct Rows {
    columns: usize,
    /// What joins the cells of a line (a tab for tables, NUL for data formats).
    separator: char,
    chunks: Vec<Chunk>,
    rows: usize,
    /// Values stored once, for every column.
    dictionary: Vec<Box<str>>,
    /// Per column, value → dictionary id, while the column is interned.
    lookup: Vec<Option<HashMap<Box<str>, u32>>>,
    /// The row being added.
    pending: Vec<u8>,
    pending_cells: usize,
    /// One per row, when sorting.
    pub(crate) keys: Vec<SortKey>,
    /// Print order after sorting (row indexes).
    pub(crate) order: Option<Vec<u32>>,
}

struct Chunk {
    bytes: Vec<u8>,
    /// Index of the chunk's first row.
    first: usize,
    /// Where each of its rows starts in `bytes`.
    starts: Vec<u32>,
}

impl Rows {
    pub(crate) fn new(columns: usize, separator: char) -> Self {
        Rows {
            columns,
            separator,
            chunks: vec![],
            rows: 0,
            dictionary: vec![],
            lookup: (0..columns).map(|_| Some(HashMap::new())).collect(),
            pending: vec![],
            pending_cells: 0,
            keys: vec![],
            order: None,
        }
    }

    /// Adds the next cell of the row being built.
    pub(crate) fn cell(&mut self, text: &str) {
        let column = self.pending_cells % self.columns.max(1);
        self.pending_cells += 1;
        if let Some(id) = self.intern(column, text) {
            put_tag(&mut self.pending, (u64::from(id) << 1) | 1);
        } else {
            put_tag(&mut self.pending, (text.len() as u64) << 1);
            self.pending.extend_from_slice(text.as_bytes());
        }
    }

    /// Ends the row being built (its cells are those added since the last row).
    pub(crate) fn end_row(&mut self, key: Option<SortKey>) {
        debug_assert_eq!(self.pending_cells, self.columns, "a row has one cell per column");
        let len = self.pending.len();
        let fits = self.chunks.last().is_some_and(|c| c.bytes.capacity() - c.bytes.len() >= len);
        if !fits {
            self.chunks.push(Chunk { bytes: Vec::with_capacity(CHUNK.max(len)), first: self.rows, starts: vec![] });
        }
        if let Some(chunk) = self.chunks.last_mut() {
            // A chunk is at most CHUNK bytes unless it holds a single row, which starts at 0.
            chunk.starts.push(chunk.bytes.len() as u32);
            chunk.bytes.extend_from_slice(&self.pending);
        }
        self.pending.clear();
        self.pending_cells = 0;
        self.rows += 1;
        if let Some(k) = key {
            self.keys.push(k);
        }
    }

    /// The dictionary id for `text` in `column`, adding it if the column is still interned.
    fn intern(&mut self, column: usize, text: &str) -> Option<u32> {
        let slot = self.lookup.get_mut(column)?;
        let map = slot.as_mut()?;
        if let Some(id) = map.get(text) {
            return Some(*id);
        }
        // Mostly distinct values (or a full dictionary): store them in the rows from now on.
        let distinct = map.len() >= FREE_VALUES && map.len() * 2 > self.rows;
        let Some(id) = u32::try_from(self.dictionary.len()).ok().filter(|_| !distinct) else {
            *slot = None;
            return None;
        };
        map.insert(text.into(), id);
        self.dictionary.push(text.into());
        Some(id)
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Writes row `i`, cells joined by the separator, to `line`.
    fn line(&self, i: usize, line: &mut String) {
        let c = self.chunks.partition_point(|c| c.first <= i).saturating_sub(1);
        let Some(chunk) = self.chunks.get(c) else { return };
        let mut at = chunk.starts.get(i - chunk.first).map_or(chunk.bytes.len(), |s| *s as usize);
        for cell in 0..self.columns {
            if cell > 0 {
                line.push(self.separator);
            }
            let Some(tag) = take_tag(&chunk.bytes, &mut at) else { return };
            if tag & 1 == 1 {
                let id = (tag >> 1) as usize;
                line.push_str(self.dictionary.get(id).map_or("", |s| s));
            } else {
                let end = at + (tag >> 1) as usize;
                // Cells are whole strings, so their bytes are UTF-8.
                line.push_str(chunk.bytes.get(at..end).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or(""));
                at = end;
            }
        }
    }

    /// Calls `f` with each line (cells joined by the separator) in print order.
    #[cfg(test)]
    pub(crate) fn each_line(&self, mut f: impl FnMut(&str)) {
        self.each_line_until(self.rows, |_, l| f(l));
    }

    /// Calls `f` with the first `count` lines in print order, and each line's row number.
    pub(crate) fn each_line_until(&self, count: usize, mut f: impl FnMut(u32, &str)) {
        let mut line = String::new();
        let mut one = |i: u32| {
            line.clear();
            self.line(i as usize, &mut line);
            f(i, &line);
        };
        match &self.order {
            Some(order) => order.iter().take(count).for_each(|i| one(*i)),
            None => (0..self.rows as u32).take(count).for_each(one),
        }
    }

    /// Where row `row` comes in print order.
    pub(crate) fn position(&self, row: u32) -> usize {
        match &self.order {
            Some(order) => order.iter().position(|r| *r == row).unwrap_or(order.len()),
            None => row as usize,
        }
    }
}

fn put_tag(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_tag(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(rows: &Rows) -> Vec<String> {
        let mut out = vec![];
        rows.each_line(|l| out.push(l.to_string()));
        out
    }

    #[test]
    fn lines_come_back_as_they_went_in() {
        let mut rows = Rows::new(3, '\t');
        let input = [["a", "node-1", "x\ty"], ["", "node-2", "é"], ["c", "node-1", ""]];
        for r in &input {
            r.iter().for_each(|c| rows.cell(c));
            rows.end_row(None);
        }
        assert_eq!(lines(&rows), ["a\tnode-1\tx\ty", "\tnode-2\té", "c\tnode-1\t"]);
        rows.order = Some(vec![2, 0, 1]);
        assert_eq!(lines(&rows)[0], "c\tnode-1\t");
    }

    #[test]
    fn many_rows_fill_chunks_and_repeated_values_are_stored_once() {
        let mut rows = Rows::new(3, '\0');
        let long = "l".repeat(CHUNK + 10);
        for i in 0..20_000 {
            let name = format!("pod-{i:06}");
            let image = if i == 7 { long.as_str() } else { "registry.example.com/shop/app:1.2.3" };
            rows.cell(&name);
            rows.cell(["node-a", "node-b", "node-c"][i % 3]);
            rows.cell(image);
            rows.end_row(None);
        }
        assert_eq!(rows.len(), 20_000);
        assert!(rows.chunks.len() > 2, "{} chunks", rows.chunks.len());
        assert!(rows.lookup[0].is_none(), "names are all distinct: no longer looked up");
        assert!(rows.lookup[1].is_some() && rows.lookup[2].is_some());
        assert!(rows.dictionary.len() <= FREE_VALUES + 5, "{}", rows.dictionary.len());
        let all = lines(&rows);
        assert_eq!(all[7], format!("pod-000007\0node-b\0{long}"));
        assert_eq!(all[19_999], "pod-019999\0node-b\0registry.example.com/shop/app:1.2.3");
        for (i, l) in all.iter().enumerate() {
            assert!(l.starts_with(&format!("pod-{i:06}\0")), "{i}: {l}");
        }
    }
}
