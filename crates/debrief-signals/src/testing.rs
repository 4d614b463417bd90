//! Helpers shared by the unit tests: same-shape variants of lines, and the Loghub samples.

/// `s` with its ASCII digits replaced, in order, by `digits` (cycled; none: unchanged).
pub fn with_digits(s: &str, digits: &[u8]) -> String {
    let mut k = 0;
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() && !digits.is_empty() {
                k += 1;
                char::from(b'0' + digits[(k - 1) % digits.len()] % 10)
            } else {
                c
            }
        })
        .collect()
}

/// `n` pseudo-random digits from `seed` (a fixed sequence, so failures reproduce).
pub fn digits(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) as u8 % 10
        })
        .collect()
}

/// The raw 2k samples of `../shared/data/loghub` as (system, text), or `None` (and a note
/// on stdout) when the data is not beside the repository.
pub fn loghub_logs() -> Option<Vec<(String, String)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/loghub");
    let Ok(systems) = std::fs::read_dir(&dir) else {
        println!("skipping: {} not found", dir.display());
        return None;
    };
    let mut logs: Vec<(String, String)> = systems
        .flatten()
        .filter_map(|system| {
            let name = system.file_name().to_string_lossy().into_owned();
            let log = std::fs::read_to_string(system.path().join(format!("{name}_2k.log"))).ok()?;
            Some((name, log))
        })
        .collect();
    logs.sort();
    Some(logs)
}
