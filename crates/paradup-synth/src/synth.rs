//! Synthetic scraped-news corpora with planted duplicates, and the record of every plant.
//!
//! Accuracy can only be shown against a corpus whose duplicates are known. [`Generator`] writes
//! news articles word by word from a built-in vocabulary with a fixed pseudo-random generator (the
//! same seed gives the same corpus on every machine), and plants what scraped news carries:
//! publisher disclaimers and scraper error lines shared by many articles, article bodies scraped
//! twice, quotes copied exactly, near copies with word substitutions, insertions, deletions and
//! swaps at known rates, whole syndicated articles, and paragraphs that look alike but are not
//! copies (one template, different names and figures). Every planted paragraph is described by a
//! [`Plant`], with its byte span and, for copies, the paragraph it copies.
//!
//! Articles are one paragraph a line, so `--split auto` cuts them into exactly the paragraphs the
//! plants number.

pub mod families;

use paradup::{Document, Location};
use paradup_core::Span;
use serde::Serialize;
use std::collections::VecDeque;

/// SplitMix64: a small, fixed generator, so that a seed names one corpus for good.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Skewed towards the front of a list, as word frequencies are.
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * n as f64) as usize).min(n - 1)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.skewed(words.len())]
    }
}

fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

const NOUNS: &str = "government company market council report plan deal project official minister
    police court election price rate bank board year week month city region country province
    economy budget tax investment growth inflation trade export import industry sector factory
    worker union strike wage job school hospital patient doctor student teacher university
    research study survey data figure share stock bond investor analyst fund loan debt credit
    energy oil gas power grid plant water river bridge road railway port airport flight route
    harbour terminal contract tender supplier customer consumer retailer store brand product
    service network platform software device phone app website user account license permit
    law bill rule regulation policy reform proposal agreement treaty summit meeting talks
    campaign candidate party vote voter seat parliament committee inquiry investigation case
    trial judge lawyer verdict sentence appeal ruling decision statement spokesman director
    chairman executive manager founder partner team player coach club match season league
    title championship tournament festival concert film album book author artist museum
    exhibition gallery village town district neighbourhood community resident family child
    farmer harvest crop wheat rice cattle weather storm flood drought fire earthquake rescue
    damage loss profit revenue sales earnings quarter forecast outlook target estimate demand
    supply shortage surplus deficit currency dollar euro interest mortgage housing rent
    property land building tower site area zone border island coast capital station centre";

const VERBS: &str = "said announced reported approved rejected signed launched opened closed
    raised cut increased reduced expanded delayed postponed cancelled confirmed denied blamed
    warned urged called expected estimated forecast recorded posted reached hit missed won lost
    beat faced received secured completed started finished built planned proposed introduced
    passed blocked reviewed examined investigated arrested charged fined ordered suspended
    appointed named replaced hired dismissed acquired bought sold merged invested borrowed
    paid spent saved earned owed covered supported opposed backed criticised praised welcomed
    discussed agreed promised pledged vowed threatened asked told showed revealed found noted
    added stressed argued insisted admitted claimed suggested indicated described highlighted";

const ADJECTIVES: &str = "new major local national regional federal public private small large
    first last second final early late recent current former senior junior key main central
    northern southern eastern western annual monthly weekly daily higher lower strong weak
    rising falling stable uncertain sharp modest steady record significant limited broad
    global domestic foreign international economic political financial social legal medical
    military environmental digital industrial commercial rural urban coastal historic official
    independent leading top growing ongoing planned proposed controversial popular difficult
    serious heavy light full partial temporary permanent direct joint special critical";

const FIRST_NAMES: &str = "John Maria David Anna James Sarah Michael Laura Robert Elena Thomas
    Fatima Ahmed Priya Daniel Sofia Carlos Mei Peter Olga Ali Grace Samuel Nadia Ivan Chloe
    Kenji Amara Lucas Ingrid Omar Rosa Viktor Leila Paul Hannah Mark Aisha Jorge Yuki Felix
    Irene Tomas Zara Hugo Nina Oscar Lena Arjun Claire";

const LAST_NAMES: &str = "Smith Garcia Mueller Rossi Kowalski Nguyen Okafor Tanaka Silva Patel
    Johnson Brown Martin Dubois Novak Jensen Larsen Costa Moreau Fischer Schmidt Wagner Becker
    Hoffmann Lopez Gonzalez Perez Sanchez Ramirez Torres Khan Ahmed Hassan Ibrahim Mensah
    Owusu Kim Park Lee Chen Wang Liu Zhang Suzuki Sato Ito Petrov Ivanov Popescu Horvath Nagy
    Andersen Berg Lindqvist Virtanen Murphy Kelly Walsh Byrne Taylor Evans Wilson Clarke";

