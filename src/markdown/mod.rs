//! Markdown -> `Rendered`: HTML with a stable id on every paragraph (`#p1`,
//! `#p2`, ...) so citations can point at it, heading anchors, highlighted
//! code, entity mentions linked, and the plain text of each paragraph for
//! quotes, mentions and search.
//!
//! Raw HTML is sanitised unless the dossier says its content is trusted;
//! `javascript:`-style link targets are neutralised either way.

pub mod highlight;

use std::collections::HashSet;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use highlight::{escape, escape_into};

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub html: String,
    pub paragraphs: Vec<Paragraph>,
    /// How many paragraphs there are (`paragraphs` may be let go once used).
    pub paragraph_count: usize,
    pub headings: Vec<Heading>,
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// 1-based: the anchor is `p{n}`.
    pub n: usize,
    /// Plain text, as a reader sees it.
    pub text: String,
    /// 1-based line in the Markdown body.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// A name of an entity found in a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Index into the slice of entities the `Matcher` was built from.
    pub entity: usize,
    pub paragraph: usize,
    /// The sentence the name stands in.
    pub sentence: String,
}

/// Finds entity names and aliases in text in one pass (longest first,
/// case-sensitive: "Sales" the surname is not "sales").
///
/// A name stands as whole words, so it can only begin where a word begins
/// with a byte some name begins with: the text is scanned for those places
/// (a table of 256 flags) and only there are names looked for. In prose
/// most words begin in lower case and names in upper case, so that is a few
/// places a sentence, not every byte (callgrind, 1,000 articles: 131 -> 70
/// million instructions of a build's 2,420, when an automaton ran there).
///
/// At such a place the longest name there begins with the text's first
/// word (its run of word characters, maybe none): a longer name would spell
/// that word out and then the sign after it, and a name inside the word is
/// shorter. So the names are kept by their first word, as the lengths they
/// come in, longest first, and a table of the names themselves: at a place
/// whose first word some name begins with, each of those lengths is one
/// lookup, and the first name found is the longest there. That is what the
/// Aho-Corasick automaton this replaces found, anchored at the same places,
/// with a few hashes of a few bytes instead of a walk of one state a byte:
/// at 100,000 articles (16,500 names) the states were spread over most of
/// a megabyte, a cache miss each (perf: the search took 24x its time at
/// 10,000 articles, 5 % of the build).
#[derive(Clone)]
pub struct Matcher {
    /// `first[b]`: some name begins with byte `b`.
    first: Box<[bool; 256]>,
    /// Every name begins with a capital A-Z or a character beyond ASCII
    /// (as names mostly do): eight bytes of text holding neither can be
    /// passed over at once ([`capital_or_beyond_ascii`]).
    capitals: bool,
    /// A first word ([`first_word`]) -> the lengths in bytes of the names
    /// that begin with it, longest first.
    lengths: ahash::AHashMap<Box<str>, Box<[u32]>>,
    /// Name -> entity index (the first entity to give a name keeps it).
    names: ahash::AHashMap<Box<str>, usize>,
    /// Entity index -> link target relative to the site root.
    targets: Vec<String>,
}

