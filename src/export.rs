//! Machine-readable exports and hosting files: the timeline as JSON and CSV,
//! `.nojekyll`, `robots.txt`, `sitemap.xml` and `CNAME`.

use serde::Serialize;

use crate::graph::SiteGraph;

// Fields in alphabetical order: the file's keys are sorted (it was once
// written from a `serde_json::Value`, whose maps sort them).
#[derive(Serialize)]
struct ExportReport<'a> {
    claims: &'a crate::frontmatter::Named<String>,
    date: String,
    figures: &'a crate::frontmatter::Named<f64>,
    planned: bool,
    published: String,
    publisher: &'a str,
    quote: &'a str,
    source: &'a str,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct ExportEvent<'a> {
    date: String,
    date_text: String,
    disputed: Vec<String>,
    id: &'a str,
    reports: Vec<ExportReport<'a>>,
    title: &'a str,
    topics: Vec<&'a str>,
}

#[derive(Serialize)]
struct Export<'a> {
    events: Vec<ExportEvent<'a>>,
    title: &'a str,
}

fn events(g: &SiteGraph) -> Vec<ExportEvent<'_>> {
    g.events
        .iter()
        .map(|ev| ExportEvent {
            id: &ev.id,
            date: ev.date.to_edtf(),
            date_text: ev.date.to_string(),
            title: &ev.title,
            topics: ev.topics.iter().map(|&t| g.topics[t].id.as_str()).collect(),
            disputed: ev.discrepancies.iter().map(|&d| g.discrepancies[d].key.clone()).collect(),
            reports: ev
                .reports
                .iter()
                .map(|r| {
                    let art = &g.articles[r.article];
                    let c = g.claim(r);
                    ExportReport {
                        source: &art.slug,
                        title: &art.title,
                        publisher: g
                            .entities
                            .get(g.article_publisher[r.article])
                            .map_or(art.publisher.id.as_str(), |e| e.name.as_str()),
                        published: art.published.to_edtf(),
                        date: c.date.to_edtf(),
                        quote: &c.quote,
                        url: format!("sources/{}/index.html#p{}", art.slug, r.paragraph),
                        figures: &c.figures,
                        claims: &c.claims,
                        planned: c.planned,
                    }
                })
                .collect(),
        })
        .collect()
}

fn csv(g: &SiteGraph) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    let header = [
        "event",
        "date",
        "title",
        "source",
        "publisher",
        "published",
        "reported_date",
        "figures",
        "claims",
        "quote",
        "link",
    ];
    w.write_record(header).expect("csv to memory");
    for ev in events(g) {
        for r in &ev.reports {
            let figures: Vec<String> =
                r.figures.iter().map(|(k, v)| format!("{k}={}", crate::text::number(*v).replace(',', ""))).collect();
            let claims: Vec<String> = r.claims.iter().map(|(k, v)| format!("{k}={v}")).collect();
            w.write_record([
                ev.id,
                &ev.date,
                ev.title,
                r.source,
                r.publisher,
                &r.published,
                &r.date,
                &figures.join("; "),
                &claims.join("; "),
                r.quote,
                &r.url,
            ])
            .expect("csv to memory");
        }
    }
    w.into_inner().expect("csv to memory")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn sitemap(g: &SiteGraph, base: &str) -> String {
    let mut paths = vec![
        String::new(),
        "timeline/".into(),
        "discrepancies/".into(),
        "topics/".into(),
        "entities/".into(),
        "publishers/".into(),
        "search/".into(),
    ];
    paths.extend(g.articles.iter().map(|a| format!("sources/{}/", a.slug)));
    paths.extend(g.topics.iter().map(|t| format!("topics/{}/", t.id)));
    paths.extend(g.entities.iter().map(|e| {
        if e.kind == crate::frontmatter::EntityKind::Publisher {
            format!("publishers/{}/", e.id)
        } else {
            format!("entities/{}/", e.id)
        }
    }));
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in paths {
        s.push_str(&format!("  <url><loc>{}</loc></url>\n", xml_escape(&format!("{base}{p}"))));
    }
    s.push_str("</urlset>\n");
    s
}

/// Every export and hosting file: (path, bytes).
pub fn files(g: &SiteGraph) -> Vec<(String, Vec<u8>)> {
    let sink = crate::output::MemorySink::default();
    // Writing to memory fails only on a path outside the site: none here.
    write(g, &sink, &mut |path, r| {
        r.unwrap_or_else(|e| panic!("{path}: {e}"));
    });
    sink.into_files().into_iter().collect()
}

