//! Tera templates -> pages. Each page kind gets one `#[derive(Serialize)]`
//! view struct holding references into the graph, never the graph itself:
//! templates get data, not capabilities (see docs/templates.md for the
//! context of each template). tera lives in this module only.
//!
//! Pages are rendered in parallel and handed to a `Sink` one by one as they
//! are done, so memory does not grow with the rendered output.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::frontmatter::EntityKind;
use crate::graph::{entity_path, Discrepancy, Event, Report, SiteGraph};
use crate::text::{label, number, truncate};

/// Where rendered files go: a staging folder, memory (serve), or a link checker.
pub trait Sink: Sync {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()>;

    /// Writes the file made of `parts` in order: a page and the pieces
    /// spliced into it, never joined in memory where the sink need not.
    fn write_parts(&self, path: &str, parts: &[&[u8]]) -> std::io::Result<()> {
        self.write(path, &parts.concat())
    }

    /// Writes the file `produce` makes, handing it a run at a time: a page
    /// whose pieces are rendered only as it is written, never held whole
    /// where the sink need not.
    fn write_stream(&self, path: &str, produce: &mut Produce) -> std::io::Result<()> {
        let mut all = vec![];
        produce(&mut |run| {
            all.extend_from_slice(run);
            Ok(())
        })?;
        self.write(path, &all)
    }
}

/// What [`Sink::write_stream`] is given: it calls its argument with each
/// run of the file in order.
pub type Produce<'a> = dyn FnMut(&mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> + 'a;

/// The templates embedded in the binary; `templates/` in a dossier overrides
/// any of them by name.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("source.html", include_str!("../templates/source.html")),
    ("publisher.html", include_str!("../templates/publisher.html")),
    ("publishers.html", include_str!("../templates/publishers.html")),
    ("topics.html", include_str!("../templates/topics.html")),
    ("topic.html", include_str!("../templates/topic.html")),
    ("entities.html", include_str!("../templates/entities.html")),
    ("entity.html", include_str!("../templates/entity.html")),
    ("timeline.html", include_str!("../templates/timeline.html")),
    ("discrepancies.html", include_str!("../templates/discrepancies.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("404.html", include_str!("../templates/404.html")),
    ("print.html", include_str!("../templates/print.html")),
    ("briefings.html", include_str!("../templates/briefings.html")),
    ("briefing.html", include_str!("../templates/briefing.html")),
    ("event.html", include_str!("../templates/event.html")),
    ("discrepancy.html", include_str!("../templates/discrepancy.html")),
    ("source_line.html", include_str!("../templates/source_line.html")),
    ("entity_chip.html", include_str!("../templates/entity_chip.html")),
];

/// Static files embedded in the binary, written under `assets/`.
pub const DEFAULT_ASSETS: &[(&str, &str)] = &[
    ("style.css", include_str!("../templates/assets/style.css")),
    ("dossier.js", include_str!("../templates/assets/dossier.js")),
    ("favicon.svg", include_str!("../templates/assets/favicon.svg")),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("template `{template}` (rendering {page}): {message}")]
    Template { template: String, page: String, message: String },
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// Builds the template set: embedded defaults, then the dossier's overrides.
pub fn templates(overrides: &[(String, String)]) -> Result<Tera, RenderError> {
    let mut tera = Tera::new();
    tera.autoescape_on(vec![".html", ".xml"]);
    // Tera's default also escapes `/`, which makes every link unreadable.
    tera.set_escape_fn(escape_html);
    tera.add_raw_templates(template_set(overrides).into_iter().collect::<Vec<_>>()).map_err(|e| {
        RenderError::Template {
            template: template_name_of(&e).unwrap_or_else(|| "templates".into()),
            page: "(loading templates)".into(),
            message: tera_message(&e),
        }
    })?;
    Ok(tera)
}

/// The templates by name: the embedded ones, and the dossier's overrides
/// (its `.html` and `.xml` files) over them.
fn template_set(overrides: &[(String, String)]) -> BTreeMap<&str, &str> {
    let mut all: BTreeMap<&str, &str> = DEFAULT_TEMPLATES.iter().copied().collect();
    for (name, text) in overrides {
        if name.ends_with(".html") || name.ends_with(".xml") {
            all.insert(name, text);
        }
    }
    all
}

/// Whether `source.html` (with `overrides` over the embedded templates) and
/// the templates it extends use `content`, the article's HTML, only as
/// `{{ content | safe }}`, and include no other template. Then a source
/// page's `content` can be a marker of a piece ([`Pieces`]) and the HTML
/// go from the article's text straight into the written page, not copied
/// into the context and again into the page: some 10 KB twice for every
/// source (callgrind, 1,000 articles: 1.4 % of a build's instructions,
/// the copies themselves not counted). A template that does anything else
/// with it (a filter, a test, a loop) gets the HTML itself.
fn splices_content(overrides: &[(String, String)]) -> bool {
    let all = template_set(overrides);
    let mut name = "source.html";
    for _ in 0..16 {
        let Some(text) = all.get(name) else { return false };
        let Some(parent) = content_only_safe(text) else { return false };
        match parent {
            Some(p) => name = p,
            None => return true,
        }
    }
    false
}

/// For [`splices_content`]: `None` when template `text` uses `content`
/// other than as `{{ content | safe }}`, includes a template or dumps the
/// context; otherwise the template it extends, if any. Only tags are read
/// (`content="…"` in HTML is not the variable); a tag it cannot follow
/// counts as a use.
fn content_only_safe(text: &str) -> Option<Option<&str>> {
    let mut parent = None;
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let kind = rest[open + 1..].chars().next();
        let close = match kind {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                rest = &rest[open + 1..];
                continue;
            }
        };
        let body_at = open + 2;
        let end = tag_end(&rest[body_at..], close)? + body_at;
        let body = rest[body_at..end].trim_matches(|c: char| c == '-' || c.is_whitespace());
        rest = &rest[end + 2..];
        if kind == Some('#') {
            continue;
        }
        let words: Vec<&str> = body.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')).collect();
        if words.iter().any(|w| *w == "include" || *w == "__tera_context") {
            return None;
        }
        if kind == Some('%') && words.first() == Some(&"extends") {
            let quoted = body["extends".len()..].trim();
            let q = quoted.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            parent = Some(quoted[1..].split(q).next()?);
            continue;
        }
        if words.iter().any(|w| *w == "content" || w.starts_with("content.")) {
            let spaced: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let tight = spaced.replace(" |", "|").replace("| ", "|");
            if !(kind == Some('{') && tight == "content|safe") {
                return None;
            }
        }
    }
    Some(parent)
}

/// Where `close` ends a tag whose body `s` begins, outside its strings.
fn tag_end(s: &str, close: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if s[i..].starts_with(close) => return Some(i),
            None => {}
        }
    }
    None
}

/// Tera's escape function: ours (the same escaping as the Markdown's).
fn escape_html(s: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut written = Ok(());
    crate::text::escape_runs(s, |run| {
        if written.is_ok() {
            written = out.write_all(run.as_bytes());
        }
    });
    written
}

/// The template an error points at (`--> name:line:column`).
fn template_name_of(e: &tera::Error) -> Option<String> {
    let s = e.to_string();
    let at = &s[s.find("--> ")? + 4..];
    let name = at.split(':').next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

// ---------------------------------------------------------------- views

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    authors: &'a [String],
    /// The icon's path from the site root, and its media type.
    favicon: &'a str,
    favicon_type: &'static str,
}

#[derive(Serialize)]
struct SourceCard<'a> {
    slug: &'a str,
    title: &'a str,
    path: Cow<'a, str>,
    publisher: &'a str,
    publisher_path: Cow<'a, str>,
    author: Option<&'a str>,
    date: &'a str,
    iso: &'a str,
    summary: &'a str,
}

#[derive(Serialize)]
struct EntityCard<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'static str,
    path: String,
    role: Option<&'a str>,
    summary: &'a str,
    mentions: usize,
}

#[derive(Serialize)]
struct TopicCard<'a> {
    id: &'a str,
    title: &'a str,
    summary: &'a str,
    path: String,
    sources: usize,
    children: Vec<TopicCard<'a>>,
}

#[derive(Serialize)]
struct Figure {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct ReportView<'a> {
    source: tera::Value,
    /// Link to the cited paragraph, from the site root (or in-document).
    cite: String,
    /// In a briefing: the number of the source's endnote.
    note: Option<usize>,
    paragraph: usize,
    /// The date as this source gives it.
    date: String,
    iso: String,
    quote: &'a str,
    title: &'a str,
    figures: Vec<Figure>,
    claims: Vec<Figure>,
    planned: bool,
    /// Reported before the event happened (a plan), by the two clocks.
    future: bool,
}

#[derive(Serialize)]
struct VersionView<'a> {
    value: &'a str,
    reports: Vec<ReportView<'a>>,
    /// Reports of this version left out (source pages show a few).
    more: usize,
}

/// A disagreement as an event names it: what and where, not the versions.
#[derive(Serialize)]
struct DiscrepancyRef {
    anchor: String,
    path: String,
    kind: &'static str,
    key: String,
}

/// An event in brief, as a source page lists it.
#[derive(Serialize)]
struct EventBrief<'a> {
    id: &'a str,
    path: String,
    title: &'a str,
    date: String,
    iso: String,
    /// How many sources report it, this one included.
    sources: usize,
    disputed: bool,
}

#[derive(Serialize)]
struct DiscrepancyView<'a> {
    anchor: String,
    /// Link to the discrepancy's entry (on the discrepancies page, or in this document).
    path: String,
    event_id: &'a str,
    event_title: &'a str,
    event_path: String,
    kind: &'static str,
    key: String,
    versions: Vec<VersionView<'a>>,
}

#[derive(Serialize)]
struct EventView<'a> {
    id: &'a str,
    anchor: String,
    path: String,
    date: String,
    iso: String,
    year: i32,
    title: &'a str,
    figures: Vec<Figure>,
    reports: Vec<ReportView<'a>>,
    /// How many sources report it (`reports` may hold fewer).
    sources: usize,
    /// Reports left out of `reports` (see [`ENTRY_REPORTS`]).
    more: usize,
    topics: Vec<&'a str>,
    entities: Vec<tera::Value>,
    discrepancies: Vec<DiscrepancyRef>,
}

#[derive(Serialize)]
struct YearView<'a> {
    year: i32,
    events: Vec<EventView<'a>>,
}

/// A year of entries rendered beforehand (`event.html`), as topic and entity
/// pages list them.
#[derive(Serialize)]
struct YearHtml {
    year: i32,
    events: Vec<EntryHtml>,
}

#[derive(Serialize)]
struct EntryHtml {
    /// A marker that [`PageHtml::parts`] replaces with the piece's HTML.
    html: String,
}

#[derive(Serialize)]
struct MentionView<'a> {
    source: tera::Value,
    /// The source in a line (`source_line.html`, rendered once per source
    /// and shared by every page that cites it), for the first of a run.
    line: tera::Value,
    cite: String,
    paragraph: usize,
    sentence: &'a str,
    /// The first of a run of mentions from the same source (a list shows
    /// the source once, its sentences under it).
    source_first: bool,
}

// ---------------------------------------------------------------- builders

/// Where the links of a view point. On the site every page links to other
/// pages; in the printable whole-dossier page and in briefings, what the
/// document itself contains is linked by `#anchor`, the rest as site pages
/// (relative to `root`).
#[derive(Clone, Default)]
pub(crate) enum Links {
    #[default]
    Site,
    /// `/print/`: sources, events, discrepancies and topics are in the page
    /// (the sources' text only when `full`).
    Print { root: String, full: bool },
    /// `/briefings/<id>/`: sources are numbered endnotes (`note[article]`),
    /// events, discrepancies and the selected topics are in the page.
    Briefing { root: String, note: HashMap<usize, usize>, topics: HashSet<usize> },
}

