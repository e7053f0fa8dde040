//! What `kubectl get` does with objects before and while printing them, byte for byte:
//! - [`columns`]: `-o custom-columns` and `custom-columns-file` (spec parsing, cells).
//! - [`sorting`]: `--sort-by` (kubectl's comparison and Go's sort order).
//! - [`crate::quantity`]: resource quantities, as `--sort-by` compares them.
//! - [`tabwriter`]: the table layout (Go's tabwriter with kubectl's settings).
//!
//! Specs, paths and cells are user and cluster text: they are walked by `char` or by checked
//! ranges, never sliced or indexed where a bad offset would panic.

#![deny(clippy::string_slice, clippy::indexing_slicing)]

pub mod columns;
pub mod sorting;
pub mod tabwriter;
