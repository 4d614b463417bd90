//! How long the blameless lint takes: compiling the default rules, and linting a Markdown
//! file with them (sentence splitting included), best of `--repeat` runs.
//!
//! `cargo bench -p debrief-lint --bench lint -- FILE.md [--repeat 10]`
//!
//! `bash bench/lint.sh` builds a 1 MB file from ../shared/data/postmortems and runs this.

use std::time::{Duration, Instant};

use debrief_lint::{Rules, prose};

fn best<T>(repeat: usize, mut run: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..repeat {
        let start = Instant::now();
        let out = run();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("repeat is at least 1"))
}

fn main() {
    let mut file = None;
    let mut repeat = 10;
    let mut per_rule = false;
    let mut no_model = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--repeat N (N > 0)");
            }
            "--bench" => {}
            "--per-rule" => per_rule = true,
            "--no-model" => no_model = true,
            _ => file = Some(arg),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: cargo bench -p debrief-lint --bench lint -- FILE.md [--repeat N]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let (compile, mut rules) = best(repeat, Rules::defaults);
    if no_model {
        let off = [("blame-model".to_string(), "off".to_string())].into();
        rules.configure(&off).expect("the model rule exists");
    }
    let (split, p) = best(repeat, || prose::markdown(&text));
    let (whole, findings) = best(repeat, || {
        debrief_lint::lint_markdown(&text, &rules, "bench")
    });
    let mb = text.len() as f64 / 1e6;
    println!(
        "{file}: {} bytes, {} sentences, {} findings",
        text.len(),
        p.sentences.len(),
        findings.len()
    );
    println!("  rules compile:          {:>8.1} ms", ms(compile));
    if per_rule {
        let model = debrief_lint::model::Model::builtin();
        let (t, _) = best(repeat, || {
            p.sentences
                .iter()
                .map(|x| model.score(x.section, &x.text).0)
                .sum::<f64>()
        });
        println!("    model, every sentence scored   {:>6.2} ms", ms(t));
        // Each rule's search over all sentences, one a line, as `lint` runs it.
        let mut all: String = p.sentences.iter().map(|s| s.text.clone() + "\n").collect();
        all.make_ascii_lowercase();
        let mut times: Vec<(Duration, &str, bool)> = rules
            .iter()
            .map(|r| {
                (
                    best(repeat, || r.pattern.find_iter(&all).count()).0,
                    r.id.as_str(),
                    r.triggers.is_some(),
                )
            })
            .collect();
        times.sort();
        for (t, id, gated) in times.iter().rev() {
            // A gated rule searches only the sentences holding one of its words.
            let how = if *gated {
                ""
            } else {
                "  (no gate: every sentence)"
            };
            println!("    {id:<28} {:>6.2} ms{how}", ms(*t));
        }
    }
    println!("  sentences (Markdown):   {:>8.1} ms", ms(split));
    println!(
        "  lint (sentences+rules): {:>8.1} ms  ({:.1} ms per MB)",
        ms(whole),
        ms(whole) / mb
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
