//! Internal link checking over a rendered site: every relative `href`/`src`
//! must name a file of the site, and every `#anchor` an id in that file.
//! Pages are scanned as they are rendered ([`LinkSink`]), not held.

use std::collections::{BTreeMap, HashSet};

use crate::diag::Diagnostic;

/// (attribute value) of every href= and src= in an HTML page.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let mut out = vec![];
    let pat = format!(" {attr}=\"");
    let mut rest = html;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        if let Some(end) = rest.find('"') {
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

fn ids(html: &str) -> HashSet<String> {
    attr_values(html, "id").into_iter().map(unescape).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Resolves `href` relative to the page at `from` (both site-relative).
pub fn resolve(from: &str, href: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in href.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut p = parts.join("/");
    if href.ends_with('/') || p.is_empty() {
        if !p.is_empty() {
            p.push('/');
        }
        p.push_str("index.html");
    }
    Some(p)
}

fn is_external(href: &str) -> bool {
    href.contains("://")
        || href.starts_with("mailto:")
        || href.starts_with("//")
        || href.starts_with("data:")
        || href.starts_with("tel:")
}

/// What the check keeps of one page: its ids, and each distinct internal
/// link (escaped as written) with the line of its first use. The page's
/// HTML itself is not kept, so that checking a site of thousands of pages
/// holds a fraction of it.
#[derive(Debug, Default)]
pub struct PageLinks {
    ids: HashSet<String>,
    links: Vec<(String, usize)>,
}

/// Scans one rendered page.
pub fn scan(html: &str) -> PageLinks {
    let mut found: Vec<&str> = attr_values(html, "href");
    found.extend(attr_values(html, "src"));
    // By position, to count lines in one pass.
    found.sort_by_key(|v| v.as_ptr() as usize);
    let base = html.as_ptr() as usize;
    let (mut line, mut at) = (1, 0);
    let mut seen = HashSet::new();
    let mut links = vec![];
    for v in found {
        let offset = v.as_ptr() as usize - base;
        line += html.as_bytes()[at..offset].iter().filter(|&&b| b == b'\n').count();
        at = offset;
        if v.is_empty() || is_external(v) || !seen.insert(v) {
            continue;
        }
        links.push((v.to_string(), line));
    }
    PageLinks { ids: ids(html), links }
}

/// Collects what the check needs while the pages are written, in parallel,
/// and lets each page go.
#[derive(Default)]
pub struct LinkSink {
    files: std::sync::Mutex<HashSet<String>>,
    pages: std::sync::Mutex<BTreeMap<String, PageLinks>>,
}

impl crate::render::Sink for LinkSink {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        if !crate::output::safe_relative(path) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("refusing a path outside the site: {path}"),
            ));
        }
        if path.ends_with(".html") {
            if let Ok(html) = std::str::from_utf8(bytes) {
                let scanned = scan(html);
                self.pages.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_string(), scanned);
            }
        }
        self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_string());
        Ok(())
    }
}

impl LinkSink {
    /// Every broken internal link or anchor of what was written.
    pub fn check(self) -> Vec<Diagnostic> {
        let files = self.files.into_inner().unwrap_or_else(|e| e.into_inner());
        let pages = self.pages.into_inner().unwrap_or_else(|e| e.into_inner());
        check_scanned(&files, &pages)
    }
}

fn check_scanned(files: &HashSet<String>, pages: &BTreeMap<String, PageLinks>) -> Vec<Diagnostic> {
    let mut out = vec![];
    for (page, scanned) in pages {
        if page.as_str() == "404.html" {
            continue; // links there are root-relative on purpose; it is served from any depth.
        }
        for (raw, line) in &scanned.links {
            let href = unescape(raw);
            if href.is_empty() || is_external(&href) {
                continue;
            }
            let (path, frag) = match href.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (href.as_str(), None),
            };
            let target = if path.is_empty() {
                Some(page.to_string())
            } else {
                resolve(page, path.split('?').next().unwrap_or(path))
            };
            let Some(target) = target else {
                out.push(Diagnostic::error(
                    format!("(output)/{page}"),
                    *line,
                    1,
                    format!("link `{href}` leaves the site"),
                ));
                continue;
            };
            if !files.contains(&target) {
                out.push(
                    Diagnostic::error(
                        format!("(output)/{page}"),
                        *line,
                        1,
                        format!("broken link `{href}`: no file {target}"),
                    )
                    .with_help("check the template or the Markdown link that produced it"),
                );
                continue;
            }
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                if let Some(p) = pages.get(target.as_str()) {
                    if !p.ids.contains(f) {
                        out.push(Diagnostic::error(
                            format!("(output)/{page}"),
                            *line,
                            1,
                            format!("broken anchor `{href}`: {target} has no id `{f}`"),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every broken internal link or anchor of a site held in memory.
    fn check(files: &BTreeMap<String, Vec<u8>>) -> Vec<Diagnostic> {
        let sink = LinkSink::default();
        for (path, bytes) in files {
            crate::render::Sink::write(&sink, path, bytes).unwrap();
        }
        sink.check()
    }

    #[test]
    fn resolves_relative_links() {
        assert_eq!(resolve("sources/a/index.html", "../../topics/index.html").as_deref(), Some("topics/index.html"));
        assert_eq!(resolve("index.html", "timeline/").as_deref(), Some("timeline/index.html"));
        assert_eq!(resolve("index.html", "../x").as_deref(), None);
    }

    #[test]
    fn finds_broken_links_and_anchors() {
        let mut files = BTreeMap::new();
        files.insert(
            "index.html".to_string(),
            b"<a href=\"a/index.html#p2\">x</a>\n<a href=\"nope.html\">y</a>".to_vec(),
        );
        files.insert("a/index.html".to_string(), b"<p id=\"p1\">".to_vec());
        let d: Vec<String> = check(&files).iter().map(|d| d.message.clone()).collect();
        assert_eq!(
            d,
            [
                "broken anchor `a/index.html#p2`: a/index.html has no id `p2`",
                "broken link `nope.html`: no file nope.html"
            ]
        );
    }

    #[test]
    fn each_broken_link_is_reported_once_at_the_line_of_its_first_use() {
        let mut files = BTreeMap::new();
        files.insert(
            "index.html".to_string(),
            b"<p>\n<img src=\"gone.png\">\n\n<a href=\"nope.html\">y</a> <a href=\"nope.html\">again</a>\n<a href=\"https://example.org/\">out</a>"
                .to_vec(),
        );
        let d: Vec<(String, usize)> = check(&files).iter().map(|d| (d.message.clone(), d.line)).collect();
        assert_eq!(
            d,
            [
                ("broken link `gone.png`: no file gone.png".to_string(), 2),
                ("broken link `nope.html`: no file nope.html".to_string(), 4)
            ]
        );
    }

    #[test]
    fn a_page_written_outside_the_site_is_refused() {
        let sink = LinkSink::default();
        assert!(crate::render::Sink::write(&sink, "../escape.html", b"<p>").is_err());
    }
}