/// Pieces rendered once and shared by many pages, each through a template
/// of its own (so that overriding it changes every page that shows it).
/// `serve` keeps them: after an edit only the pieces of the edited sources
/// and of their events are rendered again ([`Fragments::update`]).
#[derive(Default, Clone)]
pub struct Fragments {
    /// Per event: its timeline entry (`event.html`) for pages two levels
    /// deep (topic and entity pages): an event listed on many such pages
    /// costs one rendering, not one per page.
    entries: Vec<Arc<str>>,
    /// Per event: its entry on the main timeline (anchored, reports open).
    timeline: Vec<Arc<str>>,
    /// Per disagreement: as source pages show it (`discrepancy.html`, a
    /// few reports per version): each is on the page of every source on
    /// its event, about ten at 10,000 articles.
    disagreements: Vec<Arc<str>>,
    /// Per article: the source in a line (`source_line.html`), for pages two
    /// levels deep: source pages list up to 30 others each.
    /// (A safe-string template value: shared, never copied into a page's context.)
    lines: Vec<tera::Value>,
    /// Per article: its card ([`SourceCard`]) as a template value, for pages
    /// that link within the site.
    cards: Vec<tera::Value>,
    /// Per entity and per topic: its card. Made again with every graph
    /// (they hold counts: mentions, sources).
    entity_cards: Vec<tera::Value>,
    topic_cards: Vec<tera::Value>,
    /// Per entity: its chip (`entity_chip.html`) for pages two levels deep,
    /// a safe string: a source page lists some twenty, each on the pages
    /// of every source that names it. Made again with every graph.
    entity_chips: Vec<tera::Value>,
    /// Whether a source page's `content` is a marker for the article's HTML
    /// ([`splices_content`]), spliced in as the page is written.
    content_spliced: bool,
}

/// The root of pages two levels deep (`sources/<slug>/index.html`).
const DEPTH_2: &str = "../../";

impl Fragments {
    /// Renders every piece, in parallel, with what each template cost.
    pub fn render(
        g: &SiteGraph,
        tera: &Tera,
        overrides: &[(String, String)],
    ) -> Result<(Fragments, Vec<TemplateCost>), RenderError> {
        Self::render_every(g, tera, overrides, true)
    }

    /// [`Fragments::render`] for one build: without the main timeline's
    /// entries, which only its page uses (it renders them itself, and lets
    /// them go once written). `serve` keeps them, to reuse after an edit.
    pub fn render_once(
        g: &SiteGraph,
        tera: &Tera,
        overrides: &[(String, String)],
    ) -> Result<(Fragments, Vec<TemplateCost>), RenderError> {
        Self::render_every(g, tera, overrides, false)
    }

    fn render_every(
        g: &SiteGraph,
        tera: &Tera,
        overrides: &[(String, String)],
        main_timeline: bool,
    ) -> Result<(Fragments, Vec<TemplateCost>), RenderError> {
        let events: Vec<usize> = (0..g.events.len()).collect();
        let articles: Vec<usize> = (0..g.articles.len()).collect();
        let discs: Vec<usize> = (0..g.discrepancies.len()).collect();
        let (mut f, costs) = Self::render_some(g, tera, (&events, &articles, &discs), main_timeline)?;
        f.content_spliced = splices_content(overrides);
        Ok((f, costs))
    }

    /// The pieces of `events`, `articles` and disagreements `discs` only
    /// (others left empty).
    fn render_some(
        g: &SiteGraph,
        tera: &Tera,
        (events, articles, discs): (&[usize], &[usize], &[usize]),
        main_timeline: bool,
    ) -> Result<(Fragments, Vec<TemplateCost>), RenderError> {
        let c = Ctx::new(g);
        let err = |template: &str, page: &str| {
            let (template, page) = (template.to_string(), page.to_string());
            move |e: tera::Error| RenderError::Template { template, page, message: tera_message(&e) }
        };
        let shared = |h: &str| -> Arc<str> { Arc::from(h) };
        // A piece kept as a template value (a safe string), with its size.
        let safe = |h: &str| (h.len() as u64, tera::Value::safe_string(h));
        let (entries, t1) =
            c.entries_timed(tera, DEPTH_2, "n-", events, shared).map_err(err("event.html", "(timeline entries)"))?;
        let (timeline, t2) = if main_timeline {
            c.entries_timed(tera, "../", "", events, shared).map_err(err("event.html", "timeline/index.html"))?
        } else {
            (vec![], Spent::default())
        };
        // Each disagreement as source pages show it.
        let (disagreements, t4) = c
            .disagreements_timed(tera, (DEPTH_2, "h3"), discs, SOURCE_PAGE_REPORTS, shared)
            .map_err(err("discrepancy.html", "(source pages' disagreements)"))?;
        // Made for `articles` only, the others left undefined (see `update`).
        let mut cards = vec![tera::Value::undefined(); g.articles.len()];
        for &a in articles {
            cards[a] = c.source(a);
        }
        let (lines, t3) = render_parts(
            tera,
            "source_line.html",
            articles,
            |ctx, a| {
                ctx.insert_value("s", cards[a].clone());
                ctx.insert("root", DEPTH_2);
            },
            safe,
        )
        .map_err(err("source_line.html", "(source lines)"))?;
        let entity_cards: Vec<tera::Value> = (0..g.entities.len()).map(|e| c.entity(e)).collect();
        let every_entity: Vec<usize> = (0..g.entities.len()).collect();
        let (entity_chips, t5) = render_parts(
            tera,
            "entity_chip.html",
            &every_entity,
            |ctx, e| {
                ctx.insert_value("e", entity_cards[e].clone());
                ctx.insert("root", DEPTH_2);
            },
            safe,
        )
        .map_err(err("entity_chip.html", "(entity chips)"))?;
        let bytes = |v: &[Arc<str>]| v.iter().map(|h| h.len() as u64).sum::<u64>();
        let costs = vec![
            TemplateCost::of("entity_chip.html", entity_chips.len(), t5, entity_chips.iter().map(|(n, _)| n).sum()),
            TemplateCost::of("event.html", entries.len() + timeline.len(), t1 + t2, bytes(&entries) + bytes(&timeline)),
            TemplateCost::of("source_line.html", lines.len(), t3, lines.iter().map(|(n, _)| n).sum()),
            TemplateCost::of("discrepancy.html", disagreements.len(), t4, bytes(&disagreements)),
        ];
        // Rendered pieces of `items` in place among `n`, the others `empty`.
        fn spread<T: Clone>(items: &[usize], rendered: Vec<T>, n: usize, empty: T) -> Vec<T> {
            if items.len() == n {
                return rendered;
            }
            let mut all = vec![empty; n];
            for (&i, h) in items.iter().zip(rendered) {
                all[i] = h;
            }
            all
        }
        Ok((
            Fragments {
                entries: spread(events, entries, g.events.len(), Arc::from("")),
                timeline: if main_timeline { spread(events, timeline, g.events.len(), Arc::from("")) } else { vec![] },
                disagreements: spread(discs, disagreements, g.discrepancies.len(), Arc::from("")),
                lines: spread(
                    articles,
                    lines.into_iter().map(|(_, v)| v).collect(),
                    g.articles.len(),
                    tera::Value::safe_string(""),
                ),
                cards,
                entity_cards,
                topic_cards: (0..g.topics.len()).map(|t| c.topic(t)).collect(),
                entity_chips: entity_chips.into_iter().map(|(_, v)| v).collect(),
                content_spliced: false,
            },
            costs,
        ))
    }

    /// The pieces for `new`, a graph relinked after the sources named in
    /// `dirty` (by slug) changed: pieces of other sources and of events none
    /// of them reports are taken from `self` (made for `old`).
    pub fn update(
        &self,
        old: &SiteGraph,
        new: &SiteGraph,
        tera: &Tera,
        dirty: &HashSet<String>,
    ) -> Result<Fragments, RenderError> {
        // Index work over every article and event: fast hashes, and the
        // articles found by binary search.
        let old_event: ahash::AHashMap<&str, usize> =
            old.events.iter().enumerate().map(|(i, e)| (e.id.as_str(), i)).collect();
        let same_articles = old.articles.len() == new.articles.len()
            && old.articles.iter().zip(&new.articles).all(|(o, n)| o.slug == n.slug);
        // An event is dirty when a dirty source reports it, before or after.
        let mut dirty_events: ahash::AHashSet<&str> = ahash::AHashSet::new();
        for g in [old, new] {
            for a in dirty.iter().filter_map(|slug| g.article_by_slug(slug)) {
                dirty_events.extend(g.article_events[a].iter().map(|&e| g.events[e].id.as_str()));
            }
        }
        let mut fresh_e = vec![false; new.events.len()];
        for (e, ev) in new.events.iter().enumerate() {
            fresh_e[e] = dirty_events.contains(ev.id.as_str()) || !old_event.contains_key(ev.id.as_str());
        }
        let fresh_events: Vec<usize> = (0..new.events.len()).filter(|&e| fresh_e[e]).collect();
        // Each new article's index in the old graph, if it was there.
        let old_index: Vec<Option<usize>> = if same_articles {
            (0..new.articles.len()).map(Some).collect()
        } else {
            new.articles.iter().map(|a| old.article_by_slug(&a.slug)).collect()
        };
        let mut fresh_a: Vec<bool> = old_index.iter().map(Option::is_none).collect();
        for a in dirty.iter().filter_map(|slug| new.article_by_slug(slug)) {
            fresh_a[a] = true;
        }
        let fresh_articles: Vec<usize> = (0..new.articles.len()).filter(|&a| fresh_a[a]).collect();
        // A disagreement is known by its event and key; it is made again
        // with its event.
        let old_disc: ahash::AHashMap<(&str, &str), usize> = old
            .discrepancies
            .iter()
            .enumerate()
            .map(|(i, d)| ((old.events[d.event].id.as_str(), d.key.as_str()), i))
            .collect();
        let kept_disc: Vec<Option<usize>> = new
            .discrepancies
            .iter()
            .map(|d| {
                let key = (new.events[d.event].id.as_str(), d.key.as_str());
                old_disc.get(&key).copied().filter(|_| !fresh_e[d.event])
            })
            .collect();
        let fresh_discs: Vec<usize> = (0..kept_disc.len()).filter(|&d| kept_disc[d].is_none()).collect();
        let (mut f, _) = Self::render_some(new, tera, (&fresh_events, &fresh_articles, &fresh_discs), true)?;
        f.content_spliced = self.content_spliced;
        for (e, ev) in new.events.iter().enumerate() {
            if !fresh_e[e] {
                let o = old_event[ev.id.as_str()];
                f.entries[e] = self.entries[o].clone();
                f.timeline[e] = self.timeline[o].clone();
            }
        }
        for (d, kept) in kept_disc.iter().enumerate() {
            if let Some(o) = *kept {
                f.disagreements[d] = self.disagreements[o].clone();
            }
        }
        for (a, o) in old_index.iter().enumerate() {
            if let (false, Some(o)) = (fresh_a[a], *o) {
                f.lines[a] = self.lines[o].clone();
                f.cards[a] = self.cards[o].clone();
            }
        }
        Ok(f)
    }
}

pub(crate) struct Ctx<'g> {
    pub(crate) g: &'g SiteGraph,
    pub(crate) links: Links,
    /// Shared pieces, where the page being rendered can use them.
    frag: Option<&'g Fragments>,
    /// The pieces this page's context names by marker.
    pieces: Arc<Pieces<'g>>,
    /// Lists of entries this page renders itself are rendered as the page
    /// is written, a batch at a time ([`Piece::Later`]): for the pages as
    /// large as the dossier.
    later: bool,
    /// Nanoseconds this thread waited on pieces rendered apart while the
    /// page's context was made ([`Ctx::pieces_now`]): template work, told
    /// apart from the context's in `--timings`.
    rendering_pieces: std::sync::atomic::AtomicU64,
}

/// Pieces of HTML rendered apart (timeline entries, disagreements) that a
/// page's context names by a marker instead of holding: Tera never copies
/// them into its context or output, and the page is assembled once, after
/// rendering ([`PageHtml::parts`]). A page of thousands of entries costs one
/// copy of each, not three.
#[derive(Default)]
pub(crate) struct Pieces<'g> {
    list: std::sync::Mutex<Vec<Piece<'g>>>,
}

pub(crate) enum Piece<'g> {
    Shared(Arc<str>),
    Own(String),
    /// Rendered into the buffer only when the page is written, with the
    /// pieces around it, a batch at a time ([`PageHtml::write_to`]).
    Later(Box<LaterPiece<'g>>),
}

type LaterPiece<'g> = dyn Fn(&mut Vec<u8>) -> Result<(), tera::Error> + Send + Sync + 'g;

/// Pieces rendered later are rendered this many at a time (in parallel),
/// written, and let go.
const LATER_BATCH: usize = 256;

impl Piece<'_> {
    fn as_str(&self) -> &str {
        match self {
            Piece::Shared(s) => s,
            Piece::Own(s) => s,
            Piece::Later(_) => unreachable!("pieces rendered later are written by PageHtml::write_to"),
        }
    }
}

