//! What `serve` keeps between edits, so that an edit to an article costs
//! that article, not the dossier: the catalogue every article was compiled
//! against, each article's compiled [`Unit`] by file, the linked graph, the
//! templates and the shared pieces of pages ([`Fragments`]).
//!
//! An edit to articles recompiles only their files, relinks the graph (index
//! work only; from the graph before when one article is edited in place,
//! [`graph::relink`]), renders again the shared pieces of those articles and of
//! their events, and names the pages that depend on them
//! ([`render::dependents`], on the graph before and after). Anything else
//! (entities, topics, templates, `book.toml`, static files) is a full build.
//! The result is byte for byte what a full build of the same files makes
//! (tested in `tests/it/live.rs`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::{self, SiteGraph, Unit};
use crate::render::{self, Fragments, PageIndex, RenderError};
use crate::source::{self, Kind};
use crate::{Compiled, Failure};

/// A good build, kept.
pub struct Live {
    pub compiled: Compiled,
    pub frag: Fragments,
    pub index: Arc<PageIndex>,
    /// The exports' paths (feeds, timeline data, sitemap...), made together.
    pub exports: BTreeSet<String>,
}

/// What an edit changes in the served site.
pub struct Edit {
    pub live: Live,
    /// Files to make again (they may be new).
    pub dirty: BTreeSet<String>,
    /// Files the site no longer has.
    pub removed: Vec<String>,
}

impl Live {
    /// A full build, rendered into `files`.
    pub fn build(root: &Path) -> Result<(Live, BTreeMap<String, Vec<u8>>), Failure> {
        let mut compiled = crate::compile(root)?;
        // Edits replace articles' texts in the spill, which lives on.
        if let Some(spill) = &compiled.catalogue.spill {
            spill.reclaim_dropped();
        }
        let (frag, costs) = Fragments::render(&compiled.graph, &compiled.tera, &compiled.template_overrides)
            .map_err(|e| Failure::Content { diagnostics: vec![], render: vec![e] })?;
        let sink = crate::output::MemorySink::default();
        compiled.render_with(&frag, costs, &sink)?;
        let files = sink.into_files();
        let index = Arc::new(PageIndex::new(&compiled.graph));
        let exports = crate::export::files(&compiled.graph).into_iter().map(|(p, _)| p).collect();
        Ok((Live { compiled, frag, index, exports }, files))
    }

    /// Readies this build to be let go for `next`: when `next` is a full
    /// build, with a spill of its own, this one's spill goes whole with it,
    /// no hole punched for each of its texts on the way (10,000 system
    /// calls at 10,000 articles).
    pub fn retire(&self, next: &Live) {
        if let Some(old) = &self.compiled.catalogue.spill {
            if !next.compiled.catalogue.spill.as_ref().is_some_and(|new| Arc::ptr_eq(old, new)) {
                old.stop_reclaiming();
            }
        }
    }

    /// Whether an edit of these files (relative to the root) can be applied
    /// to this build: every one is an article (or was one, and is gone).
    pub fn can_apply(&self, root: &Path, changed: &[PathBuf]) -> bool {
        let articles = self.compiled.graph.config.content_dir.join("articles");
        changed.iter().all(|rel| {
            if rel.parent() != Some(articles.as_path()) {
                return false;
            }
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
            match std::fs::symlink_metadata(root.join(rel)) {
                Ok(m) => m.file_type().is_file() && name.ends_with(".md") && !name.starts_with('.'),
                // Gone: an article deleted, or an editor's temporary file.
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            }
        })
    }

