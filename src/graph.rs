//! The link graph: what makes a dossier more than a blog. From the parsed
//! content it computes topics and their sources, entity mentions (one
//! Aho-Corasick pass over each body), the merged timeline, discrepancies and
//! backlinks. Everything is index-based and computed once; render only reads.
//!
//! Cost is linear in the corpus: one automaton pass per article, maps keyed
//! by id, no loop over aliases or pairs of articles.

use std::collections::BTreeSet;

// A fast hash: relinking after an edit in `serve` is mostly lookups.
use ahash::AHashMap as HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diag::{unknown_hint, Diagnostic};
use crate::edtf::Edtf;
use crate::frontmatter::{Article, Entity, EntityKind, EventClaim, Named, Topic};
use crate::markdown::{self, Matcher, RenderOptions, Rendered};
use crate::spill::{Held, Spill};
use crate::text::{fold, number};

/// One report of an event: which article, which of its claims, which paragraph.
#[derive(Debug, Clone)]
pub struct Report {
    pub article: usize,
    pub claim: usize,
    pub paragraph: usize,
}

/// One real event, merged across every source that reports it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    /// The earliest date any source gives: the timeline's sort key.
    pub date: Edtf,
    pub title: String,
    /// Ordered by the article's publication date, then slug.
    pub reports: Vec<Report>,
    pub topics: Vec<usize>,
    pub entities: Vec<usize>,
    pub discrepancies: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiscrepancyKind {
    Date,
    Figure,
    Claim,
}

impl DiscrepancyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscrepancyKind::Date => "date",
            DiscrepancyKind::Figure => "figure",
            DiscrepancyKind::Claim => "name or claim",
        }
    }
}

/// Sources that disagree about one thing of one event.
#[derive(Debug, Clone)]
pub struct Discrepancy {
    pub event: usize,
    pub kind: DiscrepancyKind,
    /// `date`, or the figure or claim key.
    pub key: String,
    /// Each distinct value with the reports (indexes into the event's reports) that give it.
    pub versions: Vec<(String, Vec<usize>)>,
}

/// A mention of an entity: the article, its paragraph, and where its
/// sentence stands in the article's mentions (`mentions[article]`, see
/// [`Mentions::text`]): found when linking, so that an entity page reads
/// each of its hundreds of sentences in one step, not three.
#[derive(Debug, Clone)]
pub struct MentionRef {
    pub article: u32,
    pub paragraph: u32,
    pub start: u32,
    pub end: u32,
}

/// An article's mentions, compact: a quarter of a million at 10,000
/// articles, most sharing their sentence with another. Each sentence is
/// kept once, in one string.
#[derive(Debug, Default)]
pub struct Mentions {
    list: Vec<MentionAt>,
    /// The distinct sentences, one after another; `ends[i]` ends sentence `i`.
    text: String,
    ends: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
pub struct MentionAt {
    entity: u32,
    paragraph: u32,
    sentence: u32,
}

impl MentionAt {
    pub fn entity(&self) -> usize {
        self.entity as usize
    }

    /// 1-based.
    pub fn paragraph(&self) -> usize {
        self.paragraph as usize
    }
}

impl Mentions {
    pub fn new(list: &[crate::markdown::Mention]) -> Mentions {
        let mut m = Mentions::default();
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for x in list {
            let sentence = *seen.entry(x.sentence.as_str()).or_insert_with(|| {
                m.text.push_str(&x.sentence);
                m.ends.push(m.text.len() as u32);
                (m.ends.len() - 1) as u32
            });
            m.list.push(MentionAt { entity: x.entity as u32, paragraph: x.paragraph as u32, sentence });
        }
        m.text.shrink_to_fit();
        m.list.shrink_to_fit();
        m.ends.shrink_to_fit();
        m
    }

    pub fn iter(&self) -> impl Iterator<Item = &MentionAt> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Where the sentence of mention `i` stands, for [`Mentions::text`].
    pub fn sentence_at(&self, i: usize) -> (u32, u32) {
        let s = self.list[i].sentence as usize;
        (if s == 0 { 0 } else { self.ends[s - 1] }, self.ends[s])
    }

