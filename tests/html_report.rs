//! The HTML report through the real binary: its structure on the bundled data, its limits, and
//! the escaping of corpus text that carries markup and scripts.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn paradup() -> Command {
    Command::cargo_bin("paradup").unwrap()
}

/// Runs `scan` with `args` and returns the HTML page and the JSON report it wrote.
fn scan(dir: &Path, args: &[&str]) -> (String, serde_json::Value) {
    let html = dir.join("report.html");
    let json = dir.join("report.json");
    paradup()
        .arg("scan")
        .args(args)
        .arg("--html")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .arg("--quiet")
        .assert()
        .success();
    let page = fs::read_to_string(&html).unwrap();
    let report = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    (page, report)
}

/// The part of the page from `<section id="{id}"` to the end of that section.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = page[start..].find("</section>").unwrap() + start;
    &page[start..end]
}

/// `text` as the page's HTML escaping writes it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// Values of every `name="..."` attribute in the page.
fn attribute_values<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    page.match_indices(&needle)
        .map(|(at, _)| {
            let value = &page[at + needle.len()..];
            &value[..value.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn bundled_data_report_has_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let (page, report) = scan(dir.path(), &["data/"]);
    let clusters = report["clusters"].as_array().unwrap().len();
    assert_eq!(clusters, 12, "the bundled data has 12 clusters");

    for id in ["summary", "plots", "boilerplate", "within", "clusters"] {
        assert!(
            page.contains(&format!("<section id=\"{id}\"")),
            "section {id}"
        );
    }
    // No sources in plain text files: no per-source section, but a per-document plot.
    assert!(!page.contains("<section id=\"sources\""));
    assert_eq!(page.matches("<svg class=\"plot\"").count(), 3);
    assert!(page.contains("id=\"plot-documents\""));

    // Summary cards carry the report's figures.
    let summary = section(&page, "summary");
    assert!(summary.contains("<div class=\"card-value\">6</div>"));
    assert!(summary.contains("<div class=\"card-value\">64</div>"));
    assert!(summary.contains("<div class=\"card-value\">39.1%</div>"));
    assert!(summary.contains("<div class=\"card-value\">39.9%</div>"));

    // Every cluster is shown (fewer than the default limit), once.
    assert_eq!(page.matches("<article class=\"cluster\"").count(), clusters);
    for c in report["clusters"].as_array().unwrap() {
        let anchor = format!("id=\"c-{}\"", c["id"]);
        assert_eq!(page.matches(&anchor).count(), 1, "{anchor}");
    }

    // The publisher's disclaimer tops the boilerplate ranking.
    let boilerplate = section(&page, "boilerplate");
    let first_row = boilerplate.split("<tr>").nth(2).unwrap();
    assert!(
        first_row.starts_with("<td class=\"num\">1</td>"),
        "{first_row}"
    );
    assert!(
        first_row.contains("MENAFN provides the information “as is” without warranty"),
        "{first_row}"
    );
    assert_eq!(boilerplate.matches("<tr>").count(), 1 + 6);

    // The article scraped twice leads the within-document table with its five repeats.
    let within = section(&page, "within");
    let first_row = within.split("<tr>").nth(2).unwrap();
    assert!(first_row.contains(&escaped("data/articles/000_f1f90f2143f892f6.txt")));
    assert!(
        first_row.contains(">5 <span class=\"muted\">of 18"),
        "{first_row}"
    );

    // The syndicated near copy is shown beside its original, the changed word marked.
    assert!(page.contains("<del>consortium</del>"));
    assert!(page.contains("<ins>group</ins>"));

    // Self-contained: links stay inside the page, nothing is loaded, the policy allows nothing.
    for href in attribute_values(&page, "href") {
        assert!(href.starts_with('#'), "external link {href}");
    }
    assert!(attribute_values(&page, "src").is_empty());
    for tag in ["<link", "<img", "<iframe", "<object", "<embed", "url("] {
        assert!(!page.contains(tag), "{tag}");
    }
    assert!(page.contains("content=\"default-src 'none'; style-src 'sha256-"));
    assert_eq!(page.matches("<script").count(), 1);
}

#[test]
fn html_top_limits_the_clusters_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (page, _) = scan(dir.path(), &["data/", "--html-top", "3"]);
    assert_eq!(page.matches("<article class=\"cluster\"").count(), 3);
    assert!(page.contains("9 more clusters"));
    // The three with the most copies: the 5-copy clusters 7, 8 and 9, by repeated bytes.
    let order: Vec<&str> = page
        .match_indices("<article class=\"cluster\" id=\"")
        .map(|(at, m)| {
            let rest = &page[at + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(order, ["c-8", "c-9", "c-7"]);
    // Tables are cut to the same limit; a cluster that is not shown is not linked.
    let boilerplate = section(&page, "boilerplate");
    assert_eq!(boilerplate.matches("<tr>").count(), 1 + 3);
    assert!(boilerplate.contains("3 more shared passages"));
    assert!(boilerplate.contains("href=\"#c-8\""));
}

#[test]
fn corpus_markup_and_scripts_come_out_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pages.jsonl");
    let script = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let mut lines = String::new();
    for i in 0..3 {
        let record = serde_json::json!({
            "id": format!("<i>page {i}</i>"),
            "site": format!("<b onmouseover=alert(3)>site {}</b>", i % 2),
            "text": format!(
                "{script} Shared footer &amp; \"quotes\" 'single' </section></body>\n\
                 Unique paragraph number {i} about something else entirely."
            ),
        });
        lines.push_str(&record.to_string());
        lines.push('\n');
    }
    fs::write(&input, lines).unwrap();
    let (page, report) = scan(
        dir.path(),
        &[input.to_str().unwrap(), "--source-field", "site"],
    );
    assert_eq!(report["clusters"].as_array().unwrap().len(), 1);

    // Only the page's own script element and none of the corpus's tags survive.
    assert_eq!(page.matches("<script").count(), 1);
    for tag in ["<img", "<i>", "<b "] {
        assert!(!page.contains(tag), "{tag} appears unescaped");
    }
    assert_eq!(
        page.matches("</section>").count(),
        page.matches("<section ").count()
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(page.contains("&amp;amp;"));
    assert!(page.contains("&lt;i&gt;page 0&lt;&#x2f;i&gt;"));

    // Sources get their section and plot, with their names escaped there too.
    let sources = section(&page, "sources");
    assert!(sources.contains("&lt;b onmouseover=alert(3)&gt;site 0&lt;&#x2f;b&gt;"));
    let plot_start = page.find("id=\"plot-sources\"").unwrap();
    let plot = &page[plot_start..plot_start + page[plot_start..].find("</figure>").unwrap()];
    assert!(plot.contains("&lt;b onmouseover=alert(3)&gt;site 1&lt;&#x2f;b&gt;"));
    assert!(!plot.contains("<b"));
}

#[test]
fn the_page_does_not_depend_on_the_thread_count() {
    let without_timing = |page: String| {
        let at = page.find("· scanned in").unwrap();
        let end = at + page[at..].find("</footer>").unwrap();
        format!("{}{}", &page[..at], &page[end..])
    };
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let (page_one, _) = scan(one.path(), &["data/", "--threads", "1"]);
    let (page_two, _) = scan(two.path(), &["data/", "--threads", "2"]);
    assert_eq!(without_timing(page_one), without_timing(page_two));
}