    /// Applies an edit of the article files `changed` (relative to the
    /// root; a missing file was deleted). The previous build is untouched:
    /// on a problem it is what stays served.
    pub fn edit(&self, root: &Path, changed: &[PathBuf]) -> Result<Edit, Failure> {
        let c = &self.compiled;
        let mut units: BTreeMap<PathBuf, Arc<Unit>> = c.units.clone();
        let mut diags = Diagnostics::default();
        let mut slugs: HashSet<String> = HashSet::new();
        let mut compiled_now = vec![];
        for rel in changed {
            if let Some(old) = units.remove(rel) {
                slugs.insert(old.article.slug.clone());
            }
            let abs = root.join(rel);
            if !abs.exists() {
                continue;
            }
            let file = match source::read_source(&abs, rel.clone(), Kind::Article) {
                Ok(f) => f,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            let mut d = vec![];
            let Some(article) = crate::frontmatter::parse_article(&file, &mut d) else {
                diags.extend(d);
                continue;
            };
            let (mut unit, _) = graph::compile_article(article, &c.catalogue);
            unit.diags.splice(0..0, d);
            slugs.insert(unit.article.slug.clone());
            let unit = Arc::new(unit);
            compiled_now.push(unit.clone());
            units.insert(rel.clone(), unit);
        }
        let mut gdiags = vec![];
        // One article edited in place: relinked from the graph before.
        let relinked = match compiled_now.as_slice() {
            [unit] if changed.len() == 1 => graph::relink(&c.graph, &units, unit, &mut gdiags),
            _ => None,
        };
        let graph = relinked.unwrap_or_else(|| {
            let list: Vec<Arc<Unit>> = units.values().cloned().collect();
            graph::link(c.graph.config.clone(), &c.catalogue, &list, &mut gdiags)
        });
        // A load-time problem of a file that is gone (a stray file deleted
        // from `articles/`) goes with it.
        let gone: HashSet<&PathBuf> = changed.iter().filter(|rel| !root.join(rel).exists()).collect();
        let base_diags: Vec<Diagnostic> = c.base_diags.iter().filter(|d| !gone.contains(&d.path)).cloned().collect();
        diags.extend(base_diags.iter().cloned());
        diags.extend(gdiags);
        diags.extend(crate::original_warnings(&graph, &c.originals));
        if diags.has_errors() {
            return Err(Failure::Content { diagnostics: diags.sorted(), render: vec![] });
        }
        let frag = self
            .frag
            .update(&c.graph, &graph, &c.tera, &slugs)
            .map_err(|e| Failure::Content { diagnostics: vec![], render: vec![e] })?;
        let mut dirty = render::dependents(&c.graph, &slugs);
        dirty.extend(render::dependents(&graph, &slugs));
        dirty.extend(self.exports.iter().cloned());
        let index = self.index.for_graph(&graph);
        let removed: Vec<String> = if Arc::ptr_eq(&index, &self.index) {
            vec![]
        } else {
            self.index.paths().filter(|p| !index.contains(p)).map(str::to_string).collect()
        };
        dirty.retain(|p| !removed.contains(p));
        let compiled = Compiled {
            root: c.root.clone(),
            graph,
            tera: c.tera.clone(),
            template_overrides: c.template_overrides.clone(),
            assets: vec![],
            warnings: diags.sorted(),
            timings: Default::default(),
            catalogue: c.catalogue.clone(),
            units,
            base_diags,
            originals: c.originals.clone(),
        };
        Ok(Edit { live: Live { compiled, frag, index, exports: self.exports.clone() }, dirty, removed })
    }

    /// Makes `paths` (pages, the search index, exports) from this build, in
    /// parallel; the exports are made once for all of them.
    pub fn render(&self, paths: &[String]) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
        self.render_on(paths, true)
    }

    /// [`Live::render`] on this thread alone when not `parallel` (work in
    /// the background that must leave a core to the next edit).
    pub fn render_on(&self, paths: &[String], parallel: bool) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
        use rayon::prelude::*;
        let c = &self.compiled;
        let (exports, rest): (Vec<&String>, Vec<&String>) = paths.iter().partition(|p| self.exports.contains(*p));
        let one = |p: &&String| {
            render::render_path(&c.graph, &c.tera, &self.frag, &self.index, p).map(|r| r.map(|b| ((*p).clone(), b)))
        };
        let exported = || if exports.is_empty() { vec![] } else { crate::export::files(&c.graph) };
        let (mut made, exported) = if parallel {
            rayon::join(|| rest.par_iter().filter_map(one).collect::<Result<Vec<_>, _>>(), exported)
        } else {
            (rest.iter().filter_map(one).collect::<Result<Vec<_>, _>>(), exported())
        };
        if let Ok(m) = &mut made {
            m.extend(exported.into_iter().filter(|(p, _)| exports.contains(&p)));
        }
        made
    }

    /// One file of this build, made now (`None`: the build has no such file).
    pub fn render_one(&self, path: &str) -> Option<Result<Vec<u8>, RenderError>> {
        let c = &self.compiled;
        render::render_path(&c.graph, &c.tera, &self.frag, &self.index, path)
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.compiled.warnings
    }

    pub fn graph(&self) -> &SiteGraph {
        &self.compiled.graph
    }
}
