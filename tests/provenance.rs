//! Provenance of the curated articles: each article in `content/articles` is
//! its original (`content/originals/<original>`) word for word, minus the page
//! furniture listed in `omitted` and the title, in the original's order; and
//! every event quote is words of the article's body.
//!
//! Self-contained on purpose (serde, serde_yaml and std only): it checks the
//! content, not the library, and keeps working while the library changes.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The part of an article's front matter this test reads (other keys are
/// ignored here; the build rejects unknown ones).
#[derive(Debug, Clone, Deserialize)]
struct FrontMatter {
    title: String,
    #[serde(default)]
    author: Option<String>,
    original: String,
    #[serde(default)]
    omitted: Vec<String>,
    #[serde(default)]
    events: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize)]
struct Event {
    id: String,
    quote: String,
}

struct Article {
    /// `content/articles/<slug>.md`, for messages.
    name: String,
    front: FrontMatter,
    body: String,
}

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The YAML between the first two `---` lines, and the body after them.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn parse_article(name: &str, text: &str) -> Result<Article, String> {
    let (yaml, body) =
        split_front_matter(text).ok_or_else(|| format!("{name}: no front matter between two `---` lines"))?;
    let front: FrontMatter =
        serde_yaml::from_str(yaml).map_err(|e| format!("{name}: front matter does not parse: {e}"))?;
    Ok(Article { name: name.to_string(), front, body: body.to_string() })
}

fn load_articles() -> Vec<Article> {
    let dir = content_dir().join("articles");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no articles in {}", dir.display());
    paths
        .iter()
        .map(|p| {
            let name = format!("content/articles/{}", p.file_name().unwrap().to_string_lossy());
            let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{name}: cannot read: {e}"));
            parse_article(&name, &text).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

fn read_original(article: &Article) -> String {
    let path = content_dir().join("originals").join(&article.front.original);
    fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: original `{}` cannot be read ({}): {e}", article.name, article.front.original, path.display())
    })
}

// ---------------------------------------------------------------------------
// Normalisation

/// Typographic variants folded to ASCII: curly quotes and apostrophes,
/// guillemets, dashes, the ellipsis.
fn fold_char(c: char, out: &mut String) {
    match c {
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{ab}' | '\u{bb}' | '\u{2033}' => out.push('"'),
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => out.push('\''),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => out.push('-'),
        '\u{2026}' => out.push_str("..."),
        c => out.push(c),
    }
}

/// Strips the block markers Markdown adds at the start of a line: headings,
/// block quotes, list items. Returns the rest and whether a marker was found.
fn strip_block_markers(line: &str) -> (&str, bool) {
    let mut s = line.trim_start();
    let mut marked = false;
    loop {
        if s.starts_with('#') {
            s = s.trim_start_matches('#').trim_start();
        } else if let Some(r) = s.strip_prefix('>') {
            s = r.trim_start();
        } else if let Some(r) = s.strip_prefix("- ").or_else(|| s.strip_prefix("* ")).or_else(|| s.strip_prefix("+ ")) {
            s = r.trim_start();
        } else if let Some(r) = strip_ordered_marker(s) {
            s = r.trim_start();
        } else {
            return (s, marked);
        }
        marked = true;
    }
}

/// `1. ` or `1) ` at the start of a line.
fn strip_ordered_marker(s: &str) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = &s[digits..];
    rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "))
}

/// A line as text: block markers, emphasis markers and backslash escapes
/// removed, typography folded to ASCII, whitespace collapsed.
fn normalise(line: &str) -> String {
    let (s, _) = strip_block_markers(line);
    let mut folded = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '_' => {}
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => {}
            c => fold_char(c, &mut folded),
        }
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The folding of `docs/content.md` for quotes: whitespace, case and quote
/// styles (plus dashes).
fn fold_quote(s: &str) -> String {
    normalise(s).to_lowercase()
}

/// The body's blocks, in order: paragraphs, headings, list items, quoted
/// paragraphs; each as (its number, counted from 1, normalised text).
fn body_units(body: &str) -> Vec<(usize, String)> {
    let mut units: Vec<Vec<String>> = vec![];
    let mut open = false;
    for line in body.lines() {
        let (content, marked) = strip_block_markers(line);
        if content.trim().is_empty() {
            open = false;
            continue;
        }
        let heading = line.trim_start().starts_with('#');
        let list_item = marked && !line.trim_start().starts_with('>');
        let text = normalise(line);
        if open && !heading && !list_item {
            units.last_mut().expect("an open unit").push(text);
        } else {
            units.push(vec![text]);
        }
        open = !heading;
    }
    units
        .into_iter()
        .map(|lines| lines.into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))
        .enumerate()
        .map(|(i, u)| (i + 1, u))
        .collect()
}

fn excerpt(s: &str) -> String {
    const MAX: usize = 110;
    if s.chars().count() <= MAX {
        format!("«{s}»")
    } else {
        format!("«{}…»", s.chars().take(MAX).collect::<String>())
    }
}