    /// The sentence that [`Mentions::sentence_at`] placed at `start..end`.
    pub fn text(&self, start: u32, end: u32) -> &str {
        &self.text[start as usize..end as usize]
    }
}

/// What every article is compiled against: the entities and topics
/// (deduplicated, sorted by id), their pages' HTML, and the automaton of
/// entity names.
#[derive(Clone)]
pub struct Catalogue {
    pub entities: Vec<Entity>,
    pub entity_html: Vec<String>,
    pub topics: Vec<Topic>,
    pub topic_html: Vec<String>,
    pub matcher: Matcher,
    pub trusted_html: bool,
    /// Where the articles' HTML is held until their pages ([`Spill`]).
    pub spill: Option<Arc<Spill>>,
}

/// One article compiled on its own: everything of it that does not depend
/// on the other articles (front matter, HTML, mentions, where each event's
/// quote stands, search text) and the problems found in it. `serve` keeps
/// these, so an edit recompiles one file and relinks.
pub struct Unit {
    pub article: Arc<Article>,
    /// Its HTML is in `html`, not here.
    pub rendered: Arc<Rendered>,
    pub html: Arc<Held>,
    /// The search snippet and words ([`crate::search::source_text`]).
    pub search: Arc<(String, String)>,
    /// Per event claim: the paragraph (1-based) its quote stands in.
    pub quote_paragraph: Vec<Option<usize>>,
    /// Per event claim: the entities named in its quote's paragraph, in
    /// order of mention (an event's entities are its reports' together).
    pub claim_entities: Vec<Vec<usize>>,
    /// Its page and date as lists show them.
    pub card: Arc<CardText>,
    /// The entities it names, in order of first mention.
    pub entities: Vec<usize>,
    /// Its mentions (`rendered.mentions` is emptied).
    pub mentions: Arc<Mentions>,
    pub diags: Vec<Diagnostic>,
}

/// An article's page path and publication date as pages show them, made
/// once rather than on every page that lists the article.
#[derive(Debug, Clone)]
pub struct CardText {
    pub path: String,
    pub date: String,
    pub iso: String,
}

pub struct SiteGraph {
    pub config: Config,
    /// Per article.
    pub cards: Vec<Arc<CardText>>,
    /// Per entity: its page as a publisher (`publishers/<id>/index.html`).
    pub publisher_paths: Vec<String>,
    /// Sorted by slug.
    pub articles: Vec<Arc<Article>>,
    /// Each article's HTML is in `html` ([`SiteGraph::article_html`]).
    pub rendered: Vec<Arc<Rendered>>,
    pub html: Vec<Arc<Held>>,
    /// Sorted by id.
    pub entities: Vec<Entity>,
    pub entity_html: Vec<String>,
    /// Sorted by id.
    pub topics: Vec<Topic>,
    pub topic_html: Vec<String>,
    pub topic_parent: Vec<Option<usize>>,
    pub topic_children: Vec<Vec<usize>>,
    pub article_publisher: Vec<usize>,
    pub article_topics: Vec<Vec<usize>>,
    pub article_entities: Vec<Vec<usize>>,
    pub article_events: Vec<Vec<usize>>,
    pub topic_articles: Vec<Vec<usize>>,
    pub publisher_articles: HashMap<usize, Vec<usize>>,
    pub entity_mentions: Vec<Vec<MentionRef>>,
    /// Per article.
    pub mentions: Vec<Arc<Mentions>>,
    /// Per article: its search snippet and words ([`crate::search::source_text`]).
    /// The paragraphs' own text is emptied once the graph is built.
    pub search_text: Vec<Arc<(String, String)>>,
    pub entity_articles: Vec<Vec<usize>>,
    pub entity_events: Vec<Vec<usize>>,
    /// Per topic: the events its sources report (its own, not its sub-topics'), in timeline order.
    pub topic_events: Vec<Vec<usize>>,
    /// Sorted by date, then id.
    pub events: Vec<Event>,
    pub discrepancies: Vec<Discrepancy>,
    /// Articles ordered newest first (by publication date, then slug).
    pub by_date: Vec<usize>,
    /// Each article's position in `by_date`, to sort by date in O(1) per key.
    pub newest_rank: Vec<usize>,
}

pub fn entity_path(id: &str) -> String {
    format!("entities/{id}/index.html")
}

fn index_of<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<&str, usize> {
    items.iter().enumerate().map(|(i, t)| (id(t), i)).collect()
}

/// Reports duplicate ids (naming both files) and keeps the first of each.
fn dedup<T>(
    items: &mut Vec<T>,
    id: impl Fn(&T) -> &str,
    path: impl Fn(&T) -> &std::path::Path,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    items.sort_by(|a, b| (id(a), path(a)).cmp(&(id(b), path(b))));
    let mut keep: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        if let Some(prev) = keep.last() {
            if id(prev) == id(&item) {
                diags.push(
                    Diagnostic::error(path(&item), 1, 1, format!("duplicate {what} `{}`", id(&item))).with_help(
                        format!("`{}` already uses this id; rename one of the two files", path(prev).display()),
                    ),
                );
                continue;
            }
        }
        keep.push(item);
    }
    *items = keep;
}

/// Deduplicates entities and topics, renders their pages' Markdown and
/// builds the automaton of names every article is matched against.
pub fn catalogue(
    mut entities: Vec<Entity>,
    mut topics: Vec<Topic>,
    trusted_html: bool,
    diags: &mut Vec<Diagnostic>,
) -> Catalogue {
    dedup(&mut entities, |e| &e.id, |e| &e.path, "entity id", diags);
    dedup(&mut topics, |t| &t.id, |t| &t.path, "topic id", diags);
    let matcher = Matcher::new(entities.iter().map(|e| {
        let mut names = vec![e.name.as_str()];
        names.extend(e.aliases.iter().map(String::as_str));
        (entity_path(&e.id), names)
    }));
    let plain = Matcher::empty();
    let page_html = |body: &str| {
        markdown::render(
            body,
            &RenderOptions { root: "../../", matcher: &plain, trusted_html, number_paragraphs: false },
        )
        .html
    };
    let entity_html: Vec<String> = entities.par_iter().map(|e| page_html(&e.body)).collect();
    let topic_html: Vec<String> = topics.par_iter().map(|t| page_html(&t.body)).collect();
    Catalogue { entities, entity_html, topics, topic_html, matcher, trusted_html, spill: Spill::new() }
}

/// Time one article's compilation spent in Markdown, and in the rest of it
/// (quotes, search text): summed by the caller over every article.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnitTimes {
    pub markdown: std::time::Duration,
    pub local: std::time::Duration,
}

