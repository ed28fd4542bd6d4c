//! `serve`'s incremental builds: after each edit of articles, the files the
//! edit names (made again, or removed) applied to the previous site give
//! exactly what a full build of the edited dossier makes, byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use dossier::live::Live;

/// The repository's own dossier (five real articles, shared events,
/// disagreements, briefings), copied.
fn own_dossier() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::copy(here.join("book.toml"), tmp.path().join("book.toml")).unwrap();
    super::copy_dir(&here.join("content"), &tmp.path().join("content"));
    tmp
}

const KIDS: &str = "content/articles/kazakhstan-evacuated-14-kids-from-iraq.md";
const CONTINUES: &str = "content/articles/kazakhstan-continues-repatriation-operation.md";

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let p = root.join(rel);
    let text = fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} lacks {from:?}");
    fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// Applies the edit of `changed` to `live` and `site`, and checks the
/// result against a full build of the files as they are now.
fn apply(root: &Path, live: Live, site: &mut BTreeMap<String, Vec<u8>>, changed: &[&str]) -> Live {
    let changed: Vec<PathBuf> = changed.iter().map(PathBuf::from).collect();
    assert!(live.can_apply(root, &changed));
    let edit = live.edit(root, &changed).unwrap_or_else(|f| panic!("{}", f.text()));
    for r in &edit.removed {
        site.remove(r);
    }
    let dirty: Vec<String> = edit.dirty.iter().cloned().collect();
    for (p, b) in edit.live.render(&dirty).unwrap() {
        site.insert(p, b);
    }
    let (_, full) = Live::build(root).unwrap_or_else(|f| panic!("{}", f.text()));
    let stale: Vec<&String> = full.keys().filter(|p| site.get(*p) != full.get(*p)).collect();
    let extra: Vec<&String> = site.keys().filter(|p| !full.contains_key(*p)).collect();
    assert!(stale.is_empty() && extra.is_empty(), "stale after editing {changed:?}: {stale:?}; left over: {extra:?}");
    // Not everything: assets, originals and the pages of unrelated
    // entities are left alone.
    assert!(dirty.len() < full.len(), "{} of {} files made again", dirty.len(), full.len());
    assert!(!dirty.iter().any(|p| p.starts_with("assets/") || p.starts_with("originals/")));
    edit.live
}

#[test]
fn each_edit_gives_what_a_full_build_gives() {
    let tmp = own_dossier();
    let root = tmp.path();
    let (mut live, mut site) = Live::build(root).unwrap_or_else(|f| panic!("{}", f.text()));

    // Words of a paragraph (the page, the search index).
    edit(root, KIDS, "Operation Rusafa", "Operation Rusafa (edited)");
    live = apply(root, live, &mut site, &[KIDS]);
    assert!(String::from_utf8_lossy(&site["sources/kazakhstan-evacuated-14-kids-from-iraq/index.html"])
        .contains("(edited)"));

    // The title: every list, the timeline, topic and entity pages, the feeds.
    edit(root, KIDS, "title: Kazakhstan Evacuated 14 Kids from Iraq", "title: Fourteen children home from Iraq");
    live = apply(root, live, &mut site, &[KIDS]);
    assert!(String::from_utf8_lossy(&site["timeline/index.html"]).contains("Fourteen children home from Iraq"));

    // A figure of a shared event: a new disagreement, on the other source's page too.
    edit(root, CONTINUES, "figures: { citizens: 231, children: 156", "figures: { citizens: 232, children: 156");
    live = apply(root, live, &mut site, &[CONTINUES]);

    // Topics and publisher.
    edit(root, CONTINUES, "topics: [repatriation, rehabilitation, extremism]", "topics: [repatriation]");
    live = apply(root, live, &mut site, &[CONTINUES]);

    // A new article, then the removal of another.
    let added = "content/articles/a-copy.md";
    fs::copy(root.join(CONTINUES), root.join(added)).unwrap();
    live = apply(root, live, &mut site, &[added]);
    fs::remove_file(root.join(KIDS)).unwrap();
    live = apply(root, live, &mut site, &[KIDS]);
    assert!(!site.contains_key("sources/kazakhstan-evacuated-14-kids-from-iraq/index.html"));

    // A broken edit is refused with the full build's error; the build before stays usable.
    edit(root, added, "title:", "title: [unclosed");
    let err = live.edit(root, &[PathBuf::from(added)]).err().expect("a broken file fails");
    assert!(err.text().contains("content/articles/a-copy.md:3:10: error: invalid front matter"), "{}", err.text());
    edit(root, added, "title: [unclosed", "title:");
    apply(root, live, &mut site, &[added]);
}

