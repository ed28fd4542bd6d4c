//! Writing: the only stage (besides `source`) that touches the file system.
//!
//! A build writes into a staging folder beside the output and swaps it in
//! only once every page rendered, so a failed or killed build leaves the
//! previous site as it was. dossier marks the folders it creates and never
//! deletes a folder without its mark.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::render::Sink;

/// The file that marks an output folder as dossier's own.
pub const MARK: &str = ".dossier-build";

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("refusing to build into {out}: {why}")]
    Refused { out: String, why: String },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

fn io_err(path: &Path, source: io::Error) -> OutputError {
    OutputError::Io { path: path.display().to_string(), source }
}

/// Absolute and normalised without requiring the path to exist.
fn absolute(p: &Path) -> PathBuf {
    let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    // Resolve symlinks of the part that exists, so a link cannot disguise the root.
    let mut existing = out.clone();
    let mut rest = vec![];
    while !existing.exists() {
        match (existing.file_name().map(|f| f.to_os_string()), existing.parent()) {
            (Some(f), Some(parent)) => {
                rest.push(f);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = fs::canonicalize(&existing).unwrap_or(existing);
    for f in rest.into_iter().rev() {
        resolved.push(f);
    }
    resolved
}

/// Checks that `out` is a folder dossier may replace.
pub fn check_out_dir(root: &Path, content: &Path, out: &Path) -> Result<(), OutputError> {
    let (root, content, out_abs) = (absolute(root), absolute(content), absolute(out));
    let refuse = |why: &str| Err(OutputError::Refused { out: out.display().to_string(), why: why.to_string() });
    if root.starts_with(&out_abs) {
        return refuse("it is the dossier root or a parent of it; choose a folder of its own, e.g. --out book");
    }
    if content.starts_with(&out_abs) || out_abs.starts_with(&content) {
        return refuse("it overlaps the content folder; choose a folder outside content/");
    }
    if out_abs.parent().is_none() {
        return refuse("it is the file-system root");
    }
    if out_abs.is_file() {
        return refuse("it is a file");
    }
    if out_abs.is_dir() && !out_abs.join(MARK).exists() {
        let empty = fs::read_dir(&out_abs).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty {
            return refuse("it exists and was not made by dossier; remove it yourself or choose another --out");
        }
    }
    Ok(())
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{tag}-{}", std::process::id()))
}

fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").exists() && Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes staging and old folders that earlier, interrupted builds left
/// (only those carrying dossier's mark, and only if their process is gone).
pub fn clean_strays(out: &Path) {
    let name = match out.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => return,
    };
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = f.strip_prefix(&format!(".{name}.")) else { continue };
        let Some((_, pid)) = rest.split_once('-') else { continue };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if (rest.starts_with("staging-") || rest.starts_with("old-")) && !pid_alive(pid) {
            if e.path().join(MARK).exists() {
                let _ = fs::remove_dir_all(e.path());
            } else {
                // A site whose deletion was cut short after its mark (the
                // last thing deleted, see `remove_site`): only if empty.
                let _ = fs::remove_dir(e.path());
            }
        }
    }
}

/// Deletes a site folder, its mark last: cut short at any moment, what is
/// left either still carries the mark or is empty, and so is recognised as
/// dossier's and cleaned up by the next build ([`clean_strays`]).
fn remove_site(dir: &Path) -> io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        if e.file_name() == MARK {
            continue;
        }
        if e.file_type()?.is_dir() {
            fs::remove_dir_all(e.path())?;
        } else {
            fs::remove_file(e.path())?;
        }
    }
    match fs::remove_file(dir.join(MARK)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::remove_dir(dir)
}

/// A staging folder that becomes the output on `commit` and disappears on drop otherwise.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    done: bool,
}

impl Staging {
    pub fn new(out: &Path) -> Result<Staging, OutputError> {
        clean_strays(out);
        let dir = sibling(out, "staging");
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        // From here on, dropping the value removes the folder, whatever fails.
        let staging = Staging { out: out.to_path_buf(), dir, done: false };
        fs::write(staging.dir.join(MARK), b"made by dossier\n").map_err(|e| io_err(&staging.dir, e))?;
        Ok(staging)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Swaps the staging folder in for the output: in one step where the
    /// system can exchange two folders (Linux), so that the output is never
    /// missing, not even for a moment; otherwise by two renames.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let old = sibling(&self.out, "old");
        let had_old = self.out.exists();
        if had_old && exchange(&self.dir, &self.out).is_ok() {
            // The old site is now where the staging folder was (and is
            // cleaned up as a stray if this process dies before it is gone).
            self.done = true;
            return remove_site(&self.dir).map_err(|e| io_err(&self.dir, e));
        }
        if had_old {
            fs::rename(&self.out, &old).map_err(|e| io_err(&self.out, e))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.out) {
            if had_old {
                let _ = fs::rename(&old, &self.out);
            }
            return Err(io_err(&self.out, e));
        }
        self.done = true;
        if had_old {
            remove_site(&old).map_err(|e| io_err(&old, e))?;
        }
        Ok(())
    }
}

/// Exchanges two folders atomically (`renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two NUL-terminated paths, relative to the working directory.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange"))
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes pages under a folder; refuses any path that could leave it.
pub struct DiskSink {
    pub dir: PathBuf,
}

pub fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
}

