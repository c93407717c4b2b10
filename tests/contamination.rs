//! Contamination by n-gram overlap, end to end: leaks planted in every form a test set takes
//! (joined paragraphs, split lines, hard wrapping on one side, quoted in a post, a word changed)
//! are found with the right reference span, and nothing else is flagged.

mod common;

use common::Scratch;
use serde_json::Value;

/// Paragraphs of the reference corpus: wire copy, three articles.
const WIRE: [[&str; 3]; 3] = [
    [
        "The regional water authority announced on Tuesday that it would spend four hundred million on new reservoirs, after two dry summers left several towns relying on tanker deliveries for weeks.",
        "Engineers said the first reservoir, in the hills above the northern valley, could be filled by the spring of next year if the autumn rains arrive on time and the pipeline contract is signed quickly.",
        "Farmers' groups welcomed the plan but warned that irrigation quotas should not be cut again while the works are under way, since many growers had already lost part of their harvest.",
    ],
    [
        "Shares in the country's largest steelmaker fell sharply in early trading after the company cut its profit forecast, blaming weak demand from carmakers and a rise in the price of coking coal.",
        "Analysts at several brokerages lowered their price targets, although most kept their recommendations unchanged, arguing that the company's new furnaces would lower costs from the middle of the decade.",
        "The chief executive told reporters that no plant closures were planned and that the company would keep paying a dividend, even if it had to borrow to do so during the coming quarters.",
    ],
    [
        "The city council voted late on Thursday to turn the old tram depot into a public library and community centre, ending a dispute with developers that had lasted almost six years.",
        "Residents who had campaigned against the sale of the site gathered outside the town hall to celebrate, some of them holding the hand-painted banners used at the first protest in the square.",
        "Work on the building is expected to begin next summer, and the council said the library would open its doors to readers within three years, funded partly by a national heritage grant.",
    ],
];

/// `text` hard-wrapped at `width` columns, its first line indented, as wire copy is.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::from("    ");
    let mut column = 4;
    let mut line_empty = true;
    for word in text.split(' ') {
        if !line_empty && column + word.len() + 1 > width {
            out.push('\n');
            column = 0;
        } else if !line_empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
        line_empty = false;
    }
    out
}

fn reference_article(paragraphs: &[&str]) -> String {
    let wrapped: Vec<String> = paragraphs.iter().map(|p| wrap(p, 68)).collect();
    format!("{}\n", wrapped.join("\n"))
}

/// The reference article and the paragraphs of it that an item leaks.
type Leak = Option<(usize, Vec<usize>)>;

/// The test items: (id, question, what it leaks).
fn items() -> Vec<(&'static str, String, Leak)> {
    let joined = format!("{} {}", WIRE[0][0], WIRE[0][1]);
    let split = WIRE[1][0].replacen(" after ", " after\n", 1);
    let hard_wrapped = wrap(WIRE[2][1], 40);
    let quoted = format!(
        "Has anyone else seen this? My neighbour sent it to me this morning.\n\n> {}\n\nI honestly \
         cannot believe it took them this long, the depot has been empty since I was at school.",
        WIRE[2][0]
    );
    let changed = WIRE[1][2].replace("dividend", "payout");
    let unrelated = "According to the ministry, the new rules will take effect next year. \
        The company said on Tuesday that it would look at the plan. Residents in the north of the \
        country were asked to save water, and the council said it would vote on the budget.";
    let one_word = ">statement.\n>Thanks!";
    vec![
        ("joined", joined, Some((0, vec![0, 1]))),
        ("split", split, Some((1, vec![0]))),
        ("hard_wrapped", hard_wrapped, Some((2, vec![1]))),
        ("quoted", quoted, Some((2, vec![0]))),
        ("changed", changed, Some((1, vec![2]))),
        ("unrelated", unrelated.to_string(), None),
        ("one_word", one_word.to_string(), None),
    ]
}

/// Writes the reference (train/NN.txt) and the test set (test.jsonl, field `question`).
fn corpus(scratch: &Scratch) {
    for (i, article) in WIRE.iter().enumerate() {
        scratch.write(&format!("train/{i:02}.txt"), &reference_article(article));
    }
    let lines: Vec<String> = items()
        .iter()
        .map(|(id, question, _)| serde_json::json!({"uid": id, "question": question}).to_string())
        .collect();
    scratch.write("test.jsonl", &(lines.join("\n") + "\n"));
}