const PLACES: &str = "Lagos Nairobi Accra Cairo Mumbai Delhi Jakarta Manila Hanoi Bangkok
    Seoul Osaka Sydney Auckland Toronto Denver Chicago Houston Boston Lisbon Madrid Lyon Milan
    Vienna Prague Warsaw Krakow Berlin Hamburg Oslo Helsinki Dublin Glasgow Leeds Rotterdam
    Antwerp Geneva Athens Istanbul Dubai Doha Karachi Dhaka Lima Bogota Santiago Quito Recife
    Montevideo Havana Kingston Casablanca Tunis Dakar Kampala Kigali Harare Durban Perth";

const ORG_SUFFIXES: &str = "Bank Group Holdings Energy Motors Airlines Telecom Foods Mining
    Logistics Pharma Insurance Capital Partners Industries Shipping Construction Media Labs
    Utilities";

const DAYS: &str = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday";

const MONTHS: &str = "January February March April May June July August September October
    November December";

/// Scraper debris that many articles carry: error pages, cookie notices, share prompts.
const ERROR_LINES: &[&str] = &[
    "Sorry!!",
    "Error! We're sorry, but the page you were looking for doesn't exist.",
    "This site uses cookies to deliver our services and to show you relevant news and advertising. By using our site, you acknowledge that you have read and understood our cookie policy.",
    "Please enable JavaScript in your browser to view the full content of this page.",
    "Advertisement",
];

/// Lines that follow many article bodies.
const FOOTER_LINES: &[&str] = &[
    "CommentsNo comment",
    "Share this article",
    "Legal Disclaimer:",
    "Sign up for our daily newsletter to get the latest headlines delivered to your inbox every morning before work.",
];

/// Templates of paragraphs that look alike but carry different facts. `{org}`, `{name}`,
/// `{place}`, `{day}`, `{month}`, `{num}` (a small number), `{dec}` (a decimal figure) and
/// `{up}` (rose or fell) are filled afresh for every use.
const TEMPLATES: &[&str] = &[
    "Shares of {org} {up} {dec} percent to {dec} dollars in trading on {day}, giving the company a market value of about {num} billion dollars, according to figures compiled by the exchange in {place}.",
    "The {org} football club beat the visiting side {num} to {num} on {day} evening in front of a crowd of {num} thousand, with {name} scoring twice in the second half to keep the team in the race for the title.",
    "Temperatures in {place} are expected to reach {num} degrees on {day}, with winds of up to {num} kilometres an hour and a {num} percent chance of rain by the evening, the national weather service said in its latest forecast.",
    "Consumer prices in {place} rose {dec} percent in {month} from a year earlier, after a {dec} percent increase in the previous month, the statistics office said on {day}, as food and energy costs continued to climb.",
    "{name} of {org} said the company expected revenue of {num} million dollars for the year, up from {num} million a year earlier, and would open {num} new stores in {place} before the end of {month}.",
    "Police in {place} said {num} people were injured and {num} vehicles were damaged in a collision on the main highway early on {day}, and that the road would remain closed to traffic until {month}.",
    "The central bank of {place} {up} its benchmark interest rate by {dec} percentage points to {dec} percent on {day}, the {num} change this year, saying that inflation remained well above its target.",
    "Officials in {place} said the new bridge would cost {num} million dollars and take {num} years to build, with construction by {org} due to start in {month} once the final permits had been approved by the council.",
    "{org} said on {day} that it would cut {num} jobs at its plant in {place} by {month}, blaming weaker demand and higher costs, and that {name} would lead a review of its remaining operations in the region.",
    "Voter turnout in the {place} district reached {dec} percent on {day}, with {name} winning {num} thousand votes against {num} thousand for the runner-up, according to preliminary results released by the election commission.",
    "The {place} port handled {num} thousand containers in {month}, {up} {dec} percent from the same month last year, the port authority said on {day}, citing changes in shipping routes and demand from {org}.",
    "Tickets for the festival in {place} go on sale on {day} at {num} dollars each, the organisers said, adding that {num} artists had been confirmed so far and that {name} would close the final night in {month}.",
];

/// Opening words of publisher disclaimers; each publisher's disclaimer continues with text of its own.
const DISCLAIMER_LEAD: &str = "provides the information as is without warranty of any kind. We do not accept any responsibility or liability for the accuracy, content, images, videos, licenses, completeness, legality, or reliability of the information contained in this article.";