/// Compiles one parsed article against the catalogue: its Markdown (with
/// mentions), where each event's quote stands, the two-clock check and its
/// search text. Its Markdown source and paragraphs' text are let go.
pub fn compile_article(mut art: Article, cat: &Catalogue) -> (Unit, UnitTimes) {
    let t = std::time::Instant::now();
    let mut r = markdown::render(
        &art.body,
        &RenderOptions {
            root: "../../",
            matcher: &cat.matcher,
            trusted_html: cat.trusted_html,
            number_paragraphs: true,
        },
    );
    let markdown = t.elapsed();
    let t = std::time::Instant::now();
    art.body = String::new();
    let mut diags = vec![];
    // Paragraphs are folded as the quotes are looked for, in order, and only
    // as far as they must be (every one only for a quote that is not there).
    let mut folded: Vec<Option<String>> = vec![None; r.paragraphs.len()];
    let mut quote_paragraph = Vec::with_capacity(art.events.len());
    for claim in &art.events {
        let q = fold(&claim.quote);
        let q_in = memchr::memmem::Finder::new(q.as_bytes());
        let found = (0..r.paragraphs.len()).find(|&j| {
            let text = folded[j].get_or_insert_with(|| crate::text::fold_collapsed(&r.paragraphs[j].text));
            q_in.find(text.as_bytes()).is_some()
        });
        quote_paragraph.push(found.map(|p| p + 1));
        if found.is_none() {
            let folded: Vec<String> = (0..r.paragraphs.len())
                .map(|j| folded[j].get_or_insert_with(|| crate::text::fold_collapsed(&r.paragraphs[j].text)).clone())
                .collect();
            let hint = closest_paragraph(&q, &folded)
                .map(|p| format!("no paragraph contains it; paragraph {} (line {}) is the closest: copy the words exactly from there", p + 1, r.paragraphs[p].line + art.body_line - 1))
                .unwrap_or_else(|| "the quote must be words of this article's body".into());
            diags.push(
                Diagnostic::error(
                    &art.path,
                    claim.quote_line,
                    1,
                    format!("quote of event `{}` is not in the article", claim.id),
                )
                .with_help(hint),
            );
        }
        let (pub_end, ev_start) = (art.published.last_day(), claim.date.first_day());
        if ev_start > pub_end && !claim.planned && art.published_known {
            diags.push(
                Diagnostic::warning(
                    &art.path,
                    claim.line,
                    1,
                    format!(
                        "event `{}` ({}) is dated after the article was published ({})",
                        claim.id, claim.date, art.published
                    ),
                )
                .with_help("if the article reports a plan, add `planned: true`; otherwise check both dates"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for ev in &art.events {
        if !seen.insert(ev.id.as_str()) {
            diags.push(
                Diagnostic::error(&art.path, ev.line, 1, format!("event `{}` is listed twice in this article", ev.id))
                    .with_help("merge the two entries: one article reports an event once"),
            );
        }
    }
    // The search index needs the paragraphs' text only as its snippet and
    // words: keep those, let the text go (a third of the graph's memory).
    let mut search = crate::search::source_text(&art.summary, &r.paragraphs);
    // Kept until the index is written: at their length, not their capacity.
    search.0.shrink_to_fit();
    search.1.shrink_to_fit();
    // Only their count is used from here on (headings are in the HTML).
    r.paragraphs = vec![];
    r.headings = vec![];
    let card = Arc::new(CardText {
        path: format!("sources/{}/index.html", art.slug),
        date: art.published.to_string(),
        iso: art.published.iso_start(),
    });
    let claim_entities = quote_paragraph
        .iter()
        .map(|p| {
            let mut ents: Vec<usize> = vec![];
            for m in r.mentions.iter().filter(|m| Some(m.paragraph) == *p) {
                if !ents.contains(&m.entity) {
                    ents.push(m.entity);
                }
            }
            ents
        })
        .collect();
    let mut entities: Vec<usize> = vec![];
    for m in &r.mentions {
        if !entities.contains(&m.entity) {
            entities.push(m.entity);
        }
    }
    // The words as written are not shown anywhere: only the sentences stay.
    let mentions = Arc::new(Mentions::new(&std::mem::take(&mut r.mentions)));
    let html = Arc::new(Held::new(std::mem::take(&mut r.html), cat.spill.as_ref()));
    let unit = Unit {
        article: Arc::new(art),
        html,
        rendered: Arc::new(r),
        search: Arc::new(search),
        quote_paragraph,
        claim_entities,
        mentions,
        card,
        entities,
        diags,
    };
    (unit, UnitTimes { markdown, local: t.elapsed() })
}

/// Links compiled articles into the site graph: topics, publishers,
/// mentions both ways, events merged by id, discrepancies, backlinks. Only
/// index work: what one article alone decides is in its [`Unit`].
pub fn link(config: Config, cat: &Catalogue, units: &[Arc<Unit>], diags: &mut Vec<Diagnostic>) -> SiteGraph {
    let mut units: Vec<&Arc<Unit>> = units.iter().collect();
    units.sort_unstable_by(|a, b| (&a.article.slug, &a.article.path).cmp(&(&b.article.slug, &b.article.path)));
    let mut kept: Vec<&Arc<Unit>> = Vec::with_capacity(units.len());
    for u in units {
        if let Some(prev) = kept.last() {
            if prev.article.slug == u.article.slug {
                diags.push(
                    Diagnostic::error(&u.article.path, 1, 1, format!("duplicate article slug `{}`", u.article.slug))
                        .with_help(format!(
                            "`{}` already uses this id; rename one of the two files",
                            prev.article.path.display()
                        )),
                );
                continue;
            }
        }
        diags.extend(u.diags.iter().cloned());
        kept.push(u);
    }
    let units = kept;
    let articles: Vec<Arc<Article>> = units.iter().map(|u| u.article.clone()).collect();
    let rendered: Vec<Arc<Rendered>> = units.iter().map(|u| u.rendered.clone()).collect();
    let html: Vec<Arc<Held>> = units.iter().map(|u| u.html.clone()).collect();
    let mentions: Vec<Arc<Mentions>> = units.iter().map(|u| u.mentions.clone()).collect();
    let search_text: Vec<Arc<(String, String)>> = units.iter().map(|u| u.search.clone()).collect();
    let entities = cat.entities.clone();
    let topics = cat.topics.clone();
    let refs = Refs::new(&entities, &topics);
    let (topic_ix, topic_ids) = (&refs.topic_ix, &refs.topic_ids);
    // Topics: parents, cycles.
    let mut topic_parent = vec![None; topics.len()];
    for (i, t) in topics.iter().enumerate() {
        if let Some(p) = &t.parent {
            match topic_ix.get(p.id.as_str()) {
                Some(&j) if j != i => topic_parent[i] = Some(j),
                Some(_) => diags.push(Diagnostic::error(&t.path, p.line, 1, "a topic cannot be its own parent")),
                None => diags.push(
                    Diagnostic::error(&t.path, p.line, 1, format!("unknown parent topic `{}`", p.id))
                        .with_help_opt(unknown_hint(&p.id, topic_ids.iter().copied())),
                ),
            }
        }
    }
    for (i, t) in topics.iter().enumerate() {
        let mut seen = BTreeSet::from([i]);
        let mut cur = topic_parent[i];
        while let Some(j) = cur {
            if !seen.insert(j) {
                diags.push(
                    Diagnostic::error(
                        &t.path,
                        t.parent.as_ref().map_or(1, |p| p.line),
                        1,
                        "topic parents form a cycle",
                    )
                    .with_help("remove `parent` from one of the topics in the cycle"),
                );
                topic_parent[i] = None;
                break;
            }
            cur = topic_parent[j];
        }
    }
    let mut topic_children = vec![vec![]; topics.len()];
    for (i, p) in topic_parent.iter().enumerate() {
        if let Some(p) = p {
            topic_children[*p].push(i);
        }
    }

    // Mentions both ways on one thread, events and their disagreements on
    // another: the two halves share nothing (an edit in `serve` waits for
    // this whole function).
    let index_mentions = || {
        let mut entity_mentions: Vec<Vec<MentionRef>> = vec![vec![]; entities.len()];
        let article_entities: Vec<Vec<usize>> = units.iter().map(|u| u.entities.clone()).collect();
        for (a, u) in units.iter().enumerate() {
            for (e, m) in mention_refs(a, u) {
                entity_mentions[e].push(m);
            }
        }
        let mut entity_articles = vec![vec![]; entities.len()];
        for (a, ents) in article_entities.iter().enumerate() {
            for &e in ents {
                entity_articles[e].push(a);
            }
        }
        (entity_mentions, article_entities, entity_articles)
    };
    let linked = || {
        let mut diags: Vec<Diagnostic> = vec![];
        // Articles: publisher and topic references.
        let mut article_publisher = vec![usize::MAX; articles.len()];
        let mut article_topics = vec![vec![]; articles.len()];
        let mut topic_articles = vec![vec![]; topics.len()];
        let mut publisher_articles: HashMap<usize, Vec<usize>> = HashMap::new();
        for (a, art) in articles.iter().enumerate() {
            let (publisher, topics) = article_refs(art, &refs, &mut diags);
            if let Some(e) = publisher {
                article_publisher[a] = e;
                publisher_articles.entry(e).or_default().push(a);
            }
            for &ti in &topics {
                topic_articles[ti].push(a);
            }
            article_topics[a] = topics;
        }

        // Events merged by id, each report at the paragraph its quote stands in.
        // (Any order: events are sorted by date and id below.)
        let mut by_id: HashMap<&str, Vec<Report>> = HashMap::new();
        for (a, (art, u)) in articles.iter().zip(&units).enumerate() {
            for (c, claim) in art.events.iter().enumerate() {
                if let Some(p) = u.quote_paragraph[c] {
                    by_id.entry(claim.id.as_str()).or_default().push(Report { article: a, claim: c, paragraph: p });
                }
            }
        }
        // Newest first, then by slug. The articles are in slug order here
        // (sorted and deduplicated above), so the index breaks a tie as the
        // slug would; and the dates' keys are taken once into one array, not
        // read through each article at every comparison (`serve` relinks
        // after every edit, and the articles lie all over the heap).
        let by_date: Vec<usize> = {
            let mut v: Vec<(std::cmp::Reverse<crate::edtf::SortKey>, usize)> =
                articles.iter().enumerate().map(|(a, art)| (std::cmp::Reverse(art.published.sort_key()), a)).collect();
            v.par_sort_unstable();
            v.into_iter().map(|(_, a)| a).collect()
        };
        let rank: Vec<usize> = {
            let mut r = vec![0; articles.len()];
            for (i, &a) in by_date.iter().rev().enumerate() {
                r[a] = i;
            }
            r
        };
        // In parallel: the other half of `link` is shorter, and its thread
        // takes a share of these once it is done.
        let by_id: Vec<(&str, Vec<Report>)> = by_id.into_iter().collect();
        let mut events: Vec<Event> = by_id
            .into_par_iter()
            .map(|(id, reports)| {
                merge_event(id, reports, &rank, &articles, &article_topics, |r| {
                    &units[r.article].claim_entities[r.claim]
                })
            })
            .collect();
        events.par_sort_unstable_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));

        // Discrepancies: same event, different dates (not just precision),
        // figures or claims; found per event in parallel, numbered in order.
        let found: Vec<Vec<Discrepancy>> =
            events.par_iter().enumerate().map(|(e, ev)| discrepancies_of(e, ev, &articles)).collect();
        let discrepancies: Vec<Discrepancy> = found.into_iter().flatten().collect();
        for (d, disc) in discrepancies.iter().enumerate() {
            events[disc.event].discrepancies.push(d);
        }

        let mut article_events = vec![vec![]; articles.len()];
        let mut entity_events = vec![vec![]; entities.len()];
        let mut topic_events = vec![vec![]; topics.len()];
        for (e, ev) in events.iter().enumerate() {
            for r in &ev.reports {
                if !article_events[r.article].contains(&e) {
                    article_events[r.article].push(e);
                }
            }
            for &ent in &ev.entities {
                entity_events[ent].push(e);
            }
            for &t in &ev.topics {
                topic_events[t].push(e);
            }
        }

        Linked {
            diags,
            article_publisher,
            article_topics,
            topic_articles,
            publisher_articles,
            by_date,
            events,
            discrepancies,
            article_events,
            entity_events,
            topic_events,
        }
    };
    let ((entity_mentions, article_entities, entity_articles), l) = rayon::join(index_mentions, linked);
    diags.extend(l.diags);
    unmentioned(&entities, &entity_mentions, &l.publisher_articles, diags);

    // Briefing selections refer to real ids.
    let entity_ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    let slugs: Vec<&str> = articles.iter().map(|a| a.slug.as_str()).collect();
    for b in &config.briefings {
        let checks: [(&Vec<String>, &[&str], &str); 3] =
            [(&b.topics, topic_ids, "topic"), (&b.entities, &entity_ids, "entity"), (&b.sources, &slugs, "source")];
        for (ids, known, what) in checks {
            for id in ids {
                if !known.contains(&id.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            crate::config::FILE,
                            b.line,
                            1,
                            format!("briefing `{}`: unknown {what} `{id}`", b.id),
                        )
                        .with_help_opt(unknown_hint(id, known.iter().copied())),
                    );
                }
            }
        }
    }

    let (entity_html, topic_html) = (cat.entity_html.clone(), cat.topic_html.clone());
    let cards = units.iter().map(|u| u.card.clone()).collect();
    let publisher_paths = entities.iter().map(|e| format!("publishers/{}/index.html", e.id)).collect();
    SiteGraph {
        config,
        html,
        cards,
        publisher_paths,
        articles,
        rendered,
        search_text,
        entities,
        entity_html,
        topics,
        topic_html,
        topic_parent,
        topic_children,
        article_publisher: l.article_publisher,
        article_topics: l.article_topics,
        article_entities,
        article_events: l.article_events,
        topic_articles: l.topic_articles,
        publisher_articles: l.publisher_articles,
        entity_mentions,
        mentions,
        entity_articles,
        entity_events: l.entity_events,
        topic_events: l.topic_events,
        events: l.events,
        discrepancies: l.discrepancies,
        newest_rank: {
            let mut r = vec![0; l.by_date.len()];
            for (i, &a) in l.by_date.iter().enumerate() {
                r[a] = i;
            }
            r
        },
        by_date: l.by_date,
    }
}