/// Words of a text, lowercased, punctuation dropped: how the reference span is compared.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('\'', ""))
        .collect()
}

fn compare_json(scratch: &Scratch, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "compare",
        "test.jsonl",
        "--text-field",
        "question",
        "--id-field",
        "uid",
        "--reference",
        "train",
        "--reference-format",
        "text",
        "--json",
        "report.json",
    ];
    args.extend_from_slice(extra);
    let (code, _) = scratch.run(&args);
    let report: Value = serde_json::from_str(&scratch.read("report.json")).unwrap();
    (code, report)
}

#[test]
fn every_planted_leak_is_found_with_its_reference_span_and_nothing_else() {
    let scratch = Scratch::new();
    corpus(&scratch);
    let (code, report) = compare_json(&scratch, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["schema"], "paradup.compare/v2");
    let report_items = report["items"].as_array().unwrap();
    let planted = items();
    assert_eq!(report_items.len(), planted.len());
    for ((id, question, leak), item) in planted.iter().zip(report_items) {
        assert_eq!(item["doc"], *id);
        let spans = item["spans"].as_array().unwrap();
        match leak {
            None => {
                assert!(spans.is_empty(), "{id} flagged: {item}");
                assert_eq!(item["verdict"], "clean", "{id}");
                assert_eq!(item["matched_words"], 0, "{id}");
            }
            Some((article, paragraphs)) => {
                assert_eq!(spans.len(), 1, "{id}: {item}");
                let span = &spans[0];
                let reference = &span["reference"];
                let path = format!("train/{article:02}.txt");
                assert_eq!(reference["doc"], Value::from(path.clone()), "{id}");
                // The reference span is exactly the leaked paragraphs, however they are wrapped.
                let text = std::fs::read_to_string(scratch.path(&path)).unwrap();
                let start = reference["start"].as_u64().unwrap() as usize;
                let end = reference["end"].as_u64().unwrap() as usize;
                let expected: Vec<String> = paragraphs
                    .iter()
                    .flat_map(|&p| words(WIRE[*article][p]))
                    .collect();
                assert_eq!(words(&text[start..end]), expected, "{id}");
                assert_eq!(reference["text"], Value::from(&text[start..end]), "{id}");
                // The input span cuts the leak out of the question.
                let (q_start, q_end) = (
                    span["start"].as_u64().unwrap() as usize,
                    span["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(span["text"], Value::from(&question[q_start..q_end]), "{id}");
                // One word changed for one: the same number of words either way.
                assert_eq!(
                    words(&question[q_start..q_end]).len(),
                    expected.len(),
                    "{id}"
                );
            }
        }
    }
    let verdict = |id: &str| {
        report_items.iter().find(|i| i["doc"] == id).unwrap()["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for id in ["joined", "split", "hard_wrapped", "changed"] {
        assert_eq!(verdict(id), "dirty", "{id}");
    }
    // The quoted paragraph is about half of the post.
    assert_eq!(verdict("quoted"), "partial");
    assert_eq!(report["summary"]["dirty"], 4);
    assert_eq!(report["summary"]["partial"], 1);
    assert_eq!(report["summary"]["clean"], 2);
}

#[test]
fn clean_and_dirty_splits_keep_the_records_as_they_were() {
    let scratch = Scratch::new();
    corpus(&scratch);
    let (code, _) = compare_json(
        &scratch,
        &[
            "--write-clean",
            "clean.jsonl",
            "--write-dirty",
            "dirty.jsonl",
        ],
    );
    assert_eq!(code, 0);
    let original = scratch.read("test.jsonl");
    let clean = scratch.read("clean.jsonl");
    let dirty = scratch.read("dirty.jsonl");
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["uid"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(ids(&clean), ["quoted", "unrelated", "one_word"]);
    assert_eq!(ids(&dirty), ["joined", "split", "hard_wrapped", "changed"]);
    // Every line is one of the original lines, byte for byte, and none is lost.
    let mut all: Vec<&str> = clean.lines().chain(dirty.lines()).collect();
    all.sort();
    let mut expected: Vec<&str> = original.lines().collect();
    expected.sort();
    assert_eq!(all, expected);
}

#[test]
fn a_saved_index_gives_the_same_report() {
    let scratch = Scratch::new();
    corpus(&scratch);
    let (_, direct) = compare_json(&scratch, &["--save-reference-index", "train.idx"]);
    let (code, _) = scratch.run(&[
        "compare",
        "test.jsonl",
        "--text-field",
        "question",
        "--id-field",
        "uid",
        "--reference-index",
        "train.idx",
        "--json",
        "from_index.json",
    ]);
    assert_eq!(code, 0);
    let mut from_index: Value = serde_json::from_str(&scratch.read("from_index.json")).unwrap();
    let mut direct = direct;
    for report in [&mut direct, &mut from_index] {
        report["timing"] = Value::Null;
    }
    assert_eq!(direct, from_index);
    // Judging thresholds may change with a saved index; what was indexed may not.
    let (code, _) = scratch.run(&[
        "compare",
        "test.jsonl",
        "--reference-index",
        "train.idx",
        "--min-ngram",
        "6",
    ]);
    assert_eq!(code, 2);
    // A damaged index is refused.
    let bytes = std::fs::read(scratch.path("train.idx")).unwrap();
    std::fs::write(scratch.path("cut.idx"), &bytes[..bytes.len() / 2]).unwrap();
    let out = common::paradup()
        .current_dir(scratch.dir.path())
        .args(["compare", "test.jsonl", "--reference-index", "cut.idx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.idx"));
}

#[test]
fn check_reference_fails_on_any_matched_span_and_names_it() {
    let scratch = Scratch::new();
    corpus(&scratch);
    // A training corpus that carries one test item inside a longer document.
    let leaked = format!(
        "Some long training document about many things. {}\nAnd more text after it, unrelated to the test set.",
        wrap(WIRE[1][1], 50)
    );
    scratch.write("new/leaky.txt", &leaked);
    scratch.write(
        "new/fine.txt",
        "An ordinary training document that shares nothing long with the test set at all.",
    );
    let (code, out) = scratch.run(&["check", "new", "--reference", "train"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("new/leaky.txt"), "{out}");
    assert!(!out.contains("new/fine.txt"), "{out}");
    let (code, out) = scratch.run(&["check", "new/fine.txt", "--reference", "train"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn dedup_reference_removes_the_leaked_passage_and_its_window_only() {
    let scratch = Scratch::new();
    corpus(&scratch);
    let before = "Opening words of a training page that has nothing to do with the test set, written at some length so that the window around the leak stays inside it.";
    let after = "The closing words of the same page, again long enough that the window does not swallow all of them before the end of the text.";
    let leaked = format!("{before}\n{}\n{after}\n", WIRE[0][2]);
    scratch.write("crawl/page.txt", &leaked);
    scratch.write(
        "crawl/other.txt",
        "Nothing leaked here at all, only ordinary words.\n",
    );
    let (code, out) = scratch.run(&[
        "dedup",
        "crawl",
        "-o",
        "clean",
        "--reference",
        "train",
        "--reference-window",
        "20",
    ]);
    assert_eq!(code, 0, "{out}");
    let cleaned = scratch.read("clean/page.txt");
    assert!(!cleaned.contains("irrigation quotas"), "{cleaned}");
    assert!(
        cleaned.starts_with("Opening words of a training page"),
        "{cleaned}"
    );
    assert!(
        cleaned.ends_with("swallow all of them before the end of the text.\n"),
        "{cleaned}"
    );
    assert!(cleaned.contains("Opening words of a training page that has nothing to do with the test set, written at some length"), "{cleaned}");
    // The window took at most 20 bytes on each side, and whole words.
    let removed = leaked.len() - cleaned.len();
    assert!(removed <= WIRE[0][2].len() + 2 * 21, "{removed}");
    assert_eq!(
        scratch.read("clean/other.txt"),
        "Nothing leaked here at all, only ordinary words.\n"
    );
}
