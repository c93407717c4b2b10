//! Dense families of near-duplicate paragraphs, the shape of templated scraped text.
//!
//! The news generator plants copies in pairs and small groups. Scraped corpora are also full of
//! families: product pages, job ads and templated news give thousands of paragraphs that are all
//! near copies of one another. A family here is one base paragraph and its variants, in one of
//! three shapes: a word or three replaced in each variant ([`FamilyKind::Variants`]), only the
//! numbers redrawn ([`FamilyKind::Numbers`]: different facts, not copies, unless digits are
//! folded), or each variant edited from the one before ([`FamilyKind::Drift`]: a chain whose ends
//! are far apart). [`family_documents`] shuffles the members of several families and lays them
//! out one paragraph a line, so `--split auto` cuts each line into one paragraph.

use super::{words, Rng, ADJECTIVES, LAST_NAMES, NOUNS, PLACES, VERBS};
use paradup::{Document, Location};

/// How the variants of a family differ from its base paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyKind {
    /// Each variant has `low..=high` words of the base replaced, at random positions.
    Variants {
        /// Fewest words replaced.
        low: usize,
        /// Most words replaced.
        high: usize,
    },
    /// The words are the template's; every number is drawn afresh for each variant.
    Numbers,
    /// Each variant is the one before with one word replaced.
    Drift,
}

/// One family to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilySpec {
    /// How the variants differ.
    pub kind: FamilyKind,
    /// Number of variants.
    pub variants: usize,
    /// Words in the base paragraph.
    pub words: usize,
}

/// The families of the accuracy evaluation: four families of 500 to 5,000 variants with one to
/// three words changed in 40 to 80 words, one templated family whose variants differ only in
/// their numbers, and two drift chains.
pub fn evaluation_families() -> Vec<FamilySpec> {
    let variants = |low, high, variants, words| FamilySpec {
        kind: FamilyKind::Variants { low, high },
        variants,
        words,
    };
    vec![
        variants(1, 3, 5000, 60),
        variants(2, 2, 3000, 60),
        variants(1, 2, 1500, 40),
        variants(1, 3, 500, 80),
        FamilySpec {
            kind: FamilyKind::Numbers,
            variants: 1000,
            words: 40,
        },
        FamilySpec {
            kind: FamilyKind::Drift,
            variants: 800,
            words: 60,
        },
        FamilySpec {
            kind: FamilyKind::Drift,
            variants: 300,
            words: 45,
        },
    ]
}

/// A generated paragraph and the family it belongs to (its index in the specs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyParagraph {
    /// Index of the family in the specs given.
    pub family: u32,
    /// The paragraph's text.
    pub text: String,
}

struct Vocabulary {
    words: Vec<&'static str>,
}

impl Vocabulary {
    fn new() -> Self {
        let mut all = Vec::new();
        for list in [NOUNS, VERBS, ADJECTIVES, PLACES, LAST_NAMES] {
            all.extend(words(list));
        }
        all.sort_unstable();
        all.dedup();
        Vocabulary { words: all }
    }

    fn word(&self, rng: &mut Rng) -> String {
        self.words[rng.below(self.words.len())].to_lowercase()
    }

    /// A word other than `current`.
    fn other_than(&self, current: &str, rng: &mut Rng) -> String {
        loop {
            let word = self.word(rng);
            if word != current {
                return word;
            }
        }
    }
}

/// How a template prints the number in one slot: digits before and after the decimal point.
#[derive(Clone, Copy)]
struct NumberFormat {
    whole: u32,
    decimals: u32,
}

impl NumberFormat {
    fn draw(rng: &mut Rng) -> Self {
        NumberFormat {
            whole: rng.between(2, 4) as u32,
            decimals: [0, 0, 1, 2][rng.below(4)],
        }
    }

    /// A number in this format, its first digit not 0.
    fn number(self, rng: &mut Rng) -> String {
        let digits = |count: u32, rng: &mut Rng| {
            let low = 10usize.pow(count - 1);
            rng.between(low, 10 * low - 1).to_string()
        };
        let whole = digits(self.whole, rng);
        if self.decimals == 0 {
            whole
        } else {
            format!("{whole}.{}", digits(self.decimals, rng))
        }
    }
}

/// Joins words into sentences of about a dozen words: capitalized, ending in a period.
fn prose(tokens: &[String]) -> String {
    let mut out = String::new();
    for (i, word) in tokens.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i % 12 == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push_str(word);
        }
        if i % 12 == 11 || i + 1 == tokens.len() {
            out.push('.');
        }
    }
    out
}