/// What a planted paragraph is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlantKind {
    /// A scraper error or notice line, shared exactly by many articles.
    ErrorLine,
    /// A footer line shared exactly by many articles.
    Footer,
    /// The publisher's disclaimer, shared exactly by the publisher's articles.
    Boilerplate,
    /// The publisher's disclaimer with a word or two changed.
    BoilerplateVariant,
    /// A body paragraph repeated inside its own article (the body scraped twice).
    Repeat,
    /// An exact copy of a paragraph of an earlier article.
    Quote,
    /// A copy of an earlier paragraph with words edited at `rate`.
    NearCopy,
    /// A paragraph of a syndicated article: an earlier article's paragraph edited at `rate`.
    Syndicated,
    /// A paragraph from a template with its own facts: similar wording, not a copy.
    Lookalike,
    /// A sentence or two cut from an earlier paragraph: wholly contained in it.
    Excerpt,
    /// A paragraph of an article posted again unchanged (same text, another address).
    Repost,
}

/// Edits made to a copied paragraph, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Edits {
    /// Words replaced by another word.
    pub substitute: u32,
    /// Words inserted.
    pub insert: u32,
    /// Words deleted.
    pub delete: u32,
    /// Adjacent words swapped (reordered).
    pub swap: u32,
}

/// Where a copied paragraph came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// Id of the document holding the original.
    pub doc: String,
    /// Index of the original paragraph in that document.
    pub paragraph: u32,
}

/// One planted paragraph.
#[derive(Clone, Debug, Serialize)]
pub struct Plant {
    /// Id of the document it is in.
    pub doc: String,
    /// Index of the paragraph in its document.
    pub paragraph: u32,
    /// Byte offset of the paragraph in the document's text.
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
    /// What was planted.
    pub kind: PlantKind,
    /// The copied paragraph, for copies of a paragraph of the corpus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<Origin>,
    /// Per-word edit probability, for edited copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// The edits made, for edited copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edits: Option<Edits>,
    /// The template, line or publisher shared by the members of a family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<u32>,
}

/// One generated article.
#[derive(Clone, Debug)]
pub struct Article {
    /// Position in the corpus, from 0.
    pub index: u64,
    /// Document id.
    pub id: String,
    /// Publisher.
    pub source: String,
    /// Address of the article.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Text, one paragraph a line.
    pub text: String,
    /// The planted paragraphs, in text order.
    pub plants: Vec<Plant>,
}

/// Probabilities behind the corpus; [`Default`] gives the mix described in the module
/// documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Seed of the generator.
    pub seed: u64,
    /// Number of publishers.
    pub sources: usize,
    /// Share of articles that are syndicated near copies of an earlier article.
    pub syndicated: f64,
    /// Share of articles with scraper error lines at the top.
    pub error_lines: f64,
    /// Share of articles whose body is scraped twice.
    pub repeated_body: f64,
    /// Share of body paragraphs that are template look-alikes.
    pub lookalike: f64,
    /// Share of body paragraphs that are near copies of an earlier paragraph.
    pub near_copy: f64,
    /// Share of body paragraphs that are exact copies of an earlier paragraph.
    pub quote: f64,
    /// Share of body paragraphs that are excerpts (one or two sentences) of an earlier paragraph.
    pub excerpt: f64,
    /// Share of articles that are an earlier article posted again unchanged.
    pub reposted: f64,
    /// Highest per-word edit rate of a near copy (rates are uniform from 0.003 up to it).
    pub max_edit_rate: f64,
    /// Highest per-word edit rate of a syndicated article.
    pub max_syndication_rate: f64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            seed: 1,
            sources: 40,
            syndicated: 0.08,
            error_lines: 0.12,
            repeated_body: 0.06,
            lookalike: 0.10,
            near_copy: 0.10,
            quote: 0.03,
            excerpt: 0.03,
            reposted: 0.02,
            max_edit_rate: 0.09,
            max_syndication_rate: 0.03,
        }
    }
}

/// Paragraphs kept for later copies: enough for copies to reach across a corpus, bounded so that
/// a corpus of any size is written in constant memory.
const POOL_PARAGRAPHS: usize = 4096;
/// Articles kept for syndication.
const POOL_ARTICLES: usize = 512;

struct Source {
    name: String,
    host: String,
    disclaimer: String,
}

struct PooledArticle {
    id: String,
    title: String,
    text: String,
    /// The paragraphs of the article's body (after any error lines, before any repeat).
    body: Vec<(u32, String)>,
}

/// Writes articles one after another; an endless iterator.
pub struct Generator {
    rng: Rng,
    options: SynthOptions,
    next_index: u64,
    sources: Vec<Source>,
    paragraphs: VecDeque<(Origin, String)>,
    articles: VecDeque<PooledArticle>,
    nouns: Vec<&'static str>,
    verbs: Vec<&'static str>,
    adjectives: Vec<&'static str>,
    first_names: Vec<&'static str>,
    last_names: Vec<&'static str>,
    places: Vec<&'static str>,
    org_suffixes: Vec<&'static str>,
    days: Vec<&'static str>,
    months: Vec<&'static str>,
    /// Scratch space for edits.
    tokens: Vec<String>,
}