/// Writes every export into `sink`, each as soon as it is made (the
/// timeline's JSON streamed, never held whole), telling `done` each file's
/// path and size or why it could not be written.
pub fn write(g: &SiteGraph, sink: &dyn crate::render::Sink, done: &mut dyn FnMut(&str, std::io::Result<u64>)) {
    // Written from borrowing views: no `Value` of the whole timeline first.
    let mut bytes = 0u64;
    let json = sink.write_stream("data/timeline.json", &mut |w| {
        // The serialiser writes a token at a time: handed on 64 KiB at a time.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, Stream { write: w, bytes: &mut bytes });
        serde_json::to_writer_pretty(&mut out, &Export { events: events(g), title: &g.config.title })
            .map_err(std::io::Error::from)?;
        std::io::Write::flush(&mut out)
    });
    done("data/timeline.json", json.map(|()| bytes));
    let mut put = |path: &str, bytes: Vec<u8>| done(path, sink.write(path, &bytes).map(|()| bytes.len() as u64));
    put("data/timeline.csv", csv(g));
    put(".nojekyll", vec![]);
    for (path, bytes) in feeds(g) {
        put(&path, bytes);
    }
    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = &g.config.site_url {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
        put("sitemap.xml", sitemap(g, base).into_bytes());
    }
    put("robots.txt", robots.into_bytes());
    if let Some(c) = &g.config.cname {
        put("CNAME", format!("{c}\n").into_bytes());
    }
}

/// An `io::Write` onto a [`crate::render::Sink::write_stream`] run, counting.
struct Stream<'a, 'b> {
    write: &'a mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    bytes: &'b mut u64,
}

impl std::io::Write for Stream<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (self.write)(buf)?;
        *self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An Atom feed of `articles` (newest first), with ids and links made
/// absolute from `site_url` when the dossier has one.
pub fn feed(g: &SiteGraph, articles: &[usize], title: &str, self_path: &str) -> String {
    use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
    let base = g.config.site_url.clone().unwrap_or_default();
    let id_of = |p: &str| if base.is_empty() { format!("urn:dossier:{p}") } else { format!("{base}{p}") };
    let date = |d: &crate::edtf::Edtf| -> FixedDateTime {
        let (y, m, dd) = d.first_day();
        format!("{y:04}-{m:02}-{dd:02}T00:00:00Z").parse().unwrap_or_default()
    };
    let entries: Vec<Entry> = articles
        .iter()
        .map(|&a| {
            let art = &g.articles[a];
            let path = format!("sources/{}/", art.slug);
            let mut e = Entry::default();
            e.set_id(id_of(&path));
            e.set_title(Text::plain(art.title.clone()));
            e.set_updated(date(&art.published));
            e.set_published(Some(date(&art.published)));
            e.set_summary(Some(Text::plain(art.summary.clone())));
            let mut link = Link::default();
            link.set_href(format!("{base}{path}index.html"));
            e.set_links(vec![link]);
            let author = art.author.clone().unwrap_or_else(|| {
                g.entities.get(g.article_publisher[a]).map_or(art.publisher.id.clone(), |p| p.name.clone())
            });
            let mut person = Person::default();
            person.set_name(author);
            e.set_authors(vec![person]);
            e
        })
        .collect();
    let mut f = Feed::default();
    f.set_id(id_of(self_path));
    f.set_title(Text::plain(title.to_string()));
    f.set_updated(articles.first().map(|&a| date(&g.articles[a].published)).unwrap_or_default());
    let mut me = Link::default();
    me.set_rel("self");
    me.set_href(format!("{base}{self_path}"));
    f.set_links(vec![me]);
    f.set_entries(entries);
    f.to_string()
}

/// Entries per feed: the newest, as feeds usually carry.
pub const FEED_ENTRIES: usize = 50;

/// `feed.xml` and one feed per topic, each of the newest [`FEED_ENTRIES`] sources.
pub fn feeds(g: &SiteGraph) -> Vec<(String, Vec<u8>)> {
    let newest = &g.by_date[..g.by_date.len().min(FEED_ENTRIES)];
    let mut out = vec![("feed.xml".to_string(), feed(g, newest, &g.config.title, "feed.xml").into_bytes())];
    for (t, topic) in g.topics.iter().enumerate() {
        let mut arts = g.topic_articles[t].clone();
        arts.sort_by_key(|&a| g.newest_rank[a]);
        arts.truncate(FEED_ENTRIES);
        let path = format!("topics/{}/feed.xml", topic.id);
        out.push((path.clone(), feed(g, &arts, &format!("{}: {}", g.config.title, topic.title), &path).into_bytes()));
    }
    out
}