/// The members of one family, in generation order.
fn family(spec: FamilySpec, vocabulary: &Vocabulary, rng: &mut Rng) -> Vec<String> {
    let size = spec.words.max(1);
    let mut base: Vec<String> = (0..size).map(|_| vocabulary.word(rng)).collect();
    let mut out = Vec::with_capacity(spec.variants);
    match spec.kind {
        FamilyKind::Variants { low, high } => {
            for _ in 0..spec.variants {
                let mut variant = base.clone();
                let changes = rng.between(low.min(high), high).min(size);
                let mut positions: Vec<usize> = Vec::with_capacity(changes);
                while positions.len() < changes {
                    let at = rng.below(size);
                    if !positions.contains(&at) {
                        positions.push(at);
                    }
                }
                for at in positions {
                    variant[at] = vocabulary.other_than(&base[at], rng);
                }
                out.push(prose(&variant));
            }
        }
        FamilyKind::Numbers => {
            // Every fifth word is a number slot, printed in the same format in every variant.
            let slots: Vec<(usize, NumberFormat)> = (2..size)
                .step_by(5)
                .map(|at| (at, NumberFormat::draw(rng)))
                .collect();
            for _ in 0..spec.variants {
                for &(at, format) in &slots {
                    base[at] = format.number(rng);
                }
                out.push(prose(&base));
            }
        }
        FamilyKind::Drift => {
            for _ in 0..spec.variants {
                let at = rng.below(size);
                base[at] = vocabulary.other_than(&base[at], rng);
                out.push(prose(&base));
            }
        }
    }
    out
}

/// The members of every family in `specs`, shuffled together; the same seed gives the same
/// paragraphs in the same order.
pub fn family_paragraphs(seed: u64, specs: &[FamilySpec]) -> Vec<FamilyParagraph> {
    let mut rng = Rng(seed ^ 0xFA41_1E5D_E45E);
    let vocabulary = Vocabulary::new();
    let mut all = Vec::new();
    for (index, &spec) in specs.iter().enumerate() {
        for text in family(spec, &vocabulary, &mut rng) {
            all.push(FamilyParagraph {
                family: index as u32,
                text,
            });
        }
    }
    for i in (1..all.len()).rev() {
        let j = rng.below(i + 1);
        all.swap(i, j);
    }
    all
}

/// The paragraphs of [`family_paragraphs`] as documents of `per_document` lines each (one
/// paragraph a line), read from lines of a file `families.jsonl`.
pub fn family_documents(paragraphs: &[FamilyParagraph], per_document: usize) -> Vec<Document> {
    paragraphs
        .chunks(per_document.max(1))
        .enumerate()
        .map(|(index, chunk)| Document {
            id: format!("family-{index}"),
            source: None,
            location: Location {
                path: "families.jsonl".into(),
                line: Some(index as u64 + 1),
                row: None,
            },
            text: chunk
                .iter()
                .map(|p| p.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use paradup_core::segment::{segment, SplitMode};

    #[test]
    fn families_have_their_sizes_and_one_paragraph_a_line() {
        let specs = [
            FamilySpec {
                kind: FamilyKind::Variants { low: 1, high: 3 },
                variants: 50,
                words: 40,
            },
            FamilySpec {
                kind: FamilyKind::Numbers,
                variants: 20,
                words: 40,
            },
            FamilySpec {
                kind: FamilyKind::Drift,
                variants: 30,
                words: 60,
            },
        ];
        let paragraphs = family_paragraphs(3, &specs);
        assert_eq!(paragraphs, family_paragraphs(3, &specs));
        for (index, spec) in specs.iter().enumerate() {
            let members: Vec<&FamilyParagraph> = paragraphs
                .iter()
                .filter(|p| p.family == index as u32)
                .collect();
            assert_eq!(members.len(), spec.variants);
            for member in members {
                assert_eq!(member.text.split(' ').count(), spec.words);
            }
        }
        let documents = family_documents(&paragraphs, 7);
        assert_eq!(documents.len(), 100usize.div_ceil(7));
        let lines: usize = documents
            .iter()
            .map(|d| segment(&d.text, SplitMode::Auto).len())
            .sum();
        assert_eq!(lines, 100);
    }

    #[test]
    fn number_variants_differ_only_in_digits() {
        let specs = [FamilySpec {
            kind: FamilyKind::Numbers,
            variants: 10,
            words: 40,
        }];
        let paragraphs = family_paragraphs(5, &specs);
        let strip = |text: &str| -> String {
            text.chars()
                .filter(|c| !c.is_ascii_digit() && *c != '.')
                .collect()
        };
        let first = strip(&paragraphs[0].text);
        assert!(paragraphs.iter().all(|p| strip(&p.text) == first));
        assert!(paragraphs[1..].iter().any(|p| p.text != paragraphs[0].text));
    }
}
