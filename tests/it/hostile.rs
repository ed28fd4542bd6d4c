//! Bad, hostile and broken input, and faults: every problem reported with
//! file:line:col and a hint, in one run; nothing panics; nothing unsafe
//! reaches a page; nothing is lost or written outside the output.
//!
//! Inputs that cannot sensibly be committed (invalid UTF-8 is, in
//! `errors/many`; a byte-order mark, CRLF, symbolic links, a pipe, a 50 MB
//! article, thousands of files) are generated here in a temp copy.

use std::fs;
use std::path::Path;

use scraper::{Html, Selector};

use crate::{dossier, fixture, read, tree};

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

const OK_FRONT: &str = "publisher: daily\npublished: 2019\noriginal: https://example.org/x\nsummary: S\n";

#[test]
fn bad_inputs_are_all_reported_in_one_run() {
    let d = fixture("basic");
    let r = d.path();
    write(r, "content/articles/null-title.md", format!("---\ntitle: null\n{OK_FRONT}---\nBody.\n"));
    write(
        r,
        "content/articles/empty-summary.md",
        "---\ntitle: T\npublisher: daily\npublished: 2019\noriginal: x\nsummary:\n---\nB.\n",
    );
    write(r, "content/articles/one-byte.md", "x");
    // A byte-order mark and CRLF line endings: accepted, and lines still count right.
    write(r, "content/articles/bom-crlf.md", "\u{feff}---\r\ntitle: T\r\ntitel: X\r\npublisher: daily\r\npublished: 2019\r\noriginal: x\r\nsummary: S\r\n---\r\nBody.\r\n");
    write(
        r,
        "content/articles/not-a-date.md",
        "---\ntitle: T\npublisher: daily\npublished: last Tuesday\noriginal: x\nsummary: S\n---\nB.\n",
    );
    write(
        r,
        "content/articles/evil-ids.md",
        format!("---\ntitle: T\n{OK_FRONT}topics: [../returns]\nevents:\n  - id: ../../etc/evil\n    date: 2019\n    title: E\n    quote: Body\n  - id: a/b\n    date: 2019\n    title: E\n    quote: Body\n---\nBody.\n"),
    );
    // A duplicate slug in a sub-folder, and an id that is not one.
    write(r, "content/articles/sub/alpha.md", read(r.join("content/articles/alpha.md")));
    write(r, "content/entities/Bad Name.md", "---\nkind: person\nname: Nobody Here\nsummary: S\n---\n");
    write(r, "content/topics/returns-2.md", "---\ntitle: [a, b]\nsummary: S\n---\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        // A loop, and a link out of the content folder: neither is followed.
        symlink("..", r.join("content/articles/loop")).unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        fs::write(outside.path(), "---\ntitle: Secret\n---\nsecret text\n").unwrap();
        symlink(outside.path(), r.join("content/articles/outside.md")).unwrap();
        // A named pipe: reading it would block forever. (As root, permission
        // bits cannot make a file unreadable; a pipe is the honest stand-in.)
        let fifo = r.join("content/articles/pipe.md");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success();
        assert!(ok, "mkfifo");
        let run = dossier(r, &["check"]);
        assert_eq!(run.code, 1);
        assert!(!run.stderr.contains("secret text") && !run.stderr.contains("Secret"));
        insta::assert_snapshot!(run.stderr);
    }
}

