//! dossier: a static-site generator for briefing sites.
//!
//! The pipeline, one module per stage, a named type at each boundary:
//!
//! ```text
//! config      book.toml                    -> Config
//! source      walkdir (reads files)        -> Loaded { files, originals, statics, templates }
//! frontmatter serde_yaml                   -> Parsed { articles, entities, topics }
//! markdown    pulldown-cmark + syntect     -> Rendered (html, paragraphs, mentions)
//! graph       topics, mentions, timeline   -> SiteGraph
//! render      tera                         -> pages, handed to a Sink
//! output      staging folder, swapped in   -> files on disk
//! ```
//!
//! `build`, `check` and `serve` share `compile` and differ only in the sink
//! the pages go to.

pub mod briefing;
pub mod config;
pub mod diag;
pub mod edtf;
pub mod export;
pub mod frontmatter;
pub mod graph;
pub mod import;
pub mod links;
pub mod live;
pub mod markdown;
pub mod output;
pub mod pdf;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod source;
pub mod spill;
pub mod text;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use config::Config;
use diag::{Diagnostic, Diagnostics};
use render::{RenderError, Sink};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
}

/// Why a build produced no site.
#[derive(Debug)]
pub enum Failure {
    /// Problems in the user's content or templates: exit 1.
    Content { diagnostics: Vec<Diagnostic>, render: Vec<RenderError> },
    /// The environment failed (I/O, refused folder): exit 2.
    Fatal(Error),
}

impl Failure {
    /// Every problem, one per line as `build` prints them, then a summary.
    pub fn text(&self) -> String {
        match self {
            Failure::Content { diagnostics, render } => {
                let mut out = String::new();
                for d in diagnostics {
                    out.push_str(&format!("{d}\n"));
                }
                for r in render {
                    out.push_str(&format!("error: {r}\n"));
                }
                let errors = diagnostics.iter().filter(|d| d.is_error()).count() + render.len();
                let warnings = diagnostics.len() - diagnostics.iter().filter(|d| d.is_error()).count();
                out.push_str(&format!("dossier: {errors} error(s), {warnings} warning(s)"));
                out
            }
            Failure::Fatal(e) => format!("error: {e}"),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Fatal(e)
    }
}

/// Seeds for the hash maps' hashers, counted per thread.
///
/// Tera makes a hash map for every struct it is given (a page's views:
/// tens of thousands a page of a large dossier), and each new map asks
/// ahash for a seed; ahash's own source is one counter for the whole
/// process, changed by an atomic add, so the rendering threads fight over
/// its cache line (perf, 10,000 articles: 0.7-1.3 % of the build's time
/// in `gen_hasher_seed`, 0.04 % with this). Here each thread counts on its own, from an address
/// of its own; ahash still mixes each seed with the random keys it draws
/// from the system once, so hashes stay unpredictable from outside.
pub struct ThreadSeeds;

impl ahash::random_state::RandomSource for ThreadSeeds {
    fn gen_hasher_seed(&self) -> usize {
        thread_local!(static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });
        NEXT.with(|next| {
            // Odd from the start and by an even step: never 0 (unset) again.
            let seed = match next.get() {
                0 => next as *const _ as usize | 1,
                s => s,
            };
            next.set(seed.wrapping_add(0x9E37_79B9_7F4A_7C16_u64 as usize));
            seed
        })
    }
}

/// Makes [`ThreadSeeds`] the source of every hash map's seed in the
/// process; to be called before any map is made (it does nothing after).
pub fn seed_hashes_per_thread() {
    let _ = ahash::random_state::set_random_source(ThreadSeeds);
}

