//! Numbers as people read them (byte sizes, percentages) and the one way every output computes a
//! ratio, so that the terminal, the HTML report and the CI gate show the same figure for the same
//! measure.

/// A byte count in decimal units: `512 B`, `8.5 KB`, `1.2 GB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A ratio as a percentage with one decimal: `39.1%`.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// `part / whole`, and 0 for an empty whole.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A ratio or similarity rounded to six decimals, as every JSON output writes it: it reads
/// cleanly and compares exactly.
pub fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_percentages_and_ratios_read_as_documented() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(8508), "8.5 KB");
        assert_eq!(human_bytes(1_250_000_000), "1.2 GB");
        assert_eq!(percent(0.390625), "39.1%");
        assert_eq!(ratio(1, 4), 0.25);
        assert_eq!(ratio(3, 0), 0.0);
        assert_eq!(round6(1.0 / 3.0), 0.333333);
    }
}