/// [`link`] after an edit of one article that keeps its file and its slug,
/// from the graph before it: only the edited article's entries, its
/// entities', topics', publishers' and events' lists are made again, the
/// rest is copied (`serve` relinks this way after most edits, in a few
/// milliseconds where `link` reads every article). `units` holds every
/// article, `edited` among them.
///
/// `None` when the edit changes what this does not follow: the set of
/// articles, the article's publication date (the order of every list by
/// date), the events that exist or their dates (the timeline's order), or
/// when the article has an error; [`link`] then does it all, and reports
/// what is wrong; nothing is added to `diags` then. The result is what
/// [`link`] gives (tested in `tests/it/live.rs`).
pub fn relink(
    old: &SiteGraph,
    units: &std::collections::BTreeMap<std::path::PathBuf, Arc<Unit>>,
    edited: &Arc<Unit>,
    diags: &mut Vec<Diagnostic>,
) -> Option<SiteGraph> {
    let art = &edited.article;
    let a = old.article_by_slug(&art.slug)?;
    let before = &old.articles[a];
    if units.len() != old.articles.len()
        || before.path != art.path
        || before.published.sort_key() != art.published.sort_key()
        || edited.quote_paragraph.iter().any(Option::is_none)
        || edited.diags.iter().any(Diagnostic::is_error)
    {
        return None;
    }
    let refs = Refs::new(&old.entities, &old.topics);
    let mut found = vec![];
    let (publisher, topics) = article_refs(art, &refs, &mut found);
    if !found.is_empty() {
        return None;
    }
    let publisher = publisher?;

    let mut g = SiteGraph {
        config: old.config.clone(),
        cards: old.cards.clone(),
        publisher_paths: old.publisher_paths.clone(),
        articles: old.articles.clone(),
        rendered: old.rendered.clone(),
        html: old.html.clone(),
        entities: old.entities.clone(),
        entity_html: old.entity_html.clone(),
        topics: old.topics.clone(),
        topic_html: old.topic_html.clone(),
        topic_parent: old.topic_parent.clone(),
        topic_children: old.topic_children.clone(),
        article_publisher: old.article_publisher.clone(),
        article_topics: old.article_topics.clone(),
        article_entities: old.article_entities.clone(),
        article_events: old.article_events.clone(),
        topic_articles: old.topic_articles.clone(),
        publisher_articles: old.publisher_articles.clone(),
        entity_mentions: old.entity_mentions.clone(),
        mentions: old.mentions.clone(),
        search_text: old.search_text.clone(),
        entity_articles: old.entity_articles.clone(),
        entity_events: old.entity_events.clone(),
        topic_events: old.topic_events.clone(),
        events: old.events.clone(),
        discrepancies: vec![],
        by_date: old.by_date.clone(),
        newest_rank: old.newest_rank.clone(),
    };
    g.articles[a] = art.clone();
    g.cards[a] = edited.card.clone();
    g.rendered[a] = edited.rendered.clone();
    g.html[a] = edited.html.clone();
    g.mentions[a] = edited.mentions.clone();
    g.search_text[a] = edited.search.clone();

    // Publisher and topics: the article leaves its old lists, joins its new
    // ones (each list in article order).
    let was = old.article_publisher[a];
    if was != publisher {
        if let Some(list) = g.publisher_articles.get_mut(&was) {
            list.retain(|&x| x != a);
            if list.is_empty() {
                g.publisher_articles.remove(&was);
            }
        }
        insert_sorted(g.publisher_articles.entry(publisher).or_default(), a);
        g.article_publisher[a] = publisher;
    }
    for &t in &old.article_topics[a] {
        g.topic_articles[t].retain(|&x| x != a);
    }
    for &t in &topics {
        insert_sorted(&mut g.topic_articles[t], a);
    }
    g.article_topics[a] = topics;

    // Mentions: the article's block in each entity's list (in article order).
    for &e in &old.article_entities[a] {
        g.entity_mentions[e].retain(|m| m.article as usize != a);
        g.entity_articles[e].retain(|&x| x != a);
    }
    for (e, m) in mention_refs(a, edited) {
        let list = &mut g.entity_mentions[e];
        let block_end = list.partition_point(|x| x.article as usize <= a);
        list.insert(block_end, m);
    }
    for &e in &edited.entities {
        insert_sorted(&mut g.entity_articles[e], a);
    }
    g.article_entities[a] = edited.entities.clone();

    // Events: those the article reports, before or after, merged again from
    // their reports; they keep their place in the timeline or this gives up.
    let index: HashMap<&str, usize> = old.events.iter().enumerate().map(|(e, ev)| (ev.id.as_str(), e)).collect();
    let mut touched: Vec<usize> = old.article_events[a].clone();
    for claim in &art.events {
        touched.push(*index.get(claim.id.as_str())?);
    }
    touched.sort_unstable();
    touched.dedup();
    let rank: Vec<usize> = old.newest_rank.iter().map(|&r| old.articles.len() - 1 - r).collect();
    let unit_of = |article: usize| -> &Unit {
        if article == a {
            edited
        } else {
            &units[&g.articles[article].path]
        }
    };
    let mut merged = vec![];
    for &e in &touched {
        let ev = &old.events[e];
        // In article order, as `link` gathers them (an article reports an
        // event once).
        let mut reports: Vec<Report> = ev.reports.iter().filter(|r| r.article != a).cloned().collect();
        for (c, claim) in art.events.iter().enumerate() {
            if claim.id == ev.id {
                let paragraph = edited.quote_paragraph[c].expect("every quote found");
                reports.push(Report { article: a, claim: c, paragraph });
            }
        }
        if reports.is_empty() {
            return None;
        }
        reports.sort_by_key(|r| r.article);
        let new = merge_event(&ev.id, reports, &rank, &g.articles, &g.article_topics, |r| {
            &unit_of(r.article).claim_entities[r.claim]
        });
        if new.date.sort_key() != ev.date.sort_key() {
            return None;
        }
        merged.push((e, new));
    }
    for (e, new) in merged {
        let ev = &old.events[e];
        for &t in &ev.topics {
            g.topic_events[t].retain(|&x| x != e);
        }
        for &t in &new.topics {
            insert_sorted(&mut g.topic_events[t], e);
        }
        for &x in &ev.entities {
            g.entity_events[x].retain(|&y| y != e);
        }
        for &x in &new.entities {
            insert_sorted(&mut g.entity_events[x], e);
        }
        g.events[e] = new;
    }
    g.article_events[a] =
        touched.iter().copied().filter(|&e| g.events[e].reports.iter().any(|r| r.article == a)).collect();

    // Disagreements: those of the touched events found again, all numbered
    // again in timeline order.
    let mut discrepancies = Vec::with_capacity(old.discrepancies.len());
    for e in 0..g.events.len() {
        let found = if touched.binary_search(&e).is_ok() {
            discrepancies_of(e, &g.events[e], &g.articles)
        } else {
            old.events[e].discrepancies.iter().map(|&d| old.discrepancies[d].clone()).collect()
        };
        g.events[e].discrepancies = (discrepancies.len()..discrepancies.len() + found.len()).collect();
        discrepancies.extend(found);
    }
    g.discrepancies = discrepancies;

    for u in units.values() {
        diags.extend(u.diags.iter().cloned());
    }
    unmentioned(&g.entities, &g.entity_mentions, &g.publisher_articles, diags);
    Some(g)
}

