//! What `kubectl get` does with objects before and while printing them, byte for byte:
//! - [`columns`]: `-o custom-columns` and `custom-columns-file` (spec parsing, cells).
//! - [`sorting`]: `--sort-by` (kubectl's comparison and Go's sort order).
//! - [`crate::quantity`]: resource quantities, as `--sort-by` compares them.
//! - [`tabwriter`]: the table layout (Go's tabwriter with kubectl's settings).

pub mod columns;
pub mod sorting;
pub mod tabwriter;
