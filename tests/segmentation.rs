//! Measures `--split auto` against labelled documents: hard-wrapped wire copy and e-mail bodies
//! must be joined into their paragraphs; quoted e-mail, signatures, lists, tables, one-paragraph-
//! a-line scrapes and blocks that repeat a line must stay line by line.

use paradup::segment::segment;
use paradup::{Document, Location, ScanParams, Scanner, SplitMode};

/// Greedy wrapping at `width` columns, as mail and wire software does; `indent` opens the
/// paragraph.
fn wrap(paragraph: &str, width: usize, indent: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = indent.to_string();
    for word in paragraph.split_whitespace() {
        if line.trim().is_empty() {
            line.push_str(word);
        } else if line.chars().count() + 1 + word.chars().count() <= width {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(std::mem::take(&mut line));
            line.push_str(word);
        }
    }
    lines.push(line);
    lines.join("\n")
}

/// A labelled document: its text and the paragraphs `--split auto` should cut from it (each as
/// its exact text, inner line breaks included).
struct Example {
    kind: &'static str,
    text: String,
    paragraphs: Vec<String>,
}

const PROSE: [&str; 3] = [
    "The city council voted on Tuesday to extend the library's opening hours through the winter, after a petition signed by more than two thousand residents asked for evening access during the exam season.",
    "The measure passed seven votes to two. Members who opposed it said the cost had not been settled and would fall on next year's budget, which is already under pressure from road repairs.",
    "A spokeswoman for the library said staff would be asked to volunteer for the later shifts before any new hiring was considered, and that the first extended evening would be on December 1.",
];

fn wrapped_lines(paragraph: &str, width: usize, indent: &str) -> String {
    wrap(paragraph, width, indent).trim_start().to_string()
}

fn examples() -> Vec<Example> {
    let mut all = Vec::new();

    // Wire copy: paragraphs marked by indentation, no blank lines.
    let text = PROSE
        .iter()
        .map(|p| wrap(p, 64, "    "))
        .collect::<Vec<_>>()
        .join("\n");
    all.push(Example {
        kind: "wire copy, indented paragraphs",
        paragraphs: PROSE.iter().map(|p| wrapped_lines(p, 64, "    ")).collect(),
        text,
    });

    // Wire copy: an earnings table whose lines repeat, between indented prose.
    let table = [
        "Shr loss 6.48 DLS VS PROFIT 23 CTS",
        "Shr loss 6.48 DLS VS PROFIT 23 CTS",
        "Net loss 110.6 mln vs profit 4.1 mln",
        "Shr loss 6.52 dlrs vs profit 3.87 dlrs",
        "net loss 111.2 mln vs profit 64.2 mln",
        "Shr loss 6.48 DLS VS PROFIT 23 CTS",
        "Net loss 110.6 mln vs profit 4.1 mln",
        "Shr loss 6.52 dlrs vs profit 3.87 dlrs",
        "net loss 111.2 mln vs profit 64.2 mln",
    ];
    all.push(Example {
        kind: "wire copy, earnings table",
        text: table.join("\n") + "\n",
        paragraphs: table.iter().map(|l| l.to_string()).collect(),
    });

    // E-mail: wrapped body paragraphs, a quoted message, a signature.
    let quoted = [
        "On Monday, Anna Rossi wrote:",
        "> Could you send the figures for the third quarter before the",
        "> board meeting? We need them to settle the budget for next year.",
        "> Thanks, Anna",
    ];
    let signature = [
        "--",
        "David Okafor",
        "Finance, Lagos office",
        "+234 1 555 0100",
    ];
    let text = format!(
        "{}\n\n{}\n\n{}\n\n{}\n",
        wrap(PROSE[0], 72, ""),
        wrap(PROSE[1], 72, ""),
        quoted.join("\n"),
        signature.join("\n")
    );
    let mut paragraphs = vec![wrap(PROSE[0], 72, ""), wrap(PROSE[1], 72, "")];
    paragraphs.extend(quoted.iter().map(|l| l.to_string()));
    paragraphs.extend(signature.iter().map(|l| l.to_string()));
    all.push(Example {
        kind: "e-mail with a quote and a signature",
        text,
        paragraphs,
    });

    // An e-mail body wrapped by `fmt -w 66`, which balances line lengths and so breaks some
    // lines before the next word would have run past the width.
    let balanced = "The city council voted on Tuesday to extend the library's opening\nhours through the winter, after a petition signed by more than\ntwo thousand residents asked for evening access during the exam\nseason. The measure passed seven votes to two. Members who\nopposed it said the cost had not been settled and would fall\non next year's budget, which is already under pressure from\nroad repairs. A spokeswoman for the library said staff would be\nasked to volunteer for the later shifts before any new hiring\nwas considered, and that the first extended evening would be\non December 1.";
    all.push(Example {
        kind: "e-mail body wrapped with balanced lines",
        text: format!("{balanced}\n\nRegards,\nDavid\n"),
        paragraphs: vec![balanced.to_string(), "Regards,".into(), "David".into()],
    });

    // Lowercase lines that do not fill the width: items, not wrapped prose.
    let items = [
        "the committee meets on the first monday",
        "the treasurer presents the accounts at every single meeting",
        "the secretary keeps the minutes and sends them out",
        "the chair sets the agenda a week before",
    ];
    all.push(Example {
        kind: "list without markers",
        text: items.join("\n"),
        paragraphs: items.iter().map(|l| l.to_string()).collect(),
    });

    // A scrape with one paragraph a line.
    all.push(Example {
        kind: "one paragraph a line",
        text: PROSE.join("\n"),
        paragraphs: PROSE.iter().map(|p| p.to_string()).collect(),
    });

    // Lists: bullets, numbers, and short headlines.
    let bullets = [
        "- Extend opening hours on weekdays until nine in the evening",
        "- Open on Sunday afternoons during the exam season",
        "- Hire two more staff for the reading rooms",
        "- Review the budget for the extended hours in March",
    ];
    let numbered = [
        "1. Read the minutes of the previous meeting and approve them",
        "2. Report of the treasurer on the accounts for the year",
        "3. Election of the new members of the board of trustees",
    ];
    let headlines = [
        "Markets Rally As Inflation Cools In October",
        "Local Team Wins The Championship Final",
        "Weather: Storm Expected Over The Weekend",
    ];
    let text = format!(
        "{}\n\n{}\n\n{}\n",
        bullets.join("\n"),
        numbered.join("\n"),
        headlines.join("\n")
    );
    all.push(Example {
        kind: "lists",
        text,
        paragraphs: bullets
            .iter()
            .chain(&numbered)
            .chain(&headlines)
            .map(|l| l.to_string())
            .collect(),
    });

    // A table of aligned columns.
    let rows = [
        "Company            Revenue    Profit    Change",
        "Accra Mining       1,204.5     210.3     +4.1%",
        "Lagos Telecom        980.2      88.0     -2.3%",
        "Nairobi Foods        455.9      41.7     +0.8%",
    ];
    all.push(Example {
        kind: "table",
        text: rows.join("\n"),
        paragraphs: rows.iter().map(|l| l.to_string()).collect(),
    });
    all
}