impl Matcher {
    /// `entities`: (site-relative page path, names) per entity.
    pub fn new<'a>(entities: impl IntoIterator<Item = (String, Vec<&'a str>)>) -> Matcher {
        let mut targets = vec![];
        let mut names = ahash::AHashMap::new();
        let mut first = Box::new([false; 256]);
        let mut lengths: ahash::AHashMap<Box<str>, Vec<u32>> = ahash::AHashMap::new();
        for (i, (target, list)) in entities.into_iter().enumerate() {
            targets.push(target);
            for n in list {
                let n = n.trim();
                if n.chars().count() < 2 || names.contains_key(n) {
                    continue;
                }
                names.insert(Box::from(n), i);
                first[n.as_bytes()[0] as usize] = true;
                let len = u32::try_from(n.len()).expect("a name is shorter than 4 GB");
                lengths.entry(Box::from(first_word(n))).or_default().push(len);
            }
        }
        let lengths = lengths
            .into_iter()
            .map(|(w, mut l)| {
                l.sort_unstable_by(|a, b| b.cmp(a));
                l.dedup();
                (w, l.into_boxed_slice())
            })
            .collect();
        let capitals = (0..=255u8).filter(|&b| first[b as usize]).all(|b| b.is_ascii_uppercase() || b >= 0x80);
        Matcher { first, capitals, lengths, names, targets }
    }

    pub fn empty() -> Matcher {
        Matcher::new(std::iter::empty::<(String, Vec<&str>)>())
    }

    /// The first place at or after `from` where a byte some name begins
    /// with stands.
    fn next_first_byte(&self, bytes: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        if self.capitals {
            // Prose is mostly lower case: a block of it at a time, and
            // byte by byte only a block with a capital in it.
            while let Some(block) = bytes.get(i..i + 8) {
                if capital_or_beyond_ascii(u64::from_le_bytes(block.try_into().expect("eight bytes"))) {
                    if let Some(k) = block.iter().position(|&b| self.first[b as usize]) {
                        return Some(i + k);
                    }
                }
                i += 8;
            }
        }
        bytes[i..].iter().position(|&b| self.first[b as usize]).map(|k| i + k)
    }

    /// Whole-word matches in `text`, left to right, the longest name at
    /// each place, none overlapping: (start, end, entity).
    pub fn find(&self, text: &str) -> Vec<(usize, usize, usize)> {
        if self.names.is_empty() {
            return vec![];
        }
        let bytes = text.as_bytes();
        let mut out = vec![];
        let mut i = 0;
        while let Some(start) = self.next_first_byte(bytes, i) {
            // A name's first byte is a whole character's first byte, so
            // `start` is a character boundary.
            i = start + 1;
            if word(text[..start].chars().next_back()) {
                continue;
            }
            let rest = &text[start..];
            let Some(lengths) = self.lengths.get(first_word(rest)) else { continue };
            let longest = lengths.iter().find_map(|&len| {
                let len = len as usize;
                rest.get(..len).and_then(|name| self.names.get(name)).map(|&e| (len, e))
            });
            let Some((len, e)) = longest else { continue };
            if !word(rest[len..].chars().next()) {
                out.push((start, start + len, e));
                i = start + len;
            }
        }
        out
    }
}

/// Whether one of the eight bytes of `block` is a capital A-Z or 0x80 or
/// more. Each byte's low seven bits plus 0x3F carry into its top bit when
/// they are 0x41 (`A`) or more, plus 0x25 when 0x5B (past `Z`) or more; no
/// byte carries into the next (0x7F + 0x3F < 0x100).
fn capital_or_beyond_ascii(block: u64) -> bool {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const TOP: u64 = 0x8080_8080_8080_8080;
    let low = block & LOW7;
    let from_a = low + 0x3F3F_3F3F_3F3F_3F3F;
    let past_z = low + 0x2525_2525_2525_2525;
    (block | (from_a & !past_z)) & TOP != 0
}

/// Whether `c` is a character of a word: a name must not touch one.
fn word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The run of word characters `s` begins with (empty when it begins with
/// another character).
fn first_word(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut end = 0;
    while end < bytes.len() {
        let b = bytes[end];
        if b < 0x80 {
            if !(b.is_ascii_alphanumeric() || b == b'_') {
                break;
            }
            end += 1;
        } else {
            let c = s[end..].chars().next().expect("a character starts here");
            if !word(Some(c)) {
                break;
            }
            end += c.len_utf8();
        }
    }
    &s[..end]
}

/// A heading being collected: level, explicit id, text pieces, inner events.
type OpenHeading<'e> = (u8, Option<String>, Vec<String>, Vec<Event<'e>>);

