//! The rows of a table, kept until the list ends because column widths need every row.
//!
//! Only the finished cells are kept, and memory grows in step with them: rows are packed into
//! chunks of a fixed size that are never reallocated (one growing buffer doubles: it overshoots
//! by up to 2× and copies everything at each doubling, which shows in the peak RSS). A row never
//! straddles two chunks; a row longer than a chunk gets a chunk of its own.

use crate::SortKey;

/// Bytes per chunk (below glibc's mmap threshold, so chunks come from the heap).
const CHUNK: usize = 64 * 1024;

/// Rows of cells, in arrival order; sort keys and the print order when sorting.
pub(crate) struct Rows {
    columns: usize,
    /// What joins the cells of a line (a tab for tables, NUL for data formats).
    separator: char,
    chunks: Vec<Chunk>,
    rows: usize,
    /// The row being added, cells joined by the separator.
    pending: String,
    pending_cells: usize,
    /// One per row, when sorting.
    pub(crate) keys: Vec<SortKey>,
    /// Print order after sorting (row indexes).
    pub(crate) order: Option<Vec<u32>>,
}

struct Chunk {
    text: String,
    /// Index of the chunk's first row.
    first: usize,
    /// Where each of its rows starts in `text`.
    starts: Vec<u32>,
}

impl Rows {
    pub(crate) fn new(columns: usize, separator: char) -> Self {
        Rows {
            columns,
            separator,
            chunks: vec![],
            rows: 0,
            pending: String::new(),
            pending_cells: 0,
            keys: vec![],
            order: None,
        }
    }

    /// Adds the next cell of the row being built.
    pub(crate) fn cell(&mut self, text: &str) {
        if self.pending_cells > 0 {
            self.pending.push(self.separator);
        }
        self.pending_cells += 1;
        self.pending.push_str(text);
    }

    /// Ends the row being built (its cells are those added since the last row).
    pub(crate) fn end_row(&mut self, key: Option<SortKey>) {
        debug_assert_eq!(self.pending_cells, self.columns, "a row has one cell per column");
        let len = self.pending.len();
        let fits = self.chunks.last().is_some_and(|c| c.text.capacity() - c.text.len() >= len);
        if !fits {
            self.chunks.push(Chunk { text: String::with_capacity(CHUNK.max(len)), first: self.rows, starts: vec![] });
        }
        if let Some(chunk) = self.chunks.last_mut() {
            // A chunk is at most CHUNK bytes unless it holds a single row, which starts at 0.
            chunk.starts.push(chunk.text.len() as u32);
            chunk.text.push_str(&self.pending);
        }
        self.pending.clear();
        self.pending_cells = 0;
        self.rows += 1;
        if let Some(k) = key {
            self.keys.push(k);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Row `i`, cells joined by the separator.
    fn line(&self, i: usize) -> &str {
        let c = self.chunks.partition_point(|c| c.first <= i).saturating_sub(1);
        let Some(chunk) = self.chunks.get(c) else { return "" };
        let at = |r: usize| chunk.starts.get(r).map_or(chunk.text.len(), |s| *s as usize);
        let r = i - chunk.first;
        chunk.text.get(at(r)..at(r + 1)).unwrap_or("")
    }

    /// Calls `f` with each line (cells joined by the separator) in print order.
    pub(crate) fn each_line(&self, mut f: impl FnMut(&str)) {
        match &self.order {
            Some(order) => order.iter().for_each(|i| f(self.line(*i as usize))),
            None => (0..self.rows).for_each(|i| f(self.line(i))),
        }
    }
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
    fn many_rows_fill_chunks() {
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
        let all = lines(&rows);
        assert_eq!(all[7], format!("pod-000007\0node-b\0{long}"));
        assert_eq!(all[19_999], "pod-019999\0node-b\0registry.example.com/shop/app:1.2.3");
        for (i, l) in all.iter().enumerate() {
            assert!(l.starts_with(&format!("pod-{i:06}\0")), "{i}: {l}");
        }
    }
}
