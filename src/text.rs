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
    let mut out = s.as_bytes().to_ascii_lowercase();
    for b in &mut out {
        if *b == b'`' {
            *b = b'\'';
        }
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// [`fold`] of ASCII text, byte by byte.
fn fold_ascii(s: &str) -> String {
    collapse_ascii(s, |b| if b == b'`' { b'\'' } else { b.to_ascii_lowercase() })
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
        && b.iter().all(|&c| (b' '..0x7f).contains(&c))
        && !s.contains("  ");
    if collapsed {
        s
    } else {
        collapse_whitespace(&s)
    }
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

/// Up to this many bytes a string is checked byte by byte before the
/// vectorised scans of [`escape_runs`].
const SHORT: usize = 64;

/// `s` HTML-escaped (`&`, `<`, `>`, `"`, `'`), handed to `emit` as runs in
/// order: the plain runs whole, each escaped byte as its entity. The next
/// `&`, `<` or `>` and the next quote are each found by a vectorised scan
/// (memchr) and looked for again only once passed: linear however many
/// there are, and long plain runs (highlighted code) are skipped at vector
/// speed. Most strings are short with nothing to escape (titles, dates,
/// paths, a token of code): up to [`SHORT`] bytes one pass over the bytes
/// settles that first, where the two scans cost more to start than they
/// save (callgrind, 1,000 articles: Tera's escape 158 -> 114 million
/// instructions). Tera's escape function and the highlighter's both use it.
pub fn escape_runs<'a>(s: &'a str, mut emit: impl FnMut(&'a str)) {
    let bytes = s.as_bytes();
    if bytes.len() <= SHORT && !bytes.iter().any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')) {
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
        let s = format!("{}", n.abs() as i64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0.0 {
            out.insert(0, '-');
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

/// At most `max` characters, cut at a word boundary, with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    // Only as far as the cut is read: not every character counted, nor
    // the first `max` collected one by one.
    let Some((end, _)) = s.char_indices().nth(max) else { return s.to_string() };
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

    proptest::proptest! {
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
    }
}
