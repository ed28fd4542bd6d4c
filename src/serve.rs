//! `dossier serve`: the site from memory on 127.0.0.1, rebuilt when the
//! dossier changes, open pages reloaded by Server-Sent Events.
//!
//! - One build is the unit of truth: a rebuild renders into memory and
//!   replaces the served site in one swap of an `Arc`, so a request sees the
//!   old site or the new one, never a mix.
//! - A failed rebuild keeps the last good site; its error (the same text
//!   `build` prints, `path:line:col: error: …`) goes to the terminal and is
//!   shown over every page until a good build replaces it.
//! - Paths are looked up in a map of the built files: nothing on disk is
//!   ever opened from a request. Traversal attempts (`..`, encoded or not,
//!   backslashes, NUL) are refused with 400 all the same.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use tokio::sync::broadcast;

use crate::live::Live;
use crate::{config, read_config, Failure};

/// The endpoint of the live-reload event stream.
pub const EVENTS: &str = "/__dossier/events";

/// What is being served.
#[derive(Default)]
struct Site {
    files: Arc<HashMap<String, Bytes>>,
    /// The last rebuild's failure, shown until a good build.
    error: Option<String>,
    /// Files of the newest build not made yet (an edit's list pages and
    /// the like): made on request, and meanwhile by the rebuilding thread.
    pending: Option<Arc<Pending>>,
}

struct Pending {
    live: Arc<Live>,
    paths: HashSet<String>,
    made: Mutex<HashMap<String, Bytes>>,
}

impl Pending {
    /// The file at `rel` if it is one of the build's pending files.
    fn get(&self, rel: &str) -> Option<Result<Bytes, String>> {
        if !self.paths.contains(rel) {
            return None;
        }
        if let Some(b) = self.made.lock().expect("pending lock").get(rel) {
            return Some(Ok(b.clone()));
        }
        match self.live.render_one(rel)? {
            Ok(bytes) => {
                let b = Bytes::from(bytes);
                self.made.lock().expect("pending lock").insert(rel.to_string(), b.clone());
                Some(Ok(b))
            }
            Err(e) => Some(Err(e.to_string())),
        }
    }
}

#[derive(Clone)]
struct AppState {
    site: Arc<RwLock<Site>>,
    reload: broadcast::Sender<u64>,
}

/// A full build into memory, its warnings printed.
fn full_build(root: &Path) -> Result<(Live, HashMap<String, Bytes>), Failure> {
    let (live, files) = Live::build(root)?;
    for w in live.warnings() {
        eprintln!("{w}");
    }
    Ok((live, files.into_iter().map(|(k, v)| (k, Bytes::from(v))).collect()))
}

/// A full build, served; its `Live` kept for the edits that follow.
fn rebuild(root: &Path, state: &AppState, generation: &mut u64) -> Option<Arc<Live>> {
    let t = Instant::now();
    let result = full_build(root);
    let mut site = state.site.write().expect("site lock");
    let live = match result {
        Ok((live, files)) => {
            eprintln!(
                "dossier: rebuilt {} files in {:.2} s, {} warning(s)",
                files.len(),
                t.elapsed().as_secs_f64(),
                live.warnings().len()
            );
            site.files = Arc::new(files);
            site.error = None;
            site.pending = None;
            Some(Arc::new(live))
        }
        Err(f) => {
            let text = f.text();
            eprintln!("{text}");
            eprintln!("dossier: serving the last good build until this is fixed");
            site.error = Some(text);
            None
        }
    };
    drop(site);
    *generation += 1;
    let _ = state.reload.send(*generation);
    live
}

/// Pending files made at a time in the background (between checks that no
/// newer edit has taken over).
const PHASE_CHUNK: usize = 4;

/// How long the watcher waits for a burst of file events to end.
const DEBOUNCE_MS: u64 = 15;

/// Source pages made before the reload is sent, at most: the edited
/// article's own page and those of the sources that share its events.
const EAGER: usize = 64;