/// One run of a page: text of its own, or the piece a marker stands for.
enum Run<'p, 'g> {
    Text(&'p [u8]),
    Piece(&'p Piece<'g>),
}

/// Markers are `U+FDD0 <nonce>:<n> U+FDD1`: noncharacters around a number
/// no content can know (the nonce is drawn once per process).
const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static NONCE: std::sync::LazyLock<u64> =
        std::sync::LazyLock::new(|| std::collections::hash_map::RandomState::new().build_hasher().finish());
    *NONCE
}

/// What every marker of this process begins with, `{OPEN}{nonce}:`, in a
/// string with room for `more` bytes after it.
fn marker_prefix(more: usize) -> String {
    let mut nonce_digits = itoa::Buffer::new();
    let nonce_digits = nonce_digits.format(nonce());
    let mut prefix = String::with_capacity(OPEN.len_utf8() + nonce_digits.len() + 1 + more);
    prefix.push(OPEN);
    prefix.push_str(nonce_digits);
    prefix.push(':');
    prefix
}

impl<'g> Pieces<'g> {
    /// Keeps `p`; returns the marker that stands for it.
    fn add(&self, p: Piece<'g>) -> String {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.push(p);
        // `{OPEN}{nonce}:{index}{CLOSE}`, without `format!` (a marker for
        // every piece of every page).
        let mut index = itoa::Buffer::new();
        let index = index.format(list.len() - 1);
        let mut marker = marker_prefix(index.len() + CLOSE.len_utf8());
        marker.push_str(index);
        marker.push(CLOSE);
        marker
    }

    fn take(&self) -> Vec<Piece<'g>> {
        std::mem::take(&mut *self.list.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A rendered page: Tera's output, and the pieces its markers stand for.
/// Tera writes text only, and the markers are whole characters: the bytes
/// and the pages made of them are UTF-8 without being checked again.
pub(crate) struct PageHtml<'g> {
    html: Vec<u8>,
    pieces: Vec<Piece<'g>>,
}

impl<'g> PageHtml<'g> {
    /// The page, in order: runs of `html` between markers, and pieces.
    fn runs(&self) -> Vec<Run<'_, 'g>> {
        if self.pieces.is_empty() {
            return vec![Run::Text(&self.html)];
        }
        let prefix = marker_prefix(0);
        let finder = memchr::memmem::Finder::new(prefix.as_bytes());
        let mut close = [0; 4];
        let close = CLOSE.encode_utf8(&mut close).as_bytes();
        let mut out = vec![];
        let mut rest = &self.html[..];
        let mut plain = 0;
        while let Some(at) = finder.find(&rest[plain..]).map(|i| i + plain) {
            let after = &rest[at + prefix.len()..];
            let piece = memchr::memmem::find(after, close).and_then(|end| {
                let n = std::str::from_utf8(&after[..end]).ok()?.parse::<usize>().ok()?;
                Some((self.pieces.get(n)?, end))
            });
            match piece {
                Some((p, end)) => {
                    out.push(Run::Text(&rest[..at]));
                    out.push(Run::Piece(p));
                    rest = &after[end + close.len()..];
                    plain = 0;
                }
                // Not one of ours: kept as text.
                None => plain = at + prefix.len(),
            }
        }
        out.push(Run::Text(rest));
        out.retain(|r| !matches!(r, Run::Text([])));
        out
    }

    /// Whether some pieces are rendered only as the page is written.
    fn has_later(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Later(_)))
    }

    /// The page, in order (no piece of it rendered later).
    fn parts(&self) -> Vec<&[u8]> {
        self.runs()
            .into_iter()
            .map(|r| match r {
                Run::Text(t) => t,
                Run::Piece(p) => p.as_str().as_bytes(),
            })
            .collect()
    }

    /// Hands the page to `write` a run at a time, rendering the pieces
    /// that wait to be ([`Piece::Later`]) a batch at a time, in parallel:
    /// what is held at once is one batch, not the page. Returns the bytes
    /// written; a template's error stops it (in `error`, the write failing).
    fn write_to(
        &self,
        write: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
        error: &mut Option<tera::Error>,
    ) -> std::io::Result<u64> {
        let runs = self.runs();
        let later: Vec<&LaterPiece> = runs
            .iter()
            .filter_map(|r| match r {
                Run::Piece(Piece::Later(f)) => Some(&**f),
                _ => None,
            })
            .collect();
        let (mut next, mut batch) = (0, std::collections::VecDeque::new());
        let mut bytes = 0u64;
        for r in &runs {
            let made;
            let run: &[u8] = match r {
                Run::Text(t) => t,
                Run::Piece(Piece::Later(_)) => {
                    if batch.is_empty() {
                        let end = (next + LATER_BATCH).min(later.len());
                        let made: Result<Vec<Vec<u8>>, tera::Error> = later[next..end]
                            .par_iter()
                            .map(|f| {
                                let mut buf = vec![];
                                f(&mut buf).map(|()| buf)
                            })
                            .collect();
                        next = end;
                        match made {
                            Ok(made) => batch.extend(made),
                            Err(e) => {
                                *error = Some(e);
                                return Err(std::io::Error::other("a template failed"));
                            }
                        }
                    }
                    made = batch.pop_front().expect("a batch is made for each piece");
                    &made
                }
                Run::Piece(p) => p.as_str().as_bytes(),
            };
            write(run)?;
            bytes += run.len() as u64;
        }
        Ok(bytes)
    }

    /// The whole page.
    fn into_bytes(self) -> Result<Vec<u8>, tera::Error> {
        if self.pieces.is_empty() {
            return Ok(self.html);
        }
        let mut out = vec![];
        let mut error = None;
        let written = self.write_to(
            &mut |run| {
                out.extend_from_slice(run);
                Ok(())
            },
            &mut error,
        );
        match (written, error) {
            (_, Some(e)) => Err(e),
            (Ok(_), None) => Ok(out),
            (Err(e), None) => unreachable!("writing to memory does not fail: {e}"),
        }
    }
}

impl<'g> Ctx<'g> {
    pub(crate) fn new(g: &'g SiteGraph) -> Self {
        Self::with_links(g, Links::Site)
    }

    pub(crate) fn with_links(g: &'g SiteGraph, links: Links) -> Self {
        Ctx { g, links, frag: None, pieces: Arc::default(), later: false, rendering_pieces: Default::default() }
    }

    /// A site page path, as seen from the current document.
    fn site(&self, path: String) -> String {
        match &self.links {
            Links::Site => path,
            Links::Print { root, .. } | Links::Briefing { root, .. } => format!("{root}{path}"),
        }
    }

    fn source_path(&self, a: usize) -> String {
        let slug = &self.g.articles[a].slug;
        match &self.links {
            // The card's path, made once per article.
            Links::Site => self.g.cards[a].path.clone(),
            Links::Print { .. } => format!("#s-{slug}"),
            Links::Briefing { root, note, .. } => match note.get(&a) {
                Some(n) => format!("#n{n}"),
                None => format!("{root}sources/{slug}/index.html"),
            },
        }
    }

    /// Where a citation of paragraph `p` of article `a` points.
    fn cite_path(&self, a: usize, p: usize) -> String {
        let slug = &self.g.articles[a].slug;
        match &self.links {
            Links::Print { full: true, .. } => format!("#s-{slug}--p{p}"),
            Links::Briefing { note, .. } if note.contains_key(&a) => format!("#n{}", note[&a]),
            Links::Site => {
                // Pushed onto the card's path (made once per article): a
                // mention or a report is cited this way on every page that
                // lists it, some 400,000 times at 10,000 articles.
                let page = &self.g.cards[a].path;
                let mut n = itoa::Buffer::new();
                let n = n.format(p);
                let mut s = String::with_capacity(page.len() + 2 + n.len());
                s.push_str(page);
                s.push_str("#p");
                s.push_str(n);
                s
            }
            _ => self.site(format!("sources/{slug}/index.html#p{p}")),
        }
    }

    fn event_path(&self, id: &str) -> String {
        match &self.links {
            Links::Site => format!("timeline/index.html#e-{id}"),
            _ => format!("#e-{id}"),
        }
    }

    fn topic_path(&self, t: usize) -> String {
        let id = &self.g.topics[t].id;
        match &self.links {
            Links::Print { .. } => format!("#t-{id}"),
            Links::Briefing { topics, .. } if topics.contains(&t) => format!("#t-{id}"),
            _ => self.site(format!("topics/{id}/index.html")),
        }
    }

