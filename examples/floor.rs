//! The floor of issue #8's table: what the crates alone cost for a corpus,
//! with none of dossier's own work. Each article under ROOT/content/articles
//! is read, its front matter parsed by serde_yaml, its body rendered by
//! pulldown-cmark with fenced code highlighted by syntect (through
//! `markdown::highlight`, dossier's thin wrapper: CSS classes; the title
//! escaped by its `escape`), and the page written as one file; articles in
//! parallel (rayon), nothing held between them. No entities, events, lists, templates
//! or search index: a build that does more cannot be faster than this.
//!
//!     cargo run --release --example floor -- ROOT OUT
//!
//! `bench/run.py` runs it beside dossier and Hugo and prints the ratios.

use std::path::{Path, PathBuf};

use dossier::markdown::highlight::{escape, highlight};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use rayon::prelude::*;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(serde::Deserialize)]
struct Front {
    title: String,
}

/// The article's page, or why it has none.
fn page(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let rest = text.strip_prefix("---\n").ok_or("no front matter")?;
    let end = rest.find("\n---\n").ok_or("front matter not closed")?;
    let front: Front = serde_yaml::from_str(&rest[..end]).map_err(|e| e.to_string())?;
    let body = &rest[end + 5..];
    let title = escape(&front.title);
    let mut html = String::with_capacity(body.len() * 3 / 2 + 256);
    html.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    html.push_str(&title);
    html.push_str("</title></head><body><main><h1>");
    html.push_str(&title);
    html.push_str("</h1>");
    let mut code: Option<(String, String)> = None;
    let events = Parser::new(body).filter_map(|event| match (&mut code, event) {
        (None, Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang)))) => {
            code = Some((lang.to_string(), String::new()));
            None
        }
        (Some((_, text)), Event::Text(t)) => {
            text.push_str(&t);
            None
        }
        (Some(_), Event::End(TagEnd::CodeBlock)) => {
            let (lang, text) = code.take().expect("inside a code block");
            Some(Event::Html(highlight(&text, &lang).into()))
        }
        (_, event) => Some(event),
    });
    pulldown_cmark::html::push_html(&mut html, events);
    html.push_str("</main></body></html>\n");
    Ok(html)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(out)) = (args.next().map(PathBuf::from), args.next().map(PathBuf::from)) else {
        eprintln!("usage: floor ROOT OUT");
        std::process::exit(2);
    };
    let articles: Vec<PathBuf> = walkdir::WalkDir::new(root.join("content/articles"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let failed: Vec<String> = articles
        .par_iter()
        .filter_map(|path| {
            let slug = path.file_stem()?.to_string_lossy();
            let dir = out.join(&*slug);
            let written = page(path).and_then(|html| {
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                std::fs::write(dir.join("index.html"), html).map_err(|e| e.to_string())
            });
            written.err().map(|e| format!("{}: {e}", path.display()))
        })
        .collect();
    for f in &failed {
        eprintln!("{f}");
    }
    println!("{} pages", articles.len() - failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
