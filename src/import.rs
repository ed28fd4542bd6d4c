//! `dossier import SRC`: posts of a Jekyll or Hugo site become dossier
//! articles. Front matter in YAML (`---`), TOML (`+++`) or JSON (`{`);
//! `title`, `date` (or the file name's `YYYY-MM-DD-`), `tags` and
//! `categories` (to topics), `author`/`authors`, `slug`/`permalink`/`url`,
//! `description`/`summary`/`excerpt`, drafts (`draft: true`,
//! `published: false`, `_drafts/`). Everything else a theme may use is
//! ignored. One bad file is reported with its line and skipped; the rest
//! are converted. Nothing is overwritten without `--force`, and nothing is
//! written outside the destination's `content/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::frontmatter::slugify;

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    pub articles: usize,
    pub topics: usize,
    pub drafts_skipped: usize,
    /// Hugo section pages (`_index.md`): lists, not posts.
    pub sections_skipped: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// Why files failed, counted by reason (for the summary).
    pub failed_by_reason: BTreeMap<String, usize>,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.failed_by_reason.values().sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Jekyll,
    Hugo,
    /// A plain folder of Markdown files.
    Folder,
}

pub struct Options {
    pub drafts: bool,
    pub force: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{0} is not a folder")]
    NotAFolder(String),
}

/// One post, parsed.
struct Post {
    rel: String,
    title: String,
    date: String,
    slug: String,
    tags: Vec<String>,
    author: Option<String>,
    summary: String,
    url: Option<String>,
    body: String,
    bytes: Vec<u8>,
    ext: String,
}

fn io(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Io { path: path.display().to_string(), source }
}

pub fn detect(src: &Path) -> Layout {
    if src.join("_posts").is_dir() {
        Layout::Jekyll
    } else if src.join("content").is_dir() {
        Layout::Hugo
    } else {
        Layout::Folder
    }
}

/// The site's own settings (title, address), from `_config.yml`,
/// `hugo.toml`/`config.toml`/`config.yaml`, when present.
fn site_settings(src: &Path) -> (Option<String>, Option<String>) {
    for name in [
        "_config.yml",
        "_config.yaml",
        "hugo.toml",
        "config.toml",
        "hugo.yaml",
        "config.yaml",
        "hugo.json",
        "config.json",
    ] {
        let Ok(text) = std::fs::read_to_string(src.join(name)) else { continue };
        let v: Option<Value> = if name.ends_with(".toml") {
            toml::from_str::<toml::Value>(&text).ok().map(toml_to_json)
        } else if name.ends_with(".json") {
            serde_json::from_str(&text).ok()
        } else {
            serde_yaml::from_str(&text).ok()
        };
        let Some(v) = v else { continue };
        let title = v.get("title").and_then(Value::as_str).map(str::to_string);
        let url =
            ["url", "baseURL", "baseurl"].iter().find_map(|k| v.get(*k).and_then(Value::as_str)).map(str::to_string);
        let base = v.get("baseurl").and_then(Value::as_str).filter(|_| v.get("url").is_some()).unwrap_or("");
        let url = url.filter(|u| u.starts_with("http://") || u.starts_with("https://")).map(|u| {
            format!("{}/{}", u.trim_end_matches('/'), base.trim_matches('/')).trim_end_matches('/').to_string() + "/"
        });
        return (title, url);
    }
    (None, None)
}

/// The files to convert, relative to `src`, sorted.
fn posts(src: &Path, layout: Layout) -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = match layout {
        Layout::Jekyll => vec![src.join("_posts"), src.join("_drafts")],
        Layout::Hugo => vec![src.join("content")],
        Layout::Folder => vec![src.to_path_buf()],
    };
    let mut out = vec![];
    for root in roots.iter().filter(|r| r.is_dir()) {
        for e in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name().into_iter().flatten() {
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_file()
                && !name.starts_with('.')
                && [".md", ".markdown", ".mdown", ".mkd"].iter().any(|x| name.to_lowercase().ends_with(x))
            {
                out.push(e.path().strip_prefix(src).unwrap_or(e.path()).to_path_buf());
            }
        }
    }
    out
}