    fn source_card(&self, a: usize) -> SourceCard<'g> {
        let art = &self.g.articles[a];
        let card = &self.g.cards[a];
        let p = self.g.article_publisher[a];
        let (publisher, publisher_path) = match self.g.entities.get(p) {
            Some(e) => (e.name.as_str(), self.site_cow(&self.g.publisher_paths[p])),
            None => (art.publisher.id.as_str(), Cow::Borrowed("")),
        };
        SourceCard {
            slug: &art.slug,
            title: &art.title,
            path: match self.links {
                Links::Site => Cow::Borrowed(card.path.as_str()),
                _ => Cow::Owned(self.source_path(a)),
            },
            publisher,
            publisher_path,
            author: art.author.as_deref(),
            date: &card.date,
            iso: &card.iso,
            summary: &art.summary,
        }
    }

    /// Article `a`'s card as a template value: on the site, made once per
    /// build ([`Fragments`]) and shared by every page that lists it (a
    /// Tera 2 value is reference-counted: putting it in a context is a copy
    /// of a pointer, not of its fields).
    fn source(&self, a: usize) -> tera::Value {
        match (self.frag, &self.links) {
            (Some(f), Links::Site) if a < f.cards.len() && !f.cards[a].is_undefined() => f.cards[a].clone(),
            _ => tera::Value::from_serializable(&self.source_card(a)),
        }
    }

    /// Entity `e` as a chip on a page two levels deep (shared).
    fn entity_chip(&self, e: usize) -> tera::Value {
        self.shared_piece(|f| &f.entity_chips, e)
    }

    /// Article `a` in a line, as pages two levels deep show it (shared).
    fn line(&self, a: usize) -> tera::Value {
        self.shared_piece(|f| &f.lines, a)
    }

    /// Item `i` of a list of pieces rendered once ([`Fragments`]); empty
    /// where there are none.
    fn shared_piece(&self, list: impl Fn(&'g Fragments) -> &'g Vec<tera::Value>, i: usize) -> tera::Value {
        self.frag.and_then(|f| list(f).get(i)).cloned().unwrap_or_else(|| tera::Value::safe_string(""))
    }

    /// [`Ctx::site`] of a path the graph holds, borrowed on the site itself.
    fn site_cow(&self, path: &'g str) -> Cow<'g, str> {
        match &self.links {
            Links::Site => Cow::Borrowed(path),
            _ => Cow::Owned(self.site(path.to_string())),
        }
    }

    fn entity_card(&self, e: usize) -> EntityCard<'g> {
        let ent = &self.g.entities[e];
        EntityCard {
            id: &ent.id,
            name: &ent.name,
            kind: ent.kind.as_str(),
            path: self.site(if ent.kind == EntityKind::Publisher {
                format!("publishers/{}/index.html", ent.id)
            } else {
                entity_path(&ent.id)
            }),
            role: ent.role.as_deref(),
            summary: &ent.summary,
            mentions: self.g.entity_mentions[e].len(),
        }
    }

    fn topic_card(&self, t: usize) -> TopicCard<'g> {
        let top = &self.g.topics[t];
        TopicCard {
            id: &top.id,
            title: &top.title,
            summary: &top.summary,
            path: self.topic_path(t),
            sources: self.g.topic_articles[t].len(),
            children: self.g.topic_children[t].iter().map(|&c| self.topic_card(c)).collect(),
        }
    }

    /// Entity `e`'s card as a template value, shared on the site (see [`Ctx::source`]).
    fn entity(&self, e: usize) -> tera::Value {
        match (self.frag, &self.links) {
            (Some(f), Links::Site) if e < f.entity_cards.len() => f.entity_cards[e].clone(),
            _ => tera::Value::from_serializable(&self.entity_card(e)),
        }
    }

    /// The cards of the topics that have no parent, in order.
    fn root_topics(&self) -> impl Iterator<Item = tera::Value> + use<'_, 'g> {
        (0..self.g.topics.len()).filter(|&t| self.g.topic_parent[t].is_none()).map(|t| self.topic(t))
    }

    /// Topic `t`'s card as a template value, shared on the site (see [`Ctx::source`]).
    fn topic(&self, t: usize) -> tera::Value {
        match (self.frag, &self.links) {
            (Some(f), Links::Site) if t < f.topic_cards.len() => f.topic_cards[t].clone(),
            _ => tera::Value::from_serializable(&self.topic_card(t)),
        }
    }

    fn report(&self, r: &Report) -> ReportView<'g> {
        let c = self.g.claim(r);
        let art = &self.g.articles[r.article];
        ReportView {
            source: self.source(r.article),
            cite: self.cite_path(r.article, r.paragraph),
            note: match &self.links {
                Links::Briefing { note, .. } => note.get(&r.article).copied(),
                _ => None,
            },
            paragraph: r.paragraph,
            date: c.date.to_string(),
            iso: c.date.iso_start(),
            quote: &c.quote,
            title: &c.title,
            figures: c.figures.iter().map(|(k, v)| Figure { label: label(k), value: number(*v) }).collect(),
            claims: c.claims.iter().map(|(k, v)| Figure { label: label(k), value: v.clone() }).collect(),
            planned: c.planned,
            future: c.date.first_day() > art.published.last_day(),
        }
    }

    fn discrepancy(&self, d: usize) -> DiscrepancyView<'g> {
        self.discrepancy_capped(d, usize::MAX)
    }

    fn discrepancy_ref(&self, d: usize) -> DiscrepancyRef {
        let disc: &Discrepancy = &self.g.discrepancies[d];
        let ev = &self.g.events[disc.event];
        let anchor = format!("d-{}-{}", ev.id, crate::frontmatter::slugify(&disc.key));
        DiscrepancyRef {
            path: match self.links {
                Links::Site => format!("discrepancies/index.html#{anchor}"),
                _ => format!("#{anchor}"),
            },
            anchor,
            kind: disc.kind.as_str(),
            key: label(&disc.key),
        }
    }

    /// A discrepancy with at most `cap` reports per version.
    fn discrepancy_capped(&self, d: usize, cap: usize) -> DiscrepancyView<'g> {
        let disc: &Discrepancy = &self.g.discrepancies[d];
        let ev = &self.g.events[disc.event];
        let DiscrepancyRef { anchor, path, kind, key } = self.discrepancy_ref(d);
        DiscrepancyView {
            path,
            anchor,
            event_id: &ev.id,
            event_title: &ev.title,
            event_path: self.event_path(&ev.id),
            kind,
            key,
            versions: disc
                .versions
                .iter()
                .map(|(v, rs)| VersionView {
                    value: v,
                    reports: rs.iter().take(cap).map(|&i| self.report(&ev.reports[i])).collect(),
                    more: rs.len().saturating_sub(cap),
                })
                .collect(),
        }
    }

    fn event(&self, e: usize) -> EventView<'g> {
        self.event_capped(e, usize::MAX)
    }

    /// An event with at most `cap` of its reports.
    fn event_capped(&self, e: usize, cap: usize) -> EventView<'g> {
        let ev: &Event = &self.g.events[e];
        // Figures shown on the entry: each key with its first source's value;
        // disagreements are listed separately.
        let mut figs: BTreeMap<&str, f64> = BTreeMap::new();
        for r in &ev.reports {
            for (k, v) in &self.g.claim(r).figures {
                figs.entry(k).or_insert(*v);
            }
        }
        EventView {
            id: &ev.id,
            anchor: format!("e-{}", ev.id),
            path: self.event_path(&ev.id),
            date: ev.date.to_string(),
            iso: ev.date.iso_start(),
            year: ev.date.year(),
            title: &ev.title,
            figures: figs.into_iter().map(|(k, v)| Figure { label: label(k), value: number(v) }).collect(),
            reports: ev.reports.iter().take(cap).map(|r| self.report(r)).collect(),
            sources: ev.reports.len(),
            more: ev.reports.len().saturating_sub(cap),
            topics: ev.topics.iter().map(|&t| self.g.topics[t].id.as_str()).collect(),
            entities: ev.entities.iter().map(|&x| self.entity(x)).collect(),
            discrepancies: ev.discrepancies.iter().map(|&d| self.discrepancy_ref(d)).collect(),
        }
    }

    /// Renders the timeline entries of `events` through `event.html`, in
    /// parallel: a timeline of thousands of events renders as fast as its
    /// entries, not as one huge template context.
    fn entries(&self, tera: &Tera, root: &str, ids: &str, events: &[usize]) -> Result<Vec<String>, tera::Error> {
        self.entries_timed(tera, root, ids, events, str::to_string).map(|(html, _)| html)
    }

    /// [`Ctx::entries`], with the time spent summed over threads.
    fn entries_timed<T: Send>(
        &self,
        tera: &Tera,
        root: &str,
        ids: &str,
        events: &[usize],
        make: impl Fn(&str) -> T + Sync,
    ) -> Result<(Vec<T>, Spent), tera::Error> {
        // An entry that links to the main timeline shows a few of its reports.
        let cap = if ids.is_empty() { usize::MAX } else { ENTRY_REPORTS };
        self.pieces_now(tera, "event.html", events, ("e", |c, e| c.event_capped(e, cap)), root, ("ids", ids), make)
    }

    /// Pieces rendered now, in parallel: `template` once per item, with the
    /// item's view (made by `view`) as `name`, `root`, and one more text by
    /// name ([`Ctx::pieces_later`]'s now), each kept as `make` makes it; the
    /// wait counted as rendering pieces, not as the page's context.
    #[allow(clippy::too_many_arguments)]
    fn pieces_now<T: Send, V: Serialize>(
        &self,
        tera: &Tera,
        template: &str,
        items: &[usize],
        (name, view): (&'static str, impl Fn(&Self, usize) -> V + Sync),
        root: &str,
        (key, text): (&'static str, &str),
        make: impl Fn(&str) -> T + Sync,
    ) -> Result<(Vec<T>, Spent), tera::Error> {
        let started = std::time::Instant::now();
        let fill = |ctx: &mut Context, i: usize| {
            ctx.insert(name, &view(self, i));
            ctx.insert("root", root);
            ctx.insert(key, text);
        };
        let r = render_parts(tera, template, items, fill, make);
        self.rendering_pieces.fetch_add(started.elapsed().as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
        r
    }

    /// Disagreements `discs` rendered through `discrepancy.html` (in
    /// parallel) for a page at `root` that lists them under `heading`, with
    /// at most `cap` reports per version, and the time spent summed over threads.
    fn disagreements_timed<T: Send>(
        &self,
        tera: &Tera,
        (root, heading): (&str, &str),
        discs: &[usize],
        cap: usize,
        make: impl Fn(&str) -> T + Sync,
    ) -> Result<(Vec<T>, Spent), tera::Error> {
        let view = |c: &Self, d| c.discrepancy_capped(d, cap);
        self.pieces_now(tera, "discrepancy.html", discs, ("d", view), root, ("heading", heading), make)
    }

    /// Puts every disagreement into `ctx` as `discrepancies`, each rendered
    /// apart through `discrepancy.html` (in parallel) for a page at `root`
    /// that lists them under `heading`.
    fn discrepancies(&self, ctx: &mut Context, tera: &Tera, root: &str, heading: &str) -> Result<(), tera::Error> {
        let all: Vec<usize> = (0..self.g.discrepancies.len()).collect();
        let (html, _) = self.disagreements_timed(tera, (root, heading), &all, usize::MAX, str::to_string)?;
        let list: Vec<EntryHtml> =
            html.into_iter().map(|h| EntryHtml { html: self.pieces.add(Piece::Own(h)) }).collect();
        ctx.insert("discrepancies", &list);
        Ok(())
    }

    /// [`Ctx::discrepancies`], each rendered only as the page is written.
    fn discrepancies_later(&self, ctx: &mut Context, tera: &'g Tera, root: &str, heading: &str) {
        let all = 0..self.g.discrepancies.len();
        let markers = self.pieces_later(
            tera,
            "discrepancy.html",
            all,
            ("d", |c, d| c.discrepancy(d)),
            root,
            ("heading", heading),
        );
        ctx.insert("discrepancies", &markers.into_iter().map(|html| EntryHtml { html }).collect::<Vec<_>>());
    }

    /// Markers of pieces rendered only as the page is written: `template`
    /// once per item, with the item's view (made by `view`, in this page's
    /// links) as `name`, `root`, and one more text by name.
    fn pieces_later<V: Serialize>(
        &self,
        tera: &'g Tera,
        template: &'static str,
        items: impl IntoIterator<Item = usize>,
        (name, view): (&'static str, impl Fn(&Ctx<'g>, usize) -> V + Copy + Send + Sync + 'g),
        root: &str,
        (key, text): (&'static str, &str),
    ) -> Vec<String> {
        let (g, with) = (self.g, Arc::new((self.links.clone(), root.to_string(), text.to_string())));
        items
            .into_iter()
            .map(|i| {
                let with = with.clone();
                let piece = move |buf: &mut Vec<u8>| {
                    let (links, root, text) = &*with;
                    let mut ctx = Context::new();
                    ctx.insert(name, &view(&Ctx::with_links(g, links.clone()), i));
                    ctx.insert("root", root);
                    ctx.insert(key, text);
                    tera.render_to(template, &ctx, buf)
                };
                self.pieces.add(Piece::Later(Box::new(piece)))
            })
            .collect()
    }

    /// Puts the timeline of `events` into `ctx` as `years`, for a page at
    /// `root` whose template lists it with `ids`: entries rendered once
    /// beforehand when this page can share them, now otherwise.
    fn timeline(
        &self,
        ctx: &mut Context,
        tera: &'g Tera,
        (root, ids): (&str, &str),
        events: impl IntoIterator<Item = usize>,
    ) -> Result<(), tera::Error> {
        let events: Vec<usize> = events.into_iter().collect();
        let shared = match (self.frag, root, ids) {
            (Some(f), DEPTH_2, ids) if !ids.is_empty() => Some(&f.entries),
            (Some(f), "../", "") if !f.timeline.is_empty() => Some(&f.timeline),
            _ => None,
        };
        let html: Vec<String> = match shared {
            Some(shared) => events.iter().map(|&e| self.pieces.add(Piece::Shared(shared[e].clone()))).collect(),
            None if self.later => {
                // An entry that links to the main timeline shows a few of its reports.
                let cap = if ids.is_empty() { usize::MAX } else { ENTRY_REPORTS };
                let view = move |c: &Ctx<'g>, e| c.event_capped(e, cap);
                self.pieces_later(tera, "event.html", events.iter().copied(), ("e", view), root, ("ids", ids))
            }
            None => {
                self.entries(tera, root, ids, &events)?.into_iter().map(|h| self.pieces.add(Piece::Own(h))).collect()
            }
        };
        let mut years: Vec<YearHtml> = vec![];
        for (&e, html) in events.iter().zip(html) {
            let year = self.g.events[e].date.year();
            let entry = EntryHtml { html };
            match years.last_mut() {
                Some(y) if y.year == year => y.events.push(entry),
                _ => years.push(YearHtml { year, events: vec![entry] }),
            }
        }
        ctx.insert("years", &years);
        Ok(())
    }

    fn years(&self, events: impl IntoIterator<Item = usize>) -> Vec<YearView<'g>> {
        let mut years: Vec<YearView> = vec![];
        for e in events {
            let v = self.event(e);
            match years.last_mut() {
                Some(y) if y.year == v.year => y.events.push(v),
                _ => years.push(YearView { year: v.year, events: vec![v] }),
            }
        }
        years
    }

    /// The mentions `list`, each marked when it is the first of a run from
    /// one source: made one at a time as they are serialised, not as a list
    /// of views first (an entity page at 10,000 articles has 500).
    fn mentions<'c>(&'c self, list: &'g [crate::graph::MentionRef]) -> Mentions<'c, 'g> {
        Mentions { c: self, list }
    }

    /// Mention `i` of `list`.
    fn mention(&self, list: &'g [crate::graph::MentionRef], i: usize) -> MentionView<'g> {
        let m = &list[i];
        MentionView {
            source: self.source(m.article as usize),
            line: self.line(m.article as usize),
            cite: self.cite_path(m.article as usize, m.paragraph as usize),
            paragraph: m.paragraph as usize,
            sentence: self.g.mentions[m.article as usize].text(m.start, m.end),
            source_first: i == 0 || list[i - 1].article != m.article,
        }
    }
}

/// A list of mentions as templates see it: a list of [`MentionView`].
struct Mentions<'c, 'g> {
    c: &'c Ctx<'g>,
    list: &'g [crate::graph::MentionRef],
}

impl Serialize for Mentions<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.list.len()))?;
        for i in 0..self.list.len() {
            seq.serialize_element(&self.c.mention(self.list, i))?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------- pages

/// One page to render: its output path, template, and what to put in it.
enum Page {
    Home,
    Source(usize),
    Publishers,
    Publisher(usize),
    Topics,
    Topic(usize),
    Entities,
    Entity(usize),
    Timeline,
    Discrepancies,
    Search,
    NotFound,
    /// The whole dossier on one printable page.
    Print,
    Briefings,
    /// A briefing pack of book.toml, by index.
    Briefing(usize),
}

impl Page {
    fn path(&self, g: &SiteGraph) -> String {
        match self {
            Page::Home => "index.html".into(),
            Page::Source(a) => format!("sources/{}/index.html", g.articles[*a].slug),
            Page::Publishers => "publishers/index.html".into(),
            Page::Publisher(e) => format!("publishers/{}/index.html", g.entities[*e].id),
            Page::Topics => "topics/index.html".into(),
            Page::Topic(t) => format!("topics/{}/index.html", g.topics[*t].id),
            Page::Entities => "entities/index.html".into(),
            Page::Entity(e) => entity_path(&g.entities[*e].id),
            Page::Timeline => "timeline/index.html".into(),
            Page::Discrepancies => "discrepancies/index.html".into(),
            Page::Search => "search/index.html".into(),
            Page::NotFound => "404.html".into(),
            Page::Print => "print/index.html".into(),
            Page::Briefings => "briefings/index.html".into(),
            Page::Briefing(b) => format!("briefings/{}/index.html", g.config.briefings[*b].id),
        }
    }
    fn template(&self) -> &'static str {
        match self {
            Page::Home => "index.html",
            Page::Source(_) => "source.html",
            Page::Publishers => "publishers.html",
            Page::Publisher(_) => "publisher.html",
            Page::Topics => "topics.html",
            Page::Topic(_) => "topic.html",
            Page::Entities => "entities.html",
            Page::Entity(_) => "entity.html",
            Page::Timeline => "timeline.html",
            Page::Discrepancies => "discrepancies.html",
            Page::Search => "search.html",
            Page::NotFound => "404.html",
            Page::Print => "print.html",
            Page::Briefings => "briefings.html",
            Page::Briefing(_) => "briefing.html",
        }
    }
    fn section(&self) -> &'static str {
        match self {
            Page::Home => "home",
            Page::Source(_) | Page::Publishers | Page::Publisher(_) => "sources",
            Page::Topics | Page::Topic(_) => "topics",
            Page::Entities | Page::Entity(_) => "entities",
            Page::Timeline => "timeline",
            Page::Discrepancies => "discrepancies",
            Page::Search => "search",
            Page::NotFound => "",
            Page::Print | Page::Briefings | Page::Briefing(_) => "print",
        }
    }
}