pub struct RenderOptions<'a> {
    /// Prefix from the page to the site root ("../../").
    pub root: &'a str,
    pub matcher: &'a Matcher,
    pub trusted_html: bool,
    pub number_paragraphs: bool,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_TASKLISTS
}

fn safe_url(url: &str) -> bool {
    let lower: String =
        url.trim().chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_ascii_lowercase();
    !(lower.starts_with("javascript:") || lower.starts_with("vbscript:") || lower.starts_with("data:"))
}

fn heading_level(l: HeadingLevel) -> u8 {
    l as u8
}

fn line_of(offsets: &[usize], byte: usize) -> usize {
    offsets.partition_point(|&o| o <= byte)
}

pub fn render(body: &str, opts: &RenderOptions) -> Rendered {
    let mut out = Rendered::default();
    // (memchr's vector scan: `match_indices('\n')` went a word at a time.)
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(memchr::memchr_iter(b'\n', body.as_bytes()).map(|i| i + 1)).collect();
    // Taken as the parser makes them (one look ahead, at a list item).
    let mut events = Parser::new_ext(body, options()).into_offset_iter().peekable();

    // About an event for every 64 bytes of prose (a guess: it grows if not).
    let mut html_events: Vec<Event> = Vec::with_capacity(body.len() / 64 + 16);
    let mut has_raw_html = false;
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut blocks = Blocks::default();
    let mut in_link = 0usize;
    let mut in_heading: Option<OpenHeading> = None;
    let mut in_code: Option<(String, String)> = None;
    let mut in_table = 0usize;

    while let Some((ev, range)) = events.next() {
        if let Some((_, code)) = in_code.as_mut() {
            match ev {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let (lang, code) = in_code.take().unwrap_or_default();
                    html_events.push(Event::Html(highlight::highlight(&code, &lang).into()));
                }
                _ => {}
            }
            continue;
        }
        if let Some((_, _, text, inner)) = in_heading.as_mut() {
            match ev {
                Event::End(TagEnd::Heading(_)) => {
                    let (level, explicit, text, inner) = in_heading.take().unwrap_or_default();
                    let text = text.concat();
                    let base = explicit.unwrap_or_else(|| {
                        let s = crate::frontmatter::slugify(&text);
                        if s.is_empty() {
                            "section".into()
                        } else {
                            s
                        }
                    });
                    let mut id = base.clone();
                    let mut k = 1;
                    while !used_ids.insert(id.clone()) {
                        k += 1;
                        id = format!("{base}-{k}");
                    }
                    html_events.push(Event::Html(format!("<h{level} id=\"{}\">", escape(&id)).into()));
                    html_events.extend(inner);
                    html_events.push(Event::Html(format!("</h{level}>\n").into()));
                    out.headings.push(Heading { level, id, text });
                }
                Event::Text(t) | Event::Code(t) => {
                    text.push(t.to_string());
                    inner.push(Event::Text(t));
                }
                other => inner.push(other),
            }
            continue;
        }
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                in_code = Some((lang, String::new()));
            }
            Event::Start(Tag::Heading { level, id, .. }) => {
                in_heading = Some((heading_level(level), id.map(|s| s.to_string()), vec![], vec![]));
            }
            Event::Start(Tag::Paragraph) if opts.number_paragraphs && in_table == 0 => {
                let n = blocks.open(&mut out, line_of(&line_starts, range.start));
                html_events.push(Event::Html(paragraph_open(n).into()));
            }
            Event::End(TagEnd::Paragraph) if opts.number_paragraphs && in_table == 0 => {
                close_block(&mut out, &mut blocks);
                html_events.push(Event::Html("</p>\n".into()));
            }
            Event::Start(Tag::Item)
                if opts.number_paragraphs && !matches!(events.peek(), Some((Event::Start(Tag::Paragraph), _))) =>
            {
                let n = blocks.open(&mut out, line_of(&line_starts, range.start));
                html_events.push(Event::Html(format!("<li id=\"p{n}\">").into()));
                // Remember to close this one at its End(Item): mark with a sentinel.
                item_marks_push(&mut html_events);
            }
            Event::End(TagEnd::Item) if take_item_mark(&mut html_events) => {
                close_block(&mut out, &mut blocks);
                html_events.push(Event::Html("</li>\n".into()));
            }
            Event::Start(Tag::Table(alignments)) => {
                in_table += 1;
                html_events.push(Event::Start(Tag::Table(alignments)));
            }
            Event::End(TagEnd::Table) => {
                in_table -= 1;
                html_events.push(Event::End(TagEnd::Table));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                in_link += 1;
                let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::from("#") };
                html_events.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                html_events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::from("#") };
                html_events.push(Event::Start(Tag::Image { link_type, dest_url, title, id }));
            }
            Event::Text(t) => {
                let Some(&n) = blocks.numbers.last() else {
                    html_events.push(Event::Text(t));
                    continue;
                };
                let buf = blocks.texts.last_mut().expect("open block has a text buffer");
                let base = buf.len();
                buf.push_str(&t);
                if in_link > 0 {
                    html_events.push(Event::Text(t));
                    continue;
                }
                let found = opts.matcher.find(&t);
                if found.is_empty() {
                    html_events.push(Event::Text(t));
                    continue;
                }
                let mut html = String::with_capacity(t.len() + 64 * found.len());
                let mut last = 0;
                let linked = blocks.linked.last_mut().expect("open block has a list of linked entities");
                for (s, e, ent) in found {
                    // The sentence is filled in when the block closes.
                    blocks.pending.push((out.mentions.len(), base + s));
                    out.mentions.push(Mention { entity: ent, paragraph: n, sentence: String::new() });
                    if !linked.contains(&ent) {
                        linked.push(ent);
                        escape_into(&mut html, &t[last..s]);
                        html.push_str("<a class=\"mention\" href=\"");
                        html.push_str(opts.root);
                        escape_into(&mut html, &opts.matcher.targets[ent]);
                        html.push_str("\">");
                        escape_into(&mut html, &t[s..e]);
                        html.push_str("</a>");
                        last = e;
                    }
                }
                escape_into(&mut html, &t[last..]);
                html_events.push(Event::Html(html.into()));
            }
            Event::Code(t) => {
                if let Some(buf) = blocks.texts.last_mut() {
                    buf.push_str(&t);
                }
                html_events.push(Event::Code(t));
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(buf) = blocks.texts.last_mut() {
                    buf.push(' ');
                }
                html_events.push(ev);
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                has_raw_html = true;
                html_events.push(Event::Html(h));
            }
            other => html_events.push(other),
        }
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, html_events.into_iter().filter(|e| !is_item_mark(e)));
    if has_raw_html && !opts.trusted_html {
        html = sanitize(&html);
    }
    out.html = html;
    out.paragraph_count = out.paragraphs.len();
    out
}

