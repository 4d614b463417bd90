//! Parsers meet untrusted input: whatever a line holds, they must not panic, and what they
//! return must hold together.

use debrief_signals::header::split_header;
use debrief_signals::mask::{Masker, VAR};
use debrief_signals::miner::{Seen, cluster};
use debrief_signals::structured::{parse_json_line, parse_k8s_events};
use proptest::prelude::*;

/// Lines that look like logs more often than random strings do.
fn log_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("2024-03-01T14:02:00.123Z".to_string()),
        Just("2015-10-18 18:01:47,978".to_string()),
        Just("Jun 14 15:16:01".to_string()),
        Just("[Sun Dec 04 04:47:44 2005]".to_string()),
        Just("081109 203615".to_string()),
        Just("<13>".to_string()),
        Just("INFO".to_string()),
        Just("[error]".to_string()),
        Just("sshd[123]:".to_string()),
        Just("org.example.Foo:".to_string()),
        Just("-".to_string()),
        Just("|".to_string()),
        Just("key=value".to_string()),
        Just("{\"msg\":".to_string()),
        "[a-zA-Z0-9_.:/\\-]{1,12}",
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn splitting_a_header_never_panics_and_keeps_the_message_inside_the_line(line in log_like()) {
        let r = split_header(&line, 2026);
        prop_assert!(line.contains(&*r.message) || r.message.is_empty() || line.contains('='),
            "message {:?} not in {:?}", r.message, line);
        prop_assert_eq!(r.count, 1);
    }

    #[test]
    fn masking_is_deterministic_and_its_spans_are_in_the_message(line in log_like()) {
        let masker = Masker::default();
        let mut out = String::new();
        let mut spans = Vec::new();
        masker.mask_into(&line, &mut out, Some(&mut spans));
        prop_assert_eq!(&out, &masker.mask(&line));
        for &(a, b) in &spans {
            prop_assert!(a <= b && b <= line.len() && line.is_char_boundary(a) && line.is_char_boundary(b));
        }
        prop_assert!(!out.contains("  "));
        prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
        // Where a variable was found, the key shows one.
        prop_assert!(spans.is_empty() || out.contains(VAR));
    }

    #[test]
    fn json_readers_never_panic(line in log_like(), doc in any::<String>()) {
        let _ = parse_json_line(&line, 2026);
        let _ = parse_json_line(&format!("{{\"message\": {line:?}, \"level\": {doc:?}}}"), 2026);
        let _ = parse_k8s_events(&doc);
        let _ = parse_k8s_events(&line);
    }

    #[test]
    fn clustering_depends_on_the_set_not_the_order(
        keys in proptest::collection::vec("(a|b|<\\*>|c=<\\*>|c=x)( (a|b|<\\*>|c=<\\*>|c=x)){0,3}", 1..30),
        seed in any::<u64>(),
    ) {
        let seen = Seen { count: 1, failing: 0 };
        let forward = cluster(keys.iter().map(|k| (k.as_str(), seen)));
        let mut shuffled = keys.clone();
        let n = shuffled.len();
        for i in 0..n {
            let j = (seed as usize).wrapping_mul(31).wrapping_add(i * 17) % n;
            shuffled.swap(i, j);
        }
        let backward = cluster(shuffled.iter().map(|k| (k.as_str(), seen)));
        prop_assert_eq!(&forward.templates, &backward.templates);
        for k in &keys {
            prop_assert_eq!(forward.template(k), backward.template(k));
        }
    }
}

/// What the chunk reader must yield: every line, cut to `MAX_LINE` bytes.
fn reference_lines(input: &[u8]) -> Vec<Vec<u8>> {
    use debrief_signals::read::MAX_LINE;
    if input.is_empty() {
        return Vec::new();
    }
    let body = input.strip_suffix(b"\n").unwrap_or(input);
    body.split(|&b| b == b'\n')
        .map(|l| l[..l.len().min(MAX_LINE)].to_vec())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_chunk_reader_yields_every_line_whatever_the_buffer_size(
        lines in proptest::collection::vec(
            prop_oneof![
                8 => "[a-z ]{0,40}",
                1 => (60_000usize..70_000).prop_map(|n| "y".repeat(n)),
            ],
            0..40,
        ),
        trailing_newline in any::<bool>(),
        capacity in 1usize..5000,
    ) {
        use debrief_signals::read::{ChunkReader, Line, lines as chunk_lines, ReadStats};
        let mut input = lines.join("\n").into_bytes();
        if trailing_newline && !input.is_empty() {
            input.push(b'\n');
        }
        let mut reader = ChunkReader::new(std::io::BufReader::with_capacity(capacity, &input[..]));
        let mut stats = ReadStats::default();
        let mut got: Vec<Vec<u8>> = Vec::new();
        while let Some(chunk) = reader.next_chunk().unwrap() {
            for line in chunk_lines(&chunk, &mut stats) {
                match line {
                    Line::Text(t) => got.push(t.into_owned().into_bytes()),
                    Line::Skipped => got.push(Vec::new()),
                }
            }
        }
        let want: Vec<Vec<u8>> = reference_lines(&input)
            .into_iter()
            .map(|l| if l.iter().all(u8::is_ascii_whitespace) { Vec::new() } else { l })
            .collect();
        prop_assert_eq!(got.len(), want.len());
        prop_assert!(got == want, "lines differ");
        prop_assert_eq!(stats.lines as usize, want.len());
        let long = reference_lines(&input).iter().filter(|l| l.len() == debrief_signals::read::MAX_LINE).count();
        prop_assert!(stats.oversized as usize <= long);
    }
}
