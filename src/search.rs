//! The offline search index: a `.js` file (not JSON fetched at run time) so
//! that search works from `file://` as well as on a server.
//!
//! To stay compact, a source carries its title, summary and a trimmed text
//! for snippets plus the set of its distinct words, not its whole body.

use ahash::AHashSet;
use std::borrow::Cow;

use rayon::prelude::*;
use serde::Serialize;

use crate::frontmatter::EntityKind;
use crate::graph::SiteGraph;
use crate::text::truncate;

#[derive(Serialize)]
struct Doc<'a> {
    /// title
    t: &'a str,
    /// kind: source, entity, topic, event
    k: &'a str,
    /// date in words, may be empty
    d: String,
    /// path from the site root
    u: String,
    /// text for the snippet
    x: Cow<'a, str>,
    /// extra words that match but are not shown
    w: Cow<'a, str>,
}

const SNIPPET_TEXT: usize = 600;

fn words(text: &str, shown: &str) -> String {
    if !text.is_ascii() {
        return words_any(text, shown);
    }
    // The shown words as the general path finds them; an ASCII text can
    // only match the ASCII ones. (A snippet cut short ends in "…", so it is
    // rarely ASCII even when the text is.)
    if shown.is_ascii() {
        let shown = shown.to_ascii_lowercase();
        return words_ascii(text, shown.as_bytes().split(|b| !b.is_ascii_alphanumeric()));
    }
    let shown = shown.to_lowercase();
    words_ascii(text, shown.split(|c: char| !c.is_alphanumeric()).filter(|w| w.is_ascii()).map(str::as_bytes))
}

/// The words of `text` (lowercased, three letters or more, each once, in
/// order) that `shown` does not hold.
fn words_any(text: &str, shown: &str) -> String {
    let shown = shown.to_lowercase();
    let shown: AHashSet<&str> = shown.split(|c: char| !c.is_alphanumeric()).collect();
    let text = text.to_lowercase();
    let mut seen: AHashSet<&str> = AHashSet::with_capacity(text.len() / 16);
    let mut out = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.len() < 3 || (!w.is_ascii() && w.chars().count() < 3) {
            continue;
        }
        if !shown.contains(w) && seen.insert(w) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    out
}

/// [`words`] of ASCII text (most of a body is), byte by byte, given the
/// lowercased words shown: the same words in the same order.
///
/// A word of up to sixteen bytes (nearly every one) is looked up as one
/// `u128`, its lowercased bytes in order and zeros after (a word holds no
/// zero byte, so two words are equal exactly when their keys are): no
/// lowercased copy of the text, no slice hashed or compared byte by byte.
/// Longer words are kept as slices of their own. (callgrind, 1,000
/// articles: the build 2,216 -> 2,156 million instructions.)
fn words_ascii<'a>(text: &str, shown: impl Iterator<Item = &'a [u8]>) -> String {
    thread_local!(static SHORT: std::cell::RefCell<WordSet> = std::cell::RefCell::new(WordSet::default()));
    SHORT.with(|short| words_ascii_in(&mut short.borrow_mut(), text, shown))
}