/// A date as Jekyll and Hugo accept it (`2019-05-07`, with an optional
/// time `10:00`, `10:00:00`, fractions, and `Z`, `+0300` or `+03:00`, after
/// a space or `T`), as an EDTF day. `None` if it is not one.
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(|c| c == '"' || c == '\'');
    let (day, rest) = if s.len() >= 10 && s.is_char_boundary(10) { s.split_at(10) } else { (s, "") };
    let date: jiff::civil::Date = day.parse().ok()?;
    let rest = rest.trim_start_matches(['T', ' ', 't']);
    if !rest.is_empty() {
        let (time, zone) = match rest.find(['Z', 'z', '+', '-', ' ']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let hms: Vec<&str> = time.split(':').collect();
        let num = |x: &str, max: u32| x.split('.').next().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n <= max);
        let time_ok = matches!(hms.len(), 2 | 3)
            && hms[0].len() <= 2
            && num(hms[0], 23)
            && num(hms[1], 59)
            && hms.get(2).is_none_or(|x| num(x, 60));
        let zone = zone.trim();
        let zone_ok = zone.is_empty()
            || zone.eq_ignore_ascii_case("z")
            || zone.eq_ignore_ascii_case("utc")
            || ((zone.starts_with('+') || zone.starts_with('-'))
                && matches!(zone[1..].replace(':', "").len(), 2 | 4)
                && zone[1..].replace(':', "").chars().all(|c| c.is_ascii_digit()));
        if !time_ok || !zone_ok {
            return None;
        }
    }
    Some(date.to_string())
}

/// `2019-05-07-hello-world.md` -> (`2019-05-07`, `hello-world`).
fn name_date(stem: &str) -> Option<(String, &str)> {
    let d = stem.get(..10)?;
    let date = parse_date(d)?;
    Some((date, stem.get(11..).unwrap_or("").trim_start_matches('-')))
}