/// Puts `x` into the ascending `list`, once.
fn insert_sorted(list: &mut Vec<usize>, x: usize) {
    if let Err(i) = list.binary_search(&x) {
        list.insert(i, x);
    }
}

/// What an article's `publisher` and `topics` are looked up in.
struct Refs<'a> {
    entities: &'a [Entity],
    entity_ix: HashMap<&'a str, usize>,
    topic_ix: HashMap<&'a str, usize>,
    publisher_ids: Vec<&'a str>,
    topic_ids: Vec<&'a str>,
}

impl<'a> Refs<'a> {
    fn new(entities: &'a [Entity], topics: &'a [Topic]) -> Refs<'a> {
        Refs {
            entities,
            entity_ix: index_of(entities, |e| &e.id),
            topic_ix: index_of(topics, |t| &t.id),
            publisher_ids: entities.iter().filter(|e| e.kind == EntityKind::Publisher).map(|e| e.id.as_str()).collect(),
            topic_ids: topics.iter().map(|t| t.id.as_str()).collect(),
        }
    }
}

/// An article's publisher (an entity of kind publisher) and its topics,
/// each once, in the order it names them; an unknown id is an error.
fn article_refs(art: &Article, refs: &Refs, diags: &mut Vec<Diagnostic>) -> (Option<usize>, Vec<usize>) {
    let mut publisher = None;
    match refs.entity_ix.get(art.publisher.id.as_str()) {
        Some(&e) if refs.entities[e].kind == EntityKind::Publisher => publisher = Some(e),
        Some(&e) => diags.push(
            Diagnostic::error(
                &art.path,
                art.publisher.line,
                1,
                format!("`{}` is a {}, not a publisher", art.publisher.id, refs.entities[e].kind.as_str()),
            )
            .with_help_opt(unknown_hint(&art.publisher.id, refs.publisher_ids.iter().copied())),
        ),
        None => diags.push(
            Diagnostic::error(&art.path, art.publisher.line, 1, format!("unknown publisher `{}`", art.publisher.id))
                .with_help(
                    unknown_hint(&art.publisher.id, refs.publisher_ids.iter().copied()).unwrap_or_else(|| {
                        format!("add content/entities/{}.md with `kind: publisher`", art.publisher.id)
                    }),
                ),
        ),
    }
    let mut topics = vec![];
    for t in &art.topics {
        match refs.topic_ix.get(t.id.as_str()) {
            Some(&ti) => {
                if !topics.contains(&ti) {
                    topics.push(ti);
                }
            }
            None => diags.push(
                Diagnostic::error(&art.path, t.line, 1, format!("unknown topic `{}`", t.id)).with_help(
                    unknown_hint(&t.id, refs.topic_ids.iter().copied())
                        .unwrap_or_else(|| format!("add content/topics/{}.md", t.id)),
                ),
            ),
        }
    }
    (publisher, topics)
}