#[test]
fn auto_split_matches_the_labelled_paragraphs() {
    let mut total = (0usize, 0usize, 0usize); // (labelled, cut, matching)
    let mut failures = Vec::new();
    for example in examples() {
        let cut: Vec<String> = segment(&example.text, SplitMode::Auto)
            .into_iter()
            .map(|s| example.text[s.start..s.end].to_string())
            .collect();
        let matching = cut
            .iter()
            .filter(|p| example.paragraphs.contains(p))
            .count();
        eprintln!(
            "{:<40} labelled {:>2}, cut {:>2}, matching {:>2}",
            example.kind,
            example.paragraphs.len(),
            cut.len(),
            matching
        );
        total.0 += example.paragraphs.len();
        total.1 += cut.len();
        total.2 += matching;
        if matching != example.paragraphs.len() || cut.len() != example.paragraphs.len() {
            failures.push((example.kind, cut));
        }
    }
    let precision = total.2 as f64 / total.1 as f64;
    let recall = total.2 as f64 / total.0 as f64;
    eprintln!("precision {precision:.3}, recall {recall:.3}");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn repeated_table_lines_are_reported_as_repeats() {
    // Joined as one "hard-wrapped paragraph", these nine lines reported no repeat, although four
    // of them occur twice.
    let text = "Shr loss 6.48 DLS VS PROFIT 23 CTS\nShr loss 6.48 DLS VS PROFIT 23 CTS\nNet loss 110.6 mln vs profit 4.1 mln\nShr loss 6.52 dlrs vs profit 3.87 dlrs\nnet loss 111.2 mln vs profit 64.2 mln\nShr loss 6.48 DLS VS PROFIT 23 CTS\nNet loss 110.6 mln vs profit 4.1 mln\nShr loss 6.52 dlrs vs profit 3.87 dlrs\nnet loss 111.2 mln vs profit 64.2 mln\n";
    let mut scanner = Scanner::new(ScanParams::default()).unwrap();
    scanner.add_batch(vec![Document {
        id: "wire".into(),
        source: None,
        location: Location {
            path: "wire.txt".into(),
            line: None,
            row: None,
        },
        text: text.into(),
    }]);
    let outcome = scanner.finish();
    assert_eq!(outcome.summary.paragraphs, 9);
    assert_eq!(outcome.clusters.len(), 4);
    assert_eq!(outcome.summary.duplicate_paragraphs, 5);
}