#[test]
fn book_toml_syntax_errors_and_wrong_types() {
    let d = fixture("basic");
    fs::write(d.path().join("book.toml"), "[book]\ntitle = \"x\nlanguage = \"en\"\n").unwrap();
    let run = dossier(d.path(), &["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("book_toml_syntax", run.stderr);
    fs::write(d.path().join("book.toml"), "[book]\ntitle = 3\nauthors = \"me\"\n[build]\ntrusted-html = \"yes\"\n")
        .unwrap();
    let run = dossier(d.path(), &["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("book_toml_types", run.stderr);
}

#[test]
fn a_50_mb_article_and_thousands_of_tiny_files() {
    let d = fixture("basic");
    let r = d.path();
    let para = "Jane Roe said the airlift of 14 children went well, according to officials in Rusafa. ".repeat(10);
    let mut body = String::with_capacity(51 << 20);
    while body.len() < 50 << 20 {
        body.push_str(&para);
        body.push_str("\n\n");
    }
    write(r, "content/articles/huge.md", format!("---\ntitle: Huge\n{OK_FRONT}---\n{body}"));
    for i in 0..2000 {
        write(r, &format!("content/articles/tiny-{i:04}.md"), "-");
    }
    let run = dossier(r, &["check"]);
    assert_eq!(run.code, 1, "the tiny files are not articles");
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 2000, "every tiny file reported, once");
    assert!(errors
        .iter()
        .all(|l| l.starts_with("content/articles/tiny-") && l.contains(".md:1:1: error: no front matter")));
    assert!(!run.stderr.contains("huge.md"), "the huge article is fine");
    assert!(run.stderr.trim_end().ends_with("dossier: 2000 error(s), 0 warning(s); nothing was written"));
}

const HOSTILE_ARTICLE: &str = r#"---
title: "</title><script>alert('title')</script>"
publisher: daily
published: 2019
original: "javascript:alert('original')"
url: "javascript:alert('url')"
summary: "\"><img src=x onerror=alert('summary')>"
events:
  - id: hostile
    date: 2019
    title: "<script>alert('event')</script>"
    claims: { name: "<b onmouseover=alert('claim')>x</b>" }
    quote: "the end"
---
<script>alert('body')</script>
<img src="x" onerror="alert('img')">
<iframe src="https://evil.example"></iframe>
<form action="https://evil.example"><input name=q></form>
<a href="javascript:alert('a')">a link</a> and <a href="data:text/html,<script>alert(1)</script>">data</a>
<div style="background:url(javascript:alert(1))" onclick="alert('div')">styled</div>

[md link](javascript:alert('md')) and [data link](data:text/html;base64,PHNjcmlwdD4=) and ![img](javascript:alert(1))

Text with a line separator here: x\u{2028}y and </script> in prose, the end.
"#;

/// No script but ours, no event handler, no javascript:/data: link anywhere.
fn assert_safe(site: &Path) {
    let all = Selector::parse("*").unwrap();
    for (path, bytes) in tree(site) {
        if !path.ends_with(".html") {
            continue;
        }
        let doc = Html::parse_document(&String::from_utf8_lossy(&bytes));
        for e in doc.select(&all) {
            let el = e.value();
            if el.name() == "script" {
                let src = el.attr("src").unwrap_or("");
                assert!(
                    src.ends_with("assets/dossier.js") || src.ends_with("search/index.js"),
                    "{path}: a script that is not ours: {:?}",
                    e.html()
                );
                assert!(e.inner_html().trim().is_empty(), "{path}: inline script");
            }
            for (name, value) in el.attrs() {
                assert!(!name.starts_with("on"), "{path}: event handler {name}={value:?}");
                if ["href", "src", "action", "formaction", "cite", "data"].contains(&name) {
                    let v = value.trim().to_ascii_lowercase();
                    assert!(
                        !v.starts_with("javascript:") && !v.starts_with("data:") && !v.starts_with("vbscript:"),
                        "{path}: {name}={value:?}"
                    );
                }
            }
            assert!(!["iframe", "object", "embed"].contains(&el.name()), "{path}: <{}>", el.name());
            // The one form is our own search box.
            if el.name() == "form" {
                assert!(el.attr("action").unwrap_or("").ends_with("search/index.html"), "{path}: {:?}", e.html());
            }
        }
    }
}

#[test]
fn hostile_content_is_sanitised_and_escaped_everywhere() {
    let d = fixture("basic");
    let r = d.path();
    write(r, "content/articles/hostile.md", HOSTILE_ARTICLE.replace("\\u{2028}", "\u{2028}"));
    write(r, "content/entities/evil.md", "---\nkind: person\nname: \"<i>Evil</i>\"\naliases: [\"<script>\"]\nsummary: \"<script>alert('entity')</script>\"\nurl: \"javascript:alert('entity url')\"\n---\n<script>alert('entity body')</script>\n");
    // A script address where a web address belongs is refused, at its line.
    let run = dossier(r, &["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "content/articles/hostile.md:5:1: error: `original` must be an http(s) address",
        "content/articles/hostile.md:6:1: error: `url` must be an http(s) address",
        "content/entities/evil.md:6:1: error: `url` must be an http(s) address",
    ] {
        assert!(run.stderr.contains(expected), "{expected}\n{}", run.stderr);
    }
    for f in ["content/articles/hostile.md", "content/entities/evil.md"] {
        let text = read(r.join(f)).replace("original: \"javascript:alert('original')\"", "original: x.txt");
        let text: String = text.lines().filter(|l| !l.starts_with("url:")).map(|l| format!("{l}\n")).collect();
        fs::write(r.join(f), text).unwrap();
    }
    let run = dossier(r, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = r.join("book");
    assert_safe(&out);
    // The text is shown, escaped, not dropped.
    let page = read(out.join("sources/hostile/index.html"));
    assert!(
        page.contains("&lt;/title&gt;&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;")
            || page.contains("&lt;/title&gt;&lt;script&gt;alert('title')&lt;/script&gt;"),
        "title escaped"
    );
    assert!(page.contains("a link") && page.contains("md link"), "link text kept");
    // The search index cannot be broken out of: it is JSON in a script, and it parses back to the same values.
    let js = read(out.join("search/index.js"));
    let json =
        js.trim().strip_prefix("window.DOSSIER_SEARCH = ").and_then(|s| s.strip_suffix(';')).expect("index.js shape");
    let docs: serde_json::Value = serde_json::from_str(json).expect("the index parses");
    let titles: Vec<&str> = docs.as_array().unwrap().iter().filter_map(|d| d["t"].as_str()).collect();
    assert!(titles.contains(&"</title><script>alert('title')</script>"));
    assert!(!js.contains('\u{2028}') && !js.contains("</script"), "no raw U+2028 or </script in the index");
    // Feeds and the sitemap stay well-formed XML.
    let _: atom_syndication::Feed = read(out.join("feed.xml")).parse().expect("feed parses");
}

#[test]
fn trusted_html_switch_keeps_raw_html() {
    let d = fixture("basic");
    let r = d.path();
    let body = "<details><summary>More</summary><p>Inside</p></details>\n\n<span style=\"color: red\" class=\"k\">kept</span>\n";
    write(r, "content/articles/raw.md", format!("---\ntitle: Raw\n{OK_FRONT}---\n{body}"));
    assert_eq!(dossier(r, &["build"]).code, 0);
    let untrusted = read(r.join("book/sources/raw/index.html"));
    assert!(!untrusted.contains("style=\"color: red\""), "style dropped by default");
    let toml = r.join("book.toml");
    fs::write(&toml, read(&toml).replace("[site]", "[build]\ntrusted-html = true\n\n[site]")).unwrap();
    assert_eq!(dossier(r, &["build"]).code, 0);
    let trusted = read(r.join("book/sources/raw/index.html"));
    assert!(trusted.contains("<span style=\"color: red\" class=\"k\">kept</span>"), "kept as written when trusted");
}

/// Every file under `dir` except those under `skip` (relative), by path.
fn files_outside(dir: &Path, skip: &[&str]) -> Vec<String> {
    tree(dir).into_keys().filter(|p| !skip.iter().any(|s| p.starts_with(s))).collect()
}

#[test]
fn the_build_writes_nowhere_but_its_output() {
    let d = fixture("basic");
    let r = d.path();
    write(r, "content/articles/evil-ids.md", format!("---\ntitle: T\n{OK_FRONT}events:\n  - id: ../../../escape\n    date: 2019\n    title: E\n    quote: Body\n---\nBody.\n"));
    let before = files_outside(r, &[]);
    let run = dossier(r, &["build"]);
    assert_eq!(run.code, 1, "bad ids are errors");
    assert_eq!(files_outside(r, &[]), before, "a failed build writes nothing");
    fs::remove_file(r.join("content/articles/evil-ids.md")).unwrap();
    let before = files_outside(r, &[]);
    assert_eq!(dossier(r, &["build"]).code, 0);
    assert_eq!(files_outside(r, &["book/"]), before, "only book/ is new");
    assert!(!r.parent().unwrap().join("escape").exists());
}

#[test]
fn an_output_that_cannot_be_created_is_a_clear_error_and_changes_nothing() {
    let d = fixture("basic");
    let r = d.path();
    // A file stands where the output's parent folder must go. (Tests may run
    // as root, where permission bits do not stop writes; this cannot be written
    // by anyone.)
    fs::write(r.join("blocker"), "not a folder").unwrap();
    let before = files_outside(r, &[]);
    let run = dossier(r, &["build", "--out", &r.join("blocker/book").display().to_string()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: ") && run.stderr.contains("blocker"), "{}", run.stderr);
    assert_eq!(files_outside(r, &[]), before);
}

#[cfg(unix)]
#[test]
fn killing_a_build_at_any_moment_loses_nothing() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let d = fixture("basic");
    let r = d.path();
    // A corpus big enough that a build takes a while.
    for i in 0..1500 {
        write(
            r,
            &format!("content/articles/gen-{i:04}.md"),
            format!("---\ntitle: Generated {i}\n{OK_FRONT}events:\n  - id: gen-{i}\n    date: 2019\n    title: E{i}\n    quote: number {i}\n---\n{}The number {i}.\n", "Jane Roe spoke of Rusafa. ".repeat(200)),
        );
    }
    assert_eq!(dossier(r, &["build"]).code, 0);
    let out = r.join("book");
    let good = tree(&out);
    // The quickest of three builds: one slow build (a busy machine) would
    // put every kill after the build's end.
    let full = (0..3)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(dossier(r, &["build"]).code, 0);
            t.elapsed()
        })
        .min()
        .unwrap();
    // Change the content so that a finished build would differ, then kill builds at spread-out moments.
    write(
        r,
        "content/articles/alpha.md",
        read(r.join("content/articles/alpha.md")).replace("Alpha reports", "Alpha now reports"),
    );
    // What a finished build of the changed content gives (builds are deterministic).
    let expected = r.join("expected");
    assert_eq!(dossier(r, &["build", "--out", expected.to_str().unwrap()]).code, 0);
    let new = tree(&expected);
    std::fs::remove_dir_all(&expected).unwrap();
    let mut killed = 0;
    for k in 1..=5u32 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .arg("--root")
            .arg(r)
            .arg("build")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full * k / 6 + Duration::from_millis(5));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            continue; // finished before the kill: nothing to check for this moment
        }
        killed += 1;
        // Killed before the new site was swapped in: the old one, whole. Killed
        // after (while the old one is being deleted): the new one, whole.
        let now = tree(&out);
        if now != new {
            assert_eq!(now, good, "kill {k}/6 into a build left neither the old site nor the new one");
        }
    }
    assert!(killed >= 3, "only {killed} builds were killed mid-way");
    // The next build succeeds and leaves no staging or old folders behind.
    assert_eq!(dossier(r, &["build"]).code, 0);
    assert!(read(out.join("sources/alpha/index.html")).contains("Alpha now reports"));
    let strays: Vec<String> = fs::read_dir(r)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains("old-"))
        .collect();
    assert!(strays.is_empty(), "left behind: {strays:?}");
}