/// Where the time went, stage by stage, and what each template cost.
#[derive(Debug, Default, Clone)]
pub struct Timings(
    pub Vec<(&'static str, Duration)>,
    pub Vec<render::TemplateCost>,
    /// Resident memory after a stage, in bytes, where the system says.
    pub Vec<(&'static str, u64)>,
);

impl Timings {
    fn stage<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let v = f();
        self.0.push((name, t.elapsed()));
        self.resident(name);
        v
    }

    /// Notes the memory resident now, after stage `name`.
    fn resident(&mut self, name: &'static str) {
        if let Some(b) = memory("VmRSS:") {
            self.2.push((name, b));
        }
    }
}

/// A `/proc/self/status` figure in bytes (`VmRSS:` resident now, `VmHWM:`
/// its peak); `None` where there is no such file.
pub fn memory(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total: Duration = self.0.iter().map(|(_, d)| *d).sum();
        for (name, d) in &self.0 {
            let pct = if total.is_zero() { 0.0 } else { d.as_secs_f64() * 100.0 / total.as_secs_f64() };
            write!(f, "  {name:<10} {:>9.1} ms  {pct:>5.1}%", d.as_secs_f64() * 1000.0)?;
            match self.2.iter().find(|(n, _)| n == name) {
                Some((_, b)) => writeln!(f, "  {:>8.1} MiB resident after", *b as f64 / 1_048_576.0)?,
                None => writeln!(f)?,
            }
            if *name == "render" {
                // Of each template's time, what its pages' contexts took:
                // dossier's work; the rest is the template's and the writing.
                for c in &self.1 {
                    write!(
                        f,
                        "    {:<16} {:>6} pages {:>9.1} ms {:>8.1} MiB",
                        c.template,
                        c.pages,
                        c.time.as_secs_f64() * 1000.0,
                        c.bytes as f64 / 1_048_576.0
                    )?;
                    if c.context.is_zero() {
                        writeln!(f)?;
                    } else {
                        writeln!(f, "  (contexts {:.1} ms)", c.context.as_secs_f64() * 1000.0)?;
                    }
                }
            }
        }
        write!(f, "  {:<10} {:>9.1} ms", "total", total.as_secs_f64() * 1000.0)?;
        if let Some(peak) = memory("VmHWM:") {
            write!(f, "          {:>8.1} MiB at the peak", peak as f64 / 1_048_576.0)?;
        }
        Ok(())
    }
}

/// A dossier read, checked and linked, ready to render.
pub struct Compiled {
    pub root: PathBuf,
    pub graph: graph::SiteGraph,
    pub tera: std::sync::Arc<tera::Tera>,
    pub template_overrides: Vec<(String, String)>,
    pub assets: Vec<source::Asset>,
    /// Warnings only: a `Compiled` has no errors.
    pub warnings: Vec<Diagnostic>,
    pub timings: Timings,
    /// What relinking after an edit needs (`serve`): the catalogue the
    /// articles were compiled against, each article's unit by file, the
    /// problems found outside articles, and the originals published.
    pub catalogue: std::sync::Arc<graph::Catalogue>,
    pub units: std::collections::BTreeMap<PathBuf, std::sync::Arc<graph::Unit>>,
    pub base_diags: Vec<Diagnostic>,
    pub originals: std::collections::HashSet<String>,
}

/// A warning for each article whose original, named by file, is not in
/// `originals/` (it must be there to be published).
pub fn original_warnings(g: &graph::SiteGraph, published: &std::collections::HashSet<String>) -> Vec<Diagnostic> {
    let mut out = vec![];
    for art in &g.articles {
        if !crate::text::is_address(&art.original)
            && !published.contains(format!("originals/{}", art.original).as_str())
        {
            out.push(
                Diagnostic::warning(
                    &art.path,
                    art.original_line,
                    1,
                    format!("original `{}` is not in {}/originals/", art.original, g.config.content_dir.display()),
                )
                .with_help("put the original file there, or write its web address (https://…)"),
            );
        }
    }
    out
}

pub fn read_config(root: &Path) -> Result<Config, Failure> {
    let path = root.join(config::FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = source::decode(bytes, Path::new(config::FILE))
                .map_err(|d| Failure::Content { diagnostics: vec![d], render: vec![] })?;
            Config::parse(&text, Path::new(config::FILE))
                .map_err(|d| Failure::Content { diagnostics: d, render: vec![] })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(source) => Err(Failure::Fatal(Error::Io { path: config::FILE.into(), source })),
    }
}

