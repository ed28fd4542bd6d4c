//! `dossier new` and `dossier init`: files that a user edits from there.

use std::fs;
use std::path::{Path, PathBuf};

use crate::frontmatter::slugify;
use crate::render::{DEFAULT_ASSETS, DEFAULT_TEMPLATES};

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("{0} already exists; dossier does not overwrite it")]
    Exists(String),
    #[error("`{0}` gives no usable file name; use letters or digits in the title")]
    BadTitle(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn write_new(path: &Path, text: &str) -> Result<(), ScaffoldError> {
    if path.exists() {
        return Err(ScaffoldError::Exists(path.display().to_string()));
    }
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).map_err(|source| ScaffoldError::Io { path: p.display().to_string(), source })?;
    }
    fs::write(path, text).map_err(|source| ScaffoldError::Io { path: path.display().to_string(), source })
}

fn today() -> String {
    jiff::Zoned::now().date().to_string()
}

fn yaml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn article_skeleton(title: &str, date: &str) -> String {
    format!(
        "---\ntitle: {}\npublisher: PUBLISHER-ID\nauthor: null\npublished: {date}\noriginal: ORIGINAL-FILE.txt\nurl: null\nsummary: One sentence on what this source reports.\ntopics: []\nevents: []\n---\n\nThe article's text, paragraph by paragraph.\n",
        yaml_string(title)
    )
}

/// Writes `content/articles/<slug>.md` under `root`.
pub fn new_article(root: &Path, title: &str) -> Result<PathBuf, ScaffoldError> {
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(ScaffoldError::BadTitle(title.to_string()));
    }
    let config = crate::read_config(root).ok().unwrap_or_default();
    let path = root.join(&config.content_dir).join("articles").join(format!("{slug}.md"));
    write_new(&path, &article_skeleton(title, &today()))?;
    Ok(path)
}

const BOOK: &str = r#"[book]
title = "A new dossier"
description = "What this dossier is about, in a sentence."
authors = []
language = "en"

[build]
content-dir = "content"
build-dir = "book"

[site]
# url = "https://org.github.io/repo/"
"#;

const ARTICLE: &str = "---\ntitle: A first source\npublisher: example-news\npublished: 2024-05\noriginal: https://example.org/first-source\nsummary: An example source; replace it with a real one.\ntopics: [example]\nevents:\n  - id: first-event\n    date: 2024-05-02\n    title: The first event happens\n    figures: { people: 3 }\n    quote: On 2 May three people met\n---\n\nOn 2 May three people met at the Example Institute.\n";
const PUBLISHER: &str = "---\nkind: publisher\nname: Example News\nsummary: A publisher of example sources.\n---\n";
const PLACE: &str =
    "---\nkind: organisation\nname: Example Institute\nsummary: Where the first event took place.\n---\n";
const TOPIC: &str =
    "---\ntitle: Example\nsummary: What the example sources are about.\n---\n\nAn overview of the topic.\n";

/// A fresh dossier in `dir` that builds at once, with the embedded templates
/// written out for editing.
pub fn init(dir: &Path) -> Result<(), ScaffoldError> {
    if dir.join("book.toml").exists() {
        return Err(ScaffoldError::Exists(dir.join("book.toml").display().to_string()));
    }
    write_new(&dir.join("book.toml"), BOOK)?;
    write_new(&dir.join("content/articles/a-first-source.md"), ARTICLE)?;
    write_new(&dir.join("content/entities/example-news.md"), PUBLISHER)?;
    write_new(&dir.join("content/entities/example-institute.md"), PLACE)?;
    write_new(&dir.join("content/topics/example.md"), TOPIC)?;
    for (name, text) in DEFAULT_TEMPLATES {
        write_new(&dir.join("templates").join(name), text)?;
    }
    for (name, text) in DEFAULT_ASSETS {
        write_new(&dir.join("templates/assets").join(name), text)?;
    }
    fs::create_dir_all(dir.join("static"))
        .map_err(|source| ScaffoldError::Io { path: dir.join("static").display().to_string(), source })?;
    write_new(&dir.join(".gitignore"), "/book\n")?;
    Ok(())
}