/// Article `a`'s mentions as its entities' pages list them.
fn mention_refs(a: usize, u: &Unit) -> impl Iterator<Item = (usize, MentionRef)> + '_ {
    u.mentions.iter().enumerate().map(move |(index, m)| {
        let (start, end) = u.mentions.sentence_at(index);
        (m.entity(), MentionRef { article: a as u32, paragraph: m.paragraph, start, end })
    })
}

/// One event from its reports (in article order): the reports ordered by
/// their articles' publication (`rank`: 0 is the oldest; a tie keeps that
/// order), its earliest date, the title of the first report, its
/// reporters' topics and the entities named in its quotes' paragraphs
/// (`claim_entities` of a report).
fn merge_event<'u>(
    id: &str,
    mut reports: Vec<Report>,
    rank: &[usize],
    articles: &[Arc<Article>],
    article_topics: &[Vec<usize>],
    claim_entities: impl Fn(&Report) -> &'u [usize],
) -> Event {
    reports.sort_by_key(|r| (rank[r.article], r.article));
    let claim = |r: &Report| &articles[r.article].events[r.claim];
    let date = reports.iter().map(|r| claim(r).date.clone()).min().expect("an event has a report");
    let title = claim(&reports[0]).title.clone();
    let mut topics: Vec<usize> = reports.iter().flat_map(|r| article_topics[r.article].iter().copied()).collect();
    topics.sort_unstable();
    topics.dedup();
    let mut ents: Vec<usize> = vec![];
    for r in &reports {
        for &e in claim_entities(r) {
            if !ents.contains(&e) {
                ents.push(e);
            }
        }
    }
    Event { id: id.to_string(), date, title, reports, topics, entities: ents, discrepancies: vec![] }
}