/// Parses the entities and topics into the [`graph::Catalogue`], then reads,
/// parses and compiles every article in parallel, one file at a time per
/// thread, so that no stage holds the whole corpus's text. The stages run
/// fused: `parse`, `markdown` and (the per-article part of) `graph` are
/// their time summed over the threads, divided by the thread count.
pub fn compile_units(
    config: &Config,
    loaded: &mut source::Loaded,
    timings: &mut Timings,
    diags: &mut Diagnostics,
) -> (graph::Catalogue, Vec<graph::Unit>, Vec<Diagnostic>) {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let t = Instant::now();
    let parsed = frontmatter::parse_all(&std::mem::take(&mut loaded.files));
    let mut cdiags = parsed.diags;
    let catalogue = graph::catalogue(parsed.entities, parsed.topics, config.trusted_html, &mut cdiags);
    let catalogue_time = t.elapsed();
    let (read, parse, markdown, local) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let add = |a: &AtomicU64, d: Duration| a.fetch_add(d.as_nanos() as u64, Relaxed);
    let t = Instant::now();
    let results: Vec<(Option<graph::Unit>, Vec<Diagnostic>)> = loaded
        .articles
        .par_iter()
        .map(|(abs, rel)| {
            let started = Instant::now();
            let file = match source::read_source(abs, rel.clone(), source::Kind::Article) {
                Ok(f) => f,
                Err(d) => return (None, vec![d]),
            };
            add(&read, started.elapsed());
            let started = Instant::now();
            let mut d = vec![];
            let article = frontmatter::parse_article(&file, &mut d);
            drop(file);
            add(&parse, started.elapsed());
            let unit = article.map(|a| {
                let (mut u, times) = graph::compile_article(a, &catalogue);
                add(&markdown, times.markdown);
                add(&local, times.local);
                // The file's own problems travel with it (relinking keeps them).
                u.diags.splice(0..0, d.drain(..));
                u
            });
            (unit, d)
        })
        .collect();
    let wall = t.elapsed();
    diags.extend(cdiags);
    let mut units = Vec::with_capacity(results.len());
    let mut article_diags = vec![];
    for (u, d) in results {
        article_diags.extend(d);
        units.extend(u);
    }
    // Split the fused wall time in proportion to each part's summed time.
    let parts = [read.into_inner(), parse.into_inner(), markdown.into_inner(), local.into_inner()];
    let sum: u64 = parts.iter().sum::<u64>().max(1);
    let share = |n: u64| Duration::from_secs_f64(wall.as_secs_f64() * n as f64 / sum as f64);
    if let Some((_, d)) = timings.0.iter_mut().find(|(n, _)| *n == "load") {
        *d += share(parts[0]);
    }
    timings.0.push(("parse", share(parts[1]) + catalogue_time));
    timings.0.push(("markdown", share(parts[2])));
    timings.0.push(("graph", share(parts[3])));
    timings.resident("markdown");
    (catalogue, units, article_diags)
}