/// Open numbered blocks (paragraphs, tight list items), innermost last.
#[derive(Default)]
struct Blocks {
    numbers: Vec<usize>,
    texts: Vec<String>,
    /// The entities linked in each open block, in the order first named
    /// (a paragraph names a few: a list is searched faster than a set is hashed).
    linked: Vec<Vec<usize>>,
    /// (mention index, byte offset in its block's text) awaiting a sentence.
    pending: Vec<(usize, usize)>,
}

impl Blocks {
    fn open(&mut self, out: &mut Rendered, line: usize) -> usize {
        let n = out.paragraphs.len() + 1;
        out.paragraphs.push(Paragraph { n, text: String::new(), line });
        self.numbers.push(n);
        self.texts.push(String::new());
        self.linked.push(Vec::new());
        n
    }
}

fn close_block(out: &mut Rendered, b: &mut Blocks) {
    let (Some(n), Some(text)) = (b.numbers.pop(), b.texts.pop()) else { return };
    b.linked.pop();
    // The paragraph's sentences are found once, if a name stands in it.
    let mut ends: Option<Vec<usize>> = None;
    b.pending.retain(|&(m, at)| {
        if out.mentions[m].paragraph == n {
            let ends = ends.get_or_insert_with(|| crate::text::sentence_ends(&text));
            out.mentions[m].sentence = crate::text::sentence_around(&text, ends, at).to_string();
            false
        } else {
            true
        }
    });
    out.paragraphs[n - 1].text = crate::text::collapse_whitespace_owned(text);
}