/// Applies an edit of articles to `live`: the edited pages are made at
/// once and served, open pages reloaded; the other pages that depend on
/// the edit (lists, timeline, search index...) are made on request or by
/// this thread right after, whichever comes first. `Err` keeps the last
/// good build served, its error shown.
fn apply_edit(
    root: &Path,
    state: &AppState,
    live: &Arc<Live>,
    changed: &[PathBuf],
    generation: &mut u64,
) -> Option<Arc<Live>> {
    let t = Instant::now();
    let failed = |text: String, generation: &mut u64| {
        eprintln!("{text}");
        eprintln!("dossier: serving the last good build until this is fixed");
        state.site.write().expect("site lock").error = Some(text);
        *generation += 1;
        let _ = state.reload.send(*generation);
        None
    };
    let edit = match live.edit(root, changed) {
        Ok(e) => e,
        Err(f) => return failed(f.text(), generation),
    };
    let relinked = t.elapsed();
    let next = Arc::new(edit.live);
    let (eager, later): (Vec<String>, Vec<String>) = {
        let mut eager = vec![];
        let mut later = vec![];
        for p in edit.dirty {
            if (p.starts_with("sources/") || p.starts_with("publishers/"))
                && eager.len() < EAGER
                && p != "publishers/index.html"
            {
                eager.push(p);
            } else {
                later.push(p);
            }
        }
        (eager, later)
    };
    let made = match next.render(&eager) {
        Ok(m) => m,
        Err(e) => return failed(format!("error: {e}"), generation),
    };
    let rendered = t.elapsed();
    let (pending, count) = {
        let mut site = state.site.write().expect("site lock");
        let mut files: HashMap<String, Bytes> = (*site.files).clone();
        let mut later: HashSet<String> = later.into_iter().collect();
        // Files the build before had not made yet are made from this one.
        if let Some(p) = site.pending.take() {
            later.extend(p.paths.iter().cloned());
        }
        for r in &edit.removed {
            files.remove(r);
            later.remove(r);
        }
        for (p, b) in made {
            later.remove(&p);
            files.insert(p, Bytes::from(b));
        }
        for p in &later {
            files.remove(p);
        }
        let count = later.len();
        let pending = Arc::new(Pending { live: next.clone(), paths: later, made: Mutex::new(HashMap::new()) });
        site.files = Arc::new(files);
        site.error = None;
        site.pending = Some(pending.clone());
        (pending, count)
    };
    *generation += 1;
    let _ = state.reload.send(*generation);
    let shown = t.elapsed();
    let summary = format!(
        "dossier: {} changed: {} files made again (relinked in {:.0} ms, {} pages made by {:.0} ms), served in {:.0} ms",
        changed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
        eager.len() + count,
        relinked.as_secs_f64() * 1000.0,
        eager.len(),
        rendered.as_secs_f64() * 1000.0,
        shown.as_secs_f64() * 1000.0,
    );
    eprintln!("{summary}");
    // The rest on a thread of its own, so that the next edit need not wait:
    // requests meanwhile make what they ask for, and a newer edit takes over
    // what is left.
    let state = state.clone();
    let warnings = next.warnings().len();
    std::thread::spawn(move || {
        // Behind the next edit and the requests: they must not wait for the
        // list pages of this one.
        lower_priority();
        let current = |state: &AppState| {
            state.site.read().expect("site lock").pending.as_ref().is_some_and(|p| Arc::ptr_eq(p, &pending))
        };
        let todo: Vec<String> = pending.paths.iter().cloned().collect();
        for chunk in todo.chunks(PHASE_CHUNK) {
            if !current(&state) {
                return;
            }
            let chunk: Vec<String> = {
                let made = pending.made.lock().expect("pending lock");
                chunk.iter().filter(|p| !made.contains_key(*p)).cloned().collect()
            };
            match pending.live.render_on(&chunk, false) {
                Ok(rest) => {
                    let mut made = pending.made.lock().expect("pending lock");
                    made.extend(rest.into_iter().map(|(p, b)| (p, Bytes::from(b))));
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return;
                }
            }
        }
        let mut site = state.site.write().expect("site lock");
        // Only if no newer edit replaced this one meanwhile.
        if site.pending.as_ref().is_some_and(|p| Arc::ptr_eq(p, &pending)) {
            let mut files: HashMap<String, Bytes> = (*site.files).clone();
            files.extend(pending.made.lock().expect("pending lock").drain());
            site.files = Arc::new(files);
            site.pending = None;
            eprintln!(
                "dossier: all {} files of the edit made in {:.0} ms, {warnings} warning(s)",
                pending.paths.len(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
    });
    Some(next)
}

/// Lowers the calling thread's scheduling priority (on Linux, where a
/// thread has a nice value of its own) to the lowest.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `setpriority` reads its arguments only; `who = 0` is the
    // calling thread on Linux.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// Percent-decodes a request path and refuses anything that could name a
/// file outside the site. `Ok` holds the site-relative file path.
pub fn site_path(raw: &str) -> Result<String, StatusCode> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(StatusCode::BAD_REQUEST)?;
            let s = std::str::from_utf8(hex).map_err(|_| StatusCode::BAD_REQUEST)?;
            out.push(u8::from_str_radix(s, 16).map_err(|_| StatusCode::BAD_REQUEST)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let path = String::from_utf8(out).map_err(|_| StatusCode::BAD_REQUEST)?;
    if !path.starts_with('/') || path.contains('\0') || path.contains('\\') {
        return Err(StatusCode::BAD_REQUEST);
    }
    let mut parts = vec![];
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if seg == "." || seg == ".." || seg.contains(':') {
            return Err(StatusCode::BAD_REQUEST);
        }
        parts.push(seg);
    }
    let mut rel = parts.join("/");
    if rel.is_empty() || path.ends_with('/') {
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str("index.html");
    }
    Ok(rel)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The live-reload script, and the error of the last failed rebuild.
fn inject(html: &[u8], error: Option<&str>) -> Vec<u8> {
    let mut extra = format!(
        "<script>(function(){{var s=new EventSource(\"{EVENTS}\");s.addEventListener(\"reload\",function(){{location.reload();}});}})();</script>"
    );
    if let Some(e) = error {
        extra.push_str(&format!(
            "<div id=\"dossier-error\" role=\"alert\" style=\"position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;margin:0;padding:1rem 1.25rem;background:#3b0d0d;color:#fff;font:14px/1.5 ui-monospace,monospace;z-index:2147483647;border-top:4px solid #e5484d\"><p style=\"margin:0 0 .5rem;font-weight:700\">The last edit does not build; this is the last good build.</p><pre style=\"margin:0;white-space:pre-wrap\">{}</pre></div>",
            escape(e)
        ));
    }
    let text = String::from_utf8_lossy(html);
    let out = match text.rfind("</body>") {
        Some(i) => format!("{}{extra}{}", &text[..i], &text[i..]),
        None => format!("{text}{extra}"),
    };
    out.into_bytes()
}

async fn page(State(state): State<AppState>, uri: Uri) -> Response {
    let rel = match site_path(uri.path()) {
        Ok(r) => r,
        Err(status) => return (status, "bad request path\n").into_response(),
    };
    let (files, error, pending) = {
        let site = state.site.read().expect("site lock");
        (site.files.clone(), site.error.clone(), site.pending.clone())
    };
    // Only a pending file is made on a blocking thread; the rest are in the map.
    if let Some(p) = pending.filter(|p| p.paths.contains(&rel)) {
        let r = rel.clone();
        let made = tokio::task::spawn_blocking(move || p.get(&r)).await.ok().flatten();
        match made {
            Some(Ok(body)) => return respond(StatusCode::OK, &rel, body, error.as_deref()),
            Some(Err(e)) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
            None => {}
        }
    }
    let (status, rel, body) = match files.get(&rel) {
        Some(b) => (StatusCode::OK, rel, b.clone()),
        None => match files.get(&format!("{rel}/index.html")) {
            // `/topics` -> `/topics/`, so that relative links resolve.
            Some(_) => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::PERMANENT_REDIRECT;
                let loc = format!("{}/", uri.path());
                if let Ok(v) = HeaderValue::from_str(&loc) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                return r;
            }
            None => match files.get("404.html") {
                Some(b) => (StatusCode::NOT_FOUND, "404.html".to_string(), b.clone()),
                None if error.is_some() => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.html".to_string(),
                    Bytes::from_static(
                        b"<!DOCTYPE html><html lang=\"en\"><title>Build failed</title><body></body></html>",
                    ),
                ),
                None => (StatusCode::NOT_FOUND, "404.txt".to_string(), Bytes::from_static(b"not found\n")),
            },
        },
    };
    respond(status, &rel, body, error.as_deref())
}

fn respond(status: StatusCode, rel: &str, body: Bytes, error: Option<&str>) -> Response {
    let ctype = content_type(rel);
    let body = if ctype.starts_with("text/html") { Bytes::from(inject(&body, error)) } else { body };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn events(
    State(state): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let rx = state.reload.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(g) => return Some((Ok(Event::default().event("reload").data(g.to_string())), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The folders and file a rebuild depends on.
fn watched(root: &Path, content_dir: &Path) -> Vec<(PathBuf, RecursiveMode)> {
    vec![
        (root.to_path_buf(), RecursiveMode::NonRecursive),
        (root.join(content_dir), RecursiveMode::Recursive),
        (root.join("templates"), RecursiveMode::Recursive),
        (root.join("static"), RecursiveMode::Recursive),
    ]
}

/// Whether a changed path can change the site.
fn relevant(root: &Path, content_dir: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else { return false };
    if rel.components().any(|c| c.as_os_str().to_string_lossy().starts_with('.')) {
        return false;
    }
    rel == Path::new(config::FILE)
        || rel.starts_with(content_dir)
        || rel.starts_with("templates")
        || rel.starts_with("static")
}

/// Watches what exists of `watched` and is not watched yet.
fn watch_all(debouncer: &mut Debouncer, watching: &mut Vec<PathBuf>, root: &Path, content_dir: &Path) {
    for (path, mode) in watched(root, content_dir) {
        if path.is_dir() && !watching.contains(&path) && debouncer.watch(&path, mode).is_ok() {
            watching.push(path);
        }
    }
}

type Debouncer = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// Serves `root` on 127.0.0.1:`port` (0: any free port) until killed.
/// `on_ready` receives the bound address once the first build is served.
pub fn serve(root: &Path, port: u16, on_ready: impl FnOnce(SocketAddr, &str)) -> Result<(), Failure> {
    let root = std::fs::canonicalize(root)
        .map_err(|source| Failure::Fatal(crate::Error::Io { path: root.display().to_string(), source }))?;
    let config = read_config(&root)?;
    let content_dir = config.content_dir.clone();
    let (reload, _) = broadcast::channel(16);
    let state = AppState { site: Arc::new(RwLock::new(Site::default())), reload };

    let t = Instant::now();
    let (summary, mut live) = match full_build(&root) {
        Ok((live, files)) => {
            let s = format!(
                "{} files built in {:.2} s, {} warning(s)",
                files.len(),
                t.elapsed().as_secs_f64(),
                live.warnings().len()
            );
            state.site.write().expect("site lock").files = Arc::new(files);
            (s, Some(Arc::new(live)))
        }
        Err(f) => {
            let text = f.text();
            eprintln!("{text}");
            state.site.write().expect("site lock").error = Some(text);
            ("the build failed: fix the errors above, the site reloads by itself".to_string(), None)
        }
    };

    // The watcher: debounced events to a channel, one rebuilding thread.
    let (tx, rx) = std::sync::mpsc::channel();
    // Editors save in bursts of a few milliseconds (a temporary file, then a rename).
    let mut debouncer =
        notify_debouncer_full::new_debouncer(Duration::from_millis(DEBOUNCE_MS), None, tx).map_err(|e| {
            Failure::Fatal(crate::Error::Io { path: root.display().to_string(), source: std::io::Error::other(e) })
        })?;
    let mut watching: Vec<PathBuf> = vec![];
    watch_all(&mut debouncer, &mut watching, &root, &content_dir);
    {
        let state = state.clone();
        let root = root.clone();
        let content_dir = content_dir.clone();
        std::thread::spawn(move || {
            // One relink of nothing, let go: the memory an edit needs is
            // then this thread's already (the allocator keeps it, see
            // `main`), not taken fresh from the system by the first edit.
            if let Some(l) = &live {
                drop(l.edit(&root, &[]));
            }
            let mut generation = 0u64;
            let mut unapplied: Vec<PathBuf> = vec![];
            let mut needs_full = live.is_none();
            while let Ok(result) = rx.recv() {
                let Ok(events) = result else { continue };
                // Reads are not changes (a build reads every file: counting them loops).
                let mut changed: Vec<PathBuf> = events
                    .iter()
                    .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                    .flat_map(|e| e.paths.iter())
                    .filter(|p| relevant(&root, &content_dir, p))
                    .filter_map(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                changed.sort();
                changed.dedup();
                // A folder created after start (templates/, static/) is watched from now on.
                watch_all(&mut debouncer, &mut watching, &root, &content_dir);
                // Changes not applied yet (the last try failed) are part of this one.
                changed.append(&mut unapplied);
                changed.sort();
                changed.dedup();
                let next = match &live {
                    // Articles only: recompile those, relink, make what depends on them.
                    Some(l) if !needs_full && l.can_apply(&root, &changed) => {
                        apply_edit(&root, &state, l, &changed, &mut generation)
                    }
                    _ => {
                        needs_full = true;
                        rebuild(&root, &state, &mut generation)
                    }
                };
                match next {
                    Some(l) => {
                        if let Some(old) = live.take() {
                            old.retire(&l);
                        }
                        live = Some(l);
                        needs_full = false;
                    }
                    // The last good build stays served; this change is tried again with the next.
                    None => unapplied = changed,
                }
            }
        });
    }

    let app = Router::new().route(EVENTS, get(events)).fallback(page).with_state(state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| Failure::Fatal(crate::Error::Io { path: "tokio runtime".into(), source }))?;
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Failure::Fatal(crate::Error::Io { path: format!("127.0.0.1:{port}"), source }))?;
        let bound = listener
            .local_addr()
            .map_err(|source| Failure::Fatal(crate::Error::Io { path: format!("127.0.0.1:{port}"), source }))?;
        on_ready(bound, &summary);
        axum::serve(listener, app)
            .await
            .map_err(|source| Failure::Fatal(crate::Error::Io { path: bound.to_string(), source }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_background_thread_yields_to_edits_and_requests() {
        let (own, others) = std::thread::spawn(|| {
            lower_priority();
            // SAFETY: reads the calling thread's nice value.
            let own = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            (own, std::thread::spawn(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }).join().unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(own, 19);
        // A thread it starts inherits it; the other threads keep theirs.
        assert_eq!(others, 19);
        assert_ne!(unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }, 19);
    }

    #[test]
    fn request_paths_stay_inside_the_site() {
        assert_eq!(site_path("/").unwrap(), "index.html");
        assert_eq!(site_path("/topics/").unwrap(), "topics/index.html");
        assert_eq!(site_path("/assets/style.css").unwrap(), "assets/style.css");
        assert_eq!(site_path("/a%20b.html").unwrap(), "a b.html");
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/%2e%2e/x",
            "/..%2fx",
            "/a\\..\\b",
            "/%5c..%5cb",
            "/a%00b",
            "/%zz",
            "/c:/x",
            "/%ff",
        ] {
            assert_eq!(site_path(bad), Err(StatusCode::BAD_REQUEST), "{bad}");
        }
        // Repeated slashes collapse; nothing is taken from the file system.
        assert_eq!(site_path("//etc/passwd").unwrap(), "etc/passwd");
    }

    #[test]
    fn only_the_dossier_s_own_files_trigger_rebuilds() {
        let root = Path::new("/d");
        assert!(relevant(root, Path::new("content"), Path::new("/d/content/articles/a.md")));
        assert!(relevant(root, Path::new("content"), Path::new("/d/book.toml")));
        assert!(relevant(root, Path::new("content"), Path::new("/d/templates/base.html")));
        assert!(!relevant(root, Path::new("content"), Path::new("/d/book/index.html")));
        assert!(!relevant(root, Path::new("content"), Path::new("/d/content/articles/.a.md.swp")));
        assert!(!relevant(root, Path::new("content"), Path::new("/elsewhere/x.md")));
    }

    #[test]
    fn reload_script_and_error_go_before_the_end_of_body() {
        let html = inject(b"<html><body><p>x</p></body></html>", Some("a.md:3:1: error: <bad>"));
        let html = String::from_utf8(html).unwrap();
        assert!(html.ends_with("</div></body></html>"));
        assert!(html.contains(EVENTS));
        assert!(html.contains("a.md:3:1: error: &lt;bad&gt;"));
    }
}
