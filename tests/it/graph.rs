//! The cross-linked dossier: timeline merges, discrepancies, mentions,
//! backlinks and cross-reference checks, on small fixture dossiers.

use std::fs;

use crate::{dossier, fixture, main_of, read};

fn built(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let d = fixture(name);
    let out = dossier::build(d.path(), None).unwrap_or_else(|_| panic!("build of {name} failed")).out;
    (d, out)
}

#[test]
fn timeline_merges_sources_and_cites_paragraphs() {
    let (_d, out) = built("basic");
    let html = read(out.join("timeline/index.html"));
    let main = main_of(&html);
    assert_eq!(main.matches("<li class=\"event").count(), 1, "one merged event");
    assert!(main.contains(r#"<li class="event disputed" id="e-airlift" data-topics="returns">"#), "{main}");
    assert!(main.contains(r#"<time datetime="2019-11-27">27 November 2019</time>"#));
    assert!(main.contains(r#"<a href="../sources/alpha/index.html#p1">Alpha reports the airlift, ¶1</a>"#), "{main}");
    assert!(main.contains(r#"<a href="../sources/beta/index.html#p1">Beta on the same airlift, ¶1</a>"#));
    // Two clocks: when it happened and when each source reported it.
    assert!(main.contains("reported <time datetime=\"2020-01-05\">5 January 2020</time>; dates it <time datetime=\"2019-11-28\">28 November 2019</time>"), "{main}");
    // The filter works without JavaScript: links to topic timelines.
    assert!(main.contains(r##"<a href="../topics/returns/index.html#timeline" data-topic="returns">Returns</a>"##));
}

#[test]
fn discrepancies_show_each_version_with_its_quote() {
    let (_d, out) = built("basic");
    let html = read(out.join("discrepancies/index.html"));
    let main = main_of(&html);
    for anchor in ["d-airlift-date", "d-airlift-children", "d-airlift-operation-name"] {
        assert!(main.contains(&format!("id=\"{anchor}\"")), "{anchor} missing: {main}");
    }
    assert!(
        main.contains(r#"<p class="value">27 November 2019</p>"#)
            && main.contains(r#"<p class="value">28 November 2019</p>"#)
    );
    assert!(main.contains(r#"<p class="value">14</p>"#) && main.contains(r#"<p class="value">15</p>"#));
    assert!(main.contains(r#"<p class="value">Rusafa</p>"#) && main.contains(r#"<p class="value">Rusapha</p>"#));
    assert!(main.contains("“On November 27, 14 children were returned”") && main.contains("“15 children came home”"));
    // Marked on the source page too.
    let src = read(out.join("sources/beta/index.html"));
    assert!(src.contains("Where other sources disagree"));
    assert!(src.contains(r#"id="d-airlift-children""#));
    let json: serde_json::Value = serde_json::from_str(&read(out.join("data/timeline.json"))).unwrap();
    assert_eq!(json["events"][0]["disputed"], serde_json::json!(["date", "children", "operation-name"]));
}

#[test]
fn entity_pages_list_mentions_in_context_and_events() {
    let (_d, out) = built("basic");
    let html = read(out.join("entities/jane-roe/index.html"));
    let main = main_of(&html);
    assert!(main.contains("Also written: <span lang=\"en\">Roe</span>"), "{main}");
    assert!(main.contains("<blockquote><p>On November 27, 14 children were returned in operation Rusafa, said Jane Roe.</p></blockquote>"), "{main}");
    // Each source once, its sentences under it, each with its paragraph's link.
    let alpha = r#"<a href="../../sources/alpha/index.html">Alpha reports the airlift</a>"#;
    assert_eq!(main.matches(alpha).count(), 1, "{main}");
    // The source in a line, as source pages list others: publisher linked, date.
    assert!(
        main.contains(r#"<p class="cite"><a href="../../sources/alpha/index.html">Alpha reports the airlift</a> <span class="meta">— <a href="../../publishers/daily/index.html">The Daily</a>, <time datetime="2019-12">December 2019</time></span></p>"#),
        "{main}"
    );
    let list = &main[main.find(alpha).unwrap()..];
    let p1 =
        list.find(r#"said Jane Roe.</p></blockquote><a class="at" href="../../sources/alpha/index.html#p1">¶1</a>"#);
    let p2 = list.find(r#"Jane Roe thanked the Ministry of Foreign Affairs.</p></blockquote><a class="at" href="../../sources/alpha/index.html#p2">¶2</a>"#);
    let beta = list.find(r#"<a href="../../sources/beta/index.html">Beta on the same airlift</a>"#);
    assert!(p1.is_some() && p1 < p2 && p2 < beta, "{main}");
    // "Roe was there." in beta is found through the alias.
    assert!(main.contains(r#"<blockquote><p>Roe was there.</p></blockquote><a class="at" href="../../sources/beta/index.html#p1">¶1</a></li></ul></li></ul>"#), "{main}");
    assert!(
        main.contains(r#"<a href="../../timeline/index.html#e-airlift">The airlift returns 14 children</a>"#),
        "{main}"
    );
    // And the source links back, once per paragraph.
    let src = read(out.join("sources/alpha/index.html"));
    assert_eq!(src.matches(r#"<a class="mention" href="../../entities/jane-roe/index.html">Jane Roe</a>"#).count(), 2);
    // And in the list of what it names, as a chip.
    assert!(src.contains(r#"<li><a href="../../entities/jane-roe/index.html">Jane Roe</a></li>"#), "{src}");
    assert!(src.contains(r#"<li><a href="../../entities/rusafa/index.html">Rusafa</a></li>"#));
}

#[test]
fn topic_pages_have_overview_sources_timeline_and_people() {
    let (_d, out) = built("basic");
    let html = read(out.join("topics/returns/index.html"));
    let main = main_of(&html);
    assert!(main.contains("<p>Overview of returns.</p>"));
    assert!(
        main.contains(r#"<a class="source-title" href="../../sources/alpha/index.html">Alpha reports the airlift</a>"#)
    );
    assert!(main.contains(r#"<li class="event disputed" data-topics="returns">"#), "{main}");
    assert!(
        main.contains(r#"<a href="../../entities/jane-roe/index.html">Jane Roe</a> <span class="meta">3</span>"#),
        "{main}"
    );
}

#[test]
fn source_pages_list_other_sources_on_the_same_events() {
    let (_d, out) = built("basic");
    let html = read(out.join("sources/alpha/index.html"));
    let main = main_of(&html);
    assert!(main.contains("Other sources on the same events"));
    assert!(main.contains(r#"<a href="../../sources/beta/index.html">Beta on the same airlift</a>"#), "{main}");
}

#[test]
fn nested_topics_and_cross_reference_errors() {
    let d = fixture("basic");
    let c = d.path().join("content");
    fs::write(
        c.join("topics/children.md"),
        "---\ntitle: Children\nsummary: Children returned.\nparent: returns\n---\n",
    )
    .unwrap();
    fs::write(c.join("articles/gamma.md"), "---\ntitle: Gamma\npublisher: dialy\npublished: 2019-12\noriginal: g.txt\nsummary: G.\ntopics: [childern]\n---\nText.\n").unwrap();
    fs::create_dir_all(c.join("articles/more")).unwrap();
    fs::write(c.join("articles/more/alpha.md"), read(c.join("articles/alpha.md"))).unwrap();
    fs::write(c.join("entities/ghost.md"), "---\nkind: person\nname: Nobody Mentioned\nsummary: x\n---\n").unwrap();
    let r = dossier(d.path(), &["check"]);
    assert_eq!(r.code, 1);
    let expected = [
        "content/articles/gamma.md:3:1: error: unknown publisher `dialy`\n  = help: did you mean `daily`?",
        "content/articles/gamma.md:7:1: error: unknown topic `childern`\n  = help: did you mean `children`?",
        "content/articles/more/alpha.md:1:1: error: duplicate article slug `alpha`\n  = help: `content/articles/alpha.md` already uses this id; rename one of the two files",
        "content/entities/ghost.md:1:1: warning: no article mentions `Nobody Mentioned`",
    ];
    for e in expected {
        assert!(r.stderr.contains(e), "missing:\n{e}\nin:\n{}", r.stderr);
    }
}

#[test]
fn events_after_publication_warn_unless_planned() {
    let d = fixture("basic");
    let a = d.path().join("content/articles/beta.md");
    let text = read(&a).replace("date: 2019-11-28", "date: 2020-03");
    fs::write(&a, &text).unwrap();
    let r = dossier(d.path(), &["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("content/articles/beta.md:9:1: warning: event `airlift` (March 2020) is dated after the article was published (5 January 2020)"),
        "{}",
        r.stderr
    );
    fs::write(&a, text.replace("    quote:", "    planned: true\n    quote:")).unwrap();
    let r = dossier(d.path(), &["check"]);
    assert!(!r.stderr.contains("is dated after"), "{}", r.stderr);
    let out = dossier::build(d.path(), None).ok().unwrap().out;
    assert!(read(out.join("timeline/index.html")).contains("reported as a plan"));
}

#[test]
fn precision_differences_are_not_disagreements() {
    let d = fixture("basic");
    let a = d.path().join("content/articles/beta.md");
    let text = read(&a)
        .replace("date: 2019-11-28", "date: 2019-11")
        .replace("children: 15", "children: 14")
        .replace("Rusapha }", "rusafa }");
    fs::write(&a, text).unwrap();
    let out = dossier::build(d.path(), None).ok().unwrap().out;
    let html = read(out.join("discrepancies/index.html"));
    assert!(main_of(&html).contains("The sources agree on every event they share."), "{html}");
}

#[test]
fn unknown_quote_is_an_error_at_its_line() {
    let d = fixture("basic");
    let a = d.path().join("content/articles/beta.md");
    fs::write(&a, read(&a).replace("quote: \"15 children", "quote: \"16 children")).unwrap();
    let r = dossier(d.path(), &["build"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "content/articles/beta.md:14:1: error: quote of event `airlift` is not in the article\n  = help: no paragraph contains it; paragraph 1 (line 16) is the closest"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn sources_of_one_day_are_listed_newest_first_then_by_slug() {
    let d = fixture("basic");
    // Written in no particular order: the order of files says nothing.
    for slug in ["same-c", "same-a", "same-b"] {
        fs::write(
            d.path().join(format!("content/articles/{slug}.md")),
            format!(
                "---\ntitle: Source {slug}\npublisher: daily\npublished: 2020-03-01\noriginal: alpha.txt\n\
                 summary: One of three on one day.\ntopics: [returns]\n---\nThe ministry met on Monday.\n"
            ),
        )
        .unwrap();
    }
    let out = dossier::build(d.path(), None).expect("the dossier builds").out;
    let html = read(out.join("publishers/daily/index.html"));
    let main = main_of(&html);
    let at = |title: &str| main.find(title).unwrap_or_else(|| panic!("{title} missing: {main}"));
    // The three of 1 March 2020 first, by slug; then Beta (5 January 2020)
    // and Alpha (December 2019).
    assert!(at("Source same-a") < at("Source same-b"), "{main}");
    assert!(at("Source same-b") < at("Source same-c"), "{main}");
    assert!(at("Source same-c") < at("Beta on the same airlift"), "{main}");
    assert!(at("Beta on the same airlift") < at("Alpha reports the airlift"), "{main}");
}
