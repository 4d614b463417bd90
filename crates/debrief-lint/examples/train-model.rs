//! Writes the built-in model, `src/model.bin`, from the labelled sets it learns from
//! (`debrief_lint::model::TRAINING`). Run after changing them or the model's features:
//!
//! `cargo run --release -p debrief-lint --example train-model`

use debrief_lint::model::{Model, training_examples};

fn main() {
    let examples = training_examples();
    let started = std::time::Instant::now();
    let model = Model::train(&examples);
    let took = started.elapsed();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/model.bin");
    let bytes = model.to_bytes();
    std::fs::write(path, &bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    println!(
        "{path}: {} bytes, learned from {} sentences in {:.2} s",
        bytes.len(),
        examples.len(),
        took.as_secs_f64()
    );
}