/// A long session: the spill file that holds the articles' HTML takes in
/// every edited version, and gives back the space of those replaced.
#[cfg(target_os = "linux")]
#[test]
fn a_long_session_of_edits_does_not_keep_every_version_of_an_article() {
    let tmp = own_dossier();
    let root = tmp.path();
    let (mut live, _) = Live::build(root).unwrap_or_else(|f| panic!("{}", f.text()));
    let spill = live.compiled.catalogue.spill.clone().expect("a spill file");
    let (written, used) = (spill.len(), spill.in_use().unwrap());
    let mut word = "Operation Rusafa";
    for i in 0..400 {
        let next = if i % 2 == 0 { "Operation Rusafa (edited)" } else { "Operation Rusafa" };
        edit(root, KIDS, word, next);
        word = next;
        live = live.edit(root, &[PathBuf::from(KIDS)]).unwrap_or_else(|f| panic!("{}", f.text())).live;
    }
    let (written_now, used_now) = (spill.len(), spill.in_use().unwrap());
    let edited = written_now - written;
    assert!(edited > 3_000_000, "400 versions written: {edited} bytes");
    // What is live, one chunk of the tail and the pages shared with live
    // neighbours, not 400 versions.
    assert!(used_now < used + 300_000, "{used} -> {used_now} bytes in use after {edited} written");
    let page = live.render(&["sources/kazakhstan-evacuated-14-kids-from-iraq/index.html".to_string()]).unwrap();
    assert!(String::from_utf8_lossy(&page[0].1).contains("Operation Rusafa"));
    // An edit keeps the spill and its reclaiming; a full build brings its
    // own, and the old one goes whole.
    edit(root, KIDS, word, "Operation Rusafa (again)");
    let edited = live.edit(root, &[PathBuf::from(KIDS)]).unwrap_or_else(|f| panic!("{}", f.text())).live;
    live.retire(&edited);
    assert!(spill.reclaiming());
    let (full, _) = Live::build(root).unwrap_or_else(|f| panic!("{}", f.text()));
    edited.retire(&full);
    assert!(!spill.reclaiming());
    assert!(full.compiled.catalogue.spill.as_ref().unwrap().reclaiming());
}

#[test]
fn only_article_files_are_applied_as_edits() {
    let tmp = own_dossier();
    let root = tmp.path();
    let (live, _) = Live::build(root).unwrap();
    assert!(live.can_apply(root, &[PathBuf::from(KIDS)]));
    assert!(live.can_apply(root, &[PathBuf::from("content/articles/gone.md")]));
    // An editor's temporary file, already renamed over the article.
    assert!(live.can_apply(root, &[PathBuf::from("content/articles/a.md.tmp1234"), PathBuf::from(KIDS)]));
    fs::write(root.join("content/articles/notes.txt"), "x").unwrap();
    assert!(!live.can_apply(root, &[PathBuf::from("content/articles/notes.txt")]));
    for other in [
        "content/entities/gone.md",
        "content/entities/iraq.md",
        "content/topics/repatriation.md",
        "book.toml",
        "templates/base.html",
    ] {
        assert!(!live.can_apply(root, &[PathBuf::from(other)]), "{other}");
    }
}

#[test]
fn a_stray_file_deleted_from_articles_takes_its_warning_with_it() {
    let tmp = own_dossier();
    let root = tmp.path();
    let stray = "content/articles/notes.txt";
    fs::write(root.join(stray), "x").unwrap();
    let (live, _) = Live::build(root).unwrap();
    let ignored = |l: &Live| l.warnings().iter().any(|w| w.path == Path::new(stray) && w.message == "file ignored");
    assert!(ignored(&live));
    fs::remove_file(root.join(stray)).unwrap();
    let changed = [PathBuf::from(stray)];
    assert!(live.can_apply(root, &changed));
    let edit = live.edit(root, &changed).unwrap_or_else(|f| panic!("{}", f.text()));
    assert!(!ignored(&edit.live));
    // As a full build of what is there now says.
    let (full, _) = Live::build(root).unwrap();
    let text = |l: &Live| l.warnings().iter().map(|w| w.to_string()).collect::<Vec<_>>();
    assert_eq!(text(&edit.live), text(&full));
}

/// Article `rel` compiled as it is now, against `c`'s catalogue.
fn unit_of(root: &Path, c: &dossier::Compiled, rel: &str) -> std::sync::Arc<dossier::graph::Unit> {
    use dossier::source::{read_source, Kind};
    let file = read_source(&root.join(rel), PathBuf::from(rel), Kind::Article).unwrap();
    let article = dossier::frontmatter::parse_article(&file, &mut vec![]).expect("the article parses");
    std::sync::Arc::new(dossier::graph::compile_article(article, &c.catalogue).0)
}

