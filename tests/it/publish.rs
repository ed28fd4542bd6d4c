//! Printing, briefings, PDF and hosting: `/print/`, `/briefings/<id>/`,
//! `dossier pdf`, feeds, sitemap and what GitHub Pages needs.

use std::collections::BTreeSet;
use std::fs;

use scraper::{Html, Selector};

use super::{dossier, fixture, read, tree};

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Every `href="#x"` of the page names an element of the page.
fn assert_anchors_resolve(html: &str, page: &str) {
    let doc = Html::parse_document(html);
    let ids: BTreeSet<&str> = doc.select(&sel("[id]")).filter_map(|e| e.value().attr("id")).collect();
    let mut n = 0;
    for a in doc.select(&sel("a[href^='#']")) {
        let target = &a.value().attr("href").unwrap()[1..];
        assert!(ids.contains(target), "{page}: #{target} points nowhere");
        n += 1;
    }
    assert!(n > 0, "{page}: no in-page links at all");
}

const BRIEFINGS: &str = r#"
[[briefings]]
id = "returns-brief"
title = "The airlift, for the minister"
audience = "Restricted: briefing use only"
summary = "What two sources say of the airlift."
topics = ["returns"]

[[briefings]]
id = "later"
title = "Nothing before 2021"
from = "2021"
topics = ["returns"]
"#;

fn with_briefings() -> tempfile::TempDir {
    let d = fixture("basic");
    let toml = d.path().join("book.toml");
    let text = read(&toml) + BRIEFINGS;
    fs::write(&toml, text).unwrap();
    d
}

