//! `dossier serve` end to end: the binary on a free port, real HTTP over
//! loopback (raw requests, so that no client normalises the paths we send),
//! edits on disk, Server-Sent Events, and load while the site rebuilds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic"), tmp.path());
    tmp
}

struct Server {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--root")
        .arg(root)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    {
        let stderr = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = stderr.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
    }
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // "dossier: serving http://127.0.0.1:PORT/ (…)"
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Server { child, port, stderr }
}

/// One raw HTTP/1.1 request; returns the status and the body.
fn request(port: u16, target: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = vec![];
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

/// The lines of the reload event stream, as they come.
fn listen(port: u16) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel::<String>();
    let mut sse = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(sse, "GET /__dossier/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(sse).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn alpha(root: &Path) -> PathBuf {
    root.join("content/articles/alpha.md")
}

#[test]
fn serves_the_site_from_memory_and_never_leaves_it() {
    let d = fixture();
    let server = start(d.path());
    let (status, body) = request(server.port, "/");
    assert_eq!(status, 200);
    assert!(body.contains("Fixture dossier") && body.contains("/__dossier/events"));
    let (status, body) = request(server.port, "/sources/alpha/");
    assert_eq!(status, 200);
    assert!(body.contains("Alpha reports the airlift"));
    assert_eq!(request(server.port, "/assets/style.css").0, 200);
    assert_eq!(request(server.port, "/topics").0, 308, "a folder without its slash redirects");
    let (status, body) = request(server.port, "/no/such/page/");
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
    // Nothing outside the built site, however the path is spelled.
    for target in [
        "/../book.toml",
        "/%2e%2e/book.toml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/..%2fbook.toml",
        "/sources/..%5c..%5cbook.toml",
        "/sources\\..\\..\\book.toml",
        "/a/../../book.toml",
        "/%00",
        "/content/articles/alpha.md",
        "/book.toml",
        "//etc/passwd",
        "/C:/Windows/win.ini",
    ] {
        let (status, body) = request(server.port, target);
        assert!(status == 400 || status == 404, "{target}: {status}");
        assert!(!body.contains("[book]") && !body.contains("root:") && !body.contains("publisher: daily"), "{target}");
    }
}

#[test]
fn rebuilds_on_change_keeps_the_last_good_site_and_recovers() {
    let d = fixture();
    let server = start(d.path());
    let port = server.port;

    // Listen to the reload events.
    let rx = listen(port);
    std::thread::sleep(Duration::from_millis(200));

    let text = std::fs::read_to_string(alpha(d.path())).unwrap();
    std::fs::write(alpha(d.path()), text.replace("Alpha reports the airlift", "Alpha reports the second airlift"))
        .unwrap();
    wait_until("the edit to be served", || {
        request(port, "/sources/alpha/").1.contains("Alpha reports the second airlift")
    });
    wait_until("a reload event", || rx.try_iter().any(|l| l == "event: reload"));
    // Lists are rebuilt too: the home page lists the new title.
    assert!(request(port, "/").1.contains("Alpha reports the second airlift"));

    // A bad edit: an unknown key. The last good site stays, with the error over it.
    let good = std::fs::read_to_string(alpha(d.path())).unwrap();
    std::fs::write(alpha(d.path()), good.replacen("summary:", "sumary:", 1)).unwrap();
    wait_until("the error in the terminal", || server.stderr.lock().unwrap().contains("error: unknown field `sumary`"));
    let (status, body) = request(port, "/sources/alpha/");
    assert_eq!(status, 200);
    assert!(body.contains("Alpha reports the second airlift"), "the last good build is served");
    assert!(body.contains("dossier-error") && body.contains("alpha.md:"), "the error is shown with its file");
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.contains("content/articles/alpha.md:"), "{stderr}");

    // Fixing it recovers without a restart.
    std::fs::write(alpha(d.path()), &good).unwrap();
    wait_until("recovery", || !request(port, "/sources/alpha/").1.contains("dossier-error"));
}