/// The disagreements of event `e`: dates that do not overlap (not just
/// another precision), then figures, then claims, each key once.
fn discrepancies_of(e: usize, ev: &Event, articles: &[Arc<Article>]) -> Vec<Discrepancy> {
    let mut discrepancies = vec![];
    if ev.reports.len() < 2 {
        return discrepancies;
    }
    let claims: Vec<&EventClaim> = ev.reports.iter().map(|r| &articles[r.article].events[r.claim]).collect();
    let dates: Vec<&Edtf> = claims.iter().map(|c| &c.date).collect();
    let disagree = dates.iter().enumerate().any(|(i, a)| dates[i + 1..].iter().any(|b| !a.overlaps(b)));
    if disagree {
        discrepancies.push(Discrepancy {
            event: e,
            kind: DiscrepancyKind::Date,
            key: "date".into(),
            versions: versions(dates.iter().map(|d| d.to_string())),
        });
    }
    keyed_discrepancies(e, DiscrepancyKind::Figure, &claims, |c| &c.figures, |n| number(*n), &mut discrepancies);
    keyed_discrepancies(e, DiscrepancyKind::Claim, &claims, |c| &c.claims, String::clone, &mut discrepancies);
    discrepancies
}

/// A warning for each entity that no article mentions and none is published by.
fn unmentioned(
    entities: &[Entity],
    entity_mentions: &[Vec<MentionRef>],
    publisher_articles: &HashMap<usize, Vec<usize>>,
    diags: &mut Vec<Diagnostic>,
) {
    for (e, ent) in entities.iter().enumerate() {
        if entity_mentions[e].is_empty() && !publisher_articles.contains_key(&e) {
            diags.push(
                Diagnostic::warning(&ent.path, 1, 1, format!("no article mentions `{}`", ent.name))
                    .with_help("add the spelling the articles use to `aliases`, or remove the entity"),
            );
        }
    }
}

