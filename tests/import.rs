//! `dossier import`: Jekyll and Hugo sites in, a dossier that builds out,
//! every unconvertible file reported with its line.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stderr: String,
}

fn dossier(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--root").arg(root).args(args).output().unwrap();
    Run { code: out.status.code().unwrap_or(-1), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name).display().to_string()
}

fn read(p: impl AsRef<Path>) -> String {
    std::fs::read_to_string(p.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", p.as_ref().display()))
}

#[test]
fn jekyll_posts_become_articles_and_the_broken_ones_are_reported() {
    let d = tempfile::tempdir().unwrap();
    let run = dossier(d.path(), &["import", &fixture("jekyll")]);
    assert_eq!(run.code, 1, "a file failed: exit 1\n{}", run.stderr);
    // Each failure with file:line:col and a hint; the rest converted.
    assert!(
        run.stderr.contains("_posts/2020-02-01-tabs.md:4:1: error: front matter is not valid YAML"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("_posts/2020-03-01-bad-date.md:3:1: error: `March the first` is not a date"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("= help: write it as 2019-05-07"), "{}", run.stderr);
    assert!(
        run.stderr.contains("imported 3 articles and 4 new topics")
            && run.stderr.contains("skipped 2 drafts")
            && run.stderr.contains("2 files failed (1 bad YAML, 1 bad date)"),
        "{}",
        run.stderr
    );
    let content = d.path().join("content");
    let first = read(content.join("articles/first-returns.md"));
    for line in [
        "title: First returns from Syria",
        "publisher: the-steppe-courier",
        "author: Aigerim Sadykova",
        "published: 2019-05-07",
        "original: imported/first-returns.md",
        "url: https://courier.example.org/blog/2019/first-returns/",
        "summary: The first flight landed in Aktau.",
        "- repatriation\n- syria\n- news",
    ] {
        assert!(first.contains(line), "{line} in\n{first}");
    }
    assert!(first.ends_with("A second paragraph, with **bold** text.\n"));
    // The date from the file name; tags as a space-separated string; several authors.
    let rusafa = read(content.join("articles/rusafa.md"));
    assert!(rusafa.contains("published: 2019-11-29") && rusafa.contains("author: A. Writer, B. Editor"), "{rusafa}");
    assert!(rusafa.contains("- repatriation\n- iraq"), "{rusafa}");
    // No title: the first heading stands in; an RFC 3339 date.
    let untitled = read(content.join("articles/no-title.md"));
    assert!(
        untitled.contains("title: A heading stands in for the title") && untitled.contains("published: 2020-01-05")
    );
    // The original post is kept as provenance; topics and the publisher exist.
    assert!(content.join("originals/imported/rusafa.markdown").is_file());
    assert!(read(content.join("topics/syria.md")).contains("title: Syria"));
    assert!(read(content.join("entities/the-steppe-courier.md")).contains("kind: publisher"));
    assert!(read(d.path().join("book.toml")).contains("title = \"The Steppe Courier\""));
    // Drafts were skipped.
    assert!(!content.join("articles/a-draft.md").exists() && !content.join("articles/unpublished.md").exists());

    // The result builds, and every link resolves.
    let check = dossier(d.path(), &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    assert!(read(d.path().join("book/sources/first-returns/index.html")).contains("The first flight landed in Aktau"));

    // Importing again overwrites nothing without --force.
    let before = read(content.join("articles/first-returns.md"));
    std::fs::write(content.join("articles/first-returns.md"), before.replace("Aktau", "Aqtau")).unwrap();
    let again = dossier(d.path(), &["import", &fixture("jekyll")]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("content/articles/first-returns.md already exists"), "{}", again.stderr);
    assert!(read(content.join("articles/first-returns.md")).contains("Aqtau"), "not overwritten");
    let forced = dossier(d.path(), &["import", "--force", &fixture("jekyll")]);
    assert!(forced.stderr.contains("imported 3 articles"), "{}", forced.stderr);
    assert!(read(content.join("articles/first-returns.md")).contains("Aktau on Tuesday"));
}

#[test]
fn hugo_toml_json_bundles_sections_and_drafts() {
    let d = tempfile::tempdir().unwrap();
    let run = dossier(d.path(), &["import", &fixture("hugo")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("content/news/bad-toml.md:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("front matter is not valid TOML"), "{}", run.stderr);
    assert!(run.stderr.contains("content/news/latin1.md:5:4: error: not UTF-8 text"), "{}", run.stderr);
    assert!(run.stderr.contains("imported 3 articles") && run.stderr.contains("skipped 1 drafts and 1 section pages"));
    let content = d.path().join("content");
    let toml = read(content.join("articles/toml-slug.md"));
    assert!(
        toml.contains("published: 2021-03-04") && toml.contains("- interethnic-accord\n- assembly\n- analysis"),
        "{toml}"
    );
    assert!(toml.contains("summary: Written in TOML.") && toml.contains("author: Daniyar B."));
    assert!(read(content.join("articles/bundle.md")).contains("title: A page bundle"));
    assert!(read(content.join("articles/json-post.md")).contains("published: 2022-01-02"));
    assert!(read(content.join("topics/interethnic-accord.md")).contains("title: Interethnic accord"));
    assert_eq!(dossier(d.path(), &["check"]).code, 0);

    // --drafts brings the draft in.
    let d2 = tempfile::tempdir().unwrap();
    let run = dossier(d2.path(), &["import", "--drafts", &fixture("hugo")]);
    assert!(run.stderr.contains("imported 4 articles"), "{}", run.stderr);
    assert!(d2.path().join("content/articles/draft.md").is_file());
}

#[test]
fn duplicate_slugs_in_one_import_are_kept_apart() {
    let src = tempfile::tempdir().unwrap();
    let posts = src.path().join("_posts");
    std::fs::create_dir_all(&posts).unwrap();
    std::fs::write(posts.join("2019-01-01-same.md"), "---\ntitle: One\n---\nOne.\n").unwrap();
    std::fs::write(posts.join("2019-02-01-same.md"), "---\ntitle: Two\n---\nTwo.\n").unwrap();
    // A slug that tries to leave the folder is reduced to a plain slug.
    std::fs::write(posts.join("2019-03-01-x.md"), "---\ntitle: Three\nslug: ../../etc/evil\n---\nThree.\n").unwrap();
    let d = tempfile::tempdir().unwrap();
    let run = dossier(d.path(), &["import", &src.path().display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning: slug `same` is taken; imported as `same-2019-02-01`"), "{}", run.stderr);
    let arts = d.path().join("content/articles");
    assert!(arts.join("same.md").is_file() && arts.join("same-2019-02-01.md").is_file());
    assert!(arts.join("etc-evil.md").is_file());
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
}