// ---------------------------------------------------------------------------
// The comparison

/// Walks the original's non-empty lines in order: each must be the next body
/// block, the next `omitted` entry, or the title (or the author's name as a
/// byline). Returns one message per paragraph lost, altered, added or moved.
fn compare(name: &str, original_name: &str, original: &str, front: &FrontMatter, body: &str) -> Vec<String> {
    let lines: Vec<(usize, String)> =
        original.lines().enumerate().map(|(i, l)| (i + 1, normalise(l))).filter(|(_, l)| !l.is_empty()).collect();
    let blocks = body_units(body);
    let omitted: Vec<String> = front.omitted.iter().map(|o| normalise(o)).collect();
    let title = normalise(&front.title);
    let author = front.author.as_deref().map(normalise);

    let mut errors = vec![];
    let (mut b, mut o) = (0, 0);
    for (n, line) in &lines {
        if blocks.get(b).is_some_and(|(_, t)| t == line) {
            b += 1;
        } else if omitted.get(o).is_some_and(|t| t == line) {
            o += 1;
        } else if *line == title || author.as_ref() == Some(line) {
            // The title (some pages repeat it) or a bare byline.
        } else if let Some(k) = blocks[b..].iter().position(|(_, t)| t == line) {
            for (p, text) in &blocks[b..b + k] {
                errors.push(format!(
                    "{name}: body paragraph {p} is not in {original_name} at this point \
                     (added, altered or out of order): {}",
                    excerpt(text)
                ));
            }
            b += k + 1;
        } else if let Some(k) = omitted[o..].iter().position(|t| t == line) {
            for text in &omitted[o..o + k] {
                errors.push(format!(
                    "{name}: `omitted` entry is not in {original_name} at this point \
                     (altered or out of order): {}",
                    excerpt(text)
                ));
            }
            o += k + 1;
        } else {
            let next = blocks
                .get(b)
                .map(|(p, t)| format!("; the body's next paragraph ({p}) is {}", excerpt(t)))
                .unwrap_or_default();
            errors.push(format!(
                "{name}: line {n} of {original_name} is lost or altered: it is neither in the body \
                 (in order) nor listed in `omitted`: {}{next}",
                excerpt(line)
            ));
        }
    }
    for (p, text) in &blocks[b..] {
        errors.push(format!(
            "{name}: body paragraph {p} is not in {original_name} (added, altered or out of order): {}",
            excerpt(text)
        ));
    }
    for text in &omitted[o..] {
        errors.push(format!(
            "{name}: `omitted` entry is not in {original_name} (altered or out of order): {}",
            excerpt(text)
        ));
    }
    errors
}

/// `omitted` lists lines verbatim: each entry is a line of the original,
/// character for character (only surrounding whitespace trimmed).
fn check_omitted_verbatim(name: &str, original_name: &str, original: &str, front: &FrontMatter) -> Vec<String> {
    front
        .omitted
        .iter()
        .filter(|entry| !original.lines().any(|l| l.trim() == entry.trim()))
        .map(|entry| format!("{name}: `omitted` entry is not verbatim a line of {original_name}: {}", excerpt(entry)))
        .collect()
}

/// Every event quote is in one block of the body (folded), and carries no
/// Markdown markup.
fn check_quotes(name: &str, front: &FrontMatter, body: &str) -> Vec<String> {
    let blocks: Vec<String> = body_units(body).into_iter().map(|(_, t)| t.to_lowercase()).collect();
    let mut errors = vec![];
    for ev in &front.events {
        if ev.quote.contains(['*', '_', '`']) || ev.quote.contains("](") {
            errors.push(format!("{name}: the quote of event `{}` contains Markdown markup", ev.id));
        }
        let q = fold_quote(&ev.quote);
        if q.is_empty() {
            errors.push(format!("{name}: the quote of event `{}` is empty", ev.id));
        } else if !blocks.iter().any(|b| b.contains(&q)) {
            errors.push(format!(
                "{name}: the quote of event `{}` is not in any paragraph of the body: {}",
                ev.id,
                excerpt(&ev.quote)
            ));
        }
    }
    errors
}