/// The half of [`link`] that merges events.
struct Linked {
    diags: Vec<Diagnostic>,
    article_publisher: Vec<usize>,
    article_topics: Vec<Vec<usize>>,
    topic_articles: Vec<Vec<usize>>,
    publisher_articles: HashMap<usize, Vec<usize>>,
    by_date: Vec<usize>,
    events: Vec<Event>,
    discrepancies: Vec<Discrepancy>,
    article_events: Vec<Vec<usize>>,
    entity_events: Vec<Vec<usize>>,
    topic_events: Vec<Vec<usize>>,
}

/// The disagreements of event `e` over each key of one kind (figures or
/// claims) that any of its reports' `claims` names, the values as `show`
/// writes them, in key order.
fn keyed_discrepancies<V>(
    e: usize,
    kind: DiscrepancyKind,
    claims: &[&EventClaim],
    named: impl Fn(&EventClaim) -> &Named<V>,
    show: impl Fn(&V) -> String,
    out: &mut Vec<Discrepancy>,
) {
    let keys: BTreeSet<&str> = claims.iter().flat_map(|c| named(c).keys().map(String::as_str)).collect();
    for k in keys {
        let vals: Vec<Option<String>> = claims.iter().map(|c| named(c).get(k).map(&show)).collect();
        if let Some(versions) = versions_of(&vals) {
            out.push(Discrepancy { event: e, kind, key: k.to_string(), versions });
        }
    }
}

/// Groups values in first-seen order; `None` when they all agree.
fn versions_of(vals: &[Option<String>]) -> Option<Vec<(String, Vec<usize>)>> {
    // Each value folded once (a widely reported event has thousands).
    let given: Vec<(usize, &String, String)> =
        vals.iter().enumerate().filter_map(|(i, v)| v.as_ref().map(|v| (i, v, fold(v)))).collect();
    let first = &given.first()?.2;
    if given.iter().all(|(_, _, f)| f == first) {
        return None;
    }
    let mut out: Vec<(String, Vec<usize>)> = vec![];
    let mut folded: Vec<&str> = vec![];
    for (i, v, f) in &given {
        match folded.iter().position(|x| x == f) {
            Some(k) => out[k].1.push(*i),
            None => {
                folded.push(f);
                out.push(((*v).clone(), vec![*i]));
            }
        }
    }
    Some(out)
}

fn versions(vals: impl Iterator<Item = String>) -> Vec<(String, Vec<usize>)> {
    let vals: Vec<Option<String>> = vals.map(Some).collect();
    versions_of(&vals).unwrap_or_default()
}

/// The paragraph sharing the most words with `q`, for a hint.
fn closest_paragraph(q: &str, paragraphs: &[String]) -> Option<usize> {
    let words: BTreeSet<&str> = q.split_whitespace().collect();
    paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.split_whitespace().filter(|w| words.contains(w)).count(), i))
        .filter(|(n, _)| *n * 2 >= words.len().max(1))
        .max_by_key(|&(n, i)| (n, std::cmp::Reverse(i)))
        .map(|(_, i)| i)
}

impl SiteGraph {
    /// The index of the article `slug` names (the articles are sorted by
    /// slug, so this is a binary search).
    pub fn article_by_slug(&self, slug: &str) -> Option<usize> {
        self.articles.binary_search_by(|a| a.slug.as_str().cmp(slug)).ok()
    }

    /// Article `a`'s rendered HTML, read back from where it is held.
    pub fn article_html(&self, a: usize) -> std::io::Result<String> {
        self.html[a].text()
    }

    pub fn claim(&self, r: &Report) -> &crate::frontmatter::EventClaim {
        &self.articles[r.article].events[r.claim]
    }
}
