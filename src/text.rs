//! Small text helpers shared by stages: folding for quote matching.

/// Folds case, quote styles, dashes and whitespace, so a quote copied from a
/// source matches the paragraph whatever its typography.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return fold_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        // ASCII first: almost all of a body is.
        let c = if c.is_ascii() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if c == '`' {
                '\''
            } else {
                c.to_ascii_lowercase()
            }
        } else {
            match c {
                '“' | '”' | '„' | '«' | '»' | '″' => '"',
                '‘' | '’' | '‚' | '′' => '\'',
                '–' | '—' | '‒' | '−' => '-',
                '\u{a0}' => ' ',
                c => c,
            }
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii() {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// [`fold`] of text that is already through [`collapse_whitespace`] (an
/// article's paragraphs are): in ASCII only case and backticks are left to
/// fold, a pass the compiler does many bytes at a time.
pub fn fold_collapsed(s: &str) -> String {
    if !s.is_ascii() {
        return fold(s);
    }
    // One pass, each byte chosen without a branch: vector code.
    let out: Vec<u8> = s.bytes().map(fold_byte).collect();
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// [`fold`] of ASCII text, byte by byte.
fn fold_ascii(s: &str) -> String {
    collapse_ascii(s, fold_byte)
}

/// [`fold`] of one ASCII byte: lowercase, a backtick as an apostrophe.
fn fold_byte(b: u8) -> u8 {
    if b == b'`' {
        b'\''
    } else {
        b.to_ascii_lowercase()
    }
}

/// `s` with each run of whitespace made one space, trimmed (the words of
/// `split_whitespace` joined by spaces), byte by byte when it is ASCII.
pub fn collapse_whitespace(s: &str) -> String {
    if !s.is_ascii() {
        return s.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    collapse_ascii(s, |b| b)
}

/// [`collapse_whitespace`] of an owned string, which is returned as it is
/// (no copy) when it is already collapsed, as most paragraphs are: ASCII,
/// no control bytes, no two spaces together, none at either end.
pub fn collapse_whitespace_owned(s: String) -> String {
    let b = s.as_bytes();
    let collapsed = b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && printable_ascii(b)
        && memchr::memmem::find(b, b"  ").is_none();
    if collapsed {
        s
    } else {
        collapse_whitespace(&s)
    }
}

/// Whether every byte is printable ASCII (space to `~`): 32 bytes at a time
/// without an early exit inside a block, so the compiler makes it vector
/// code (a paragraph's text is checked once, some 120,000 at 10,000 articles).
fn printable_ascii(b: &[u8]) -> bool {
    let outside = |c: &[u8]| c.iter().fold(0u8, |n, &x| n | u8::from(x.wrapping_sub(b' ') >= 0x5f));
    let mut blocks = b.chunks_exact(32);
    blocks.all(|c| outside(c) == 0) && outside(blocks.remainder()) == 0
}

/// ASCII `s` with whitespace runs made one space and trimmed, every other
/// byte passed through `map`.
fn collapse_ascii(s: &str, map: impl Fn(u8) -> u8) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut space = false;
    for &b in s.as_bytes() {
        // `char::is_whitespace` in ASCII: tab, newline, vertical tab, form feed, return, space.
        if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(b' ');
        }
        space = false;
        out.push(map(b));
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// Whether an article's `original` is a web address (`https://…`) rather
/// than a file in `originals/`: it holds `://`. (Byte windows: `str::contains`
/// sets up a substring searcher, which `serve` paid once per article on
/// every edit.)
pub fn is_address(original: &str) -> bool {
    original.as_bytes().windows(3).any(|w| w == b"://")
}

/// Up to this many bytes (a title, a date, a path, a sentence) a string is
/// checked in one pass before the two vectorised scans of [`escape_runs`].
const SHORT: usize = 256;

/// `s` HTML-escaped (`&`, `<`, `>`, `"`, `'`), handed to `emit` as runs in
/// order: the plain runs whole, each escaped byte as its entity. The next
/// `&`, `<` or `>` and the next quote are each found by a vectorised scan
/// (memchr) and looked for again only once passed: linear however many
/// there are, and long plain runs (highlighted code) are skipped at vector
/// speed. Most strings are short with nothing to escape (titles, dates,
/// paths, a token of code, a sentence): up to [`SHORT`] bytes one pass over
/// the bytes settles that first, where the two scans cost more to start
/// than they save (callgrind, 1,000 articles: Tera's escape 158 -> 114
/// million instructions). That pass is a fold with no early exit, so that
/// it is vector code (the `any` it replaced went byte by byte: the build
/// 1,908 -> 1,875 million instructions, with [`SHORT`] raised from 64 to
/// 256 bytes). Tera's escape function and the highlighter's both use it.
pub fn escape_runs<'a>(s: &'a str, mut emit: impl FnMut(&'a str)) {
    let bytes = s.as_bytes();
    if bytes.len() <= SHORT && !bytes.iter().fold(false, |hit, b| hit | matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        if !s.is_empty() {
            emit(s);
        }
        return;
    }
    let markup = |from: usize| memchr::memchr3(b'&', b'<', b'>', &bytes[from..]).map(|i| i + from);
    let quote = |from: usize| memchr::memchr2(b'"', b'\'', &bytes[from..]).map(|i| i + from);
    let (mut next_markup, mut next_quote) = (markup(0), quote(0));
    let mut start = 0;
    loop {
        let at = match (next_markup, next_quote) {
            (Some(m), Some(q)) => m.min(q),
            (Some(i), None) | (None, Some(i)) => i,
            (None, None) => break,
        };
        if start < at {
            emit(&s[start..at]);
        }
        emit(match bytes[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        start = at + 1;
        if next_markup == Some(at) {
            next_markup = markup(start);
        } else {
            next_quote = quote(start);
        }
    }
    if start < s.len() {
        emit(&s[start..]);
    }
}

/// Formats a figure: integers without a decimal point, thousands grouped.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        // Digits by itoa, not `format!` (a figure of every report, on
        // every page that lists it).
        let mut digits = itoa::Buffer::new();
        let s = digits.format(n.abs() as i64);
        let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
        if n < 0.0 {
            out.push('-');
        }
        for (i, c) in s.char_indices() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{n}")
    }
}

/// A figure key as words: `eldest-age` -> "eldest age".
pub fn label(key: &str) -> String {
    key.replace(['-', '_'], " ")
}

/// Words that end in a full stop without ending a sentence, lowercase and
/// sorted (looked up by binary search, in any case).
const ABBREVIATIONS: &[&[u8]] = &[
    b"approx", b"apr", b"aug", b"ca", b"capt", b"cf", b"co", b"col", b"corp", b"dec", b"dr", b"e.g", b"etc", b"feb",
    b"fig", b"gen", b"i.e", b"inc", b"jan", b"jr", b"jul", b"jun", b"lt", b"ltd", b"mar", b"mr", b"mrs", b"ms", b"no",
    b"nos", b"nov", b"oct", b"pp", b"prof", b"rev", b"sep", b"sept", b"sgt", b"sr", b"st", b"vol", b"vs",
];

/// Where the sentences of `text` end: the byte just past each one's
/// closing punctuation (and the quotation marks or brackets that close
/// with it), in order; the last sentence ends with the text and is not
/// listed. A stop ends no sentence after an initial or an abbreviation
/// ("President K. Tokayev", "Mr. Sales", "U.S. officials"), before a
/// lowercase word, or inside a short quotation (`held its "Unity.
/// Creativity. Rise." session` is one sentence).
pub fn sentence_ends(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let quotes = quotations(text);
    let inside_quote = |at: usize| quotes.iter().any(|&(open, close)| open < at && at <= close);
    let mut ends = vec![];
    let mut from = 0;
    while let Some(i) = memchr::memchr3(b'.', b'!', b'?', &b[from..]).map(|i| i + from) {
        // Further marks ("?!", "...") and what closes with the sentence.
        let mut j = i + 1;
        while j < b.len() && matches!(b[j], b'.' | b'!' | b'?') {
            j += 1;
        }
        while let Some(c @ ('"' | '\'' | ')' | ']' | '\u{201d}' | '\u{2019}' | '\u{bb}')) = text[j..].chars().next() {
            j += c.len_utf8();
        }
        from = j;
        let Some(after) = text[j..].strip_prefix(|c: char| c.is_whitespace()) else { continue };
        let Some(next) = after.trim_start().chars().next() else { continue };
        // A lowercase word goes on the sentence; so does a word after an
        // initial or an abbreviation, and a stop inside a short quotation.
        let initial = || j == i + 1 && b[i] == b'.' && abbreviation_before(text, i);
        if !(next.is_lowercase() || initial() || inside_quote(j)) {
            ends.push(j);
        }
    }
    ends
}

/// Whether the word before the full stop at `stop` is an initial, a run of
/// them ("U.S"), or one of [`ABBREVIATIONS`].
fn abbreviation_before(text: &str, stop: usize) -> bool {
    let b = text.as_bytes();
    // Most words are ASCII letters: walked back a byte at a time, and an
    // ASCII word longer than any abbreviation, with no stop in it, is none.
    let mut start = stop;
    while start > 0 && (b[start - 1].is_ascii_alphabetic() || b[start - 1] == b'.') {
        start -= 1;
    }
    let ascii = start == 0 || b[start - 1] < 0x80;
    if ascii && stop - start > 8 && !b[start..stop].contains(&b'.') {
        return false;
    }
    let word_start = if ascii {
        start
    } else {
        text[..stop]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_alphabetic() || c == '.'))
            .map_or(0, |(i, c)| i + c.len_utf8())
    };
    let word = &text[word_start..stop];
    if word.is_empty() {
        return false;
    }
    let mut letters = word.split('.');
    if letters.all(|l| l.chars().count() == 1) {
        return true;
    }
    let mut lower = [0u8; 8];
    if word.len() > lower.len() {
        return false;
    }
    for (l, b) in lower.iter_mut().zip(word.bytes()) {
        *l = b.to_ascii_lowercase();
    }
    ABBREVIATIONS.binary_search(&&lower[..word.len()]).is_ok()
}

/// A quotation longer than this (in bytes) is speech, whose sentences are
/// split as any others: a name in it is shown in its sentence, not in the
/// whole of it. A shorter one is a title or a phrase ("Unity. Creativity.
/// Rise.") and is never cut.
const QUOTATION_KEPT_WHOLE: usize = 200;

/// The short quotations of `text` (see [`QUOTATION_KEPT_WHOLE`]) as (opening
/// mark, closing mark) byte offsets: straight double quotes taken in pairs
/// (a last one without a partner is left out), and curly ones from an
/// opening mark to the closing one.
fn quotations(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = vec![];
    let (mut straight, mut curly) = (None, None);
    // Straight quotes, and the first byte of the curly ones (U+201C and
    // U+201D are E2 80 9C and E2 80 9D): a vectorised scan, not a walk
    // through every character.
    for i in memchr::memchr2_iter(b'"', 0xE2, b) {
        match (b[i], b.get(i + 1..i + 3)) {
            (b'"', _) => match straight.take() {
                Some(open) => spans.push((open, i)),
                None => straight = Some(i),
            },
            (_, Some([0x80, 0x9C])) => curly = Some(i),
            (_, Some([0x80, 0x9D])) => {
                if let Some(open) = curly.take() {
                    spans.push((open, i));
                }
            }
            _ => {}
        }
    }
    spans.retain(|&(open, close)| close - open <= QUOTATION_KEPT_WHOLE);
    spans
}

/// The sentence of `text` around byte `at`, given its [`sentence_ends`].
pub fn sentence_around<'a>(text: &'a str, ends: &[usize], at: usize) -> &'a str {
    let k = ends.partition_point(|&e| e <= at);
    let start = if k == 0 { 0 } else { ends[k - 1] };
    let end = ends.get(k).copied().unwrap_or(text.len());
    text[start..end].trim()
}