#[test]
fn ten_thousand_requests_from_fifty_clients_while_it_rebuilds() {
    let d = fixture();
    let server = start(d.path());
    let port = server.port;
    let ok = Arc::new(AtomicUsize::new(0));
    let bad = Arc::new(Mutex::new(vec![]));
    let done = Arc::new(AtomicUsize::new(0));
    let targets = ["/", "/sources/alpha/", "/timeline/", "/assets/style.css", "/search/index.js", "/entities/"];
    let clients: Vec<_> = (0..50)
        .map(|c| {
            let (ok, bad, done) = (ok.clone(), bad.clone(), done.clone());
            std::thread::spawn(move || {
                for i in 0..200 {
                    let target = targets[(c + i) % targets.len()];
                    let (status, body) = request(port, target);
                    let complete = !target.ends_with('/') || body.trim_end().ends_with("</html>");
                    if status == 200 && complete && !body.is_empty() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        bad.lock().unwrap().push(format!("{target}: {status}"));
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    // Meanwhile: a good edit, a bad edit, a fix.
    let text = std::fs::read_to_string(alpha(d.path())).unwrap();
    let mut n = 0;
    while done.load(Ordering::Relaxed) < 50 {
        n += 1;
        let edit = match n % 3 {
            0 => text.replace("Alpha reports the airlift", &format!("Alpha reports the airlift, take {n}")),
            1 => text.replacen("summary:", "sumary:", 1),
            _ => text.clone(),
        };
        std::fs::write(alpha(d.path()), edit).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    for c in clients {
        c.join().unwrap();
    }
    let bad = bad.lock().unwrap();
    assert!(bad.is_empty(), "{} failed requests, e.g. {:?}", bad.len(), &bad[..bad.len().min(5)]);
    assert_eq!(ok.load(Ordering::Relaxed), 10_000);
    assert!(n >= 2, "the site was rebuilt during the load");
    let stderr = server.stderr.lock().unwrap().clone();
    // Article edits are applied incrementally: no full rebuild.
    assert!(stderr.contains("content/articles/alpha.md changed: "), "{stderr}");
    assert!(!stderr.contains("dossier: rebuilt"), "{stderr}");
}

#[test]
fn idle_means_no_reloads_and_other_files_rebuild_the_whole_site() {
    let d = fixture();
    let server = start(d.path());
    let port = server.port;
    let rx = listen(port);
    // Serving reads files, and a build reads every one: none of that is a change.
    for _ in 0..20 {
        request(port, "/sources/alpha/");
    }
    std::thread::sleep(Duration::from_millis(800));
    assert!(!rx.try_iter().any(|l| l == "event: reload"), "a reload with nothing edited");
    assert!(!server.stderr.lock().unwrap().contains("rebuilt"));

    // An entity is not an article: the whole site is built again.
    let path = d.path().join("content/entities/jane-roe.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\nAn added line.\n")).unwrap();
    wait_until("the entity page", || request(port, "/entities/jane-roe/").1.contains("An added line."));
    assert!(server.stderr.lock().unwrap().contains("dossier: rebuilt"));
}

#[test]
fn edits_in_quick_succession_leave_no_page_stale() {
    let d = fixture();
    let server = start(d.path());
    let port = server.port;
    let beta = d.path().join("content/articles/beta.md");
    for (path, from, to) in [
        (alpha(d.path()), "title: Alpha reports the airlift", "title: Alpha, first edit"),
        (beta.clone(), "title: Beta on the same airlift", "title: Beta, second edit"),
        (alpha(d.path()), "title: Alpha, first edit", "title: Alpha, third edit"),
    ] {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        std::thread::sleep(Duration::from_millis(40));
    }
    // Every list shows the last state: the home page, the timeline, the search index.
    for target in ["/", "/timeline/", "/search/index.js", "/sources/beta/"] {
        wait_until(target, || {
            let body = request(port, target).1;
            body.contains("Alpha, third edit") && body.contains("Beta, second edit") && !body.contains("first edit")
        });
    }
}