/// Renders `template` once per item, in parallel, each with the context
/// `fill` gives it: the pieces of a long list, rendered apart. Returns them
/// in order, with the time spent summed over threads.
fn render_parts<T: Send>(
    tera: &Tera,
    template: &str,
    items: &[usize],
    fill: impl Fn(&mut Context, usize) + Sync,
    make: impl Fn(&str) -> T + Sync,
) -> Result<(Vec<T>, Spent), tera::Error> {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let (nanos, context) = (AtomicU64::new(0), AtomicU64::new(0));
    // Each piece is rendered into a buffer reused from one piece to the
    // next and kept by `make` at its exact size: no buffer grown (and
    // copied) piece by piece, no spare capacity held.
    let html = items
        .par_iter()
        .map_init(Vec::new, |buf: &mut Vec<u8>, &i| {
            let started = std::time::Instant::now();
            let mut ctx = Context::new();
            fill(&mut ctx, i);
            context.fetch_add(started.elapsed().as_nanos() as u64, Relaxed);
            buf.clear();
            let html = tera
                .render_to(template, &ctx, &mut *buf)
                .map(|()| make(std::str::from_utf8(buf).expect("Tera writes text")));
            nanos.fetch_add(started.elapsed().as_nanos() as u64, Relaxed);
            html
        })
        .collect::<Result<Vec<T>, _>>()?;
    let spent = |a: AtomicU64| std::time::Duration::from_nanos(a.into_inner());
    Ok((html, Spent { time: spent(nanos), context: spent(context) }))
}

fn pages(g: &SiteGraph) -> Vec<Page> {
    let mut v = vec![
        Page::Home,
        Page::Publishers,
        Page::Topics,
        Page::Entities,
        Page::Timeline,
        Page::Discrepancies,
        Page::Search,
        Page::NotFound,
        Page::Print,
        Page::Briefings,
    ];
    v.extend((0..g.config.briefings.len()).map(Page::Briefing));
    v.extend((0..g.articles.len()).map(Page::Source));
    v.extend((0..g.topics.len()).map(Page::Topic));
    for (e, ent) in g.entities.iter().enumerate() {
        v.push(if ent.kind == EntityKind::Publisher { Page::Publisher(e) } else { Page::Entity(e) });
    }
    v
}

/// `../` repeated for the page's depth: every link is relative, so the site
/// works under any sub-path and from `file://`.
pub fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// An article's HTML that could not be read back ([`crate::spill`]): the
/// system's fault, told as such.
fn held_error(e: std::io::Error) -> tera::Error {
    tera::Error::message(format!("could not read an article's HTML back from the build's temporary file: {e}"))
}

fn fill<'g>(ctx: &mut Context, tera: &'g Tera, c: &Ctx<'g>, page: &Page, root: &str) -> Result<(), tera::Error> {
    let g = c.g;
    match *page {
        Page::Home => {
            let latest: Vec<EventView> = g.events.iter().enumerate().rev().take(6).map(|(e, _)| c.event(e)).collect();
            // Key figures: from the events most sources report, newest first.
            let mut order: Vec<usize> = (0..g.events.len()).filter(|&e| !g.events[e].reports.is_empty()).collect();
            order.sort_by(|&a, &b| g.events[b].reports.len().cmp(&g.events[a].reports.len()).then(b.cmp(&a)));
            let mut figures = vec![];
            for e in order {
                let ev = &g.events[e];
                for (k, v) in &g.claim(&ev.reports[0]).figures {
                    figures.push(serde_json::json!({
                        "value": number(*v), "label": label(k), "event": ev.title, "date": ev.date.to_string(),
                        "path": format!("timeline/index.html#e-{}", ev.id),
                        "disputed": ev.discrepancies.iter().any(|&d| g.discrepancies[d].key == *k),
                        "sources": ev.reports.len(),
                    }));
                }
                if figures.len() >= 8 {
                    break;
                }
            }
            figures.truncate(8);
            insert_list(ctx, "topics", c.root_topics());
            ctx.insert("latest", &latest);
            ctx.insert("figures", &figures);
            insert_list(ctx, "sources", g.by_date.iter().take(HOME_SOURCES).map(|&a| c.source(a)));
            ctx.insert("sources_more", &g.by_date.len().saturating_sub(HOME_SOURCES));
            ctx.insert(
                "counts",
                &serde_json::json!({
                    "sources": g.articles.len(), "events": g.events.len(), "entities": g.entities.len(),
                    "topics": g.topics.len(), "discrepancies": g.discrepancies.len(),
                }),
            );
        }
        Page::Source(a) => {
            let art = &g.articles[a];
            let r = &g.rendered[a];
            // Other sources on the same events, newest first; a widely reported
            // event must not make every source page list every other source.
            let mut others: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
            for &e in &g.article_events[a] {
                for rep in &g.events[e].reports {
                    if rep.article != a {
                        others.entry(rep.article).or_default().push(g.events[e].title.as_str());
                    }
                }
            }
            let mut others: Vec<(usize, Vec<&str>)> = others.into_iter().collect();
            others.sort_by_key(|(o, _)| g.newest_rank[*o]);
            let others_more = others.len().saturating_sub(SOURCE_PAGE_OTHERS);
            others.truncate(SOURCE_PAGE_OTHERS);
            // Each disagreement as rendered once for every source page, or here.
            let discs: Vec<usize> =
                g.article_events[a].iter().flat_map(|&e| g.events[e].discrepancies.iter().copied()).collect();
            let events: Vec<EventBrief> = g.article_events[a]
                .iter()
                .map(|&e| {
                    let ev = &g.events[e];
                    EventBrief {
                        id: &ev.id,
                        path: c.event_path(&ev.id),
                        title: &ev.title,
                        date: ev.date.to_string(),
                        iso: ev.date.iso_start(),
                        sources: ev.reports.len(),
                        disputed: !ev.discrepancies.is_empty(),
                    }
                })
                .collect();
            // This article's own statement of each event.
            let own: Vec<ReportView> = g.article_events[a]
                .iter()
                .filter_map(|&e| g.events[e].reports.iter().find(|r| r.article == a).map(|r| c.report(r)))
                .collect();
            ctx.insert_value("source", c.source(a));
            ctx.insert("published_note", &art.published_note);
            ctx.insert("original", &art.original);
            // The path from the site root (or the address), and the link
            // from this page: a template need not test which it is.
            let (original_path, original_href) = if crate::text::is_address(&art.original) {
                (art.original.clone(), art.original.clone())
            } else {
                (format!("originals/{}", art.original), format!("{root}originals/{}", art.original))
            };
            ctx.insert("original_path", &original_path);
            ctx.insert("original_href", &original_href);
            ctx.insert("url", &art.url);
            let html = g.article_html(a).map_err(held_error)?;
            match c.frag {
                // Not copied into the context and again into the page.
                Some(f) if f.content_spliced => ctx.insert("content", &c.pieces.add(Piece::Own(html))),
                _ => ctx.insert("content", &html),
            }
            ctx.insert("paragraphs", &r.paragraph_count);
            insert_list(ctx, "topics", g.article_topics[a].iter().map(|&t| c.topic(t)));
            insert_list(ctx, "entities", g.article_entities[a].iter().map(|&e| c.entity(e)));
            insert_list(ctx, "entity_chips", g.article_entities[a].iter().map(|&e| c.entity_chip(e)));
            ctx.insert("events", &events);
            ctx.insert("own_reports", &own);
            match c.frag {
                Some(f) if f.disagreements.len() == g.discrepancies.len() => {
                    let html = |d: usize| EntryHtml { html: c.pieces.add(Piece::Shared(f.disagreements[d].clone())) };
                    ctx.insert("discrepancies", &discs.into_iter().map(html).collect::<Vec<_>>());
                }
                _ => {
                    let views = |d: usize| c.discrepancy_capped(d, SOURCE_PAGE_REPORTS);
                    ctx.insert("discrepancies", &discs.into_iter().map(views).collect::<Vec<_>>());
                }
            }
            ctx.insert("other_sources_more", &others_more);
            #[derive(Serialize)]
            struct Other<'a> {
                line: tera::Value,
                events: Vec<&'a str>,
            }
            ctx.insert(
                "other_sources",
                &others.into_iter().map(|(o, events)| Other { line: c.line(o), events }).collect::<Vec<_>>(),
            );
        }
        Page::Publishers => {
            let mut pubs: Vec<usize> = g.publisher_articles.keys().copied().collect();
            pubs.extend((0..g.entities.len()).filter(|&e| g.entities[e].kind == EntityKind::Publisher));
            pubs.sort_unstable();
            pubs.dedup();
            let list: Vec<_> = pubs
                .into_iter()
                .map(|e| serde_json::json!({ "entity": c.entity(e), "sources": g.publisher_articles.get(&e).map_or(0, Vec::len) }))
                .collect();
            ctx.insert("publishers", &list);
        }
        Page::Publisher(e) => {
            let mut arts = g.publisher_articles.get(&e).cloned().unwrap_or_default();
            arts.sort_by_key(|&a| g.newest_rank[a]);
            ctx.insert_value("publisher", c.entity(e));
            ctx.insert("url", &g.entities[e].url);
            ctx.insert("content", &g.entity_html[e]);
            insert_list(ctx, "sources", arts.iter().map(|&a| c.source(a)));
            ctx.insert("mentions", &c.mentions(&g.entity_mentions[e]));
        }
        Page::Topics => {
            insert_list(ctx, "topics", c.root_topics());
        }
        Page::Topic(t) => {
            // A topic covers its sub-topics' sources too.
            let mut all = vec![t];
            let mut i = 0;
            while i < all.len() {
                all.extend(g.topic_children[all[i]].iter().copied());
                i += 1;
            }
            let mut arts: Vec<usize> = all.iter().flat_map(|&x| g.topic_articles[x].iter().copied()).collect();
            arts.sort_by_key(|&a| g.newest_rank[a]);
            arts.dedup();
            // Each topic's own events, merged: no pass over every event per topic.
            let mut events: Vec<usize> = all.iter().flat_map(|&x| g.topic_events[x].iter().copied()).collect();
            events.sort_unstable();
            events.dedup();
            let mut people: BTreeMap<usize, usize> = BTreeMap::new();
            for &a in &arts {
                for m in g.mentions[a].iter() {
                    *people.entry(m.entity()).or_default() += 1;
                }
            }
            let mut people: Vec<(usize, usize)> =
                people.into_iter().filter(|(e, _)| g.entities[*e].kind != EntityKind::Publisher).collect();
            people.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            // The most mentioned only: in a large dossier a topic's sources
            // name nearly every entity there is.
            ctx.insert("involved_more", &people.len().saturating_sub(TOPIC_INVOLVED));
            people.truncate(TOPIC_INVOLVED);
            let involved: Vec<_> =
                people.iter().map(|&(e, n)| serde_json::json!({ "entity": c.entity(e), "mentions": n })).collect();
            ctx.insert_value("topic", c.topic(t));
            ctx.insert_value("parent", g.topic_parent[t].map_or_else(tera::Value::none, |p| c.topic(p)));
            ctx.insert("content", &g.topic_html[t]);
            insert_list(ctx, "sources", arts.iter().map(|&a| c.source(a)));
            c.timeline(ctx, tera, (root, "t-"), events)?;
            ctx.insert("involved", &involved);
        }
        Page::Entities => {
            let groups: Vec<_> = EntityKind::ALL
                .iter()
                .filter(|k| **k != EntityKind::Publisher)
                .map(|k| {
                    let list: Vec<tera::Value> =
                        (0..g.entities.len()).filter(|&e| g.entities[e].kind == *k).map(|e| c.entity(e)).collect();
                    serde_json::json!({ "kind": k.as_str(), "title": k.plural(), "entities": list })
                })
                .filter(|v| v["entities"].as_array().is_some_and(|a| !a.is_empty()))
                .collect();
            ctx.insert("groups", &groups);
        }
        Page::Entity(e) => {
            let ent = &g.entities[e];
            ctx.insert_value("entity", c.entity(e));
            ctx.insert("aliases", &ent.aliases);
            ctx.insert("url", &ent.url);
            ctx.insert("content", &g.entity_html[e]);
            ctx.insert("mentions", &c.mentions(&g.entity_mentions[e]));
            insert_list(ctx, "sources", g.entity_articles[e].iter().map(|&a| c.source(a)));
            c.timeline(ctx, tera, (root, "n-"), g.entity_events[e].iter().copied())?;
        }
        Page::Timeline => {
            c.timeline(ctx, tera, (root, ""), 0..g.events.len())?;
            insert_list(ctx, "topics", (0..g.topics.len()).map(|t| c.topic(t)));
        }
        Page::Discrepancies => c.discrepancies(ctx, tera, root, "h2")?,
        Page::Search | Page::NotFound => {}
        Page::Print => fill_print(ctx, tera, c)?,
        Page::Briefings => {
            let list: Vec<_> = g
                .config
                .briefings
                .iter()
                .map(|b| {
                    let sel = crate::briefing::select(g, b);
                    serde_json::json!({
                        "id": b.id, "title": b.title, "audience": b.audience, "summary": b.summary,
                        "path": format!("briefings/{}/index.html", b.id),
                        "events": sel.events.len(), "sources": sel.sources.len(),
                        "discrepancies": sel.discrepancies.len(),
                    })
                })
                .collect();
            ctx.insert("briefings", &list);
        }
        Page::Briefing(b) => fill_briefing(ctx, g, b),
    }
    Ok(())
}