/// Every list of the two graphs the same, and the same articles' parts.
fn same_graph(fast: &dossier::graph::SiteGraph, full: &dossier::graph::SiteGraph, what: &str) {
    use std::sync::Arc;
    macro_rules! same {
        ($($field:ident),*) => {$(
            assert_eq!(format!("{:?}", fast.$field), format!("{:?}", full.$field), "{}: {what}", stringify!($field));
        )*};
    }
    same!(
        events,
        discrepancies,
        article_publisher,
        article_topics,
        article_entities,
        article_events,
        topic_articles,
        entity_mentions,
        entity_articles,
        entity_events,
        topic_events,
        by_date,
        newest_rank
    );
    fn sorted(g: &dossier::graph::SiteGraph) -> BTreeMap<usize, Vec<usize>> {
        g.publisher_articles.iter().map(|(k, v)| (*k, v.clone())).collect()
    }
    assert_eq!(sorted(fast), sorted(full), "publisher_articles: {what}");
    let n = full.articles.len();
    assert_eq!(fast.articles.len(), n);
    for a in 0..n {
        assert!(Arc::ptr_eq(&fast.articles[a], &full.articles[a]), "article {a}: {what}");
        assert!(Arc::ptr_eq(&fast.cards[a], &full.cards[a]), "card {a}: {what}");
        assert!(Arc::ptr_eq(&fast.html[a], &full.html[a]), "html {a}: {what}");
        assert!(Arc::ptr_eq(&fast.mentions[a], &full.mentions[a]), "mentions {a}: {what}");
        assert!(Arc::ptr_eq(&fast.search_text[a], &full.search_text[a]), "search {a}: {what}");
    }
}

/// `graph::relink` (one article edited in place, from the graph before)
/// gives field by field what `graph::link` gives from every article, and
/// declines the edits it does not follow (`link` is then what `serve` runs).
#[test]
fn relinking_one_article_gives_what_linking_every_article_gives() {
    let tmp = own_dossier();
    let root = tmp.path();
    let c = dossier::compile(root).unwrap_or_else(|f| panic!("{}", f.text()));
    // (edit, replaced, by, taken: Some(true) relinked, Some(false) declined, None either)
    let cases: &[(&str, &str, &str, Option<bool>)] = &[
        ("body words", "New Europe reports.", "New Europe reports, it says.", Some(true)),
        ("a mention added", "New Europe reports.", "New Europe reports. Ban Ki-moon is not quoted.", Some(true)),
        ("mentions removed", "First President Nursultan Nazarbayev", "First President", Some(true)),
        ("the title", "title: Kazakhstan continues", "title: Kazakhstan goes on with an", Some(true)),
        ("a figure", "figures: { citizens: 231, children: 156", "figures: { citizens: 232, children: 156", Some(true)),
        ("a figure disputed", "figures: { citizens: 231, children: 156", "figures: { citizens: 231, children: 157", Some(true)),
        (
            "a name claimed",
            "orphans: 18 }\n",
            "orphans: 18 }\n    claims: { name: Zhusan-2 }\n",
            Some(true),
        ),
        ("a figure dropped", "{ citizens: 231, children: 156, orphans: 18 }", "{ citizens: 231 }", Some(true)),
        ("topics", "topics: [repatriation, rehabilitation, extremism]", "topics: [extremism, repatriation]", Some(true)),
        ("the publisher", "publisher: vestnik-kavkaza", "publisher: cabar-asia", Some(true)),
        (
            "a quote moved",
            "quote: \"whose parents died on the Afghan-Pakistan border in 2012\"",
            "quote: \"The children went to schools and kindergartens\"",
            Some(true),
        ),
        ("an event's date", "date: 2019-05-07/2019-05-09", "date: 2019-05-08", None),
        ("an event's date, earlier", "date: 2019-05-07/2019-05-09", "date: 2017", Some(false)),
        ("the publication date", "published: 2019-05?", "published: 2019-06?", Some(false)),
        ("an unknown topic", "topics: [repatriation,", "topics: [repatriations,", Some(false)),
        (
            "an event of its own dropped",
            "  - id: departures-2012-2015\n    date: 2012/2015\n    title: Most Kazakh citizens who joined extremist groups leave for Syria and Iraq\n    quote: \"The majority of Kazakh citizens left for Syria and Iraq in 2012–2015.\"\n",
            "",
            Some(false),
        ),
    ];
    let path = root.join(CONTINUES);
    let original = fs::read_to_string(&path).unwrap();
    let mut relinked = 0;
    for &(what, from, to, taken) in cases {
        edit(root, CONTINUES, from, to);
        let unit = unit_of(root, &c, CONTINUES);
        let mut units = c.units.clone();
        units.insert(PathBuf::from(CONTINUES), unit.clone());
        let (mut fast_diags, mut full_diags) = (vec![], vec![]);
        let fast = dossier::graph::relink(&c.graph, &units, &unit, &mut fast_diags);
        if let Some(t) = taken {
            assert_eq!(fast.is_some(), t, "relinked or not: {what}");
        }
        let list: Vec<_> = units.values().cloned().collect();
        let full = dossier::graph::link(c.graph.config.clone(), &c.catalogue, &list, &mut full_diags);
        if let Some(fast) = fast {
            same_graph(&fast, &full, what);
            let text = |d: Vec<dossier::diag::Diagnostic>| {
                let mut v: Vec<String> = d.iter().map(|d| format!("{d:?}")).collect();
                v.sort();
                v
            };
            assert_eq!(text(fast_diags), text(full_diags), "diagnostics: {what}");
            relinked += 1;
        }
        fs::write(&path, &original).unwrap();
    }
    assert!(relinked >= 11, "{relinked} edits relinked");
}
