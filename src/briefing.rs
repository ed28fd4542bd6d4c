//! Briefing packs: what a `[[briefings]]` entry of book.toml selects.
//!
//! The rules (also in docs/briefings.md):
//!
//! - a selected topic brings its sub-topics;
//! - an event is in the briefing when it is on a selected topic, involves a
//!   selected entity, or is reported by a selected source; with no topic,
//!   entity or source given, every event is;
//! - `from`/`to` then keep the events whose date falls in the range (an
//!   event dated "May 2019" is in a range that touches May 2019);
//! - the sources cited are the selected sources and every source reporting a
//!   selected event; without a date range, also the sources on the selected
//!   topics and those mentioning the selected entities. They are numbered as
//!   endnotes in the order the briefing first cites them: the timeline first,
//!   then the remaining ones newest first.

use std::collections::{BTreeSet, HashMap};

use crate::config::Briefing;
use crate::graph::SiteGraph;

/// What one briefing covers, as indexes into the graph.
#[derive(Debug, Default)]
pub struct Selection {
    /// The selected topics with their descendants, in id order.
    pub topics: Vec<usize>,
    pub entities: Vec<usize>,
    /// In timeline order.
    pub events: Vec<usize>,
    /// In graph order.
    pub discrepancies: Vec<usize>,
    /// Endnote order: `sources[0]` is note 1.
    pub sources: Vec<usize>,
}

impl Selection {
    /// Endnote number of each cited article.
    pub fn notes(&self) -> HashMap<usize, usize> {
        self.sources.iter().enumerate().map(|(i, &a)| (a, i + 1)).collect()
    }
}

fn index(ids: &[String], find: impl Fn(&str) -> Option<usize>) -> Vec<usize> {
    ids.iter().filter_map(|id| find(id)).collect()
}

pub fn select(g: &SiteGraph, b: &Briefing) -> Selection {
    let mut topics: BTreeSet<usize> =
        index(&b.topics, |id| g.topics.binary_search_by(|t| t.id.as_str().cmp(id)).ok()).into_iter().collect();
    let mut stack: Vec<usize> = topics.iter().copied().collect();
    while let Some(t) = stack.pop() {
        for &c in &g.topic_children[t] {
            if topics.insert(c) {
                stack.push(c);
            }
        }
    }
    let entities: BTreeSet<usize> =
        index(&b.entities, |id| g.entities.binary_search_by(|e| e.id.as_str().cmp(id)).ok()).into_iter().collect();
    let sources: BTreeSet<usize> = index(&b.sources, |id| g.article_by_slug(id)).into_iter().collect();
    let everything = topics.is_empty() && entities.is_empty() && sources.is_empty();
    let ranged = b.from.is_some() || b.to.is_some();

    let in_range = |e: usize| {
        let d = &g.events[e].date;
        b.from.as_ref().is_none_or(|f| d.last_day() >= f.first_day())
            && b.to.as_ref().is_none_or(|t| d.first_day() <= t.last_day())
    };
    let events: Vec<usize> = (0..g.events.len())
        .filter(|&e| {
            let ev = &g.events[e];
            everything
                || ev.topics.iter().any(|t| topics.contains(t))
                || ev.entities.iter().any(|x| entities.contains(x))
                || ev.reports.iter().any(|r| sources.contains(&r.article))
        })
        .filter(|&e| in_range(e))
        .collect();

    let mut discrepancies: Vec<usize> =
        events.iter().flat_map(|&e| g.events[e].discrepancies.iter().copied()).collect();
    discrepancies.sort_unstable();
    discrepancies.dedup();

    // Endnotes: first cited first.
    let mut cited: Vec<usize> = vec![];
    let mut seen = BTreeSet::new();
    for &e in &events {
        for r in &g.events[e].reports {
            if seen.insert(r.article) {
                cited.push(r.article);
            }
        }
    }
    let mut rest: BTreeSet<usize> = sources.clone();
    if !ranged {
        for &t in &topics {
            rest.extend(g.topic_articles[t].iter().copied());
        }
        for &x in &entities {
            rest.extend(g.entity_articles[x].iter().copied());
        }
        if everything {
            rest.extend(0..g.articles.len());
        }
    }
    for &a in &g.by_date {
        if rest.contains(&a) && seen.insert(a) {
            cited.push(a);
        }
    }

    Selection {
        topics: topics.into_iter().collect(),
        entities: entities.into_iter().collect(),
        events,
        discrepancies,
        sources: cited,
    }
}