#[test]
fn print_page_holds_the_whole_dossier_with_links_inside_it() {
    let d = fixture("basic");
    let out = d.path().join("book");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let html = read(out.join("print/index.html"));
    let doc = Html::parse_document(&html);
    // Contents, then topics, timeline, discrepancies, sources, in that order.
    let parts: Vec<&str> =
        doc.select(&sel("article.paper > section.paper-part")).map(|s| s.value().attr("id").unwrap()).collect();
    assert_eq!(parts, ["topics", "timeline", "disagreements", "sources"]);
    assert!(doc.select(&sel("nav.paper-contents a[href='#s-alpha']")).next().is_some());
    // Both articles in full, their paragraph ids kept apart.
    assert!(html.contains(r#"id="s-alpha--p1""#) && html.contains(r#"id="s-beta--p1""#));
    assert!(html.contains("On November 27, 14 children were returned"));
    // The timeline cites paragraphs inside the page, not the site.
    assert!(html.contains(r##"href="#s-alpha--p1""##), "timeline cites the printed paragraph");
    assert!(html.contains(r##"href="#e-airlift""##) || html.contains(r#"id="e-airlift""#));
    assert_anchors_resolve(&html, "print/index.html");
    // Running header and page numbers for paper.
    assert!(html.contains("@top-left { content: \"Fixture dossier\""));
    assert!(read(out.join("assets/style.css")).contains("counter(pages)"));
}

#[test]
fn briefing_has_cover_summary_timeline_figures_disagreements_and_endnotes() {
    let d = with_briefings();
    let run = dossier(d.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = d.path().join("book");
    let html = read(out.join("briefings/returns-brief/index.html"));
    let doc = Html::parse_document(&html);
    let text = |s: &str| doc.select(&sel(s)).map(|e| e.text().collect::<String>()).collect::<Vec<_>>().join("|");
    assert_eq!(text("h1"), "The airlift, for the minister");
    assert_eq!(text(".handling"), "Restricted: briefing use only");
    assert!(text("#summary").contains("What two sources say of the airlift."));
    assert!(text("#summary").contains("Returns"), "summary assembled from the selected topic");
    // Timeline of the selection, citing endnotes with paragraphs.
    assert!(text("#timeline").contains("The airlift returns 14 children"));
    let refs = text("#timeline .note-ref");
    assert!(refs.contains("[1, ¶1]") && refs.contains("[2, ¶1]"), "{refs}");
    // Key figures and the disagreement on the number of children.
    assert!(text("#figures").contains("14"));
    let disc = text("#disagreements");
    assert!(disc.contains("14") && disc.contains("15"), "{disc}");
    // Endnotes: publisher, date, link to the source page and its address on the site.
    let notes: Vec<String> = doc.select(&sel("ol.endnotes > li")).map(|e| e.text().collect()).collect();
    assert_eq!(notes.len(), 2);
    assert!(notes[0].contains("Alpha reports the airlift") && notes[0].contains("Daily"), "{}", notes[0]);
    assert!(notes[0].contains("https://example.github.io/repo/sources/alpha/"));
    assert!(notes[1].contains("Beta on the same airlift") && notes[1].contains("5 January 2020"), "{}", notes[1]);
    assert!(html.contains(r#"href="../../sources/alpha/index.html#p1""#));
    assert_anchors_resolve(&html, "briefings/returns-brief/index.html");
    assert!(html.contains("@top-left { content: \"The airlift, for the minister · Restricted: briefing use only\""));

    // A date range that excludes every event leaves an empty timeline and no notes.
    let later = read(out.join("briefings/later/index.html"));
    assert!(later.contains("No event of the dossier falls in this selection."));
    assert!(!later.contains(r#"<li id="n1""#));

    // The list of briefings links both; `check` resolves every link of them.
    let list = read(out.join("briefings/index.html"));
    assert!(list.contains(r#"href="../briefings/returns-brief/index.html""#));
    assert_eq!(dossier(d.path(), &["check"]).code, 0);
}

#[test]
fn briefing_selection_with_unknown_ids_is_an_error_at_its_line() {
    let d = fixture("basic");
    let toml = d.path().join("book.toml");
    fs::write(&toml, read(&toml) + "\n[[briefings]]\nid = \"x\"\ntitle = \"X\"\ntopics = [\"retruns\"]\n").unwrap();
    let run = dossier(d.path(), &["check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("book.toml:9:1: error: briefing `x`: unknown topic `retruns`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `returns`?"), "{}", run.stderr);
}

#[test]
fn pdf_names_the_missing_package_and_unknown_briefings() {
    let d = with_briefings();
    let run = super::dossier_env(d.path(), &["pdf", "returns-brief"], &[("DOSSIER_CHROMIUM", "/nonexistent/chromium")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Chromium was not found"), "{}", run.stderr);
    assert!(run.stderr.contains("apt-get install chromium"), "{}", run.stderr);
    let run = dossier(d.path(), &["pdf", "returns-brif"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no briefing `returns-brif`"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `returns-brief`?"), "{}", run.stderr);
    assert!(!d.path().join("returns-brif.pdf").exists());
}

#[test]
fn feeds_parse_and_point_at_the_site() {
    let d = fixture("basic");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let out = d.path().join("book");
    let feed: atom_syndication::Feed = read(out.join("feed.xml")).parse().expect("feed.xml is valid Atom");
    assert_eq!(feed.title().as_str(), "Fixture dossier");
    assert_eq!(feed.entries().len(), 2);
    for e in feed.entries() {
        let link = &e.links()[0];
        assert!(link.href().starts_with("https://example.github.io/repo/sources/"), "{}", link.href());
        assert!(!e.id().is_empty());
    }
    let topic: atom_syndication::Feed =
        read(out.join("topics/returns/feed.xml")).parse().expect("topic feed is valid Atom");
    assert_eq!(topic.entries().len(), 2);
    // The pages announce their feed.
    assert!(read(out.join("index.html")).contains(r#"type="application/atom+xml""#));
}

#[test]
fn github_pages_output_is_relative_and_complete() {
    let d = fixture("basic");
    let toml = d.path().join("book.toml");
    fs::write(&toml, read(&toml).replace("[site]\n", "[site]\ncname = \"dossier.example.org\"\n")).unwrap();
    let run = dossier(d.path(), &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = d.path().join("book");
    let files = tree(&out);
    assert!(files.contains_key(".nojekyll"));
    assert_eq!(String::from_utf8_lossy(&files["CNAME"]).trim(), "dossier.example.org");
    let robots = String::from_utf8_lossy(&files["robots.txt"]).into_owned();
    assert!(robots.contains("Sitemap: https://example.github.io/repo/sitemap.xml"), "{robots}");
    let sitemap = String::from_utf8_lossy(&files["sitemap.xml"]).into_owned();
    assert!(sitemap.contains("<loc>https://example.github.io/repo/sources/alpha/</loc>"), "{sitemap}");
    // 404.html is served at any depth: it resolves its links from the sub-path.
    assert!(String::from_utf8_lossy(&files["404.html"]).contains(r#"<base href="/repo/">"#));
    // Canonical links from site-url; every other link relative.
    let alpha = String::from_utf8_lossy(&files["sources/alpha/index.html"]).into_owned();
    assert!(alpha.contains(r#"<link rel="canonical" href="https://example.github.io/repo/sources/alpha/">"#));
    let attr = sel("[href], [src]");
    for (path, bytes) in &files {
        if !path.ends_with(".html") || path == "404.html" {
            continue;
        }
        let doc = Html::parse_document(&String::from_utf8_lossy(bytes));
        for e in doc.select(&attr) {
            let v = e.value().attr("href").or(e.value().attr("src")).unwrap();
            if e.value().name() == "link" && e.value().attr("rel") == Some("canonical") {
                continue;
            }
            assert!(!v.starts_with('/'), "{path}: root-absolute link {v} breaks under a sub-path");
            if v.starts_with("https://example.github.io") {
                // Printed addresses are text, not links.
                panic!("{path}: internal link {v} is absolute");
            }
        }
    }
}

#[test]
fn site_url_from_the_environment_wins_for_deploys() {
    let d = fixture("basic");
    let env = [("DOSSIER_SITE_URL", "https://octo.github.io/briefs")];
    let run = super::dossier_env(d.path(), &["build"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alpha = read(d.path().join("book/sources/alpha/index.html"));
    assert!(alpha.contains(r#"href="https://octo.github.io/briefs/sources/alpha/""#), "canonical from the environment");
    assert!(read(d.path().join("book/404.html")).contains(r#"<base href="/briefs/">"#));
    let run = super::dossier_env(d.path(), &["check"], &[("DOSSIER_SITE_URL", "octo.github.io")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("DOSSIER_SITE_URL `octo.github.io` is not an absolute http(s) URL"), "{}", run.stderr);
}

#[test]
fn past_the_print_limit_sources_are_listed_and_citations_point_at_the_site() {
    let d = fixture("basic");
    let arts = d.path().join("content/articles");
    for i in 0..dossier::render::PRINT_FULL_TEXT_MAX {
        fs::write(
            arts.join(format!("gen-{i}.md")),
            format!(
                "---\ntitle: Generated {i}\npublisher: daily\npublished: 2020-01-01\noriginal: https://example.org/{i}\nsummary: S.\nevents:\n  - id: gen-{i}\n    date: 2019-11-27\n    title: Event {i}\n    quote: \"number {i} came\"\n---\nThe number {i} came home.\n"
            ),
        )
        .unwrap();
    }
    let run = dossier(d.path(), &["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let html = read(d.path().join("book/print/index.html"));
    assert!(html.contains("each is listed with a link to its page rather than printed in full"));
    assert!(html.contains(r#"href="../sources/gen-7/index.html#p1""#), "citations go to the site");
    assert!(!html.contains(r#"id="s-gen-7--p1""#));
}