/// config -> load -> parse -> markdown + graph -> templates; stops once,
/// with every problem found.
pub fn compile(root: &Path) -> Result<Compiled, Failure> {
    let mut timings = Timings::default();
    let mut config = timings.stage("config", || read_config(root))?;
    let mut loaded = timings.stage("load", || source::load(root, &config.content_dir));
    config.favicon = config::favicon(loaded.statics.iter().map(|a| a.out.as_str()));
    let mut diags = Diagnostics::default();
    diags.extend(std::mem::take(&mut loaded.diags));
    let (catalogue, mut units, article_diags) = compile_units(&config, &mut loaded, &mut timings, &mut diags);
    // The problems not of one article (those are in its unit) stay for relinking.
    let base_diags: Vec<Diagnostic> = diags.iter().cloned().collect();
    diags.extend(article_diags);
    let mut gdiags = vec![];
    let units: Vec<std::sync::Arc<graph::Unit>> = units.drain(..).map(std::sync::Arc::new).collect();
    let t = Instant::now();
    let graph = graph::link(config, &catalogue, &units, &mut gdiags);
    if let Some((_, d)) = timings.0.iter_mut().find(|(n, _)| *n == "graph") {
        *d += t.elapsed();
    }
    timings.resident("graph");
    diags.extend(gdiags);
    let tera = timings.stage("templates", || render::templates(&loaded.templates));
    let mut render_errors = vec![];
    let tera = match tera {
        Ok(t) => Some(t),
        Err(e) => {
            render_errors.push(e);
            None
        }
    };
    // An original named by file must be there to be published.
    let originals: std::collections::HashSet<String> = loaded.originals.iter().map(|a| a.out.clone()).collect();
    diags.extend(original_warnings(&graph, &originals));
    if diags.has_errors() || tera.is_none() {
        return Err(Failure::Content { diagnostics: diags.sorted(), render: render_errors });
    }
    let mut assets = loaded.originals;
    assets.extend(loaded.statics);
    Ok(Compiled {
        root: root.to_path_buf(),
        graph,
        tera: std::sync::Arc::new(tera.expect("checked above")),
        template_overrides: loaded.templates,
        assets,
        warnings: diags.sorted(),
        timings,
        catalogue: std::sync::Arc::new(catalogue),
        units: units.into_iter().map(|u| (u.article.path.clone(), u)).collect(),
        base_diags,
        originals,
    })
}

impl Compiled {
    /// Renders every page and copies every asset into `sink`.
    pub fn render(&mut self, sink: &dyn Sink) -> Result<(), Failure> {
        let t = Instant::now();
        match render::Fragments::render_once(&self.graph, &self.tera, &self.template_overrides) {
            Ok((frag, costs)) => {
                let r = self.render_with(&frag, costs, sink);
                // The shared pieces are part of rendering.
                if let Some(last) = self.timings.0.iter_mut().rev().find(|(n, _)| *n == "render") {
                    last.1 = t.elapsed();
                }
                r
            }
            Err(e) => Err(Failure::Content { diagnostics: vec![], render: vec![e] }),
        }
    }

    /// [`Compiled::render`] with the shared pieces of pages already made.
    pub fn render_with(
        &mut self,
        frag: &render::Fragments,
        frag_costs: Vec<render::TemplateCost>,
        sink: &dyn Sink,
    ) -> Result<(), Failure> {
        let t = Instant::now();
        let (mut errors, costs) =
            render::render_all_with(&self.graph, &self.tera, frag, frag_costs, sink, &self.template_overrides);
        self.timings.1 = costs;
        for a in &self.assets {
            if let Err(source) = sink.write(&a.out, &a.bytes) {
                errors.push(RenderError::Write { path: a.out.clone(), source });
            }
        }
        self.timings.0.push(("render", t.elapsed()));
        self.timings.resident("render");
        if errors.is_empty() {
            return Ok(());
        }
        // A write failure is the environment's fault; a template error the user's.
        if errors.iter().all(|e| matches!(e, RenderError::Write { .. })) {
            let RenderError::Write { path, source } = errors.swap_remove(0) else { unreachable!() };
            return Err(Failure::Fatal(Error::Io { path, source }));
        }
        errors.retain(|e| matches!(e, RenderError::Template { .. }));
        errors.sort_by_key(|e| e.to_string());
        Err(Failure::Content { diagnostics: vec![], render: errors })
    }
}

/// What `build` did.
pub struct Built {
    pub out: PathBuf,
    pub pages: usize,
    pub warnings: Vec<Diagnostic>,
    pub timings: Timings,
}

/// Counts files written, passing them on, tells `progress` the count, and
/// sums the time spent writing (over all threads).
struct Counting<'a> {
    inner: &'a dyn Sink,
    n: std::sync::atomic::AtomicUsize,
    write_ns: std::sync::atomic::AtomicU64,
    progress: &'a (dyn Fn(usize) + Sync),
}

impl Counting<'_> {
    /// Counts one file, tells `progress`, and adds the time `write` says it
    /// spent writing.
    fn file(&self, write: impl FnOnce() -> (std::io::Result<()>, Duration)) -> std::io::Result<()> {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        (self.progress)(n);
        let (r, spent) = write();
        self.write_ns.fetch_add(spent.as_nanos() as u64, std::sync::atomic::Ordering::Relaxed);
        r
    }
}