/// An article being written: its text and the span of each line.
struct Draft {
    text: String,
    lines: Vec<Span>,
}

impl Draft {
    fn push(&mut self, line: &str) -> (u32, Span) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        let start = self.text.len();
        self.text.push_str(line);
        let span = Span {
            start,
            end: self.text.len(),
        };
        self.lines.push(span);
        (self.lines.len() as u32 - 1, span)
    }
}

impl Generator {
    /// A generator with the default mix and `seed`.
    pub fn new(seed: u64) -> Self {
        Generator::with_options(SynthOptions {
            seed,
            ..SynthOptions::default()
        })
    }

    /// A generator with the given mix.
    pub fn with_options(options: SynthOptions) -> Self {
        let mut generator = Generator {
            rng: Rng(options.seed ^ 0x5EED_0FC0_4B05),
            next_index: 0,
            sources: Vec::new(),
            paragraphs: VecDeque::new(),
            articles: VecDeque::new(),
            nouns: words(NOUNS),
            verbs: words(VERBS),
            adjectives: words(ADJECTIVES),
            first_names: words(FIRST_NAMES),
            last_names: words(LAST_NAMES),
            places: words(PLACES),
            org_suffixes: words(ORG_SUFFIXES),
            days: words(DAYS),
            months: words(MONTHS),
            tokens: Vec::new(),
            options,
        };
        for i in 0..generator.options.sources.max(1) {
            let place = generator.places[i % generator.places.len()];
            let suffix = [
                "Herald", "Times", "Post", "Wire", "Daily", "Observer", "Gazette",
            ][i % 7];
            let name = format!("{place} {suffix}");
            let host = format!("www.{}{}.com", place.to_lowercase(), suffix.to_lowercase());
            let mut disclaimer = format!("{name} {DISCLAIMER_LEAD}");
            for _ in 0..2 {
                disclaimer.push(' ');
                generator.sentence(&mut disclaimer);
            }
            generator.sources.push(Source {
                name,
                host,
                disclaimer,
            });
        }
        generator
    }

    fn name(&mut self, out: &mut String) {
        out.push_str(self.rng.pick(&self.first_names));
        out.push(' ');
        let last = self.last_names[self.rng.below(self.last_names.len())];
        out.push_str(last);
    }

    fn org(&mut self, out: &mut String) {
        let place = self.places[self.rng.below(self.places.len())];
        let suffix = self.org_suffixes[self.rng.below(self.org_suffixes.len())];
        out.push_str(place);
        out.push(' ');
        out.push_str(suffix);
    }

    fn number(&mut self, out: &mut String) {
        let n = match self.rng.below(3) {
            0 => self.rng.between(2, 19),
            1 => self.rng.between(20, 999),
            _ => self.rng.between(1000, 99_999),
        };
        out.push_str(&n.to_string());
    }

    fn decimal(&mut self, out: &mut String) {
        let whole = self.rng.between(0, 99);
        let tenth = self.rng.below(10);
        out.push_str(&format!("{whole}.{tenth}"));
    }