/// `<p id="p{n}"><a class="pn" href="#p{n}" aria-label="Paragraph {n}">{n}</a>`,
/// put together without `format!` (once for every paragraph of the corpus).
fn paragraph_open(n: usize) -> String {
    let mut num = itoa::Buffer::new();
    let n = num.format(n);
    let mut out = String::with_capacity(80 + 4 * n.len());
    for part in ["<p id=\"p", n, "\"><a class=\"pn\" href=\"#p", n, "\" aria-label=\"Paragraph ", n, "\">", n, "</a>"] {
        out.push_str(part);
    }
    out
}

const ITEM_MARK: &str = "\u{0}dossier-item\u{0}";

fn item_marks_push(events: &mut Vec<Event>) {
    events.push(Event::Html(ITEM_MARK.into()));
}

fn is_item_mark(e: &Event) -> bool {
    matches!(e, Event::Html(h) if h.as_ref() == ITEM_MARK)
}

/// Whether the innermost open list item is one we numbered (and so must
/// close ourselves).
fn take_item_mark(events: &mut [Event]) -> bool {
    let mut depth = 0i32;
    for e in events.iter_mut().rev() {
        match e {
            Event::End(TagEnd::Item) => depth += 1,
            Event::Html(h) if h.as_ref() == ITEM_MARK => {
                if depth == 0 {
                    *e = Event::Html(CowStr::from(""));
                    return true;
                }
                depth -= 1;
            }
            Event::Start(Tag::Item) => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    false
}

fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .add_generic_attributes(["id", "class", "aria-label", "data-lang"])
        .add_tags(["section", "figure", "figcaption", "abbr", "mark"])
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paragraph_opens_with_its_number_as_id_link_and_label() {
        for n in [1, 9, 10, 12345] {
            assert_eq!(
                paragraph_open(n),
                format!("<p id=\"p{n}\"><a class=\"pn\" href=\"#p{n}\" aria-label=\"Paragraph {n}\">{n}</a>")
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_whitespace_collapses_as_split_whitespace_joined(s in "[ -~\t\n\r\x0b\x0c]{0,200}") {
            proptest::prop_assert_eq!(crate::text::collapse_whitespace(&s), s.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    fn check(md: &str, expected: &str) {
        let r = render(
            md,
            &RenderOptions { root: "../../", matcher: &Matcher::empty(), trusted_html: false, number_paragraphs: true },
        );
        assert_eq!(r.html, expected);
    }

    #[test]
    fn numbers_paragraphs() {
        check(
            "One.\n\nTwo *x*.\n",
            "<p id=\"p1\"><a class=\"pn\" href=\"#p1\" aria-label=\"Paragraph 1\">1</a>One.</p>\n<p id=\"p2\"><a class=\"pn\" href=\"#p2\" aria-label=\"Paragraph 2\">2</a>Two <em>x</em>.</p>\n",
        );
    }

    #[test]
    fn numbers_tight_list_items_and_headings_get_ids() {
        check(
            "## A title\n\n- a\n- b\n",
            "<h2 id=\"a-title\">A title</h2>\n<ul>\n<li id=\"p1\">a</li>\n<li id=\"p2\">b</li>\n</ul>\n",
        );
    }

    #[test]
    fn a_table_keeps_its_alignments_and_its_cells_are_not_numbered() {
        check(
            "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nAfter.\n",
            "<table><thead><tr><th style=\"text-align: left\">a</th><th style=\"text-align: right\">b</th></tr></thead><tbody>\n<tr><td style=\"text-align: left\">1</td><td style=\"text-align: right\">2</td></tr>\n</tbody></table>\n<p id=\"p1\"><a class=\"pn\" href=\"#p1\" aria-label=\"Paragraph 1\">1</a>After.</p>\n",
        );
    }

    #[test]
    fn a_loose_list_item_is_numbered_by_its_paragraphs_a_tight_one_itself() {
        check(
            "- a\n\n  b\n- c\n",
            "<ul>\n<li><p id=\"p1\"><a class=\"pn\" href=\"#p1\" aria-label=\"Paragraph 1\">1</a>a</p>\n<p id=\"p2\"><a class=\"pn\" href=\"#p2\" aria-label=\"Paragraph 2\">2</a>b</p>\n</li>\n<li><p id=\"p3\"><a class=\"pn\" href=\"#p3\" aria-label=\"Paragraph 3\">3</a>c</p>\n</li>\n</ul>\n",
        );
    }

    #[test]
    fn neutralises_script_urls_and_raw_html() {
        let r = render(
            "[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>\n",
            &RenderOptions { root: "", matcher: &Matcher::empty(), trusted_html: false, number_paragraphs: true },
        );
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(!r.html.contains("onerror") && !r.html.contains("<script"), "{}", r.html);
        assert!(r.html.contains("id=\"p1\""), "ids survive sanitising: {}", r.html);
    }

    #[test]
    fn mentions_link_once_per_paragraph_whole_words_only() {
        let m = Matcher::new([
            ("entities/tokayev/index.html".to_string(), vec!["Kassym-Jomart Tokayev", "Tokayev"]),
            ("entities/sales/index.html".to_string(), vec!["Sales"]),
        ]);
        let r = render(
            "President Kassym-Jomart Tokayev spoke. Tokayev said sales grew; Tokayevs no.\n\n`Tokayev` in code, [Tokayev](x) in a link.\n",
            &RenderOptions { root: "../../", matcher: &m, trusted_html: false, number_paragraphs: true },
        );
        assert_eq!(r.html.matches("class=\"mention\"").count(), 1, "{}", r.html);
        assert!(r
            .html
            .contains("<a class=\"mention\" href=\"../../entities/tokayev/index.html\">Kassym-Jomart Tokayev</a>"));
        let found: Vec<(usize, usize, &str)> =
            r.mentions.iter().map(|m| (m.entity, m.paragraph, m.sentence.as_str())).collect();
        assert_eq!(
            found,
            [(0, 1, "President Kassym-Jomart Tokayev spoke."), (0, 1, "Tokayev said sales grew; Tokayevs no.")]
        );
        assert_eq!(r.paragraphs[1].text, "Tokayev in code, Tokayev in a link.");
    }

    #[test]
    fn a_mention_is_shown_in_its_whole_sentence_past_initials_and_short_quotations() {
        let m = Matcher::new([("entities/tokayev/index.html".to_string(), vec!["K. Tokayev"])]);
        let r = render(
            "The Assembly met on Nov. 29. President K. Tokayev spoke of \"Unity. Creativity. Rise.\" at length.\nThen it ended.\n",
            &RenderOptions { root: "../../", matcher: &m, trusted_html: false, number_paragraphs: true },
        );
        let sentences: Vec<&str> = r.mentions.iter().map(|m| m.sentence.as_str()).collect();
        assert_eq!(sentences, ["President K. Tokayev spoke of \"Unity. Creativity. Rise.\" at length."]);
    }

    #[test]
    fn a_first_word_is_the_run_of_word_characters_a_text_begins_with() {
        assert_eq!(first_word("Almaty-278 said"), "Almaty");
        assert_eq!(first_word("Össkemen_2 x"), "Össkemen_2");
        assert_eq!(first_word("-Ab"), "");
        assert_eq!(first_word(""), "");
        assert_eq!(first_word("Ab"), "Ab");
    }

    #[test]
    fn a_longer_name_that_is_not_whole_words_hides_no_name_inside_it() {
        let m = Matcher::new([
            ("entities/ali/index.html".to_string(), vec!["Ali Ba"]),
            ("entities/baba/index.html".to_string(), vec!["Baba"]),
        ]);
        assert_eq!(m.find("Ali Baba spoke."), [(4, 8, 1)]);
        assert_eq!(m.find("Ali Ba spoke; xBaba and Babas did not."), [(0, 6, 0)]);
    }

    /// The names in the text, as the matcher's contract says, the slow way:
    /// at each place a word begins, the longest name there, if it ends where
    /// a word ends; then on after it.
    fn names_the_slow_way(names: &[&str], text: &str) -> Vec<(usize, usize, usize)> {
        let mut out = vec![];
        let mut i = 0;
        while i < text.len() {
            let longest =
                names.iter().enumerate().filter(|(_, n)| text[i..].starts_with(**n)).max_by_key(|(_, n)| n.len());
            match longest {
                Some((e, n)) if !word(text[..i].chars().next_back()) && !word(text[i + n.len()..].chars().next()) => {
                    out.push((i, i + n.len(), e));
                    i += n.len();
                }
                _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        out
    }

    #[test]
    fn a_block_holds_a_capital_or_a_byte_beyond_ascii_exactly_when_one_of_its_bytes_is_one() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut block = [b'a'; 8];
                block[at] = b;
                assert_eq!(
                    capital_or_beyond_ascii(u64::from_le_bytes(block)),
                    b.is_ascii_uppercase() || b >= 0x80,
                    "byte {b:#x} at {at}"
                );
            }
        }
        for filler in [b' ', b'@', b'[', b'z', 0, 0x7F] {
            assert!(!capital_or_beyond_ascii(u64::from_le_bytes([filler; 8])), "{filler:#x}");
        }
    }

    proptest::proptest! {
        /// Names that all begin with capitals or beyond ASCII, in text long
        /// enough to be passed over eight bytes at a time.
        #[test]
        fn the_matcher_skipping_lower_case_finds_what_the_slow_way_finds(text in "([a-z ,.]{0,12}(Ab|Ba|Bab|Éa|Zz|A|Ab Ba|@|\\[)){0,12}[a-z .]{0,10}") {
            let names = ["Ab", "Ab Ba", "Ba", "Éa", "Zz Ab", "Bab"];
            let m = Matcher::new(names.iter().enumerate().map(|(i, n)| (format!("e{i}"), vec![*n])));
            proptest::prop_assert!(m.capitals);
            proptest::prop_assert_eq!(m.find(&text), names_the_slow_way(&names, &text));
        }

        #[test]
        fn the_matcher_finds_what_the_slow_way_finds(text in "[AaBbé_ .-]{0,40}") {
            let names = ["Ab", "Ab Ba", "Ba", "a-b", "éA", "Bab"];
            let m = Matcher::new(names.iter().enumerate().map(|(i, n)| (format!("e{i}"), vec![*n])));
            proptest::prop_assert_eq!(m.find(&text), names_the_slow_way(&names, &text));
        }

        /// Names whose first word is empty (they begin with a sign), is a
        /// whole name, or is shared with a longer name or part of one.
        #[test]
        fn the_first_word_filter_loses_no_name(text in "[AaBbéÉ_ .-]{0,40}") {
            let names = ["-Ab", "Ab", "Ab-a", "Aba b", "_a B", "Bé", "É.", "É. Ba", ". A"];
            let m = Matcher::new(names.iter().enumerate().map(|(i, n)| (format!("e{i}"), vec![*n])));
            proptest::prop_assert_eq!(m.find(&text), names_the_slow_way(&names, &text));
        }
    }

    #[test]
    fn highlights_fenced_code() {
        let r = render(
            "```rust\nlet x = 1;\n```\n",
            &RenderOptions { root: "", matcher: &Matcher::empty(), trusted_html: false, number_paragraphs: true },
        );
        assert!(r.html.contains("hl-keyword"), "{}", r.html);
    }
}
