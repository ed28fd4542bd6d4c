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