impl Sink for DiskSink {
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_parts(path, &[bytes])
    }

    fn write_parts(&self, path: &str, parts: &[&[u8]]) -> io::Result<()> {
        use std::io::{IoSlice, Write};
        let mut file = self.create(path)?;
        if let [one] = parts {
            return file.write_all(one);
        }
        // One gathered write for the runs between pieces and the pieces, not
        // a buffer to copy them into (the system takes at most 1,024 runs a
        // call: a page of thousands of pieces takes a few).
        let mut slices: Vec<IoSlice> = parts.iter().filter(|p| !p.is_empty()).map(|p| IoSlice::new(p)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match file.write_vectored(rest) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "failed to write the whole page")),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn write_stream(&self, path: &str, produce: &mut crate::render::Produce) -> io::Result<()> {
        use std::io::Write;
        let mut w = io::BufWriter::with_capacity(64 * 1024, self.create(path)?);
        produce(&mut |run| w.write_all(run))?;
        w.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(())
    }
}

impl DiskSink {
    /// The file at `path` under the folder, created (with its folders).
    fn create(&self, path: &str) -> io::Result<fs::File> {
        if !safe_relative(path) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write outside the output: {path}"),
            ));
        }
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::File::create(full)
    }
}

/// Keeps pages in memory: for `check` and `serve`.
#[derive(Default)]
pub struct MemorySink {
    pub files: std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl Sink for MemorySink {
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        if !safe_relative(path) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing a path outside the site: {path}"),
            ));
        }
        self.files.lock().expect("sink lock").insert(path.to_string(), bytes.to_vec());
        Ok(())
    }
}

impl MemorySink {
    pub fn into_files(self) -> std::collections::BTreeMap<String, Vec<u8>> {
        self.files.into_inner().expect("sink lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_over_an_old_site_leaves_the_new_one_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        fs::create_dir_all(out.join("old")).unwrap();
        fs::write(out.join("old/index.html"), "old").unwrap();
        let staging = Staging::new(&out).unwrap();
        fs::write(staging.dir().join("index.html"), "new").unwrap();
        staging.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "new");
        assert!(!out.join("old").exists());
        let left: Vec<String> =
            fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(left, vec!["site".to_string()]);
        // And with no site before it.
        fs::remove_dir_all(&out).unwrap();
        let staging = Staging::new(&out).unwrap();
        fs::write(staging.dir().join("index.html"), "first").unwrap();
        staging.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), "first");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn what_killed_builds_leave_is_cleaned_up_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        let dead = u32::MAX - 1;
        let marked = tmp.path().join(format!(".site.staging-{dead}"));
        fs::create_dir_all(marked.join("sources/a")).unwrap();
        fs::write(marked.join(MARK), "").unwrap();
        fs::write(marked.join("sources/a/index.html"), "x").unwrap();
        // A deletion cut short after the mark: empty.
        let emptied = tmp.path().join(format!(".site.old-{dead}"));
        fs::create_dir_all(&emptied).unwrap();
        // Not ours (no mark, not empty): kept.
        let foreign = tmp.path().join(format!(".site.old-{}", dead - 1));
        fs::create_dir_all(&foreign).unwrap();
        fs::write(foreign.join("keep.txt"), "mine").unwrap();
        clean_strays(&out);
        assert!(!marked.exists() && !emptied.exists());
        assert!(foreign.join("keep.txt").exists());
        // A site is deleted with its mark last.
        let site = tmp.path().join("old-site");
        fs::create_dir_all(site.join("a/b")).unwrap();
        fs::write(site.join(MARK), "").unwrap();
        fs::write(site.join("a/b/index.html"), "x").unwrap();
        remove_site(&site).unwrap();
        assert!(!site.exists());
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn two_folders_are_exchanged_in_one_step() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        fs::write(a.join("f"), "a").unwrap();
        fs::write(b.join("f"), "b").unwrap();
        exchange(&a, &b).unwrap();
        assert_eq!(fs::read_to_string(a.join("f")).unwrap(), "b");
        assert_eq!(fs::read_to_string(b.join("f")).unwrap(), "a");
    }

    #[test]
    fn paths_cannot_escape() {
        for bad in ["../x", "/etc/passwd", "a/../../b", "a\\..\\b", ""] {
            assert!(!safe_relative(bad), "{bad}");
        }
        assert!(safe_relative("sources/a/index.html"));
    }

    #[test]
    fn a_file_written_in_parts_is_their_concatenation() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = DiskSink { dir: tmp.path().to_path_buf() };
        let big = "x".repeat(100_000);
        let parts: [&[u8]; 4] = [b"<ol>", big.as_bytes(), b"<li>", b"</ol>"];
        crate::render::Sink::write_parts(&sink, "a/b/index.html", &parts).unwrap();
        assert_eq!(fs::read(tmp.path().join("a/b/index.html")).unwrap(), parts.concat());
        crate::render::Sink::write_parts(&sink, "a/b/index.html", &[b"short"]).unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("a/b/index.html")).unwrap(), "short");
        assert!(crate::render::Sink::write_parts(&sink, "../x", &[b"no"]).is_err());
    }

    #[test]
    fn refuses_root_content_and_foreign_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir_all(root.join("content")).unwrap();
        fs::create_dir_all(root.join("mine")).unwrap();
        fs::write(root.join("mine/keep.txt"), "x").unwrap();
        let content = root.join("content");
        assert!(check_out_dir(root, &content, root).is_err());
        assert!(check_out_dir(root, &content, &root.join("..")).is_err());
        assert!(check_out_dir(root, &content, &content).is_err());
        assert!(check_out_dir(root, &content, &content.join("out")).is_err());
        assert!(check_out_dir(root, &content, &root.join("mine")).is_err());
        assert!(check_out_dir(root, &content, &root.join("book")).is_ok());
    }
}