/// In a timeline entry on a topic or entity page: reports shown, at most
/// (the entry links to the main timeline, which has them all).
pub const ENTRY_REPORTS: usize = 3;

/// On a topic page: the people, organisations and places its sources name
/// most, at most.
pub const TOPIC_INVOLVED: usize = 60;

/// On the home page: sources listed, at most (newest first); past this
/// many it links to the publishers, whose pages list every source. (A
/// home page of 10,000 sources was 3.5 MB of HTML.)
pub const HOME_SOURCES: usize = 30;

/// On a source page: other sources on its events, at most (newest first).
pub const SOURCE_PAGE_OTHERS: usize = 30;
/// On a source page: reports shown per version of a disagreement, at most.
pub const SOURCE_PAGE_REPORTS: usize = 5;

/// Sources shown in full on `/print/`; past this many the page lists them
/// and links to their pages instead (a printable page of thousands of
/// articles helps no one and costs memory).
pub const PRINT_FULL_TEXT_MAX: usize = 500;

/// A CSS string literal, for the running headers of printed pages.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '<' | '>' | '&' | '\n' | '\r' => out.push_str(&format!("\\{:x} ", ch as u32)),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Rewrites a page's rendered HTML for a document that holds several of
/// them: its own ids and `#anchors` get the `s-<slug>--` prefix, links to
/// site pages are re-rooted from depth 2 to `root`.
fn localise(html: &str, slug: &str, root: &str) -> String {
    html.replace(" id=\"", &format!(" id=\"s-{slug}--"))
        .replace("href=\"#", &format!("href=\"#s-{slug}--"))
        .replace("href=\"../../", &format!("href=\"{root}"))
        .replace("src=\"../../", &format!("src=\"{root}"))
}

/// Page-level HTML (topic overviews) re-rooted, ids kept apart by `prefix`.
fn reroot(html: &str, prefix: &str, root: &str) -> String {
    html.replace(" id=\"", &format!(" id=\"{prefix}"))
        .replace("href=\"#", &format!("href=\"#{prefix}"))
        .replace("href=\"../../", &format!("href=\"{root}"))
        .replace("src=\"../../", &format!("src=\"{root}"))
}

fn original_path(original: &str) -> String {
    if crate::text::is_address(original) {
        original.to_string()
    } else {
        format!("originals/{original}")
    }
}

fn fill_print<'g>(ctx: &mut Context, tera: &'g Tera, site: &Ctx<'g>) -> Result<(), tera::Error> {
    let g = site.g;
    let root = "../";
    let full = g.articles.len() <= PRINT_FULL_TEXT_MAX;
    let mut c = Ctx::with_links(g, Links::Print { root: root.into(), full });
    // Its pieces are spliced into the page with the page's own; its
    // timeline and disagreements are rendered as it is written.
    c.pieces = site.pieces.clone();
    c.later = true;
    // Views borrowing from the graph, serialised once into the context
    // (not built as JSON first and copied again: this is the largest page).
    #[derive(Serialize)]
    struct PrintTopic {
        topic: tera::Value,
        parent: Option<tera::Value>,
        content: String,
        sources: Vec<tera::Value>,
    }
    #[derive(Serialize)]
    struct PrintSource<'a> {
        source: tera::Value,
        site_path: String,
        published_note: &'a Option<String>,
        url: &'a Option<String>,
        original: &'a str,
        original_path: String,
        content: String,
    }
    // Each source's card as the site has it (made once per build), shared
    // by the topics and the sources that list it: the template links to a
    // source in the page by its slug (`#s-<slug>`).
    let cards: Vec<tera::Value> = (0..g.articles.len()).into_par_iter().map(|a| site.source(a)).collect();
    let topics: Vec<PrintTopic> = (0..g.topics.len())
        .map(|t| {
            let mut arts = g.topic_articles[t].clone();
            arts.sort_by_key(|&a| g.newest_rank[a]);
            PrintTopic {
                topic: c.topic(t),
                parent: g.topic_parent[t].map(|p| c.topic(p)),
                content: reroot(&g.topic_html[t], &format!("t-{}--", g.topics[t].id), root),
                sources: arts.iter().map(|&a| cards[a].clone()).collect(),
            }
        })
        .collect();
    let sources: Vec<PrintSource> = g
        .by_date
        .iter()
        .map(|&a| {
            let art = &g.articles[a];
            Ok(PrintSource {
                source: cards[a].clone(),
                site_path: format!("{root}sources/{}/index.html", art.slug),
                published_note: &art.published_note,
                url: &art.url,
                original: &art.original,
                original_path: if crate::text::is_address(&art.original) {
                    art.original.clone()
                } else {
                    format!("{root}{}", original_path(&art.original))
                },
                content: if full {
                    localise(&g.article_html(a).map_err(held_error)?, &art.slug, root)
                } else {
                    String::new()
                },
            })
        })
        .collect::<Result<_, tera::Error>>()?;
    ctx.insert("running", &css_string(&g.config.title));
    ctx.insert("topics", &topics);
    // The template lists the timeline with root "" and ids "": in-page.
    c.timeline(ctx, tera, ("", ""), 0..g.events.len())?;
    c.discrepancies_later(ctx, tera, "", "h3");
    ctx.insert("sources", &sources);
    ctx.insert("full_text", &full);
    ctx.insert("full_text_max", &PRINT_FULL_TEXT_MAX);
    Ok(())
}