/// Splits the front matter off; returns (format, block, block's first line, body).
fn split(text: &str) -> Option<(&'static str, &str, usize, &str)> {
    let first = text.lines().next()?.trim_end();
    let fence = match first {
        "---" => ("yaml", "---"),
        "+++" => ("toml", "+++"),
        _ if first.starts_with('{') => {
            // JSON front matter: the object, then the body.
            let mut depth = 0i32;
            let mut in_str = false;
            let mut esc = false;
            for (i, c) in text.char_indices() {
                if in_str {
                    match (esc, c) {
                        (true, _) => esc = false,
                        (false, '\\') => esc = true,
                        (false, '"') => in_str = false,
                        _ => {}
                    }
                    continue;
                }
                match c {
                    '"' => in_str = true,
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(("json", &text[..=i], 1, &text[i + 1..]));
                        }
                    }
                    _ => {}
                }
            }
            return Some(("json", text, 1, ""));
        }
        _ => return None,
    };
    let after = text.find('\n').map_or(text.len(), |i| i + 1);
    let rest = &text[after..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == fence.1 || (fence.0 == "yaml" && line.trim_end() == "...") {
            return Some((fence.0, &rest[..offset], 2, &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Some((fence.0, rest, 2, "\u{0}unclosed"))
}

fn line_of_key(block: &str, first_line: usize, keys: &[&str]) -> usize {
    for (i, l) in block.lines().enumerate() {
        let t = l.trim_start().trim_start_matches('"');
        if keys.iter().any(|k| t.starts_with(k) && t[k.len()..].trim_start().starts_with([':', '=', '"'])) {
            return first_line + i;
        }
    }
    first_line
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split(if s.contains(',') { ',' } else { ' ' })
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|x| !x.is_empty())
            .collect(),
        _ => vec![],
    }
}

/// Plain text of the first paragraph, for a summary.
fn first_paragraph(body: &str) -> String {
    for block in body.split("\n\n") {
        let b = block.trim();
        if b.is_empty()
            || b.starts_with('#')
            || b.starts_with("```")
            || b.starts_with('<')
            || b.starts_with("{%")
            || b.starts_with("{{")
            || b.starts_with('!')
            || b.starts_with('|')
        {
            continue;
        }
        let text: String = b.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = text.replace(['*', '_', '`'], "");
        return crate::text::truncate(&text, 240);
    }
    String::new()
}

enum Outcome {
    Post(Box<Post>),
    Draft,
    Section,
    Failed(Diagnostic, &'static str),
}

fn convert(src: &Path, rel: &Path, opts: &Options, site_url: Option<&str>) -> Outcome {
    let shown = rel.to_string_lossy().replace('\\', "/");
    let fail = |line: usize, col: usize, msg: String, help: &str, reason: &'static str| {
        Outcome::Failed(Diagnostic::error(&shown, line, col, msg).with_help(help), reason)
    };
    let bytes = match std::fs::read(src.join(rel)) {
        Ok(b) => b,
        Err(e) => return fail(1, 1, format!("cannot read: {e}"), "check the file's permissions", "unreadable"),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}').replace("\r\n", "\n"),
        Err(e) => {
            let upto = &bytes[..e.valid_up_to()];
            let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = upto.len() - upto.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            return fail(line, col, "not UTF-8 text".into(), "save the file as UTF-8", "not UTF-8");
        }
    };
    let file_name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if file_name == "_index.md" {
        return Outcome::Section;
    }
    let stem = file_name.rsplit_once('.').map_or(file_name.as_str(), |(s, _)| s).to_string();
    // Hugo page bundles: `posts/hello/index.md` is the post `hello`.
    let stem = if stem == "index" {
        rel.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or(stem)
    } else {
        stem
    };
    let Some((format, block, first_line, body)) = split(&text) else {
        return fail(
            1,
            1,
            "no front matter".into(),
            "Jekyll and Hugo posts start with `---` (YAML) or `+++` (TOML)",
            "no front matter",
        );
    };
    if body == "\u{0}unclosed" {
        return fail(
            1,
            1,
            "the front matter is never closed".to_string(),
            "add the closing fence line after the last key",
            "front matter not closed",
        );
    }
    let meta: Value = match format {
        "yaml" => match serde_yaml::from_str::<Value>(block) {
            Ok(Value::Null) => Value::Object(Default::default()),
            Ok(v) => v,
            Err(e) => {
                let (l, c) = e.location().map_or((0, 1), |l| (l.line() - 1, l.column()));
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                return fail(
                    first_line + l,
                    c,
                    format!("front matter is not valid YAML: {msg}"),
                    "check the indentation (spaces, not tabs) and quote values holding `:` or `#`",
                    "bad YAML",
                );
            }
        },
        "toml" => match toml::from_str::<toml::Value>(block) {
            Ok(v) => toml_to_json(v),
            Err(e) => {
                let (l, c) = e.span().map_or((0, 1), |s| {
                    let before = &block[..s.start.min(block.len())];
                    (before.matches('\n').count(), before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1)
                });
                return fail(
                    first_line + l,
                    c,
                    format!("front matter is not valid TOML: {}", e.message()),
                    "TOML strings need quotes: title = \"...\"",
                    "bad TOML",
                );
            }
        },
        _ => match serde_json::from_str::<Value>(block) {
            Ok(v) => v,
            Err(e) => {
                return fail(
                    e.line(),
                    e.column(),
                    format!("front matter is not valid JSON: {e}"),
                    "check the braces and commas",
                    "bad JSON",
                )
            }
        },
    };
    let Value::Object(meta) = meta else {
        return fail(
            first_line,
            1,
            "the front matter is not a table of keys".into(),
            "write `key: value` lines",
            "bad front matter",
        );
    };
    let get = |k: &str| meta.get(k).filter(|v| !v.is_null());
    let draft = get("draft").and_then(Value::as_bool) == Some(true)
        || get("published").and_then(Value::as_bool) == Some(false)
        || rel.starts_with("_drafts");
    if draft && !opts.drafts {
        return Outcome::Draft;
    }

    let title = match get("title") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) | None => {
            // The first heading, else the file name.
            match body.lines().find_map(|l| l.strip_prefix("# ")) {
                Some(h) => h.trim().to_string(),
                None => {
                    let words = name_date(&stem).map_or(stem.as_str(), |(_, s)| s).replace(['-', '_'], " ");
                    let mut c = words.trim().chars();
                    match c.next() {
                        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                        None => {
                            return fail(
                                first_line,
                                1,
                                "no title, and none can be derived".into(),
                                "add `title:`",
                                "no title",
                            )
                        }
                    }
                }
            }
        }
        Some(other) => {
            return fail(
                line_of_key(block, first_line, &["title"]),
                1,
                format!("`title` is {}, not text", kind(other)),
                "write the title as text: title: \"...\"",
                "bad title",
            )
        }
    };

    // Hugo's order: date, publishDate, lastmod (keys are case-insensitive there).
    let date_key = ["date", "publishDate", "publishdate", "lastmod", "lastMod"].into_iter().find(|k| get(k).is_some());
    let date = match date_key.and_then(get) {
        Some(Value::String(s)) => match parse_date(s) {
            Some(d) => d,
            None => {
                return fail(
                    line_of_key(block, first_line, &["date", "publishDate"]),
                    1,
                    format!("`{s}` is not a date"),
                    "write it as 2019-05-07, 2019-05-07 10:00:00 +0300 or 2019-05-07T10:00:00Z",
                    "bad date",
                )
            }
        },
        Some(other) => {
            return fail(
                line_of_key(block, first_line, &["date"]),
                1,
                format!("`date` is {}, not a date", kind(other)),
                "write it as 2019-05-07",
                "bad date",
            )
        }
        None => match name_date(&stem) {
            Some((d, _)) => d,
            None => {
                return fail(
                    first_line,
                    1,
                    "no date: no `date`, `publishDate` or `lastmod` key, and no YYYY-MM-DD- file name".into(),
                    "add `date: 2019-05-07`, or name the file 2019-05-07-slug.md",
                    "no date",
                )
            }
        },
    };

    let slug_source = match get("slug").and_then(Value::as_str) {
        Some(s) => s.to_string(),
        None => name_date(&stem).map_or(stem.clone(), |(_, s)| s.to_string()),
    };
    let mut slug = slugify(&slug_source);
    if slug.is_empty() {
        slug = slugify(&title);
    }
    if slug.is_empty() {
        slug = format!("post-{}", date);
    }

    let mut tags = strings(get("tags"));
    tags.extend(strings(get("categories")));
    tags.extend(strings(get("category")));
    let mut author = strings(get("authors"));
    if let Some(a) = get("author") {
        match a {
            Value::String(s) => author.push(s.clone()),
            Value::Object(o) => author.extend(o.get("name").and_then(Value::as_str).map(str::to_string)),
            other => author.extend(strings(Some(other))),
        }
    }
    let summary = ["description", "summary", "excerpt", "subtitle"]
        .iter()
        .find_map(|k| get(k).and_then(Value::as_str).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| first_paragraph(body));
    let summary = if summary.is_empty() { title.clone() } else { summary };
    let url = ["permalink", "url"].iter().find_map(|k| get(k).and_then(Value::as_str)).and_then(|p| {
        if p.starts_with("http://") || p.starts_with("https://") {
            Some(p.to_string())
        } else {
            site_url.map(|u| format!("{u}{}", p.trim_start_matches('/')))
        }
    });
    let ext = rel.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "md".into());
    Outcome::Post(Box::new(Post {
        rel: shown,
        title,
        date,
        slug,
        tags,
        author: if author.is_empty() { None } else { Some(author.join(", ")) },
        summary,
        url,
        body: body.trim_start_matches('\n').to_string(),
        bytes,
        ext,
    }))
}

