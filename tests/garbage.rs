//! Never panics on garbage: arbitrary bytes and arbitrary YAML-ish text fed
//! to decoding, front matter, EDTF dates and Markdown. (The same entry points
//! have cargo-fuzz targets in `fuzz/`; see CONTRIBUTING.md.)

use std::path::{Path, PathBuf};

use dossier::edtf::Edtf;
use dossier::frontmatter::{parse_article, parse_entity, parse_topic};
use dossier::markdown::{render, Matcher, RenderOptions};
use dossier::source::{decode, Kind, SourceFile};
use proptest::prelude::*;

/// A script element, an event handler or a script URL in the markup (text
/// that merely mentions them, escaped, is fine).
fn unsafe_markup(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_fragment(html);
    let all = scraper::Selector::parse("*").unwrap();
    for e in doc.select(&all) {
        let el = e.value();
        if el.name() == "script" {
            return Some(e.html());
        }
        for (k, v) in el.attrs() {
            let v = v.trim().to_ascii_lowercase();
            if k.starts_with("on") || v.starts_with("javascript:") || v.starts_with("data:") {
                return Some(e.html());
            }
        }
    }
    None
}

fn file(text: String, kind: Kind) -> SourceFile {
    SourceFile { rel: PathBuf::from("content/articles/x.md"), kind, text }
}

/// Text that looks like front matter: fences, keys, YAML punctuation, tabs,
/// quotes, unicode, in any order.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---\n".to_string()),
        Just("title: ".to_string()),
        Just("events:\n  - id: ".to_string()),
        Just("    date: ".to_string()),
        Just("    quote: ".to_string()),
        Just("figures: { a: 1 }\n".to_string()),
        Just("\t".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just(": ".to_string()),
        Just("- ".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("&anchor *anchor ".to_string()),
        Just("!!binary ".to_string()),
        Just("2019-05-07/2019-05-09".to_string()),
        Just("\u{feff}".to_string()),
        "[a-zA-Z0-9 ~?%/.-]{0,12}",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(bytes, Path::new("content/articles/x.md"));
    }

    #[test]
    fn front_matter_of_any_text_never_panics(text in yamlish()) {
        let mut diags = vec![];
        let _ = parse_article(&file(text.clone(), Kind::Article), &mut diags);
        let _ = parse_entity(&file(text.clone(), Kind::Entity), &mut diags);
        let _ = parse_topic(&file(text, Kind::Topic), &mut diags);
        // Every diagnostic points into the file.
        for d in &diags {
            prop_assert!(d.line >= 1 && d.col >= 1);
        }
    }

    #[test]
    fn front_matter_of_arbitrary_unicode_never_panics(text in "\\PC{0,300}") {
        let mut diags = vec![];
        let _ = parse_article(&file(format!("---\n{text}\n---\nbody"), Kind::Article), &mut diags);
    }

    #[test]
    fn dates_never_panic(text in "[0-9X~?%/.\\-]{0,24}|\\PC{0,12}") {
        if let Ok(d) = Edtf::parse(&text) {
            // What parses, displays and orders.
            let _ = d.to_string();
            prop_assert!(d.first_day() <= d.last_day());
        }
    }

    #[test]
    fn markdown_of_any_text_never_panics(body in "\\PC{0,400}", trusted in any::<bool>()) {
        let matcher = Matcher::new([("entities/x/index.html".to_string(), vec!["Rusafa", "Jane Roe"])]);
        let r = render(&body, &RenderOptions { root: "../../", matcher: &matcher, trusted_html: trusted, number_paragraphs: true });
        if !trusted {
            prop_assert_eq!(unsafe_markup(&r.html), None);
        }
    }

    #[test]
    fn markdown_with_html_and_links_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("<script>x</script>"), Just("<a href=\"javascript:x\">"), Just("[l](javascript:x)"), Just("```rust\n"),
        Just("```\n"), Just("| a | b |\n|---|---|\n"), Just("[^1]\n\n[^1]: note\n"), Just("Rusafa "), Just("Jane Roe "),
        Just("<img src=x onerror=y>"), Just("# H\n"), Just("\n\n"), Just("> q\n"), Just("~~s~~"), Just("<!-- c -->"),
    ], 0..30)) {
        let body = parts.concat();
        let matcher = Matcher::new([("entities/x/index.html".to_string(), vec!["Rusafa", "Jane Roe"])]);
        let r = render(&body, &RenderOptions { root: "../../", matcher: &matcher, trusted_html: false, number_paragraphs: true });
        prop_assert_eq!(unsafe_markup(&r.html), None);
    }
}
