//! Precision and recall of the default rules on labelled sentences.
//!
//! `cargo run --release -p debrief-lint --example score -- FILE.tsv… [--show]`
//!
//! Each line of a file is `label<TAB>section<TAB>sentence`: label `blame` or `ok`, section
//! `analysis` or `plans`; `#` starts a comment. A sentence counts as flagged when it has a
//! finding at warning level or above. `--show` lists the sentences scored wrong.

use debrief_lint::Rules;
use debrief_lint::labelled::{Example, score};

fn main() {
    let mut show = false;
    let mut examples = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--show" {
            show = true;
            continue;
        }
        let text = std::fs::read_to_string(&arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
        examples.extend(Example::parse_all(&text).unwrap_or_else(|e| panic!("{arg}: {e}")));
    }
    let rules = Rules::defaults();
    let s = score(&examples, &rules);
    println!("{s}");
    if show {
        for (e, rules) in &s.wrong {
            let what = if e.blame { "missed" } else { "false alarm" };
            println!(
                "{what:>11} [{}] {} {}",
                e.section,
                rules.join(","),
                e.sentence
            );
        }
    }
}
