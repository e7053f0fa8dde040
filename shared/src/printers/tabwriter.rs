//! kubectl's table layout: Go's `text/tabwriter` (liggitt's fork, which remembers widths) with
//! the settings of `printers.GetNewTabWriter`: minimum width 6, padding 3, spaces,
//! `RememberWidths`.
//!
//! Lines are cells separated by tabs; every cell but a line's last is padded to its column's
//! width. A column's width is taken over a *block*, a run of consecutive lines that all have
//! that column, so a line with fewer cells splits the columns to its right into separate
//! blocks. Widths are remembered across flushes and never shrink: a watch's rows line up
//! with the list printed before them.
//!
//! It is our own code rather than a table crate because kubectl's exact bytes are the point:
//! block widths, remembered widths and rune counting are what make `cols` output identical.

/// Minimum column width, in runes.
const MIN_WIDTH: usize = 6;
/// Spaces after the widest cell of a column.
const PADDING: usize = 3;

/// Feeds every line of a flush to the sink it is given (called once per pass).
pub type LineSource<'a> = &'a dyn Fn(&mut dyn FnMut(&str));

/// A tabwriter that remembers column widths between flushes, as kubectl's does.
#[derive(Debug, Clone, Default)]
pub struct TabWriter {
    remembered: Vec<usize>,
}

impl TabWriter {
    /// A writer with nothing remembered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the remembered widths (kubectl does at each new resource type).
    pub fn reset(&mut self) {
        self.remembered.clear();
    }

    /// The widths remembered so far, per column.
    pub fn remembered(&self) -> &[usize] {
        &self.remembered
    }

    /// Lays out lines flushed together. `lines` feeds every line (without its newline) to the
    /// sink it is given; it is called twice, to measure and then to write, so the lines need
    /// not be held. `out` receives the text in pieces.
    pub fn flush(&mut self, lines: LineSource<'_>, out: &mut dyn FnMut(&str)) {
        // Pass 1: the blocks of every column, in line order, with their widest cell.
        let mut blocks: Vec<Vec<usize>> = vec![];
        let mut open: Vec<bool> = vec![];
        lines(&mut |line: &str| {
            let aligned = line.matches('\t').count();
            if blocks.len() < aligned {
                blocks.resize(aligned, vec![]);
                open.resize(aligned, false);
            }
            // `blocks` and `open` have a slot for every aligned cell (resized just above).
            for ((cell, column), open) in line.split('\t').take(aligned).zip(blocks.iter_mut()).zip(open.iter_mut()) {
                let w = cell.chars().count() + PADDING;
                match column.last_mut() {
                    Some(last) if *open => *last = (*last).max(w),
                    _ => {
                        column.push(w.max(MIN_WIDTH));
                        *open = true;
                    }
                }
            }
            for o in open.iter_mut().skip(aligned) {
                *o = false;
            }
        });
        // Remembered widths: each block is at least as wide as what this column had before.
        for (j, column) in blocks.iter_mut().enumerate() {
            for w in column.iter_mut() {
                match self.remembered.get_mut(j) {
                    Some(r) => {
                        *w = (*w).max(*r);
                        *r = *w;
                    }
                    None => self.remembered.push(*w),
                }
            }
        }
        // Pass 2: write, stepping through each column's blocks as they begin.
        // Per column: the next block to begin, and the width of the block under way.
        let mut next: Vec<usize> = vec![0; blocks.len()];
        let mut current: Vec<Option<usize>> = vec![None; blocks.len()];
        let mut pad = String::new();
        lines(&mut |line: &str| {
            let aligned = line.matches('\t').count();
            let mut columns = blocks.iter().zip(next.iter_mut()).zip(current.iter_mut());
            for (j, cell) in line.split('\t').enumerate() {
                out(cell);
                if j >= aligned {
                    continue;
                }
                // The same lines were measured in pass 1: every aligned cell has its column.
                let width = match columns.next() {
                    Some(((_, _), Some(w))) => *w,
                    Some(((column, next), current)) => {
                        let w = column.get(*next).copied().unwrap_or(MIN_WIDTH);
                        *next += 1;
                        *current = Some(w);
                        w
                    }
                    None => MIN_WIDTH,
                };
                pad.clear();
                pad.extend(std::iter::repeat_n(' ', width.saturating_sub(cell.chars().count())));
                out(&pad);
            }
            for c in current.iter_mut().skip(aligned) {
                *c = None;
            }
            out("\n");
        });
    }
}

/// Lays out lines of cells at once (a fresh writer), returning the text.
pub fn tabwrite(lines: &[Vec<String>]) -> String {
    let joined: Vec<String> = lines.iter().map(|l| l.join("\t")).collect();
    let mut text = String::new();
    TabWriter::new().flush(
        &|sink: &mut dyn FnMut(&str)| {
            for l in &joined {
                sink(l);
            }
        },
        &mut |piece: &str| text.push_str(piece),
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lay(w: &mut TabWriter, lines: &[&str]) -> String {
        let mut text = String::new();
        w.flush(
            &|sink: &mut dyn FnMut(&str)| {
                for l in lines {
                    sink(l);
                }
            },
            &mut |p: &str| text.push_str(p),
        );
        text
    }

    #[test]
    fn columns_take_their_widest_cell_plus_padding() {
        let mut w = TabWriter::new();
        assert_eq!(lay(&mut w, &["NAME\tIP", "a-long-name\t10.0.0.1"]), "NAME          IP\na-long-name   10.0.0.1\n");
        assert_eq!(lay(&mut w, &["a\tb"]), "a             b\n", "widths are remembered");
        assert_eq!(lay(&mut TabWriter::new(), &["a\tb"]), "a     b\n", "the minimum width is 6");
    }

    #[test]
    fn a_shorter_line_splits_blocks_and_widths_are_remembered() {
        let mut w = TabWriter::new();
        // The second block of column 0 is at least as wide as the first (RememberWidths).
        let text = lay(&mut w, &["aaaaaaaaaa\tx", "no tabs here", "b\ty"]);
        assert_eq!(text, "aaaaaaaaaa   x\nno tabs here\nb            y\n");
        // A later flush keeps the width; a wider cell widens it.
        assert_eq!(lay(&mut w, &["c\tz"]), "c            z\n");
        assert_eq!(lay(&mut w, &["a-much-longer-cell\tz"]), "a-much-longer-cell   z\n");
        w.reset();
        assert_eq!(lay(&mut w, &["c\tz"]), "c     z\n");
    }

    #[test]
    fn widths_count_runes_and_trailing_cells_are_not_padded() {
        assert_eq!(tabwrite(&[vec!["é".into(), "x".into()], vec!["ab".into(), "".into()]]), "é     x\nab    \n");
    }
}