/// At most `max` characters, cut at a word boundary, with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    // Only as far as the cut is read: not every character counted, nor
    // the first `max` collected one by one; where those are ASCII (one
    // vector check), character `max` starts at byte `max`.
    let end = if s.len() > max && s.as_bytes()[..max].is_ascii() {
        max
    } else {
        let Some((end, _)) = s.char_indices().nth(max) else { return s.to_string() };
        end
    };
    let cut = &s[..end];
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_is_the_byte_range_check() {
        for len in [0, 1, 31, 32, 33, 64, 100] {
            for at in 0..len {
                for bad in [0u8, b'\n', 0x1f, 0x7f, 0x80, 0xff] {
                    let mut b = vec![b'a'; len];
                    b[at] = bad;
                    assert!(!printable_ascii(&b), "{len} {at} {bad}");
                    b[at] = b'~';
                    assert!(printable_ascii(&b));
                    b[at] = b' ';
                    assert!(printable_ascii(&b));
                }
            }
        }
    }

    /// The sentence around the first occurrence of `name` in `text`.
    fn sentence_of<'a>(text: &'a str, name: &str) -> &'a str {
        sentence_around(text, &sentence_ends(text), text.find(name).unwrap())
    }

    #[test]
    fn abbreviations_are_lowercase_and_sorted_for_their_binary_search() {
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0] < w[1]));
        assert!(ABBREVIATIONS.iter().all(|a| a.len() <= 8 && !a.iter().any(u8::is_ascii_uppercase)));
    }

    #[test]
    fn sentences_end_at_stops_but_not_at_initials_abbreviations_or_inside_quotes() {
        // From the seed dossier: an initial is not the end of a sentence.
        let t =
            "The Assembly met. President K. Tokayev proposed appointing a deputy head. This initiative is commendable.";
        assert_eq!(sentence_of(t, "Tokayev"), "President K. Tokayev proposed appointing a deputy head.");
        assert_eq!(sentence_of(t, "K."), "President K. Tokayev proposed appointing a deputy head.");
        // Stops inside a quotation, and the quotation closing a sentence.
        let t = "Recently, with President Tokayev, the Assembly held its \"Unity. Creativity. Rise.\" session. During the meeting he spoke.";
        assert_eq!(
            sentence_of(t, "Tokayev"),
            "Recently, with President Tokayev, the Assembly held its \"Unity. Creativity. Rise.\" session."
        );
        assert_eq!(sentence_of(t, "meeting"), "During the meeting he spoke.");
        let t = "We are known simply as \u{201c}Kazakhs.\u{201d} This assertion by Tokayev holds weight.";
        assert_eq!(sentence_of(t, "Tokayev"), "This assertion by Tokayev holds weight.");
        assert_eq!(sentence_of(t, "Kazakhs"), "We are known simply as \u{201c}Kazakhs.\u{201d}");
        // Abbreviations, acronyms, a lowercase word after a stop, other marks.
        let t =
            "Mr. Sales met U.S. officials on Jan. 5 at approx. noon. Did Almaty agree?! It did (in part.) Then Rusafa.";
        assert_eq!(sentence_of(t, "Sales"), "Mr. Sales met U.S. officials on Jan. 5 at approx. noon.");
        assert_eq!(sentence_of(t, "Almaty"), "Did Almaty agree?!");
        assert_eq!(sentence_of(t, "in part"), "It did (in part.)");
        assert_eq!(sentence_of(t, "Rusafa"), "Then Rusafa.");
        // Speech is split as any text: a name in it is shown in its sentence.
        let speech = format!(
            "\u{201c}{} We found their families. We proved these children were ours,\u{201d} Vasilenko said.",
            "Their DNA should be tested, and it was, in Almaty and in Nur-Sultan, by two laboratories. ".repeat(2)
        );
        assert_eq!(sentence_of(&speech, "Vasilenko"), "We proved these children were ours,\u{201d} Vasilenko said.");
        // A figure ends a sentence; a quote mark without its partner is no quotation.
        let t = "In 2019. 14 children returned from Iraq \"at last. Then Syria.";
        assert_eq!(sentence_of(t, "Iraq"), "14 children returned from Iraq \"at last.");
        assert_eq!(sentence_of(t, "Syria"), "Then Syria.");
    }

    /// [`abbreviation_before`] as it was, a character at a time: the
    /// reference for its ASCII fast path.
    fn abbreviation_before_by_chars(text: &str, stop: usize) -> bool {
        let word_start = text[..stop]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_alphabetic() || c == '.'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &text[word_start..stop];
        if word.is_empty() {
            return false;
        }
        if word.split('.').all(|l| l.chars().count() == 1) {
            return true;
        }
        let lower = word.to_ascii_lowercase();
        word.len() <= 8 && ABBREVIATIONS.contains(&lower.as_bytes())
    }

    proptest::proptest! {
        #[test]
        fn an_abbreviation_is_found_as_by_walking_back_a_character_at_a_time(
            s in "((Mr|mrs|U|S|approx|returned|officials|Zhussan|Café|éMr|jan|e\\.g|[a-zé]{1,12})[.]?[ 0-9,]?){0,8}"
        ) {
            for (stop, _) in s.match_indices('.') {
                proptest::prop_assert_eq!(abbreviation_before(&s, stop), abbreviation_before_by_chars(&s, stop), "{:?} at {}", s, stop);
            }
        }

        #[test]
        fn collapsed_text_folds_as_any_text(s in "[ -~\t\n\r\u{a0}“”’–é]{0,200}") {
            let collapsed = collapse_whitespace(&s);
            proptest::prop_assert_eq!(fold_collapsed(&collapsed), fold(&collapsed));
            proptest::prop_assert_eq!(fold_collapsed(&collapsed), fold(&s));
        }

        #[test]
        fn truncation_cuts_at_the_same_place_as_counting_every_character(s in "[ -~é“”\u{1F600}]{0,60}", max in 0usize..50) {
            // The plain way: count the characters, collect the first `max`.
            let plain = if s.chars().count() <= max {
                s.clone()
            } else {
                let cut: String = s.chars().take(max).collect();
                let cut = match cut.rfind(' ') {
                    Some(i) if i > max / 2 => &cut[..i],
                    _ => &cut,
                };
                format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
            };
            proptest::prop_assert_eq!(truncate(&s, max), plain);
        }

        #[test]
        fn truncation_of_ascii_text_at_and_around_its_length(s in "[ a-z,.]{0,40}", extra in 0usize..3) {
            // Each length from zero to a little past the text's, where the
            // ASCII path and the counting part ways.
            for max in 0..=s.len() + extra {
                let plain = if s.len() <= max {
                    s.clone()
                } else {
                    let cut = match s[..max].rfind(' ') {
                        Some(i) if i > max / 2 => &s[..i],
                        _ => &s[..max],
                    };
                    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
                };
                proptest::prop_assert_eq!(truncate(&s, max), plain, "{:?} at {}", s, max);
            }
        }

        #[test]
        fn a_sentence_holds_the_byte_it_is_found_around(s in "[ a-zA-Z.!?\"\u{201c}\u{201d}()]{1,80}", at in 0usize..80) {
            let at = at.min(s.len() - 1);
            let ends = sentence_ends(&s);
            proptest::prop_assert!(ends.windows(2).all(|w| w[0] < w[1]) && ends.iter().all(|&e| e < s.len()));
            let sentence = sentence_around(&s, &ends, at);
            proptest::prop_assert_eq!(sentence, sentence.trim());
            // It is the text's own slice, and holds `at` unless `at` is space trimmed off.
            let start = sentence.as_ptr() as usize - s.as_ptr() as usize;
            if s.is_char_boundary(at) && !s[at..].starts_with(char::is_whitespace) {
                proptest::prop_assert!(start <= at && at < start + sentence.len(), "{:?} at {}: {:?}", s, at, sentence);
            }
        }

        #[test]
        fn quotations_are_found_as_a_walk_through_the_characters_finds_them(s in "[ a-z\"\u{201c}\u{201d}\u{2014}\u{2019}\u{e2}]{0,300}") {
            let mut spans = vec![];
            let (mut straight, mut curly) = (None, None);
            for (i, c) in s.char_indices() {
                match c {
                    '"' => match straight.take() {
                        Some(open) => spans.push((open, i)),
                        None => straight = Some(i),
                    },
                    '\u{201c}' => curly = Some(i),
                    '\u{201d}' => {
                        if let Some(open) = curly.take() {
                            spans.push((open, i));
                        }
                    }
                    _ => {}
                }
            }
            spans.retain(|&(open, close)| close - open <= QUOTATION_KEPT_WHOLE);
            proptest::prop_assert_eq!(quotations(&s), spans);
        }

        #[test]
        fn owned_collapse_is_the_borrowed_one(s in "[ -~\t\n\r\x0b\x0c\u{a0}é]{0,80}") {
            proptest::prop_assert_eq!(collapse_whitespace_owned(s.clone()), collapse_whitespace(&s));
        }
    }

    #[test]
    fn ascii_folds_as_the_general_case() {
        for s in ["  Tab\tand\x0bVT\x0c FF\r\nend ", "`quoted`  Text", "", "   "] {
            let general: String = fold(&format!("{s}\u{a0}")).trim_end().to_string();
            assert_eq!(fold(s), general, "{s:?}");
        }
    }

    #[test]
    fn folds_typography() {
        assert_eq!(fold("  “Rusafa”  –\nit’s "), "\"rusafa\" - it's");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(14.0), "14");
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(-12.0), "-12");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(1000.0), "1,000");
        assert_eq!(number(0.0), "0");
    }
}