fn words_ascii_in<'a>(short: &mut WordSet, text: &str, shown: impl Iterator<Item = &'a [u8]>) -> String {
    short.begin(text.len() / 16);
    let mut long: AHashSet<Vec<u8>> = AHashSet::new();
    // The words the snippet shows count as seen: one lookup a word, not two.
    for w in shown {
        match w.len() {
            0..=16 => short.insert(word_key(w, w.len())),
            _ => long.insert(w.to_vec()),
        };
    }
    let mut out: Vec<u8> = Vec::with_capacity(text.len() / 2);
    let bytes = text.as_bytes();
    let bits = alnum_bits(bytes);
    let mut i = 0;
    while let Some(start) = next_bit(&bits, i, true, bytes.len()) {
        i = next_bit(&bits, start, false, bytes.len()).unwrap_or(bytes.len());
        let len = i - start;
        if len < 3 {
            continue;
        }
        if len > 16 {
            let w = bytes[start..i].to_ascii_lowercase();
            if !long.contains(&w) {
                push_word(&mut out, &w);
                long.insert(w);
            }
            continue;
        }
        let key = word_key(&bytes[start..], len);
        if short.insert(key) {
            push_word(&mut out, &key.to_le_bytes()[..len]);
        }
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// The keys of the short words of one text ([`words_ascii`]), a table a
/// thread keeps from text to text: a slot is taken for the text whose
/// generation it carries, so a new text begins with an empty set without
/// the table being cleared. Linear probing, half full at most, the key's
/// two halves mixed by one multiplication (callgrind, 1,000 articles: the
/// build 1,757 -> 1,723 million instructions against ahash's `HashSet`; a
/// table of this kind zeroed for each text had cost what it saved). It
/// keeps the size the largest text needed: a slot of 32 bytes for about
/// every eight bytes of text, to a power of two (32 KiB for a benchmark
/// article of 5.5 KB).
#[derive(Default)]
struct WordSet {
    slots: Vec<(u128, u32)>,
    generation: u32,
    len: usize,
    /// 64 minus the table's size in bits: the hash's top bits pick the slot.
    shift: u32,
}

impl WordSet {
    /// Empties the set for a text of about `words` distinct words.
    fn begin(&mut self, words: usize) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Once in four billion texts: slots of the old generation 0 would look taken.
            self.slots.fill((0, 0));
            self.generation = 1;
        }
        self.len = 0;
        let want = (2 * words).next_power_of_two().max(256);
        if self.slots.len() < want {
            self.resize(want);
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![(0, 0); size]);
        self.shift = 64 - size.trailing_zeros();
        self.len = 0;
        for (key, generation) in old {
            if generation == self.generation {
                self.insert(key);
            }
        }
    }

    /// Adds `key`; whether it was not there.
    fn insert(&mut self, key: u128) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.resize(2 * self.slots.len());
        }
        let mixed = ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mask = self.slots.len() - 1;
        let mut i = (mixed >> self.shift) as usize;
        loop {
            let slot = &mut self.slots[i];
            if slot.1 != self.generation {
                *slot = (key, self.generation);
                self.len += 1;
                return true;
            }
            if slot.0 == key {
                return false;
            }
            i = (i + 1) & mask;
        }
    }
}

/// Which bytes of ASCII `bytes` are letters or digits, as bits: bit `i %
/// 64` of word `i / 64` for byte `i`, eight bytes at a time (see
/// [`alnum8`]); the words of a text are then found a run of bits at a
/// time, not byte by byte (callgrind, 10,000 articles: the byte loop was
/// 2 % of a build).
fn alnum_bits(bytes: &[u8]) -> Vec<u64> {
    let mut bits = Vec::with_capacity(bytes.len().div_ceil(64));
    let blocks = bytes.chunks_exact(64);
    let rest = blocks.remainder();
    for block in blocks {
        let mut word = 0u64;
        for (k, lanes) in block.chunks_exact(8).enumerate() {
            word |= u64::from(alnum8(u64::from_le_bytes(lanes.try_into().expect("eight bytes")))) << (8 * k);
        }
        bits.push(word);
    }
    if !rest.is_empty() {
        bits.push(rest.iter().enumerate().fold(0u64, |word, (j, &b)| word | (u64::from(ALNUM[b as usize]) << j)));
    }
    bits
}