fn fill_briefing(ctx: &mut Context, g: &SiteGraph, b: usize) {
    let root = "../../";
    let brief = &g.config.briefings[b];
    let sel = crate::briefing::select(g, brief);
    let c = Ctx::with_links(
        g,
        Links::Briefing { root: root.into(), note: sel.notes(), topics: sel.topics.iter().copied().collect() },
    );
    let topics: Vec<_> = sel
        .topics
        .iter()
        .map(|&t| serde_json::json!({ "topic": c.topic(t), "site_path": format!("{root}topics/{}/index.html", g.topics[t].id) }))
        .collect();
    let entities: Vec<tera::Value> = sel.entities.iter().map(|&e| c.entity(e)).collect();
    // Key figures: every figure of the selected events, first source's value,
    // events most sources report first.
    let mut order = sel.events.clone();
    order.sort_by(|&a, &b| g.events[b].reports.len().cmp(&g.events[a].reports.len()).then(a.cmp(&b)));
    let mut figures = vec![];
    for e in order {
        let ev = &g.events[e];
        let Some(first) = ev.reports.first() else { continue };
        for (k, v) in &g.claim(first).figures {
            figures.push(serde_json::json!({
                "value": number(*v), "label": label(k), "event": ev.title, "date": ev.date.to_string(),
                "path": format!("#e-{}", ev.id),
                "disputed": ev.discrepancies.iter().any(|&d| g.discrepancies[d].key == *k),
                "sources": ev.reports.len(),
            }));
        }
    }
    figures.truncate(12);
    // Endnotes: each source with the paragraphs the briefing cites.
    let mut cited: HashMap<usize, Vec<usize>> = HashMap::new();
    for &e in &sel.events {
        for r in &g.events[e].reports {
            cited.entry(r.article).or_default().push(r.paragraph);
        }
    }
    let notes: Vec<_> = sel
        .sources
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let art = &g.articles[a];
            let mut paras = cited.remove(&a).unwrap_or_default();
            paras.sort_unstable();
            paras.dedup();
            let page = format!("sources/{}/index.html", art.slug);
            serde_json::json!({
                "n": i + 1,
                "source": Ctx::new(g).source(a),
                "site_path": format!("{root}{page}"),
                "address": g.config.site_url.as_ref().map(|u| format!("{u}sources/{}/", art.slug)),
                "url": art.url,
                "original": art.original,
                "original_path": if crate::text::is_address(&art.original) { art.original.clone() } else { format!("{root}{}", original_path(&art.original)) },
                "paragraphs": paras.iter().map(|p| serde_json::json!({ "n": p, "path": format!("{root}{page}#p{p}") })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let span = match (sel.events.first(), sel.events.last()) {
        (Some(&f), Some(&l)) if f != l => Some(format!("{} – {}", g.events[f].date, g.events[l].date)),
        (Some(&f), _) => Some(g.events[f].date.to_string()),
        _ => None,
    };
    // The cover's date: the newest source cited, so that builds stay reproducible.
    let as_of =
        sel.sources.iter().map(|&a| &g.articles[a].published).max_by_key(|d| d.last_day()).map(|d| d.to_string());
    ctx.insert(
        "briefing",
        &serde_json::json!({
            "id": brief.id, "title": brief.title, "audience": brief.audience, "summary": brief.summary,
            "from": brief.from.as_ref().map(|d| d.to_string()), "to": brief.to.as_ref().map(|d| d.to_string()),
        }),
    );
    ctx.insert(
        "running",
        &css_string(&match &brief.audience {
            Some(a) => format!("{} · {}", brief.title, a),
            None => brief.title.clone(),
        }),
    );
    ctx.insert("span", &span);
    ctx.insert("as_of", &as_of);
    ctx.insert("topics", &topics);
    ctx.insert("entities", &entities);
    ctx.insert("years", &c.years(sel.events.iter().copied()));
    ctx.insert("figures", &figures);
    ctx.insert("discrepancies", &sel.discrepancies.iter().map(|&d| c.discrepancy(d)).collect::<Vec<_>>());
    ctx.insert("notes", &notes);
}

fn page_title(g: &SiteGraph, page: &Page) -> String {
    match *page {
        Page::Home => g.config.title.clone(),
        Page::Source(a) => g.articles[a].title.clone(),
        Page::Publishers => "Publishers".into(),
        Page::Publisher(e) | Page::Entity(e) => g.entities[e].name.clone(),
        Page::Topics => "Topics".into(),
        Page::Topic(t) => g.topics[t].title.clone(),
        Page::Entities => "People, organisations and places".into(),
        Page::Timeline => "Timeline".into(),
        Page::Discrepancies => "Where sources disagree".into(),
        Page::Search => "Search".into(),
        Page::NotFound => "Page not found".into(),
        Page::Print => format!("{}: the whole dossier", g.config.title),
        Page::Briefings => "Briefings".into(),
        Page::Briefing(b) => g.config.briefings[b].title.clone(),
    }
}

fn page_description(g: &SiteGraph, page: &Page) -> String {
    let s = match *page {
        Page::Source(a) => g.articles[a].summary.as_str(),
        Page::Publisher(e) | Page::Entity(e) => g.entities[e].summary.as_str(),
        Page::Topic(t) => g.topics[t].summary.as_str(),
        Page::Briefing(b) => g.config.briefings[b].summary.as_deref().unwrap_or(""),
        _ => g.config.description.as_str(),
    };
    truncate(s, 300)
}

/// What one template cost over a build: pages, time (summed over threads:
/// making each page's context, rendering it and writing it), of that time
/// the contexts' (dossier's work, not the template's), and bytes written.
#[derive(Debug, Clone)]
pub struct TemplateCost {
    pub template: &'static str,
    pub pages: usize,
    pub time: std::time::Duration,
    pub context: std::time::Duration,
    pub bytes: u64,
}

impl TemplateCost {
    fn of(template: &'static str, pages: usize, spent: Spent, bytes: u64) -> TemplateCost {
        TemplateCost { template, pages, time: spent.time, context: spent.context, bytes }
    }
}

/// Time spent making pieces or files, summed over threads: all of it, and
/// of it the making of their contexts (none for generated files).
#[derive(Debug, Clone, Copy, Default)]
struct Spent {
    time: std::time::Duration,
    context: std::time::Duration,
}

impl std::ops::Add for Spent {
    type Output = Spent;
    fn add(self, o: Spent) -> Spent {
        Spent { time: self.time + o.time, context: self.context + o.context }
    }
}

/// Values already made (shared cards, pieces' markers) into the context
/// as one list, moved: a `Vec<Value>` given to [`Context::insert`] is
/// serialised again, each value passed through serde's machinery and
/// cloned (on a source page, 2 µs for its entities alone).
fn insert_list(ctx: &mut Context, key: &'static str, items: impl Iterator<Item = tera::Value>) {
    ctx.insert_value(key, tera::Value::from(items.collect::<Vec<_>>()));
}

/// Renders one page (its context filled in, then its template).
fn render_page<'g>(
    g: &'g SiteGraph,
    tera: &'g Tera,
    frag: &'g Fragments,
    page: &Page,
) -> (String, Result<PageHtml<'g>, RenderError>) {
    render_page_timed(g, tera, frag, page).0
}

/// [`render_page`], and the time its context took to make (not counting
/// the pieces rendered apart meanwhile: those are its templates' work).
fn render_page_timed<'g>(
    g: &'g SiteGraph,
    tera: &'g Tera,
    frag: &'g Fragments,
    page: &Page,
) -> ((String, Result<PageHtml<'g>, RenderError>), std::time::Duration) {
    let started = std::time::Instant::now();
    let mut c = Ctx::new(g);
    c.frag = Some(frag);
    let site = SiteView {
        title: &g.config.title,
        description: &g.config.description,
        language: &g.config.language,
        authors: &g.config.authors,
        favicon: &g.config.favicon,
        favicon_type: crate::config::favicon_type(&g.config.favicon),
    };
    let path = page.path(g);
    let root = if matches!(page, Page::NotFound) { String::new() } else { root_of(&path) };
    let mut ctx = Context::new();
    ctx.insert("site", &site);
    ctx.insert("root", &root);
    ctx.insert("path", &path);
    ctx.insert("section", page.section());
    ctx.insert("title", &page_title(g, page));
    ctx.insert("description", &page_description(g, page));
    ctx.insert("canonical", &g.config.site_url.as_ref().map(|u| format!("{u}{}", path.trim_end_matches("index.html"))));
    ctx.insert("site_url", &g.config.site_url);
    // 404.html is served at any depth: under a sub-path, links resolve from the site's base.
    let base_href = match page {
        Page::NotFound => g
            .config
            .site_url
            .as_deref()
            .and_then(|u| u.split_once("://"))
            .map(|(_, rest)| rest.find('/').map_or("/".to_string(), |i| rest[i..].to_string())),
        _ => None,
    };
    ctx.insert("base_href", &base_href);
    let filled = fill(&mut ctx, tera, &c, page, &root);
    let pieces = std::time::Duration::from_nanos(c.rendering_pieces.load(std::sync::atomic::Ordering::Relaxed));
    let context = started.elapsed().saturating_sub(pieces);
    let rendered = match filled {
        Ok(()) => {
            let mut html = page_buffer(page.template());
            let done = tera.render_to(page.template(), &ctx, &mut html);
            page_made(page.template(), html.len());
            // The context can be as large as the page: let it go first.
            drop(ctx);
            done.map(|()| PageHtml { html, pieces: c.pieces.take() })
        }
        Err(e) => Err(e),
    };
    let rendered = rendered.map_err(|e| RenderError::Template {
        template: page.template().into(),
        page: path.clone(),
        message: tera_message(&e),
    });
    ((path, rendered), context)
}

/// The size each template's last page came to: the next one's buffer
/// starts a little larger, so that a page is rendered into one allocation
/// rather than grown (and copied) a dozen times.
static PAGE_SIZES: std::sync::Mutex<Vec<(&str, usize)>> = std::sync::Mutex::new(Vec::new());

/// The buffer to render a page of `template` into.
fn page_buffer(template: &str) -> Vec<u8> {
    let sizes = PAGE_SIZES.lock().unwrap_or_else(|e| e.into_inner());
    let last = sizes.iter().find(|(t, _)| *t == template).map_or(16 * 1024, |(_, n)| *n);
    Vec::with_capacity(last + last / 8)
}

/// Remembers the size of a page `template` made.
fn page_made(template: &'static str, len: usize) {
    let mut sizes = PAGE_SIZES.lock().unwrap_or_else(|e| e.into_inner());
    match sizes.iter_mut().find(|(t, _)| *t == template) {
        Some((_, n)) => *n = len,
        None => sizes.push((template, len)),
    }
}

/// Every page's path, with what renders it.
pub struct PageIndex {
    pages: HashMap<String, Page>,
    /// The article slugs it was made for, in order: another graph with the
    /// same slugs has the same pages ([`PageIndex::for_graph`]).
    slugs: Vec<String>,
}

impl PageIndex {
    pub fn new(g: &SiteGraph) -> PageIndex {
        PageIndex {
            pages: pages(g).into_iter().map(|p| (p.path(g), p)).collect(),
            slugs: g.articles.iter().map(|a| a.slug.clone()).collect(),
        }
    }

    /// The index of `g`, this one again when `g` (relinked after an edit of
    /// articles) has the same articles.
    pub fn for_graph(self: &std::sync::Arc<Self>, g: &SiteGraph) -> std::sync::Arc<PageIndex> {
        if self.slugs.len() == g.articles.len() && self.slugs.iter().zip(&g.articles).all(|(s, a)| *s == a.slug) {
            self.clone()
        } else {
            std::sync::Arc::new(PageIndex::new(g))
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.pages.contains_key(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.pages.keys().map(String::as_str)
    }
}

/// Renders the file at `path` (a page, the search index or an export) from
/// the graph; `None` when the graph makes no such file.
pub fn render_path(
    g: &SiteGraph,
    tera: &Tera,
    frag: &Fragments,
    index: &PageIndex,
    path: &str,
) -> Option<Result<Vec<u8>, RenderError>> {
    if let Some(page) = index.pages.get(path) {
        let (path, html) = render_page(g, tera, frag, page);
        return Some(html.and_then(|p| {
            p.into_bytes().map_err(|e| RenderError::Template {
                template: page.template().into(),
                page: path,
                message: tera_message(&e),
            })
        }));
    }
    if path == SEARCH_INDEX {
        return Some(Ok(crate::search::index_js(g).into_bytes()));
    }
    crate::export::files(g).into_iter().find(|(p, _)| p == path).map(|(_, b)| Ok(b))
}

/// Where the search index is written.
pub const SEARCH_INDEX: &str = "search/index.js";

/// Small pages are handed to threads at most this many at a time.
const LIGHT_BATCH: usize = 8;

/// Renders every page, the search index, the exports and the assets into
/// `sink`, with the shared pieces ([`Fragments::render`]) already made.
/// Template problems are collected (each naming template and page) rather
/// than stopping at one.
pub fn render_all_with(
    g: &SiteGraph,
    tera: &Tera,
    frag: &Fragments,
    frag_costs: Vec<TemplateCost>,
    sink: &dyn Sink,
    overrides: &[(String, String)],
) -> (Vec<RenderError>, Vec<TemplateCost>) {
    let costs: std::sync::Mutex<BTreeMap<&'static str, TemplateCost>> =
        std::sync::Mutex::new(frag_costs.into_iter().map(|c| (c.template, c)).collect());
    // The few pages as large as the whole dossier (and the search index and
    // exports) are made one at a time, on one thread, while the other
    // threads make the many small pages: what is in memory at once is one
    // large page, not all of them together.
    let (heavy, light): (Vec<Page>, Vec<Page>) = pages(g)
        .into_iter()
        .partition(|p| matches!(p, Page::Print | Page::Home | Page::Timeline | Page::Discrepancies));
    let mut heavy = heavy;
    heavy.sort_by_key(|p| !matches!(p, Page::Print));
    let render_one = |page: &Page| -> Option<RenderError> {
        let started = std::time::Instant::now();
        let ((path, rendered), context) = render_page_timed(g, tera, frag, page);
        let record = |bytes: u64| {
            let mut costs = costs.lock().unwrap_or_else(|e| e.into_inner());
            let cost =
                costs.entry(page.template()).or_insert(TemplateCost::of(page.template(), 0, Spent::default(), 0));
            cost.pages += 1;
            cost.time += started.elapsed();
            cost.context += context;
            cost.bytes += bytes;
        };
        match rendered {
            Ok(html) if html.has_later() => {
                let (mut error, mut bytes) = (None, 0);
                let written = sink.write_stream(&path, &mut |w| {
                    bytes = html.write_to(w, &mut error)?;
                    Ok(())
                });
                record(bytes);
                match (written, error) {
                    (_, Some(e)) => Some(RenderError::Template {
                        template: page.template().into(),
                        page: path,
                        message: tera_message(&e),
                    }),
                    (Err(source), None) => Some(RenderError::Write { path, source }),
                    (Ok(()), None) => None,
                }
            }
            Ok(html) => {
                let parts = html.parts();
                record(parts.iter().map(|p| p.len() as u64).sum());
                sink.write_parts(&path, &parts).err().map(|source| RenderError::Write { path, source })
            }
            Err(e) => {
                record(0);
                Some(e)
            }
        }
    };
    // Each written as soon as it is made, not held until the pages are done.
    let write_all = |files: Vec<(String, Vec<u8>)>, errors: &mut Vec<RenderError>| {
        for (path, bytes) in files {
            if let Err(source) = sink.write(&path, &bytes) {
                errors.push(RenderError::Write { path, source });
            }
        }
    };
    let generated = || -> (Vec<RenderError>, [TemplateCost; 2]) {
        let mut errors = vec![];
        let t = std::time::Instant::now();
        let index = crate::search::index_js(g).into_bytes();
        let made = Spent { time: t.elapsed(), context: std::time::Duration::ZERO };
        let search = TemplateCost::of("(search index)", 1, made, index.len() as u64);
        write_all(vec![(SEARCH_INDEX.to_string(), index)], &mut errors);
        // (Their time is the time to make and write them.)
        let t = std::time::Instant::now();
        let mut export = TemplateCost::of("(exports)", 0, Spent::default(), 0);
        crate::export::write(g, sink, &mut |path, written| match written {
            Ok(n) => {
                export.pages += 1;
                export.bytes += n;
            }
            Err(source) => errors.push(RenderError::Write { path: path.to_string(), source }),
        });
        export.time = t.elapsed();
        (errors, [search, export])
    };
    let (mut errors, (heavy_errors, generated_costs)) = rayon::join(
        // In small batches: a thread that finishes the large pages finds
        // work left to take, not one long run the other thread holds.
        || light.par_iter().with_max_len(LIGHT_BATCH).filter_map(render_one).collect::<Vec<_>>(),
        || {
            // The print page first: the longest, it must not end last.
            let mut errors: Vec<RenderError> = heavy.iter().filter_map(render_one).collect();
            let (generated_errors, costs) = generated();
            errors.extend(generated_errors);
            (errors, costs)
        },
    );
    errors.extend(heavy_errors);

    let mut files: Vec<(String, Vec<u8>)> = vec![];
    let mut assets: BTreeMap<&str, &str> = DEFAULT_ASSETS.iter().copied().collect();
    for (name, text) in overrides {
        if let Some(n) = name.strip_prefix("assets/") {
            assets.insert(n, text);
        }
    }
    for (name, text) in assets {
        files.push((format!("assets/{name}"), text.as_bytes().to_vec()));
    }
    files.push(("assets/highlight.css".into(), crate::markdown::highlight::css().into_bytes()));
    write_all(files, &mut errors);
    let mut costs: Vec<TemplateCost> = costs.into_inner().unwrap_or_else(|e| e.into_inner()).into_values().collect();
    costs.extend(generated_costs);
    costs.sort_by(|a, b| b.time.cmp(&a.time).then(a.template.cmp(b.template)));
    (errors, costs)
}

/// The files whose content can change when the sources named in `slugs`
/// change, as `g` links them: call it on the graph before an edit and on
/// the graph after, and render the union again. Pages of other sources
/// that share an event with one of them are included (they list its report
/// and the disagreements it is part of), and so are the pages of every
/// topic, entity and publisher it or its events touch, with their parents;
/// the lists, timeline, disagreements, print, briefings and search index
/// always are (and the exports, made together: not listed here).
pub fn dependents(g: &SiteGraph, slugs: &HashSet<String>) -> std::collections::BTreeSet<String> {
    let mut out: std::collections::BTreeSet<String> = [
        "index.html",
        "publishers/index.html",
        "topics/index.html",
        "entities/index.html",
        "timeline/index.html",
        "discrepancies/index.html",
        "print/index.html",
        "briefings/index.html",
        SEARCH_INDEX,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.extend(g.config.briefings.iter().map(|b| format!("briefings/{}/index.html", b.id)));
    let mut topics: HashSet<usize> = HashSet::new();
    let mut entities: HashSet<usize> = HashSet::new();
    let mut articles: HashSet<usize> = HashSet::new();
    for a in slugs.iter().filter_map(|s| g.article_by_slug(s)) {
        articles.insert(a);
        topics.extend(g.article_topics[a].iter().copied());
        entities.extend(g.article_entities[a].iter().copied());
        if g.article_publisher[a] != usize::MAX {
            entities.insert(g.article_publisher[a]);
        }
        for &e in &g.article_events[a] {
            let ev = &g.events[e];
            articles.extend(ev.reports.iter().map(|r| r.article));
            topics.extend(ev.topics.iter().copied());
            entities.extend(ev.entities.iter().copied());
        }
    }
    // A topic page lists its sub-topics' sources: its parents change too.
    let mut stack: Vec<usize> = topics.iter().copied().collect();
    while let Some(t) = stack.pop() {
        if let Some(p) = g.topic_parent[t] {
            if topics.insert(p) {
                stack.push(p);
            }
        }
    }
    out.extend(articles.iter().map(|&a| Page::Source(a).path(g)));
    out.extend(topics.iter().map(|&t| Page::Topic(t).path(g)));
    for e in entities {
        let page = if g.entities[e].kind == EntityKind::Publisher { Page::Publisher(e) } else { Page::Entity(e) };
        out.insert(page.path(g));
    }
    out
}

#[cfg(test)]
mod pieces_tests {
    use super::*;

    /// The whole page, as text.
    fn text(page: PageHtml) -> String {
        String::from_utf8(page.into_bytes().unwrap()).unwrap()
    }

    #[test]
    fn content_is_spliced_only_where_every_template_of_a_source_page_prints_it_as_it_is() {
        let with = |files: &[(&str, &str)]| {
            splices_content(&files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect::<Vec<_>>())
        };
        // The embedded templates; `content="…"` in base.html's HTML is not the variable.
        assert!(with(&[]));
        let ok = [
            "{% extends \"base.html\" %}{% block main %}{{ content | safe }}{{- content|safe -}}{% endblock main %}",
            "{% extends 'base.html' %}{% block main %}<meta content=\"x\">{{ t.content }}{# content #}{% endblock main %}",
        ];
        for t in ok {
            assert!(with(&[("source.html", t)]), "{t}");
        }
        let uses = [
            "{{ content | striptags }}",
            "{{ content }}",
            "{% if content %}{{ content | safe }}{% endif %}",
            "{{ content.x }}",
            "{{ content[0] }}",
            "{% set c = content %}",
            "{% include \"other.html\" %}",
            "{{ __tera_context }}",
            "{{ content | safe",
            "{{ \"}}\" ~ content }}",
            "{% if x == '%}' %}{{ content }}{% endif %}",
        ];
        for u in uses {
            let t = format!("{{% extends \"base.html\" %}}{{% block main %}}{u}{{% endblock main %}}");
            assert!(!with(&[("source.html", &t)]), "{t}");
        }
        // What the page extends counts too, however far up.
        let mine = "{% extends \"mine.html\" %}{% block main %}{{ content | safe }}{% endblock main %}";
        assert!(with(&[("source.html", mine), ("mine.html", "{% extends \"base.html\" %}")]));
        assert!(!with(&[("source.html", mine), ("mine.html", "{% extends \"base.html\" %}{{ content | wordcount }}")]));
        assert!(!with(&[("source.html", mine)]), "a parent that is not there");
        assert!(!with(&[("source.html", "{% extends \"source.html\" %}")]), "a loop ends");
    }

    #[test]
    fn markers_become_their_pieces_and_nothing_else_is_touched() {
        let p = Pieces::default();
        let a = p.add(Piece::Own("<li>a</li>".into()));
        let b = p.add(Piece::Shared(Arc::from("<li>b</li>")));
        // A marker-like text without this process's nonce stays as it is.
        let forged = format!("{OPEN}1:0{CLOSE}");
        let html = format!("<ol>{a}{b}{a}</ol><p>{forged}</p>");
        assert_eq!(
            text(PageHtml { html: html.into_bytes(), pieces: p.take() }),
            format!("<ol><li>a</li><li>b</li><li>a</li></ol><p>{forged}</p>")
        );
        // An index it does not hold stays too.
        let unknown = format!("{OPEN}{}:9{CLOSE}", nonce());
        assert_eq!(text(PageHtml { html: unknown.clone().into_bytes(), pieces: p.take() }), unknown);
    }

    #[test]
    fn a_page_is_written_as_its_runs_and_pieces_in_order() {
        let p = Pieces::default();
        let a = p.add(Piece::Own("<li>a</li>".into()));
        let b = p.add(Piece::Shared(Arc::from("<li>b</li>")));
        let forged = format!("{OPEN}1:0{CLOSE}");
        let page = PageHtml { html: format!("{a}<ol>{b}{forged}{a}</ol>").into_bytes(), pieces: p.take() };
        let parts: Vec<&[u8]> = vec![b"<li>a</li>", b"<ol>", b"<li>b</li>", forged.as_bytes(), b"<li>a</li>", b"</ol>"];
        assert_eq!(page.parts(), parts);
        assert_eq!(text(page), format!("<li>a</li><ol><li>b</li>{forged}<li>a</li></ol>"));
        // A page without pieces is one run, as rendered.
        let plain = PageHtml { html: b"<p>x</p>".to_vec(), pieces: vec![] };
        assert_eq!(plain.parts(), vec![b"<p>x</p>"]);
    }

    #[test]
    fn pieces_rendered_later_are_written_in_order_a_batch_at_a_time() {
        let p = Pieces::default();
        let n = LATER_BATCH * 2 + 3;
        let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut html = String::from("<ol>");
        for i in 0..n {
            let made = made.clone();
            let piece = move |buf: &mut Vec<u8>| {
                made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                buf.extend_from_slice(format!("<li>{i}</li>").as_bytes());
                Ok(())
            };
            html.push_str(&p.add(Piece::Later(Box::new(piece))));
            if i % 100 == 0 {
                html.push_str(&p.add(Piece::Own("<hr>".into())));
            }
        }
        html.push_str("</ol>");
        let page = PageHtml { html: html.into_bytes(), pieces: p.take() };
        assert!(page.has_later());
        assert_eq!(made.load(std::sync::atomic::Ordering::Relaxed), 0, "nothing is rendered before it is written");
        // Written a run at a time: the first batch is rendered before the
        // first run after the page's own text, the rest only as needed.
        let mut runs: Vec<String> = vec![];
        let mut made_at_second_run = None;
        let mut error = None;
        let bytes = page
            .write_to(
                &mut |run| {
                    if runs.len() == 2 {
                        made_at_second_run = Some(made.load(std::sync::atomic::Ordering::Relaxed));
                    }
                    runs.push(String::from_utf8(run.to_vec()).unwrap());
                    Ok(())
                },
                &mut error,
            )
            .unwrap();
        assert!(error.is_none());
        assert_eq!(made_at_second_run, Some(LATER_BATCH));
        let expected: String = std::iter::once("<ol>".to_string())
            .chain((0..n).map(|i| format!("<li>{i}</li>{}", if i % 100 == 0 { "<hr>" } else { "" })))
            .chain(std::iter::once("</ol>".to_string()))
            .collect();
        assert_eq!(runs.concat(), expected);
        assert_eq!(bytes as usize, expected.len());
        assert_eq!(text(page), expected);
    }

    #[test]
    fn a_template_error_in_a_piece_rendered_later_stops_the_page_with_it() {
        let p = Pieces::default();
        let ok = p.add(Piece::Own("<p>before</p>".into()));
        let bad = p.add(Piece::Later(Box::new(|_: &mut Vec<u8>| Err(tera::Error::message("no such field")))));
        let page = PageHtml { html: format!("{ok}{bad}<p>after</p>").into_bytes(), pieces: p.take() };
        let mut error = None;
        let written = page.write_to(&mut |_| Ok(()), &mut error);
        assert!(written.is_err());
        assert!(error.unwrap().to_string().contains("no such field"));
        assert!(page.into_bytes().unwrap_err().to_string().contains("no such field"));
    }
}

#[cfg(test)]
mod escape_tests {
    use super::escape_html;

    fn escaped(s: &str) -> String {
        let mut out = vec![];
        escape_html(s, &mut out).expect("a Vec takes every write");
        String::from_utf8(out).expect("UTF-8 in, UTF-8 out")
    }

    proptest::proptest! {
        #[test]
        // Either side of the one-pass check's 256 bytes, with few or no
        // bytes to escape as often as many.
        fn escapes_as_five_replacements(s in "([a-z é/]{0,300}|[a-z &<>\"'é/]{0,300})") {
            let expected = s
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            proptest::prop_assert_eq!(escaped(&s), expected);
        }
    }

    #[test]
    fn long_plain_runs_and_specials_between_them() {
        let plain = "a".repeat(15);
        assert_eq!(escaped(&format!("{plain}<{plain}{plain}&")), format!("{plain}&lt;{plain}{plain}&amp;"));
        assert_eq!(escaped(&"b".repeat(40)), "b".repeat(40));
        for n in [255, 256, 257, 300] {
            assert_eq!(escaped(&format!("{}'", "c".repeat(n))), format!("{}&#39;", "c".repeat(n)));
        }
        assert_eq!(escaped(""), "");
    }
}