/// TOML to JSON values, dates as their text.
fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

#[derive(serde::Serialize)]
struct ArticleOut<'a> {
    title: &'a str,
    publisher: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    published: &'a str,
    published_note: String,
    original: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    summary: &'a str,
    topics: Vec<String>,
}

fn front(value: &impl serde::Serialize) -> String {
    let yaml = serde_yaml::to_string(value).unwrap_or_default();
    format!("---\n{yaml}---\n")
}

/// Writes `bytes` to `path` unless it exists and `force` is off.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<bool, ImportError> {
    if path.exists() && !force {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| io(path, e))?;
    Ok(true)
}

/// Imports the posts of `src` into the dossier at `dest`.
pub fn import(src: &Path, dest: &Path, opts: &Options) -> Result<Report, ImportError> {
    if !src.is_dir() {
        return Err(ImportError::NotAFolder(src.display().to_string()));
    }
    let layout = detect(src);
    let (site_title, site_url) = site_settings(src);
    let mut report = Report::default();
    let content = dest.join("content");

    let converted: Vec<(PathBuf, Outcome)> = {
        use rayon::prelude::*;
        let files = posts(src, layout);
        files
            .into_par_iter()
            .map(|rel| {
                let o = convert(src, &rel, opts, site_url.as_deref());
                (rel, o)
            })
            .collect()
    };

    // One publisher for the whole site.
    let publisher_name = site_title.clone().unwrap_or_else(|| {
        std::fs::canonicalize(src)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "Imported site".into())
    });
    let mut publisher = slugify(&publisher_name);
    if publisher.is_empty() {
        publisher = "imported-site".into();
    }

    // Slugs given out by this import: a second post with the same slug is renamed.
    // (A file already in the dossier is not renamed around: it is reported, or replaced with --force.)
    let mut slugs: BTreeSet<String> = BTreeSet::new();
    let mut topics: BTreeMap<String, String> = BTreeMap::new();
    for (_rel, outcome) in converted {
        let post = match outcome {
            Outcome::Post(p) => p,
            Outcome::Draft => {
                report.drafts_skipped += 1;
                continue;
            }
            Outcome::Section => {
                report.sections_skipped += 1;
                continue;
            }
            Outcome::Failed(d, reason) => {
                report.diagnostics.push(d);
                *report.failed_by_reason.entry(reason.to_string()).or_default() += 1;
                continue;
            }
        };
        let mut slug = post.slug.clone();
        if slugs.contains(&slug) {
            let dated = format!("{}-{}", post.slug, post.date);
            slug = dated.clone();
            let mut n = 2;
            while slugs.contains(&slug) {
                slug = format!("{dated}-{n}");
                n += 1;
            }
            report.diagnostics.push(
                Diagnostic::warning(&post.rel, 1, 1, format!("slug `{}` is taken; imported as `{slug}`", post.slug))
                    .with_help("set `slug:` in the post to choose another"),
            );
        }
        slugs.insert(slug.clone());
        let mut ids = vec![];
        for t in &post.tags {
            let id = slugify(t);
            if id.is_empty() {
                continue;
            }
            topics.entry(id.clone()).or_insert_with(|| t.clone());
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let original = format!("imported/{slug}.{}", post.ext);
        let article = ArticleOut {
            title: &post.title,
            publisher: &publisher,
            author: post.author.as_deref(),
            published: &post.date,
            published_note: format!("The date of the imported post ({}).", post.rel),
            original: original.clone(),
            url: post.url.as_deref(),
            summary: &post.summary,
            topics: ids,
        };
        let text = format!("{}{}", front(&article), post.body);
        let path = content.join("articles").join(format!("{slug}.md"));
        if !write_new(&path, text.as_bytes(), opts.force)? {
            report.diagnostics.push(
                Diagnostic::error(&post.rel, 1, 1, format!("content/articles/{slug}.md already exists"))
                    .with_help("pass --force to overwrite, or set `slug:` in the post"),
            );
            *report.failed_by_reason.entry("destination exists".into()).or_default() += 1;
            continue;
        }
        write_new(&content.join("originals").join(&original), &post.bytes, opts.force)?;
        report.articles += 1;
    }

    // Stubs so that the result builds: the publisher and one topic per tag.
    #[derive(serde::Serialize)]
    struct EntityOut<'a> {
        kind: &'a str,
        name: &'a str,
        summary: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
    }
    if report.articles > 0 {
        let e = EntityOut {
            kind: "publisher",
            name: &publisher_name,
            summary: format!("The site the imported posts come from ({}).", publisher_name),
            url: site_url.as_deref(),
        };
        write_new(&content.join("entities").join(format!("{publisher}.md")), front(&e).as_bytes(), false)?;
    }
    #[derive(serde::Serialize)]
    struct TopicOut<'a> {
        title: &'a str,
        summary: String,
    }
    for (id, title) in &topics {
        let t = TopicOut { title, summary: format!("Posts tagged “{title}” in the imported site.") };
        if write_new(&content.join("topics").join(format!("{id}.md")), front(&t).as_bytes(), false)? {
            report.topics += 1;
        }
    }
    if !dest.join(crate::config::FILE).exists() && report.articles > 0 {
        let title = site_title.unwrap_or_else(|| publisher_name.clone());
        let toml = format!("[book]\ntitle = {}\n", toml::Value::String(title));
        write_new(&dest.join(crate::config::FILE), toml.as_bytes(), false)?;
    }
    report.diagnostics.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_jekyll_and_hugo_write_them() {
        for (s, want) in [
            ("2019-05-07", "2019-05-07"),
            ("2019-05-07 10:00:00 +0300", "2019-05-07"),
            ("2019-05-07 10:00", "2019-05-07"),
            ("2019-05-07T10:00:00Z", "2019-05-07"),
            ("2019-05-07T10:00:00.123+03:00", "2019-05-07"),
            ("'2019-05-07'", "2019-05-07"),
            ("2019-05-07 10:00:00 -05:00", "2019-05-07"),
        ] {
            assert_eq!(parse_date(s).as_deref(), Some(want), "{s}");
        }
        for s in ["May 7, 2019", "2019-13-01", "2019-02-30", "yesterday", "2019-05-07 25:00", "2019-05-07 10:00 +3", ""]
        {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn file_name_dates() {
        assert_eq!(name_date("2019-05-07-hello-world"), Some(("2019-05-07".into(), "hello-world")));
        assert_eq!(name_date("hello-world"), None);
    }

    #[test]
    fn front_matter_fences() {
        assert_eq!(split("---\na: 1\n---\nbody").map(|s| (s.0, s.1, s.3)), Some(("yaml", "a: 1\n", "body")));
        assert_eq!(split("+++\na = 1\n+++\nbody").map(|s| (s.0, s.1, s.3)), Some(("toml", "a = 1\n", "body")));
        assert_eq!(split("{\"a\": \"}\"}\nbody").map(|s| (s.0, s.1, s.3)), Some(("json", "{\"a\": \"}\"}", "\nbody")));
        assert!(split("no front matter").is_none());
    }
}
