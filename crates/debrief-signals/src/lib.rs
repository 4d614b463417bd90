//! Reading logs, mining their templates and classifying the failures they hide.
//!
//! Pure and parallel: nothing here touches the store. The pipeline is
//! `read` (bytes → lines, counting bad input) → `header` / `structured` (line → `Record`)
//! → `mask` (message → tokens with variables masked) → `miner` (tokens → templates)
//! → `kinds` (template → masked-failure kind).

pub mod header;
pub mod kinds;
pub mod mask;
pub mod miner;
pub mod parse;
pub mod pipeline;
pub mod read;
pub mod record;
pub mod report;
pub mod scan;
mod shape_cache;
pub mod structured;
#[cfg(test)]
mod testing;

pub use record::{Level, Record};
