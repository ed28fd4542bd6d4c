//! Internal link checking over a rendered site held in memory: every
//! relative `href`/`src` must name a file of the site, and every `#anchor`
//! an id in that file.

use std::collections::{BTreeMap, HashMap, HashSet};

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

/// Every broken internal link or anchor, as diagnostics on the output path.
pub fn check(files: &BTreeMap<String, Vec<u8>>) -> Vec<Diagnostic> {
    let mut anchors: HashMap<&str, HashSet<String>> = HashMap::new();
    let pages: Vec<(&String, &str)> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .filter_map(|(p, b)| std::str::from_utf8(b).ok().map(|s| (p, s)))
        .collect();
    for (p, html) in &pages {
        anchors.insert(p.as_str(), ids(html));
    }
    let mut out = vec![];
    for (page, html) in &pages {
        if page.as_str() == "404.html" {
            continue; // links there are root-relative on purpose; it is served from any depth.
        }
        for href in attr_values(html, "href").into_iter().chain(attr_values(html, "src")) {
            let href = unescape(href);
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
            // Only for a report: finding the line costs a scan of the page.
            let line = || html[..html.find(&format!("\"{href}\"")).unwrap_or(0)].matches('\n').count() + 1;
            let Some(target) = target else {
                out.push(Diagnostic::error(
                    format!("(output)/{page}"),
                    line(),
                    1,
                    format!("link `{href}` leaves the site"),
                ));
                continue;
            };
            if !files.contains_key(&target) {
                out.push(
                    Diagnostic::error(
                        format!("(output)/{page}"),
                        line(),
                        1,
                        format!("broken link `{href}`: no file {target}"),
                    )
                    .with_help("check the template or the Markdown link that produced it"),
                );
                continue;
            }
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                if let Some(ids) = anchors.get(target.as_str()) {
                    if !ids.contains(f) {
                        out.push(Diagnostic::error(
                            format!("(output)/{page}"),
                            line(),
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
}
