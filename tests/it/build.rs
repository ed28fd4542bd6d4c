//! The build command: output, atomicity, determinism, refusals, exit codes.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{dossier, fixture, main_of, read, tree};

#[test]
fn builds_a_dossier_with_only_content_and_book_toml() {
    let d = fixture("basic");
    assert!(!d.path().join("templates").exists());
    let r = dossier(d.path(), &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = d.path().join("book");
    for f in [
        "index.html",
        "sources/alpha/index.html",
        "sources/beta/index.html",
        "publishers/daily/index.html",
        "publishers/index.html",
        "topics/index.html",
        "topics/returns/index.html",
        "entities/index.html",
        "entities/jane-roe/index.html",
        "timeline/index.html",
        "discrepancies/index.html",
        "search/index.html",
        "search/index.js",
        "404.html",
        "assets/style.css",
        "assets/highlight.css",
        "originals/alpha.txt",
        "data/timeline.json",
        "data/timeline.csv",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        ".nojekyll",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
}

#[test]
fn source_page_has_paragraph_anchors_and_provenance() {
    let d = fixture("basic");
    let built = dossier::build(d.path(), None).unwrap_or_else(|_| panic!("build failed"));
    let html = read(built.out.join("sources/alpha/index.html"));
    let main = main_of(&html);
    assert!(
        main.contains(r##"<p id="p1"><a class="pn" href="#p1" aria-label="Paragraph 1">1</a>On November 27"##),
        "{main}"
    );
    assert!(main.contains(r#"<p id="p2">"#));
    // Provenance box: publisher, author, date, original.
    assert!(
        main.contains(r#"<dt>Publisher</dt><dd><a href="../../publishers/daily/index.html">The Daily</a></dd>"#),
        "{main}"
    );
    assert!(main.contains("<dt>Author</dt><dd>A. Writer</dd>"));
    assert!(main.contains(r#"<dt>Published</dt><dd><time datetime="2019-12">December 2019</time>"#));
    assert!(main.contains(r#"<a href="../../originals/alpha.txt">alpha.txt</a>"#));
    // Highlighted code, class-based.
    assert!(main.contains(r#"<pre class="code" data-lang="rust"><code><span class="hl-source hl-rust">"#), "{main}");
    let css = read(built.out.join("assets/highlight.css"));
    assert!(css.contains("prefers-color-scheme: dark"));
    // A URL original is linked as is.
    let beta = read(built.out.join("sources/beta/index.html"));
    assert!(beta.contains(r#"<a href="https://example.org/beta">https://example.org/beta</a>"#));
}

#[test]
fn home_and_publisher_pages_link_sources() {
    let d = fixture("basic");
    let built = dossier::build(d.path(), None).ok().unwrap();
    let home = read(built.out.join("index.html"));
    assert!(
        home.contains(r#"<a class="source-title" href="sources/beta/index.html">Beta on the same airlift</a>"#),
        "{home}"
    );
    assert!(home.contains(r#"<nav class="site-nav" aria-label="Sections">"#));
    // Few sources: all of them, no link to more.
    assert!(home.contains("<h2 id=\"h-sources\">Sources</h2>") && !home.contains("sources, by publisher</a>"));
    let publisher = read(built.out.join("publishers/daily/index.html"));
    let main = main_of(&publisher);
    assert!(main.contains(r#"href="../../sources/alpha/index.html">Alpha reports the airlift</a>"#), "{main}");
    assert!(main.contains(r#"href="../../sources/beta/index.html">Beta on the same airlift</a>"#));
}

#[test]
fn two_builds_are_byte_identical() {
    let d = fixture("basic");
    let (one, two) = (d.path().join("one"), d.path().join("two"));
    let r1 = dossier(d.path(), &["build", "--out", &one.to_string_lossy()]);
    let r2 = dossier(d.path(), &["build", "--out", &two.to_string_lossy()]);
    assert_eq!((r1.code, r2.code), (0, 0));
    let (a, b) = (tree(&one), tree(&two));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs between two builds");
    }
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let d = fixture("basic");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let before = tree(&d.path().join("book"));
    let article = d.path().join("content/articles/alpha.md");
    let text = read(&article).replace("summary: Alpha on the airlift.", "summary: Alpha on the airlift.\nsumary: typo");
    fs::write(&article, text).unwrap();
    let r = dossier(d.path(), &["build"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("content/articles/alpha.md:8:1: error: unknown field `sumary`"), "{}", r.stderr);
    assert_eq!(tree(&d.path().join("book")), before, "output changed after a failed build");
    // No staging folders are left beside it.
    let strays: Vec<String> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains(".old-"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[test]
fn a_template_error_names_template_and_page_and_keeps_output() {
    let d = fixture("basic");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let before = tree(&d.path().join("book"));
    fs::create_dir_all(d.path().join("templates")).unwrap();
    fs::write(
        d.path().join("templates/source.html"),
        "{% extends \"base.html\" %}{% block main %}{{ source.nope.deeper }}{% endblock main %}",
    )
    .unwrap();
    let r = dossier(d.path(), &["build"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: template `source.html` (rendering sources/alpha/index.html)"), "{}", r.stderr);
    assert!(r.stderr.contains("error: template `source.html` (rendering sources/beta/index.html)"), "{}", r.stderr);
    // Where, and what the template could have used.
    assert!(r.stderr.contains("Field `nope` is not defined. Available fields: author,"), "{}", r.stderr);
    assert_eq!(tree(&d.path().join("book")), before);
}

#[test]
fn a_source_template_gets_the_article_html_however_it_uses_it() {
    // The default template prints it as it is (spliced in as the page is
    // written); one that filters or tests it gets the HTML itself.
    let d = fixture("basic");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let page = fs::read_to_string(d.path().join("book/sources/alpha/index.html")).unwrap();
    assert!(page.contains("<p id=\"p1\"><a class=\"pn\" href=\"#p1\""), "{page}");
    assert!(!page.contains('\u{FDD0}'), "no marker is left: {page}");
    fs::create_dir_all(d.path().join("templates")).unwrap();
    fs::write(
        d.path().join("templates/source.html"),
        "{% extends \"base.html\" %}{% block main %}{% if content %}<div id=\"low\">{{ content | upper | lower | safe }}</div>\
         <p id=\"size\">{{ content | length }}</p><div id=\"html\">{{ content | safe }}</div><!--end-->{% endif %}{% endblock main %}",
    )
    .unwrap();
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let custom = fs::read_to_string(d.path().join("book/sources/alpha/index.html")).unwrap();
    assert!(!custom.contains('\u{FDD0}'), "{custom}");
    let low = custom.split("<div id=\"low\">").nth(1).unwrap();
    assert!(low.starts_with("<p id=\"p1\"><a class=\"pn\" href=\"#p1\""), "{low}");
    let html = custom.split("<div id=\"html\">").nth(1).and_then(|s| s.split("</div><!--end-->").next()).unwrap();
    let size: usize =
        custom.split("<p id=\"size\">").nth(1).and_then(|s| s.split('<').next()).unwrap().parse().unwrap();
    assert_eq!(size, html.chars().count());
    let body = page.split("<div class=\"source-body prose\">").nth(1).and_then(|s| s.split("</div>").next()).unwrap();
    assert_eq!(html.trim(), body.trim(), "the HTML the default page prints");
}

#[test]
fn a_template_that_does_not_parse_is_named_with_its_line_and_column() {
    let d = fixture("basic");
    fs::create_dir_all(d.path().join("templates")).unwrap();
    fs::write(
        d.path().join("templates/source.html"),
        "{% extends \"base.html\" %}{% block main %}\n<p>{{ source.title | nofilter }}</p>{% endblock main %}",
    )
    .unwrap();
    let r = dossier(d.path(), &["build"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error: template `source.html` (rendering (loading templates))"), "{}", r.stderr);
    assert!(r.stderr.contains("Unknown filter `nofilter`"), "{}", r.stderr);
    assert!(r.stderr.contains("--> source.html:2:22"), "{}", r.stderr);
    assert!(!d.path().join("book").exists(), "nothing written");
}

#[test]
fn templates_folder_overrides_defaults_and_static_is_copied() {
    let d = fixture("basic");
    fs::create_dir_all(d.path().join("templates")).unwrap();
    fs::write(
        d.path().join("templates/index.html"),
        "{% extends \"base.html\" %}{% block main %}<h1>Custom {{ site.title }}</h1>{% endblock main %}",
    )
    .unwrap();
    // A piece rendered once and shared (an entity's chip on source pages).
    fs::write(d.path().join("templates/entity_chip.html"), r#"<li class="mine">{{ e.name }} ({{ e.kind }})</li>"#)
        .unwrap();
    fs::create_dir_all(d.path().join("static/img")).unwrap();
    fs::write(d.path().join("static/img/logo.svg"), "<svg/>").unwrap();
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let home = read(d.path().join("book/index.html"));
    assert!(home.contains("<h1>Custom Fixture dossier</h1>"));
    let alpha = read(d.path().join("book/sources/alpha/index.html"));
    assert!(
        alpha.contains(r#"<li class="mine">Rusafa (operation)</li><li class="mine">Jane Roe (person)</li></ul>"#),
        "{alpha}"
    );
    assert_eq!(read(d.path().join("book/img/logo.svg")), "<svg/>");
}

#[test]
fn refuses_dangerous_output_folders() {
    let d = fixture("basic");
    for out in [".", "..", "content", "content/site"] {
        let r = dossier(d.path(), &["build", "--out", &d.path().join(out).to_string_lossy()]);
        assert_eq!(r.code, 2, "--out {out}: {}", r.stderr);
        assert!(r.stderr.contains("refusing to build into"), "{}", r.stderr);
    }
    // A folder dossier did not make is never replaced.
    fs::create_dir_all(d.path().join("mine")).unwrap();
    fs::write(d.path().join("mine/notes.txt"), "keep me").unwrap();
    let r = dossier(d.path(), &["build", "--out", &d.path().join("mine").to_string_lossy()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("was not made by dossier"), "{}", r.stderr);
    assert_eq!(read(d.path().join("mine/notes.txt")), "keep me");
    assert!(d.path().join("content/articles/alpha.md").exists());
}

#[test]
fn check_writes_nothing_and_exit_codes_follow_the_contract() {
    let d = fixture("basic");
    let r = dossier(d.path(), &["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!d.path().join("book").exists(), "check wrote output");
    // Usage errors are 2 (clap), content errors 1.
    assert_eq!(dossier(d.path(), &["build", "--no-such-flag"]).code, 2);
    assert_eq!(dossier(&crate::fixture_dir("errors/many"), &["check"]).code, 1);
    let help = dossier(d.path(), &["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("build") && help.stdout.contains("check"));
}

#[test]
fn check_reports_broken_internal_links() {
    let d = fixture("basic");
    let article = d.path().join("content/articles/beta.md");
    let text = read(&article) + "\nSee [the other](../alpha/index.html#p9) and [gone](../nowhere/index.html).\n";
    fs::write(&article, text).unwrap();
    let r = dossier(d.path(), &["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("broken anchor `../alpha/index.html#p9`: sources/alpha/index.html has no id `p9`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("broken link `../nowhere/index.html`: no file sources/nowhere/index.html"),
        "{}",
        r.stderr
    );
}

#[test]
fn init_makes_a_dossier_that_builds_and_new_adds_an_article() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fresh");
    let r = crate::dossier(tmp.path(), &["init", &dir.to_string_lossy()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = dossier(&dir, &["build"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(dir.join("book/sources/a-first-source/index.html").exists());
    let r = dossier(&dir, &["new", "article", "Second source: the follow-up"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = read(dir.join("content/articles/second-source-the-follow-up.md"));
    assert!(text.starts_with("---\ntitle: \"Second source: the follow-up\"\n"), "{text}");
    assert_eq!(dossier(&dir, &["new", "article", "Second source: the follow-up"]).code, 2, "must not overwrite");
    // init refuses to overwrite a dossier.
    assert_eq!(crate::dossier(tmp.path(), &["init", &dir.to_string_lossy()]).code, 2);
}

#[test]
fn build_prints_one_summary_line_and_no_progress_when_not_on_a_terminal() {
    let d = fixture("basic");
    let run = dossier(d.path(), &["build"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{:?}", run.stderr);
    assert!(
        lines[0].starts_with("dossier: wrote ")
            && lines[0].contains(" files to ")
            && lines[0].ends_with("0 warning(s)")
    );
    assert!(!run.stderr.contains('\r') && !run.stderr.contains('\u{1b}'), "no progress drawing on a pipe");
    let run = dossier(d.path(), &["check"]);
    assert_eq!(run.stderr.lines().count(), 1, "{:?}", run.stderr);
}

#[test]
fn timings_name_every_stage() {
    let d = fixture("basic");
    let run = dossier(d.path(), &["build", "--timings"]);
    assert_eq!(run.code, 0);
    let stages: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(stages, ["config", "load", "parse", "markdown", "graph", "templates", "render", "write", "total"]);
    // Under render, what each template cost: pages, time and bytes.
    let costs: Vec<Vec<&str>> =
        run.stderr.lines().filter(|l| l.starts_with("    ")).map(|l| l.split_whitespace().collect()).collect();
    let source = costs.iter().find(|c| c[0] == "source.html").expect("source.html's cost");
    let sources = fs::read_dir(d.path().join("book/sources")).unwrap().count();
    assert_eq!(source[1], sources.to_string(), "{source:?}");
    assert_eq!(source[2], "pages");
    assert!(source[4] == "ms" && source[6] == "MiB", "{source:?}");
    // Of which the pages' contexts: a part of the template's time, not more.
    assert_eq!(source[7], "(contexts", "{source:?}");
    let ms = |s: &str| s.trim_end_matches(')').parse::<f64>().unwrap();
    assert!(source[9] == "ms)" && ms(source[8]) > 0.0 && ms(source[8]) <= ms(source[3]), "{source:?}");
    // Generated files have no context.
    let index = costs.iter().find(|c| c[..2] == ["(search", "index)"]).expect("the search index's cost");
    assert_eq!(index.len(), 8, "{index:?}");
    // Where the memory went, on systems that say (Linux's /proc).
    if cfg!(target_os = "linux") {
        assert!(run.stderr.contains("MiB resident after") && run.stderr.contains("MiB at the peak"), "{}", run.stderr);
    }
    for name in ["event.html", "discrepancies.html", "timeline.html", "topic.html", "(search index)"] {
        assert!(run.stderr.contains(&format!("    {name} ")), "{name} in {}", run.stderr);
    }
}

#[test]
fn a_widely_reported_event_keeps_source_pages_small() {
    let d = fixture("basic");
    for i in 0..40 {
        fs::write(
            d.path().join(format!("content/articles/wide-{i:02}.md")),
            format!("---\ntitle: Wide {i}\npublisher: daily\npublished: 2020-02-{:02}\noriginal: https://example.org/{i}\nsummary: S.\nevents:\n  - id: airlift\n    date: 2019-11-27\n    title: The airlift\n    figures: {{ children: {} }}\n    quote: \"number {i} came\"\n---\nThe number {i} came home.\n", 1 + i % 28, 14 + i % 2),
        )
        .unwrap();
    }
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let page = read(d.path().join("book/sources/wide-00/index.html"));
    // 41 other sources report the airlift: the 30 newest are listed, then a count.
    assert_eq!(page.matches("<span class=\"summary\">On: ").count(), 30);
    assert!(page.contains("And 11 more: see each event on the"), "other sources capped");
    assert!(page.contains("also reported by <a href=\"../../timeline/index.html#e-airlift\">41 other sources</a>"));
    // The disagreement on children: five reports per version, then a link to the rest.
    assert!(page.contains("more sources</a>"), "versions capped");
    // Rendered once and shared: the same on every page of a source on the airlift.
    let section = |page: &str| {
        let at = page.find("<section class=\"discrepancy\" id=\"d-airlift-children\"").expect("the disagreement");
        let end = page[at..].find("</section>").unwrap();
        page[at..at + end].to_string()
    };
    let here = section(&page);
    assert_eq!(here.matches("<div class=\"version\">").count(), 2, "{here}");
    assert_eq!(here.matches("<li>").count(), 10, "five reports per version: {here}");
    for other in ["wide-01", "wide-39"] {
        assert_eq!(section(&read(d.path().join(format!("book/sources/{other}/index.html")))), here, "{other}");
    }
    // The home page lists the 30 newest of the 42 sources, then links to the publishers.
    let home = read(d.path().join("book/index.html"));
    assert_eq!(home.matches("<a class=\"source-title\"").count(), 30, "{home}");
    assert!(home.contains("<h2 id=\"h-sources\">Latest sources</h2>"));
    assert!(
        home.contains(r#"<a class="more" href="publishers/index.html">All 42 sources, by publisher</a>"#),
        "{home}"
    );
    // The timeline still lists every report.
    let timeline = read(d.path().join("book/timeline/index.html"));
    assert!(timeline.matches("Wide ").count() >= 40);
    // An entity page's entry shows three, and links to the rest.
    let entity = read(d.path().join("book/entities/rusafa/index.html"));
    let entry = &entity[entity.find("<summary>42 sources</summary>").expect("the airlift, with its count")..];
    let entry = &entry[..entry.find("</details>").unwrap()];
    assert_eq!(entry.matches("<li class=\"report\">").count(), 3, "{entry}");
    assert!(entry.contains("And 39 more sources on the timeline</a>"), "{entry}");
}

#[test]
fn a_topic_page_lists_the_entities_its_sources_name_most() {
    let d = fixture("basic");
    // 70 people, person k named k times in one source of the topic `returns`.
    let mut body = String::new();
    for k in 1..=70 {
        fs::write(
            d.path().join(format!("content/entities/p{k:02}.md")),
            format!("---\nkind: person\nname: Person Number{k:02}\nsummary: P.\n---\n"),
        )
        .unwrap();
        for _ in 0..k {
            body.push_str(&format!("Person Number{k:02} spoke. "));
        }
        body.push_str("\n\n");
    }
    fs::write(
        d.path().join("content/articles/crowd.md"),
        format!("---\ntitle: Crowd\npublisher: daily\npublished: 2020-02-01\noriginal: https://example.org/c\nsummary: S.\ntopics: [returns]\n---\n{body}"),
    )
    .unwrap();
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let page = read(d.path().join("book/topics/returns/index.html"));
    let section = &page[page.find("id=\"h-people\"").expect("the involved section")..];
    let section = &section[..section.find("</section>").unwrap()];
    // The 70 people, Jane Roe and Rusafa are named: the 60 most mentioned are shown, most first.
    assert_eq!(section.matches("<li>").count(), 60, "{section}");
    assert!(section.find("Person Number70").unwrap() < section.find("Person Number69").unwrap());
    assert!(section.contains("Person Number11") && !section.contains("Person Number10<"), "{section}");
    assert!(section.contains("And 12 more named less often"), "{section}");
    // Every one of them still has its page, linked from the source.
    assert!(read(d.path().join("book/entities/p01/index.html")).contains("Person Number01"));
}

/// The `href` of a page's `<link rel="icon">` and its `type`.
fn icon_link(html: &str) -> (String, String) {
    let at = html.find("<link rel=\"icon\"").expect("a <link rel=\"icon\">");
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let attr = |name: &str| {
        let from = tag.find(&format!("{name}=\"")).map(|i| i + name.len() + 2).unwrap_or_else(|| panic!("{tag}"));
        tag[from..from + tag[from..].find('"').unwrap()].to_string()
    };
    (attr("href"), attr("type"))
}

/// Every page's icon link, resolved from the page's folder (404.html from the
/// site root, as its `<base>` makes it), as (page, file it names, type).
fn icons(book: &Path) -> Vec<(String, PathBuf, String)> {
    let mut out = vec![];
    for (rel, bytes) in tree(book) {
        if !rel.ends_with(".html") {
            continue;
        }
        let (href, kind) = icon_link(std::str::from_utf8(&bytes).unwrap());
        let dir = if rel == "404.html" { book.to_path_buf() } else { book.join(&rel).parent().unwrap().to_path_buf() };
        out.push((rel, dir.join(href), kind));
    }
    out
}

#[test]
fn every_page_links_the_built_in_icon_or_the_one_in_static() {
    let d = fixture("basic");
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    let book = d.path().join("book");
    let built_in = include_str!("../../templates/assets/favicon.svg");
    let pages = icons(&book);
    assert!(pages.len() > 10, "{pages:?}");
    for (page, file, kind) in &pages {
        assert_eq!(kind, "image/svg+xml", "{page}");
        assert_eq!(file.canonicalize().unwrap(), book.join("assets/favicon.svg").canonicalize().unwrap(), "{page}");
    }
    assert_eq!(read(book.join("assets/favicon.svg")), built_in);

    // A dossier's own icon in static/: an SVG is preferred to a PNG, a PNG to an ICO.
    fs::create_dir_all(d.path().join("static")).unwrap();
    fs::write(d.path().join("static/favicon.ico"), b"ico").unwrap();
    fs::write(d.path().join("static/favicon.png"), b"\x89PNG").unwrap();
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    for (page, file, kind) in icons(&book) {
        assert_eq!(kind, "image/png", "{page}");
        assert_eq!(fs::read(&file).unwrap(), b"\x89PNG", "{page} links {}", file.display());
    }
    fs::remove_file(d.path().join("static/favicon.png")).unwrap();
    assert_eq!(dossier(d.path(), &["build"]).code, 0);
    for (page, file, kind) in icons(&book) {
        assert_eq!(kind, "image/x-icon", "{page}");
        assert_eq!(fs::read(&file).unwrap(), b"ico", "{page}");
    }
}
