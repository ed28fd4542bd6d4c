//! `dossier pdf`: a briefing (or the whole dossier) printed to PDF by
//! headless Chromium. The site is rendered into a private temporary folder,
//! Chromium prints the page from `file://` with our CSS Paged Media rules
//! (page numbers, running headers) and a document outline from the headings.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{compile, output, Error, Failure};

/// Names tried on `PATH`, in order, when `DOSSIER_CHROMIUM` is not set.
const CANDIDATES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "Chromium was not found (tried DOSSIER_CHROMIUM and {tried} on PATH)\n  = help: install it (Debian/Ubuntu: `apt-get install chromium`) or set DOSSIER_CHROMIUM to its path"
    )]
    NoChromium { tried: String },
    #[error("no briefing `{id}` in book.toml{}", hint.as_ref().map(|h| format!("\n  = help: {h}")).unwrap_or_default())]
    UnknownBriefing { id: String, hint: Option<String> },
    #[error("Chromium failed to print {page}: {detail}{}", if detail.to_lowercase().contains("sandbox") { SANDBOX_HINT } else { "" })]
    Chromium { page: String, detail: String },
}

const SANDBOX_HINT: &str = "\n  = help: Chromium's sandbox could not start here (a container without user namespaces?); \
     set DOSSIER_CHROMIUM_NO_SANDBOX=1 to print without it (the page printed is the dossier's own, from a private folder)";

/// Whether Chromium runs without its sandbox: as root, where it refuses to
/// start with it, or when `DOSSIER_CHROMIUM_NO_SANDBOX` asks (set, not "0").
/// Otherwise the sandbox stays on.
fn sandbox_off(euid: u32, asked: Option<&std::ffi::OsStr>) -> bool {
    euid == 0 || asked.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Finds a Chromium to print with: `DOSSIER_CHROMIUM`, else the first
/// candidate on `PATH`.
pub fn find_chromium() -> Result<PathBuf, PdfError> {
    let tried = CANDIDATES.join(", ");
    if let Some(p) = std::env::var_os("DOSSIER_CHROMIUM") {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(PdfError::NoChromium { tried }) };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in CANDIDATES {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(PdfError::NoChromium { tried })
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("dossier-pdf-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints briefing `id` (or, with `None`, the whole dossier) to `out`.
/// Returns the path written.
pub fn pdf(root: &Path, id: Option<&str>, out: Option<&Path>) -> Result<PathBuf, Failure> {
    let fatal = |e: PdfError| Failure::Fatal(Error::Pdf(e));
    let mut compiled = compile(root)?;
    let page = match id {
        None => "print/index.html".to_string(),
        Some(id) => {
            let briefings = &compiled.graph.config.briefings;
            if !briefings.iter().any(|b| b.id == id) {
                let hint = crate::diag::unknown_hint(id, briefings.iter().map(|b| b.id.as_str())).or_else(|| {
                    Some(if briefings.is_empty() {
                        "book.toml defines no [[briefings]]".to_string()
                    } else {
                        format!("briefings: {}", briefings.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", "))
                    })
                });
                return Err(fatal(PdfError::UnknownBriefing { id: id.into(), hint }));
            }
            format!("briefings/{id}/index.html")
        }
    };
    let chromium = find_chromium().map_err(fatal)?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(format!("{}.pdf", id.unwrap_or("dossier"))));
    let io =
        |path: &Path, source: std::io::Error| Failure::Fatal(Error::Io { path: path.display().to_string(), source });
    let tmp = TempDir::new().map_err(|e| io(&std::env::temp_dir(), e))?;
    let site = tmp.0.join("site");
    compiled.render(&output::DiskSink { dir: site.clone() })?;
    let target = std::fs::canonicalize(site.join(&page)).map_err(|e| io(&site.join(&page), e))?;
    let printed = tmp.0.join("out.pdf");
    let profile = tmp.0.join("profile");
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    let no_sandbox = sandbox_off(euid, std::env::var_os("DOSSIER_CHROMIUM_NO_SANDBOX").as_deref());
    let result = Command::new(&chromium)
        .args(no_sandbox.then_some("--no-sandbox"))
        .args([
            "--headless",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", printed.display()))
        .arg(format!("file://{}", target.display()))
        .output()
        .map_err(|e| io(&chromium, e))?;
    let ok = std::fs::read(&printed).is_ok_and(|b| b.starts_with(b"%PDF"));
    if !ok {
        let stderr = String::from_utf8_lossy(&result.stderr);
        let detail = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no PDF was written").to_string();
        return Err(fatal(PdfError::Chromium { page, detail }));
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    }
    std::fs::copy(&printed, &out).map_err(|e| io(&out, e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_sandbox_is_off_only_as_root_or_when_asked() {
        assert!(sandbox_off(0, None), "Chromium will not start as root with its sandbox");
        assert!(!sandbox_off(1000, None));
        assert!(!sandbox_off(1000, Some(OsStr::new("0"))));
        assert!(!sandbox_off(1000, Some(OsStr::new(""))));
        assert!(sandbox_off(1000, Some(OsStr::new("1"))));
    }

    #[test]
    fn a_sandbox_failure_names_the_way_around_it() {
        let e = PdfError::Chromium { page: "index.html".into(), detail: "FATAL: No usable sandbox!".into() };
        assert!(e.to_string().contains("DOSSIER_CHROMIUM_NO_SANDBOX=1"), "{e}");
        let e = PdfError::Chromium { page: "index.html".into(), detail: "no PDF was written".into() };
        assert!(!e.to_string().contains("help"), "{e}");
    }
}