/// Each of eight ASCII bytes (below 0x80, first byte lowest) a letter or
/// digit, as the bits of a byte: a range check per byte in one 64-bit sum
/// (a byte below 0x80 plus at most 0x80 does not carry into the next),
/// then the eight high bits gathered by one multiplication.
fn alnum8(lanes: u64) -> u8 {
    const fn splat(b: u8) -> u64 {
        u64::from_le_bytes([b; 8])
    }
    const HIGH: u64 = splat(0x80);
    let at_least = |x: u64, lo: u8| x.wrapping_add(splat(0x80 - lo)) & HIGH;
    let above = |x: u64, hi: u8| x.wrapping_add(splat(0x7f - hi)) & HIGH;
    let digit = at_least(lanes, b'0') & !above(lanes, b'9');
    let lower = lanes | splat(0x20);
    let letter = at_least(lower, b'a') & !above(lower, b'z');
    // Byte k's flag at bit 8k, moved to bit 56 + k.
    (((digit | letter) >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// The first place at or after `from`, before `len`, whose bit in `bits`
/// is `set` (1) or not (0).
fn next_bit(bits: &[u64], from: usize, set: bool, len: usize) -> Option<usize> {
    let flip = if set { 0 } else { u64::MAX };
    let mut w = from / 64;
    let mut cur = (bits.get(w)? ^ flip) & (u64::MAX << (from % 64));
    loop {
        if cur != 0 {
            let at = w * 64 + cur.trailing_zeros() as usize;
            return (at < len).then_some(at);
        }
        w += 1;
        cur = bits.get(w)? ^ flip;
    }
}

/// `ALNUM[b]`: byte `b` is an ASCII letter or digit (one load a byte, where
/// `is_ascii_alphanumeric` is three ranges).
static ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

fn push_word(out: &mut Vec<u8>, w: &[u8]) {
    if !out.is_empty() {
        out.push(b' ');
    }
    out.extend_from_slice(w);
}

/// The key of the word of ASCII letters and digits, `len` (at most
/// sixteen) bytes long, that `from` begins with (see [`words_ascii`]): the
/// sixteen bytes from its start (zeros past the end of `from`), those past
/// the word masked off, lowercased (an ASCII letter or digit is lowercase
/// with its 0x20 bit set).
fn word_key(from: &[u8], len: usize) -> u128 {
    let raw: [u8; 16] = match from.get(..16) {
        Some(b) => b.try_into().expect("sixteen bytes"),
        None => {
            let mut raw = [0u8; 16];
            raw[..from.len()].copy_from_slice(from);
            raw
        }
    };
    (u128::from_le_bytes(raw) | 0x2020_2020_2020_2020_2020_2020_2020_2020) & KEY_MASKS[len]
}

/// `KEY_MASKS[len]`: the low `len` bytes of a `u128` set (a load, where a
/// 128-bit shift is several instructions, once for every word of the corpus).
static KEY_MASKS: [u128; 17] = {
    let mut masks = [0u128; 17];
    let mut len = 1;
    while len < 16 {
        masks[len] = (1u128 << (8 * len)) - 1;
        len += 1;
    }
    masks[16] = u128::MAX;
    masks
};

/// A source's snippet (its summary, then its text, cut) and the distinct
/// words of its text that the snippet does not show.
pub fn source_text(summary: &str, paragraphs: &[crate::markdown::Paragraph]) -> (String, String) {
    let body: Vec<&str> = paragraphs.iter().map(|p| p.text.as_str()).collect();
    let body = body.join(" ");
    // The snippet is cut from the start: only as much of the body as can
    // show (a char is at most four bytes), not all of it, is joined first.
    let room = 4 * SNIPPET_TEXT + 4;
    let mut head = String::with_capacity(summary.len() + 1 + room.min(body.len()));
    head.push_str(summary);
    head.push(' ');
    let mut end = room.min(body.len());
    while !body.is_char_boundary(end) {
        end += 1;
    }
    head.push_str(&body[..end]);
    let x = truncate(&head, SNIPPET_TEXT);
    let w = words(&body, &x);
    (x, w)
}

/// Past this many sources, words that many sources share are left out of the
/// full-text part of the index (see [`common_words`]).
pub const TRIM_FROM: usize = 200;
/// Full-text words kept per source, at most.
pub const WORDS_PER_SOURCE: usize = 400;

/// Words found in more than one source in fifty (at least four sources):
/// at 10,000 sources such a word matches hundreds of them and ranks none,
/// while it makes most of the index. Titles and snippets still hold them.
fn common_words<S: AsRef<str>>(bodies: &[S]) -> AHashSet<&str> {
    let mut df: ahash::AHashMap<&str, usize> = ahash::AHashMap::new();
    for b in bodies {
        for w in b.as_ref().split(' ').filter(|w| !w.is_empty()) {
            *df.entry(w).or_default() += 1;
        }
    }
    let limit = (bodies.len() / 50).max(4);
    df.into_iter().filter(|&(_, n)| n > limit).map(|(w, _)| w).collect()
}

pub fn docs(g: &SiteGraph) -> String {
    let mut docs = vec![];
    // Each source's snippet and words, computed with the graph (which then
    // let the paragraphs' text go), in the order of `by_date`.
    let mut words: Vec<Cow<str>> = g.by_date.iter().map(|&a| Cow::Borrowed(g.search_text[a].1.as_str())).collect();
    if words.len() > TRIM_FROM {
        let common = common_words(&words);
        let kept: Vec<String> = words
            .par_iter()
            .map(|w| {
                let kept: Vec<&str> =
                    w.split(' ').filter(|x| !x.is_empty() && !common.contains(x)).take(WORDS_PER_SOURCE).collect();
                kept.join(" ")
            })
            .collect();
        words = kept.into_iter().map(Cow::Owned).collect();
    }
    for (&a, w) in g.by_date.iter().zip(words) {
        let x = Cow::Borrowed(g.search_text[a].0.as_str());
        let art = &g.articles[a];
        docs.push(Doc {
            t: &art.title,
            k: "source",
            d: art.published.to_string(),
            u: format!("sources/{}/index.html", art.slug),
            x,
            w,
        });
    }
    for ev in &g.events {
        let mut x = String::new();
        for r in &ev.reports {
            x.push_str(&g.claim(r).quote);
            x.push(' ');
        }
        docs.push(Doc {
            t: &ev.title,
            k: "event",
            d: ev.date.to_string(),
            u: format!("timeline/index.html#e-{}", ev.id),
            x: truncate(x.trim(), SNIPPET_TEXT).into(),
            w: ev.id.replace('-', " ").into(),
        });
    }
    for e in &g.entities {
        let u = if e.kind == EntityKind::Publisher {
            format!("publishers/{}/index.html", e.id)
        } else {
            format!("entities/{}/index.html", e.id)
        };
        docs.push(Doc {
            t: &e.name,
            k: e.kind.as_str(),
            d: String::new(),
            u,
            x: e.summary.as_str().into(),
            w: e.aliases.join(" ").into(),
        });
    }
    for t in &g.topics {
        docs.push(Doc {
            t: &t.title,
            k: "topic",
            d: String::new(),
            u: format!("topics/{}/index.html", t.id),
            x: t.summary.as_str().into(),
            w: "".into(),
        });
    }
    serde_json::to_string(&docs).expect("search documents serialise")
}

/// `search/index.js`: assigns the documents to a global the search script reads.
pub fn index_js(g: &SiteGraph) -> String {
    script(&docs(g))
}

/// `json` assigned to the global, in one pass (the index is the size of
/// the articles' words: not copied once per escape). `</` is escaped so
/// the data can never close a script element; U+2028/2029 are escaped
/// too: older engines end a string at them.
fn script(json: &str) -> String {
    const HEAD: &str = "window.DOSSIER_SEARCH = ";
    let mut out = String::with_capacity(HEAD.len() + json.len() + json.len() / 256 + 2);
    out.push_str(HEAD);
    let (b, mut run) = (json.as_bytes(), 0);
    // Only where a `<` or the first byte of U+2028/2029 (E2 80 A8 and
    // E2 80 A9 in UTF-8) stands: a vectorised scan, not a test a byte.
    for i in memchr::memchr2_iter(b'<', 0xE2, b) {
        let (escaped, len) = match (b[i], b.get(i + 1), b.get(i + 2)) {
            (b'<', Some(b'/'), _) => ("<\\", 1),
            (0xE2, Some(0x80), Some(0xA8)) => ("\\u2028", 3),
            (0xE2, Some(0x80), Some(0xA9)) => ("\\u2029", 3),
            _ => continue,
        };
        out.push_str(&json[run..i]);
        out.push_str(escaped);
        run = i + len;
    }
    out.push_str(&json[run..]);
    out.push_str(";\n");
    out
}

#[cfg(test)]
mod trim_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_key_mask_keeps_the_words_bytes_and_clears_the_rest() {
        for len in 0..=16 {
            let key = word_key(&[b'A'; 16], len);
            assert_eq!(key.to_le_bytes().iter().filter(|&&b| b == b'a').count(), len, "{len}");
            assert!(key.to_le_bytes()[len..].iter().all(|&b| b == 0), "{len}");
        }
    }

    fn script_by_replace(json: &str) -> String {
        let json = json.replace("</", "<\\/").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029");
        format!("window.DOSSIER_SEARCH = {json};\n")
    }

    proptest! {
        #[test]
        fn the_script_escapes_as_three_replaces_would(json in "([a-z\"<>/ ]|\u{2028}|\u{2029}|é){0,200}") {
            prop_assert_eq!(script(&json), script_by_replace(&json));
        }

        #[test]
        fn ascii_words_are_the_general_words(text in "[ -~\n]{0,300}", shown in "[ -~]{0,80}") {
            prop_assert_eq!(words(&text, &shown), words_any(&text, &shown));
        }

        #[test]
        fn ascii_words_about_sixteen_bytes_long_are_the_general_words(
            // Words either side of the sixteen bytes of a key, often repeated,
            // in either case, some of them shown.
            text in "((a{14,19}|B{15,18}|ab{1,18}|A{17})[ .,\n]){0,30}",
            shown in "((a{14,19}|b{15,18}|A{17})[ ]){0,6}",
        ) {
            prop_assert_eq!(words(&text, &shown), words_any(&text, &shown));
        }

        #[test]
        fn ascii_words_shown_in_any_text_are_the_general_words(
            // Few letters, so that words of the text are often shown.
            text in "[a-cK .\n]{0,300}",
            shown in "([a-c .]|[éİß\\x{212A}…—“”]){0,80}",
        ) {
            prop_assert_eq!(words(&text, &shown), words_any(&text, &shown));
        }

        #[test]
        fn the_snippet_is_the_start_of_summary_and_body(summary in "[a-zé ]{0,40}", paras in proptest::collection::vec("[a-zA-Zé,. ]{0,900}", 0..6)) {
            let paragraphs: Vec<crate::markdown::Paragraph> =
                paras.iter().enumerate().map(|(i, t)| crate::markdown::Paragraph { n: i + 1, text: t.clone(), line: 1 }).collect();
            let body = paras.join(" ");
            let (x, _) = source_text(&summary, &paragraphs);
            prop_assert_eq!(x, truncate(&format!("{summary} {body}"), SNIPPET_TEXT));
        }
    }

    #[test]
    fn the_word_set_is_a_set_text_after_text() {
        let mut set = WordSet::default();
        for text in 0..300u128 {
            set.begin(if text % 2 == 0 { 4 } else { 3000 });
            let mut seen = std::collections::HashSet::new();
            // Enough keys to make the table grow, with repeats and neighbours.
            for k in 0..2000u128 {
                let key = (k * k * 7919 + text) % 1500 + (k % 3) * (1 << 70);
                assert_eq!(set.insert(key), seen.insert(key), "text {text}, key {key}");
            }
            assert_eq!(set.len, seen.len());
        }
    }

    #[test]
    fn the_word_set_is_empty_again_when_its_generations_wrap() {
        let mut set = WordSet::default();
        set.begin(10);
        set.generation = u32::MAX;
        assert!(set.insert(7) && set.insert(8) && !set.insert(7));
        set.begin(10);
        assert_eq!(set.generation, 1);
        assert!(set.insert(7) && set.insert(8));
    }

    #[test]
    fn the_bitmap_is_the_table_at_every_length() {
        let text: Vec<u8> = (0..300u32).map(|i| b" a.Z9-q\n_7xY:"[(i * i % 13) as usize]).collect();
        for len in 0..text.len() {
            let bits = alnum_bits(&text[..len]);
            assert_eq!(bits.len(), len.div_ceil(64));
            for (i, &b) in text[..len].iter().enumerate() {
                assert_eq!(bits[i / 64] >> (i % 64) & 1 == 1, ALNUM[b as usize], "len {len}, byte {i}");
            }
        }
    }

    #[test]
    fn eight_bytes_at_once_are_the_table_byte_by_byte() {
        for first in 0u8..0x80 {
            for other in [b' ', b'0', b'9', b'a', b'z', b'A', b'Z', b'@', b'[', b'`', b'{', b'/', b':', 0x7f, 0] {
                for at in 0..8 {
                    let mut lanes = [other; 8];
                    lanes[at] = first;
                    let want = (0..8).fold(0u8, |m, k| m | (u8::from(ALNUM[lanes[k] as usize]) << k));
                    assert_eq!(alnum8(u64::from_le_bytes(lanes)), want, "{lanes:?}");
                }
            }
        }
    }

    #[test]
    fn words_most_sources_share_are_common_rare_ones_are_not() {
        let mut bodies: Vec<String> = (0..300).map(|i| format!("children returned word{i}")).collect();
        bodies.push("rusafa children".into());
        let common = common_words(&bodies);
        assert!(common.contains("children") && common.contains("returned"));
        assert!(!common.contains("rusafa") && !common.contains("word7"));
    }
}
