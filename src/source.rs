//! Loading: the only stage (besides `output`) that reads the file system.
//! walkdir over the content folder, no symlinks followed, hidden files
//! skipped; everything else gets a value or a diagnostic.

use std::fs;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::Diagnostic;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Article,
    Entity,
    Topic,
}

/// One Markdown file of the content folder, read and decoded.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the dossier root, `/`-separated: what diagnostics print.
    pub rel: PathBuf,
    pub kind: Kind,
    pub text: String,
}

/// A file copied to the output as it is (originals, `static/`).
#[derive(Debug)]
pub struct Asset {
    /// Path in the output, `/`-separated.
    pub out: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Loaded {
    /// Entities and topics, read and decoded.
    pub files: Vec<SourceFile>,
    /// Articles, found but not read yet: (absolute path, path relative to
    /// the root). They are read one by one as they are compiled
    /// ([`read_source`]), so their text is never all held at once.
    pub articles: Vec<(PathBuf, PathBuf)>,
    pub originals: Vec<Asset>,
    pub statics: Vec<Asset>,
    /// Template overrides: (name, text).
    pub templates: Vec<(String, String)>,
    pub diags: Vec<Diagnostic>,
}

fn rel(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root).unwrap_or(p).to_path_buf()
}

fn hidden(e: &walkdir::DirEntry) -> bool {
    e.depth() > 0 && e.file_name().to_str().is_some_and(|s| s.starts_with('.'))
}

/// Walks `dir` and calls `f` with each regular file; symlinks and unreadable
/// entries become diagnostics.
fn walk(root: &Path, dir: &Path, diags: &mut Vec<Diagnostic>, mut f: impl FnMut(&Path, PathBuf, &mut Vec<Diagnostic>)) {
    if !dir.exists() {
        return;
    }
    let walker = WalkDir::new(dir).follow_links(false).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| !hidden(e)) {
        match entry {
            Ok(e) if e.file_type().is_symlink() => {
                diags.push(Diagnostic::warning(rel(root, e.path()), 1, 1, "symbolic link not followed").with_help(
                    "dossier never follows links, so content cannot reach outside its folder; copy the file in instead",
                ))
            }
            Ok(e) if e.file_type().is_file() => f(e.path(), rel(root, e.path()), diags),
            Ok(e) if e.file_type().is_dir() => {}
            // A FIFO, socket or device: reading it could block or never end.
            Ok(e) => diags.push(
                Diagnostic::warning(
                    rel(root, e.path()),
                    1,
                    1,
                    "not a regular file (a pipe, socket or device): skipped",
                )
                .with_help("content holds plain files only; replace it with a copy of the file"),
            ),
            Err(err) => {
                let p = err.path().map(|p| rel(root, p)).unwrap_or_else(|| rel(root, dir));
                diags.push(
                    Diagnostic::error(p, 1, 1, format!("cannot read: {err}")).with_help("check the file's permissions"),
                );
            }
        }
    }
}

fn read_bytes(abs: &Path, rel: &Path, diags: &mut Vec<Diagnostic>) -> Option<Vec<u8>> {
    match fs::read(abs) {
        Ok(b) => Some(b),
        Err(e) => {
            diags.push(
                Diagnostic::error(rel, 1, 1, format!("cannot read: {e}")).with_help("check the file's permissions"),
            );
            None
        }
    }
}

/// Decodes UTF-8 (dropping a byte-order mark and CRLF line ends), or says
/// where the first bad byte is.
pub fn decode(bytes: Vec<u8>, rel: &Path) -> Result<String, Diagnostic> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(s) if memchr::memchr(b'\r', s.as_bytes()).is_some() => Ok(s.replace("\r\n", "\n")),
        Ok(s) => Ok(s),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.as_bytes()[..good]);
            let (line, col) = crate::diag::line_col(&text, good);
            Err(Diagnostic::error(rel, line, col, "file is not valid UTF-8")
                .with_help("save the file as UTF-8 (most editors have an \"encoding\" option)"))
        }
    }
}

/// Reads and decodes one Markdown file of the content folder.
pub fn read_source(abs: &Path, rel: PathBuf, kind: Kind) -> Result<SourceFile, Diagnostic> {
    let bytes = fs::read(abs).map_err(|e| {
        Diagnostic::error(&rel, 1, 1, format!("cannot read: {e}")).with_help("check the file's permissions")
    })?;
    let text = decode(bytes, &rel)?;
    Ok(SourceFile { rel, kind, text })
}

/// Reads everything a build needs from `root` (articles: their paths only).
pub fn load(root: &Path, content_dir: &Path) -> Loaded {
    let mut out = Loaded::default();
    let content = root.join(content_dir);
    if !content.is_dir() {
        out.diags.push(
            Diagnostic::error(content_dir, 1, 1, "content folder not found")
                .with_help("create it with articles/, entities/ and topics/ inside, or run `dossier init`"),
        );
        return out;
    }
    let mut files = vec![];
    let mut diags = vec![];
    walk(root, &content, &mut diags, |abs, r, diags| {
        let sub = abs.strip_prefix(&content).unwrap_or(abs);
        let first = sub.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or("");
        let is_md = abs.extension().is_some_and(|e| e == "md");
        let kind = match first {
            "articles" if is_md => Some(Kind::Article),
            "entities" if is_md => Some(Kind::Entity),
            "topics" if is_md => Some(Kind::Topic),
            "originals" => {
                if let Some(bytes) = read_bytes(abs, &r, diags) {
                    let name = sub.strip_prefix("originals").unwrap_or(sub);
                    let name = name.to_string_lossy().replace('\\', "/");
                    out.originals.push(Asset { out: format!("originals/{name}"), bytes });
                }
                return;
            }
            _ => None,
        };
        match kind {
            Some(kind) => files.push((abs.to_path_buf(), r, kind)),
            None => diags.push(
                Diagnostic::warning(&r, 1, 1, "file ignored")
                    .with_help("content/ holds articles/*.md, entities/*.md, topics/*.md and originals/"),
            ),
        }
    });
    // Decoding is independent per file: parallel, then back in order.
    use rayon::prelude::*;
    let (articles, files): (Vec<_>, Vec<_>) = files.into_iter().partition(|(_, _, kind)| *kind == Kind::Article);
    out.articles = articles.into_iter().map(|(abs, r, _)| (abs, r)).collect();
    let decoded: Vec<Result<SourceFile, Diagnostic>> =
        files.into_par_iter().map(|(abs, r, kind)| read_source(&abs, r, kind)).collect();
    for d in decoded {
        match d {
            Ok(f) => out.files.push(f),
            Err(d) => diags.push(d),
        }
    }
    let statics = root.join("static");
    walk(root, &statics, &mut diags, |abs, r, diags| {
        if let Some(bytes) = read_bytes(abs, &r, diags) {
            let name = abs.strip_prefix(&statics).unwrap_or(abs).to_string_lossy().replace('\\', "/");
            out.statics.push(Asset { out: name, bytes });
        }
    });
    let templates = root.join("templates");
    walk(root, &templates, &mut diags, |abs, r, diags| {
        if let Some(bytes) = read_bytes(abs, &r, diags) {
            match decode(bytes, &r) {
                Ok(text) => {
                    let name = abs.strip_prefix(&templates).unwrap_or(abs).to_string_lossy().replace('\\', "/");
                    out.templates.push((name, text));
                }
                Err(d) => diags.push(d),
            }
        }
    });
    out.diags.extend(diags);
    out
}