fn check_article(article: &Article, original: &str) -> Vec<String> {
    let f = &article.front;
    let mut errors = compare(&article.name, &f.original, original, f, &article.body);
    errors.extend(check_omitted_verbatim(&article.name, &f.original, original, f));
    errors.extend(check_quotes(&article.name, f, &article.body));
    errors
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn articles_are_their_originals_word_for_word() {
    let mut errors = vec![];
    for article in load_articles() {
        let original = read_original(&article);
        errors.extend(compare(&article.name, &article.front.original, &original, &article.front, &article.body));
        errors.extend(check_omitted_verbatim(&article.name, &article.front.original, &original, &article.front));
    }
    assert!(errors.is_empty(), "\n{}\n", errors.join("\n"));
}

#[test]
fn event_quotes_are_in_the_body() {
    let mut errors = vec![];
    for article in load_articles() {
        errors.extend(check_quotes(&article.name, &article.front, &article.body));
    }
    assert!(errors.is_empty(), "\n{}\n", errors.join("\n"));
}

#[test]
fn every_original_is_used_once() {
    let articles = load_articles();
    let mut used: Vec<&str> = articles.iter().map(|a| a.front.original.as_str()).collect();
    used.sort_unstable();
    let before = used.len();
    used.dedup();
    assert_eq!(before, used.len(), "two articles share an original");
    let dir = content_dir().join("originals");
    let mut present: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(present, used, "every file in content/originals is the original of exactly one article");
}

/// The checks bite: altered copies of each real article, made in memory, are
/// reported, and the report names the article and the paragraph.
#[test]
fn the_comparison_reports_alterations() {
    for article in load_articles() {
        let original = read_original(&article);
        assert!(check_article(&article, &original).is_empty(), "{} must pass before it is altered", article.name);
        let paragraphs: Vec<&str> = article.body.split("\n\n").collect();
        let (mid, text) = paragraphs
            .iter()
            .enumerate()
            .skip(paragraphs.len() / 2)
            .find(|(_, p)| !p.trim_start().starts_with('#') && p.split_whitespace().count() > 8)
            .map(|(i, p)| (i, p.to_string()))
            .expect("a paragraph of text");
        let first_words: String = normalise(&text).split(' ').take(6).collect::<Vec<_>>().join(" ");

        // A paragraph lost.
        let mut lost = paragraphs.clone();
        lost.remove(mid);
        let errors = compare(&article.name, &article.front.original, &original, &article.front, &lost.join("\n\n"));
        assert!(
            errors
                .iter()
                .any(|e| e.contains("lost or altered") && e.contains(&first_words) && e.contains(&article.name)),
            "{}: dropping paragraph {} went unreported: {errors:?}",
            article.name,
            mid + 1
        );

        // A word altered.
        let altered_text = text.replacen(' ', " very ", 1);
        let mut altered = paragraphs.clone();
        altered[mid] = &altered_text;
        let errors = compare(&article.name, &article.front.original, &original, &article.front, &altered.join("\n\n"));
        assert!(
            errors.iter().any(|e| e.contains("lost or altered") && e.contains(&first_words)),
            "{}: altering paragraph {} went unreported: {errors:?}",
            article.name,
            mid + 1
        );
        assert!(
            errors.iter().any(|e| e.contains("not in") && e.contains("very")),
            "{}: the altered paragraph was not named: {errors:?}",
            article.name
        );

        // Text added that the original does not have.
        let added = format!("{}\n\nA sentence that no original contains.\n", article.body.trim_end());
        let errors = compare(&article.name, &article.front.original, &original, &article.front, &added);
        assert!(
            errors.iter().any(|e| e.contains("A sentence that no original contains")),
            "{}: an added paragraph went unreported: {errors:?}",
            article.name
        );

        // Two paragraphs swapped.
        let mut swapped = paragraphs.clone();
        swapped.swap(mid, mid - 1);
        let errors = compare(&article.name, &article.front.original, &original, &article.front, &swapped.join("\n\n"));
        assert!(!errors.is_empty(), "{}: swapping paragraphs went unreported", article.name);

        // Page furniture dropped from `omitted` without being restored to the body.
        if !article.front.omitted.is_empty() {
            let mut front = article.front.clone();
            let gone = front.omitted.remove(0);
            let errors = compare(&article.name, &front.original, &original, &front, &article.body);
            let gone_words: String = normalise(&gone).split(' ').take(4).collect::<Vec<_>>().join(" ");
            assert!(
                errors.iter().any(|e| e.contains("lost or altered") && e.contains(&gone_words)),
                "{}: an unlisted omission went unreported: {errors:?}",
                article.name
            );
        }

        // A quote that is not in the body.
        if let Some(ev) = article.front.events.first() {
            let mut front = article.front.clone();
            front.events[0].quote = format!("{} and then some", ev.quote);
            let errors = check_quotes(&article.name, &front, &article.body);
            assert!(
                errors.iter().any(|e| e.contains(&format!("event `{}`", ev.id))),
                "{}: a quote absent from the body went unreported: {errors:?}",
                article.name
            );
        }
    }
}

#[test]
fn normalisation_folds_markup_and_typography() {
    assert_eq!(normalise("## “A self-confident state”"), "\"A self-confident state\"");
    assert_eq!(normalise("> It’s  **bold** – _really_…"), "It's bold - really...");
    assert_eq!(normalise("- item\u{a0}one"), "item one");
    assert_eq!(normalise("12. twelfth"), "twelfth");
    assert_eq!(fold_quote("«Pravo»  Said"), "\"pravo\" said");
    let body = "# Head\nline one\nline two\n\n- a\n- b\n\n> quoted\n> on\n\nlast";
    let units: Vec<String> = body_units(body).into_iter().map(|(_, t)| t).collect();
    assert_eq!(units, ["Head", "line one line two", "a", "b", "quoted on", "last"]);
}