/// `f`'s result and how long it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

impl Sink for Counting<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.file(|| timed(|| self.inner.write(path, bytes)))
    }

    fn write_parts(&self, path: &str, parts: &[&[u8]]) -> std::io::Result<()> {
        self.file(|| timed(|| self.inner.write_parts(path, parts)))
    }

    /// The time writing, not the time making what is written (the pieces a
    /// page renders as it is written): the sink's time around the runs and
    /// in them.
    fn write_stream(&self, path: &str, produce: &mut render::Produce) -> std::io::Result<()> {
        self.file(|| {
            let (mut making, mut writing) = (Duration::ZERO, Duration::ZERO);
            let (r, all) = timed(|| {
                self.inner.write_stream(path, &mut |write| {
                    let (r, spent) = timed(|| {
                        produce(&mut |run| {
                            let (r, spent) = timed(|| write(run));
                            writing += spent;
                            r
                        })
                    });
                    making += spent;
                    r
                })
            });
            (r, all.saturating_sub(making) + writing)
        })
    }
}

/// Builds the site into `out` (default: `[build] build-dir`), atomically.
pub fn build(root: &Path, out: Option<&Path>) -> Result<Built, Failure> {
    build_with_progress(root, out, &|_| {})
}

/// [`build`], calling `progress` with the number of files written so far
/// (from the rendering threads: keep it cheap).
pub fn build_with_progress(
    root: &Path,
    out: Option<&Path>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Built, Failure> {
    let config = read_config(root)?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| root.join(&config.build_dir));
    output::check_out_dir(root, &root.join(&config.content_dir), &out).map_err(Error::from)?;
    let mut compiled = compile(root)?;
    let staging = output::Staging::new(&out).map_err(Error::from)?;
    let disk = output::DiskSink { dir: staging.dir().to_path_buf() };
    let counting = Counting { inner: &disk, n: 0.into(), write_ns: 0.into(), progress };
    let t = Instant::now();
    compiled.render(&counting)?;
    staging.commit().map_err(Error::from)?;
    let mut timings = compiled.timings;
    // Pages are rendered and written on every thread at once: the write
    // stage is the writes' summed time over the threads, the render stage
    // the rest of the wall time.
    let wall = t.elapsed();
    let threads = rayon::current_num_threads().max(1) as u32;
    let write = Duration::from_nanos(counting.write_ns.load(std::sync::atomic::Ordering::Relaxed)) / threads;
    if let Some(last) = timings.0.last_mut() {
        *last = ("render", wall.saturating_sub(write));
    }
    timings.0.push(("write", write));
    Ok(Built { out, pages: counting.n.into_inner(), warnings: compiled.warnings, timings })
}

/// Everything `build` checks, plus every internal link and anchor of the
/// rendered site; writes nothing.
pub fn check(root: &Path) -> Result<Vec<Diagnostic>, Failure> {
    let mut compiled = compile(root)?;
    let sink = links::LinkSink::default();
    compiled.render(&sink)?;
    let broken = sink.check();
    let diags = compiled.warnings;
    if broken.is_empty() {
        return Ok(diags);
    }
    let mut all = Diagnostics::default();
    all.extend(diags);
    all.extend(broken);
    Err(Failure::Content { diagnostics: all.sorted(), render: vec![] })
}

#[cfg(test)]
mod tests {
    use super::ThreadSeeds;
    use ahash::random_state::RandomSource;

    #[test]
    fn a_thread_never_gets_the_same_seed_twice_nor_another_threads() {
        let take = || (0..10_000).map(|_| ThreadSeeds.gen_hasher_seed()).collect::<Vec<usize>>();
        let mine = take();
        let theirs = std::thread::spawn(take).join().expect("the other thread");
        let all: std::collections::HashSet<usize> = mine.iter().chain(&theirs).copied().collect();
        assert_eq!(all.len(), 20_000);
        assert!(!all.contains(&0));
    }
}