    fn noun_phrase(&mut self, out: &mut String) {
        let definite = self.rng.chance(0.7);
        let adjective = if self.rng.chance(0.5) {
            Some(self.rng.pick(&self.adjectives))
        } else {
            None
        };
        let noun = self.rng.pick(&self.nouns);
        let next = adjective.unwrap_or(noun);
        out.push_str(if definite {
            "the "
        } else if next.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an "
        } else {
            "a "
        });
        if let Some(adjective) = adjective {
            out.push_str(adjective);
            out.push(' ');
        }
        out.push_str(noun);
        if self.rng.chance(0.25) {
            out.push_str(" of the ");
            out.push_str(self.rng.pick(&self.nouns));
        }
    }

    fn subject(&mut self, out: &mut String) {
        match self.rng.below(5) {
            0 => self.name(out),
            1 => self.org(out),
            2 => {
                out.push_str("officials in ");
                out.push_str(self.places[self.rng.below(self.places.len())]);
            }
            _ => self.noun_phrase(out),
        }
    }

    fn modifier(&mut self, out: &mut String) {
        match self.rng.below(6) {
            0 => {
                out.push_str(" in ");
                out.push_str(self.places[self.rng.below(self.places.len())]);
            }
            1 => {
                out.push_str(" on ");
                out.push_str(self.days[self.rng.below(self.days.len())]);
            }
            2 => {
                out.push_str(" by ");
                out.push_str(self.months[self.rng.below(self.months.len())]);
            }
            3 => {
                out.push_str(" after ");
                self.noun_phrase(out);
            }
            4 => {
                out.push_str(" for ");
                self.noun_phrase(out);
            }
            _ => {}
        }
    }

    /// One sentence, capitalized and ending in a period, appended to `out`.
    fn sentence(&mut self, out: &mut String) {
        let start = out.len();
        match self.rng.below(6) {
            0 | 1 => {
                self.subject(out);
                out.push(' ');
                out.push_str(self.rng.pick(&self.verbs));
                out.push(' ');
                self.noun_phrase(out);
                self.modifier(out);
                self.modifier(out);
            }
            2 => {
                self.subject(out);
                out.push_str(" said ");
                self.noun_phrase(out);
                out.push_str(" had ");
                out.push_str(self.rng.pick(&self.verbs));
                out.push(' ');
                self.noun_phrase(out);
                self.modifier(out);
            }
            3 => {
                out.push_str(if self.rng.chance(0.5) { "In " } else { "By " });
                out.push_str(self.months[self.rng.below(self.months.len())]);
                out.push_str(", ");
                self.noun_phrase(out);
                out.push(' ');
                out.push_str(self.rng.pick(&self.verbs));
                out.push(' ');
                self.number(out);
                out.push(' ');
                out.push_str(self.rng.pick(&self.nouns));
                out.push('s');
                self.modifier(out);
            }
            4 => {
                out.push('"');
                self.noun_phrase(out);
                out.push(' ');
                out.push_str(self.rng.pick(&self.verbs));
                out.push(' ');
                self.noun_phrase(out);
                out.push_str(",\" ");
                self.name(out);
                out.push_str(" said");
            }
            _ => {
                out.push_str("The ");
                out.push_str(self.rng.pick(&self.nouns));
                out.push_str(" of ");
                self.org(out);
                out.push(' ');
                out.push_str(self.rng.pick(&self.verbs));
                out.push(' ');
                self.decimal(out);
                out.push_str(" percent");
                self.modifier(out);
            }
        }
        out.push('.');
        if let Some((at, first)) = out[start..].char_indices().find(|(_, c)| c.is_alphabetic()) {
            if first.is_lowercase() {
                let upper: String = first.to_uppercase().collect();
                let at = start + at;
                out.replace_range(at..at + first.len_utf8(), &upper);
            }
        }
    }

    /// A fresh paragraph of `low..=high` sentences.
    fn paragraph(&mut self, low: usize, high: usize) -> String {
        let mut out = String::with_capacity(512);
        for i in 0..self.rng.between(low, high) {
            if i > 0 {
                out.push(' ');
            }
            self.sentence(&mut out);
        }
        out
    }

    fn template(&mut self, family: usize) -> String {
        let mut out = String::with_capacity(256);
        let mut rest = TEMPLATES[family];
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap_or(0);
            match &rest[open + 1..close] {
                "org" => self.org(&mut out),
                "name" => self.name(&mut out),
                "place" => out.push_str(self.places[self.rng.below(self.places.len())]),
                "day" => out.push_str(self.days[self.rng.below(self.days.len())]),
                "month" => out.push_str(self.months[self.rng.below(self.months.len())]),
                "num" => self.number(&mut out),
                "dec" => self.decimal(&mut out),
                "up" => out.push_str(if self.rng.chance(0.5) { "rose" } else { "fell" }),
                _ => {}
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `text` with each word edited with probability `rate`: substituted, followed by an
    /// inserted word, deleted, or swapped with the next word, one kind in four.
    fn edit(&mut self, text: &str, rate: f64) -> (String, Edits) {
        let mut edits = Edits::default();
        let mut tokens = std::mem::take(&mut self.tokens);
        tokens.clear();
        let source: Vec<&str> = text.split(' ').collect();
        let mut i = 0;
        while i < source.len() {
            let word = source[i];
            i += 1;
            if !self.rng.chance(rate) {
                tokens.push(word.to_string());
                continue;
            }
            match self.rng.below(4) {
                0 => {
                    edits.substitute += 1;
                    let mut replacement = self.rng.pick(&self.nouns).to_string();
                    if word.ends_with(['.', ',']) {
                        replacement.push_str(&word[word.len() - 1..]);
                    }
                    tokens.push(replacement);
                }
                1 => {
                    edits.insert += 1;
                    tokens.push(word.to_string());
                    tokens.push(self.rng.pick(&self.adjectives).to_string());
                }
                2 if source.len() > 1 => edits.delete += 1,
                3 if i < source.len() => {
                    edits.swap += 1;
                    tokens.push(source[i].to_string());
                    tokens.push(word.to_string());
                    i += 1;
                }
                _ => tokens.push(word.to_string()),
            }
        }
        let out = tokens.join(" ");
        self.tokens = tokens;
        (out, edits)
    }

    fn edit_rate(&mut self, high: f64) -> f64 {
        let rate = 0.003 + self.rng.unit() * (high - 0.003).max(0.0);
        (rate * 10_000.0).round() / 10_000.0
    }

    /// The next article.
    pub fn next_article(&mut self) -> Article {
        let index = self.next_index;
        self.next_index += 1;
        let source_index = self.rng.skewed(self.sources.len());
        let slug: String = self.sources[source_index]
            .name
            .split(' ')
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join("-");
        let id = format!("{slug}-{index:07}");
        let mut draft = Draft {
            text: String::with_capacity(4096),
            lines: Vec::new(),
        };
        let mut plants = Vec::new();
        let plant = |paragraph: u32, span: Span, kind: PlantKind| Plant {
            doc: id.clone(),
            paragraph,
            start: span.start,
            end: span.end,
            kind,
            of: None,
            rate: None,
            edits: None,
            family: None,
        };

        let roll = self.rng.unit();
        let syndicate = !self.articles.is_empty() && roll < self.options.syndicated;
        let repost = !self.articles.is_empty()
            && !syndicate
            && roll < self.options.syndicated + self.options.reposted;
        // Fresh paragraphs, material for later copies; and every paragraph of the body.
        let mut body: Vec<(u32, String)> = Vec::new();
        let mut whole_body: Vec<(u32, String)> = Vec::new();
        let title;
        if repost {
            let pick = self.rng.below(self.articles.len());
            let original = &self.articles[pick];
            title = original.title.clone();
            let original_id = original.id.clone();
            let text = original.text.clone();
            for (paragraph, line) in text.split('\n').enumerate() {
                let (_, span) = draft.push(line);
                let mut p = plant(paragraph as u32, span, PlantKind::Repost);
                p.of = Some(Origin {
                    doc: original_id.clone(),
                    paragraph: paragraph as u32,
                });
                plants.push(p);
            }
        } else if syndicate {
            let pick = self.rng.below(self.articles.len());
            let rate = self.edit_rate(self.options.max_syndication_rate);
            let original_id = self.articles[pick].id.clone();
            title = self.articles[pick].title.clone();
            let paragraphs = self.articles[pick].body.clone();
            for (original_paragraph, text) in paragraphs {
                if paragraphs_len_guard(&draft) && self.rng.chance(0.05) {
                    continue; // the syndicating site dropped a paragraph
                }
                let (edited, edits) = self.edit(&text, rate);
                let (paragraph, span) = draft.push(&edited);
                let mut p = plant(paragraph, span, PlantKind::Syndicated);
                p.of = Some(Origin {
                    doc: original_id.clone(),
                    paragraph: original_paragraph,
                });
                p.rate = Some(rate);
                p.edits = Some(edits);
                plants.push(p);
            }
            let credit = format!(
                "This article first appeared on {} and is republished here under a content-sharing agreement.",
                self.sources[self.rng.below(self.sources.len())].name
            );
            draft.push(&credit);
        } else {
            let mut headline = String::new();
            self.subject(&mut headline);
            headline.push(' ');
            headline.push_str(self.rng.pick(&self.verbs));
            headline.push(' ');
            self.noun_phrase(&mut headline);
            title = capitalize(&headline);

            if self.rng.chance(self.options.error_lines) {
                let first = self.rng.below(ERROR_LINES.len());
                let count = self.rng.between(1, 3);
                for (line, text) in ERROR_LINES.iter().enumerate().skip(first).take(count) {
                    let (paragraph, span) = draft.push(text);
                    let mut p = plant(paragraph, span, PlantKind::ErrorLine);
                    p.family = Some(line as u32);
                    plants.push(p);
                }
            }
            let place = self.places[self.rng.below(self.places.len())].to_uppercase();
            let mut lead = format!("{place} - ");
            lead.push_str(&self.paragraph(2, 4));
            let (paragraph, _) = draft.push(&lead);
            body.push((paragraph, lead.clone()));
            whole_body.push((paragraph, lead));
            for _ in 0..self.rng.between(2, 10) {
                let roll = self.rng.unit();
                let o = &self.options;
                let (lookalike, near, quote) = (o.lookalike, o.near_copy, o.quote);
                let excerpt = lookalike + near + quote + o.excerpt;
                if roll < lookalike {
                    let family = self.rng.below(TEMPLATES.len());
                    let text = self.template(family);
                    let (paragraph, span) = draft.push(&text);
                    let mut p = plant(paragraph, span, PlantKind::Lookalike);
                    p.family = Some(family as u32);
                    plants.push(p);
                } else if roll < lookalike + near + quote && !self.paragraphs.is_empty() {
                    let (origin, text) =
                        self.paragraphs[self.rng.below(self.paragraphs.len())].clone();
                    let exact = roll >= lookalike + near;
                    let (copy, rate, edits) = if exact {
                        (text, None, None)
                    } else {
                        let rate = self.edit_rate(self.options.max_edit_rate);
                        let (copy, edits) = self.edit(&text, rate);
                        (copy, Some(rate), Some(edits))
                    };
                    let (paragraph, span) = draft.push(&copy);
                    let kind = if exact {
                        PlantKind::Quote
                    } else {
                        PlantKind::NearCopy
                    };
                    let mut p = plant(paragraph, span, kind);
                    p.of = Some(origin);
                    p.rate = rate;
                    p.edits = edits;
                    plants.push(p);
                } else if roll < excerpt && !self.paragraphs.is_empty() {
                    let (origin, text) =
                        self.paragraphs[self.rng.below(self.paragraphs.len())].clone();
                    let sentences: Vec<&str> = text.split_inclusive(". ").collect();
                    let first = self.rng.below(sentences.len());
                    let last = (first + self.rng.between(1, 2)).min(sentences.len());
                    let cut = sentences[first..last].concat();
                    let (paragraph, span) = draft.push(cut.trim());
                    let mut p = plant(paragraph, span, PlantKind::Excerpt);
                    p.of = Some(origin);
                    plants.push(p);
                } else {
                    let text = self.paragraph(2, 5);
                    let (paragraph, _) = draft.push(&text);
                    body.push((paragraph, text));
                }
            }
            let first_body = whole_body[0].0 as usize;
            for (index, span) in draft.lines.iter().enumerate().skip(first_body + 1) {
                whole_body.push((index as u32, draft.text[span.start..span.end].to_string()));
            }
            if self.rng.chance(self.options.repeated_body) {
                let from = self.rng.below(body.len());
                for (original, text) in body[from..].iter().cloned() {
                    let (paragraph, span) = draft.push(&text);
                    let mut p = plant(paragraph, span, PlantKind::Repeat);
                    p.of = Some(Origin {
                        doc: id.clone(),
                        paragraph: original,
                    });
                    plants.push(p);
                }
            }
        }

        // A syndicating site often drops the original's trimmings and adds none of its own.
        let trimmed = repost || (syndicate && self.rng.chance(0.5));
        if !trimmed && self.rng.chance(0.5) {
            let line = self.rng.below(FOOTER_LINES.len());
            let (paragraph, span) = draft.push(FOOTER_LINES[line]);
            let mut p = plant(paragraph, span, PlantKind::Footer);
            p.family = Some(line as u32);
            plants.push(p);
        }
        if !trimmed && self.rng.chance(0.75) {
            let disclaimer = self.sources[source_index].disclaimer.clone();
            let variant = self.rng.chance(0.1);
            let (text, kind, rate, edits) = if variant {
                let (text, edits) = self.edit(&disclaimer, 0.03);
                (text, PlantKind::BoilerplateVariant, Some(0.03), Some(edits))
            } else {
                (disclaimer, PlantKind::Boilerplate, None, None)
            };
            let (paragraph, span) = draft.push(&text);
            let mut p = plant(paragraph, span, kind);
            p.family = Some(source_index as u32);
            p.rate = rate;
            p.edits = edits;
            plants.push(p);
        }

        // Fresh paragraphs become material for later copies.
        for (paragraph, text) in &body {
            if self.paragraphs.len() == POOL_PARAGRAPHS {
                self.paragraphs.pop_front();
            }
            self.paragraphs.push_back((
                Origin {
                    doc: id.clone(),
                    paragraph: *paragraph,
                },
                text.clone(),
            ));
        }
        if !whole_body.is_empty() {
            if self.articles.len() == POOL_ARTICLES {
                self.articles.pop_front();
            }
            self.articles.push_back(PooledArticle {
                id: id.clone(),
                title: title.clone(),
                text: draft.text.clone(),
                body: whole_body,
            });
        }
        plants.sort_by_key(|p| p.paragraph);
        let source = &self.sources[source_index];
        Article {
            index,
            url: format!("https://{}/news/{index}", source.host),
            source: source.name.clone(),
            id,
            title,
            text: draft.text,
            plants,
        }
    }
}

/// A syndicating site drops a paragraph only once the copy has one.
fn paragraphs_len_guard(draft: &Draft) -> bool {
    !draft.lines.is_empty()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Iterator for Generator {
    type Item = Article;
    fn next(&mut self) -> Option<Article> {
        Some(self.next_article())
    }
}

/// Appends `text` as a JSON string (quotes included).
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

impl Article {
    /// The article as the scanner reads it from line `line` of a file `generated.jsonl`.
    pub fn document(&self, line: u64) -> Document {
        Document {
            id: self.id.clone(),
            source: Some(self.source.clone()),
            location: Location {
                path: "generated.jsonl".into(),
                line: Some(line),
                row: None,
            },
            text: self.text.clone(),
        }
    }

    /// Appends the article as one JSON Lines record: `id`, `source`, `url`, `title`, `text`.
    pub fn write_jsonl(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        push_json_string(out, &self.id);
        out.extend_from_slice(b",\"source\":");
        push_json_string(out, &self.source);
        out.extend_from_slice(b",\"url\":");
        push_json_string(out, &self.url);
        out.extend_from_slice(b",\"title\":");
        push_json_string(out, &self.title);
        out.extend_from_slice(b",\"text\":");
        push_json_string(out, &self.text);
        out.extend_from_slice(b"}\n");
    }

    /// Appends one JSON Lines record per plant.
    pub fn write_truth(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        for plant in &self.plants {
            serde_json::to_writer(&mut *out, plant)?;
            out.push(b'\n');
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paradup_core::segment::{segment, SplitMode};

    #[test]
    fn the_seed_fixes_the_corpus() {
        let a: Vec<String> = Generator::new(7).take(50).map(|a| a.text).collect();
        let b: Vec<String> = Generator::new(7).take(50).map(|a| a.text).collect();
        let c: Vec<String> = Generator::new(8).take(50).map(|a| a.text).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn plants_name_the_paragraphs_that_auto_split_finds() {
        let mut kinds = std::collections::HashSet::new();
        for article in Generator::new(3).take(400) {
            let spans = segment(&article.text, SplitMode::Auto);
            for plant in &article.plants {
                let span = spans[plant.paragraph as usize];
                assert_eq!((span.start, span.end), (plant.start, plant.end));
                kinds.insert(plant.kind);
            }
        }
        // Every kind of plant occurs in a few hundred articles.
        assert_eq!(kinds.len(), 11, "{kinds:?}");
    }

    #[test]
    fn copies_match_their_origins() {
        let articles: Vec<Article> = Generator::new(5).take(300).collect();
        let by_id: std::collections::HashMap<&str, &Article> =
            articles.iter().map(|a| (a.id.as_str(), a)).collect();
        let paragraph = |article: &Article, index: u32| {
            let span = segment(&article.text, SplitMode::Auto)[index as usize];
            article.text[span.start..span.end].to_string()
        };
        let mut checked = 0;
        for article in &articles {
            for plant in &article.plants {
                let (Some(origin), PlantKind::Quote | PlantKind::Repeat | PlantKind::Repost) =
                    (&plant.of, plant.kind)
                else {
                    continue;
                };
                let Some(source) = by_id.get(origin.doc.as_str()) else {
                    continue;
                };
                assert_eq!(
                    paragraph(source, origin.paragraph),
                    &article.text[plant.start..plant.end]
                );
                checked += 1;
            }
        }
        assert!(checked > 10, "{checked}");
    }

    #[test]
    fn edits_follow_the_rate() {
        let mut generator = Generator::new(11);
        let text = generator.paragraph(40, 40);
        let words = text.split(' ').count() as f64;
        let (same, none) = generator.edit(&text, 0.0);
        assert_eq!(same, text);
        assert_eq!(none, Edits::default());
        let (_, edits) = generator.edit(&text, 0.1);
        let total = (edits.substitute + edits.insert + edits.delete + edits.swap) as f64;
        // Binomial(words, 0.1): far outside four standard deviations only when the rate is wrong.
        let sd = (words * 0.1 * 0.9).sqrt();
        assert!((total - words * 0.1).abs() < 4.0 * sd, "{total} of {words}");
    }

    #[test]
    fn jsonl_records_parse_back() {
        let mut out = Vec::new();
        let articles: Vec<Article> = Generator::new(2).take(20).collect();
        for article in &articles {
            article.write_jsonl(&mut out);
        }
        let text = String::from_utf8(out).unwrap();
        for (line, article) in text.lines().zip(&articles) {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["text"], article.text.as_str());
            assert_eq!(value["id"], article.id.as_str());
        }
        let mut escaped = Vec::new();
        push_json_string(&mut escaped, "a\"b\\c\u{1}\n");
        assert_eq!(
            serde_json::from_slice::<String>(&escaped).unwrap(),
            "a\"b\\c\u{1}\n"
        );
    }
}
