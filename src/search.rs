//! The offline search index: a `.js` file (not JSON fetched at run time) so
//! that search works from `file://` as well as on a server.
//!
//! To stay compact, a source carries its title, summary and a trimmed text
//! for snippets plus the set of its distinct words, not its whole body.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::frontmatter::EntityKind;
use crate::graph::SiteGraph;
use crate::text::truncate;

#[derive(Serialize)]
struct Doc<'a> {
    /// title
    t: &'a str,
    /// kind: source, entity, topic, event
    k: &'a str,
    /// date in words, may be empty
    d: String,
    /// path from the site root
    u: String,
    /// text for the snippet
    x: String,
    /// extra words that match but are not shown
    w: String,
}

const SNIPPET_TEXT: usize = 600;

fn words(text: &str, shown: &str) -> String {
    let shown: BTreeSet<String> = shown.split(|c: char| !c.is_alphanumeric()).map(str::to_lowercase).collect();
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.chars().count() < 3 {
            continue;
        }
        let lw = w.to_lowercase();
        if !shown.contains(&lw) && seen.insert(lw.clone()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&lw);
        }
    }
    out
}

pub fn docs(g: &SiteGraph) -> String {
    let mut docs = vec![];
    for &a in &g.by_date {
        let art = &g.articles[a];
        let body: Vec<&str> = g.rendered[a].paragraphs.iter().map(|p| p.text.as_str()).collect();
        let body = body.join(" ");
        let x = truncate(&format!("{} {}", art.summary, body), SNIPPET_TEXT);
        let w = words(&body, &x);
        docs.push(Doc {
            t: &art.title,
            k: "source",
            d: art.published.to_string(),
            u: format!("sources/{}/index.html", art.slug),
            x,
            w,
        });
    }
    for ev in &g.events {
        let mut x = String::new();
        for r in &ev.reports {
            x.push_str(&g.claim(r).quote);
            x.push(' ');
        }
        docs.push(Doc {
            t: &ev.title,
            k: "event",
            d: ev.date.to_string(),
            u: format!("timeline/index.html#e-{}", ev.id),
            x: truncate(x.trim(), SNIPPET_TEXT),
            w: ev.id.replace('-', " "),
        });
    }
    for e in &g.entities {
        let u = if e.kind == EntityKind::Publisher {
            format!("publishers/{}/index.html", e.id)
        } else {
            format!("entities/{}/index.html", e.id)
        };
        docs.push(Doc {
            t: &e.name,
            k: e.kind.as_str(),
            d: String::new(),
            u,
            x: e.summary.clone(),
            w: e.aliases.join(" "),
        });
    }
    for t in &g.topics {
        docs.push(Doc {
            t: &t.title,
            k: "topic",
            d: String::new(),
            u: format!("topics/{}/index.html", t.id),
            x: t.summary.clone(),
            w: String::new(),
        });
    }
    serde_json::to_string(&docs).expect("search documents serialise")
}

/// `search/index.js`: assigns the documents to a global the search script reads.
pub fn index_js(g: &SiteGraph) -> String {
    // `</` is escaped so the data can never close a script element.
    format!("window.DOSSIER_SEARCH = {};\n", docs(g).replace("</", "<\\/"))
}
