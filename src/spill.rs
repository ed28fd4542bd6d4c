//! Each article's rendered HTML, held from its compilation to its page
//! outside the process's memory: in one unlinked temporary file that the
//! compiling threads append to and the rendering threads read back, each
//! text at its own offset. Appended texts gather in a tail buffer, written
//! to the file a chunk at a time ([`CHUNK`]); a text is read from the tail
//! while it is there, from the file (a positional read, no lock) after.
//!
//! A page cannot be rendered before every article is compiled (it links the
//! others), so a build holds the HTML of the whole corpus at once: 65 MB at
//! 10,000 articles. Compressing it in memory (LZ4, until 2026-12-03) came to
//! 6 % of such a build's instructions; a file costs a copy in and a copy
//! out, and the kernel keeps it in its page cache while there is room and
//! writes it to disk when there is not. Where no temporary file can be made,
//! the text stays in memory as it is; where the file stops taking writes,
//! the tail keeps what it holds and all that comes after. `serve` keeps the
//! file of its first build and appends each edited article's HTML to it (a
//! few kilobytes an edit; the texts it replaces are not reclaimed).

use std::fs::File;
use std::sync::{Arc, Mutex};

/// The texts not yet written are held together and written a chunk at a
/// time: one system call for some forty articles rather than one each
/// (perf, 10,000 articles: a write of one article's HTML cost 11-16 µs of
/// the kernel's time, most of it per call, not per byte).
const CHUNK: usize = 256 * 1024;

/// The temporary file: deleted by the system when the last handle goes.
pub struct Spill {
    file: File,
    tail: Mutex<Tail>,
}

/// The end of the spill: `buf` holds what belongs at `at` and after, not
/// yet in the file (everything before `at` is).
struct Tail {
    at: u64,
    buf: Vec<u8>,
    /// A write failed: from then on the texts stay here, in memory.
    failed: bool,
}

impl Spill {
    /// A new unlinked file in the system's temporary folder, or `None` where
    /// there is none (the texts then stay in memory).
    pub fn new() -> Option<Arc<Spill>> {
        if !cfg!(unix) {
            return None;
        }
        Some(Spill::with_file(tempfile::tempfile().ok()?))
    }

    fn with_file(file: File) -> Arc<Spill> {
        Arc::new(Spill { file, tail: Mutex::new(Tail { at: 0, buf: Vec::new(), failed: false }) })
    }

    fn tail(&self) -> std::sync::MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        let tail = self.tail();
        tail.at + tail.buf.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`; returns where they stand. A text is never lost: a
    /// chunk the file does not take stays in memory, and so do the texts
    /// after it.
    fn write(&self, bytes: &[u8]) -> u64 {
        let mut tail = self.tail();
        let at = tail.at + tail.buf.len() as u64;
        tail.buf.extend_from_slice(bytes);
        if tail.buf.len() >= CHUNK && !tail.failed {
            match self.write_at(&tail.buf, tail.at) {
                Ok(()) => {
                    tail.at += tail.buf.len() as u64;
                    tail.buf.clear();
                }
                Err(_) => tail.failed = true,
            }
        }
        at
    }

    fn read(&self, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
        {
            let tail = self.tail();
            if at >= tail.at {
                let from = (at - tail.at) as usize;
                return match tail.buf.get(from..from.saturating_add(len)) {
                    Some(b) => Ok(b.to_vec()),
                    None => Err(std::io::ErrorKind::UnexpectedEof.into()),
                };
            }
        }
        let mut buf = vec![0; len];
        self.read_at(&mut buf, at)?;
        Ok(buf)
    }

    #[cfg(unix)]
    fn write_at(&self, bytes: &[u8], at: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, bytes, at)
    }

    #[cfg(unix)]
    fn read_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, at)
    }

    #[cfg(not(unix))]
    fn write_at(&self, _: &[u8], _: u64) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }

    #[cfg(not(unix))]
    fn read_at(&self, _: &mut [u8], _: u64) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// A text kept until it is used: in the spill file, or in memory.
pub enum Held {
    Memory(Box<str>),
    Spilled { spill: Arc<Spill>, at: u64, len: usize },
}

impl Held {
    /// Appends `text` to `spill` if there is one (and the text is not
    /// empty); keeps it in memory otherwise.
    pub fn new(text: String, spill: Option<&Arc<Spill>>) -> Held {
        match spill.filter(|_| !text.is_empty()) {
            Some(spill) => Held::Spilled { spill: spill.clone(), at: spill.write(text.as_bytes()), len: text.len() },
            None => Held::Memory(text.into_boxed_str()),
        }
    }

    /// The text, read back (a read error is the system's: a temporary file
    /// that went away or a failing disk).
    pub fn text(&self) -> std::io::Result<String> {
        match self {
            Held::Memory(s) => Ok(s.to_string()),
            Held::Spilled { spill, at, len } => String::from_utf8(spill.read(*at, *len)?)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "temporary file changed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_written_from_many_threads_read_back_the_same() {
        let spill = Spill::new().expect("a temporary file");
        let texts: Vec<String> = (0..64).map(|i| format!("<p>article {i} — {}</p>", "é".repeat(i * 37))).collect();
        let held: Vec<Held> = std::thread::scope(|s| {
            let hs: Vec<_> = texts.iter().map(|t| s.spawn(|| Held::new(t.clone(), Some(&spill)))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (t, h) in texts.iter().zip(&held) {
            assert!(matches!(h, Held::Spilled { .. }));
            assert_eq!(&h.text().unwrap(), t);
        }
        assert_eq!(spill.len(), texts.iter().map(|t| t.len() as u64).sum::<u64>());
    }

    #[test]
    fn texts_past_many_chunks_read_back_the_same_from_file_and_tail() {
        let spill = Spill::new().unwrap();
        let texts: Vec<String> = (0..120).map(|i| format!("<p>{i}</p>{}", "ä".repeat(3000 + i * 11))).collect();
        let held: Vec<Held> = std::thread::scope(|s| {
            let hs: Vec<_> = texts
                .chunks(30)
                .map(|part| s.spawn(|| part.iter().map(|t| Held::new(t.clone(), Some(&spill))).collect::<Vec<_>>()))
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        for (t, h) in texts.iter().zip(&held) {
            assert_eq!(&h.text().unwrap(), t);
        }
        let total: u64 = texts.iter().map(|t| t.len() as u64).sum();
        let tail = spill.tail();
        assert!(tail.at > 0 && (tail.buf.len() as u64) < CHUNK as u64, "written a chunk at a time");
        assert_eq!(tail.at + tail.buf.len() as u64, total);
    }

    #[test]
    fn texts_a_file_refuses_stay_in_memory_and_read_back() {
        let named = tempfile::NamedTempFile::new().unwrap();
        let read_only = File::open(named.path()).unwrap();
        let spill = Spill::with_file(read_only);
        let texts: Vec<String> = (0..40).map(|i| format!("<p>{i}</p>{}", "x".repeat(20_000))).collect();
        let held: Vec<Held> = texts.iter().map(|t| Held::new(t.clone(), Some(&spill))).collect();
        for (t, h) in texts.iter().zip(&held) {
            assert_eq!(&h.text().unwrap(), t);
        }
        assert!(spill.tail().failed);
        assert_eq!(spill.len(), texts.iter().map(|t| t.len() as u64).sum::<u64>());
    }

    #[test]
    fn without_a_file_or_when_empty_the_text_stays_in_memory() {
        let h = Held::new("<p>x</p>".into(), None);
        assert!(matches!(h, Held::Memory(_)));
        assert_eq!(h.text().unwrap(), "<p>x</p>");
        let spill = Spill::new().unwrap();
        let empty = Held::new(String::new(), Some(&spill));
        assert!(matches!(empty, Held::Memory(_)) && spill.is_empty());
        assert_eq!(empty.text().unwrap(), "");
    }

    #[test]
    fn a_text_the_file_does_not_hold_is_an_error_not_a_panic() {
        let spill = Spill::new().unwrap();
        let lost = Held::Spilled { spill: spill.clone(), at: 4096, len: 10 };
        assert_eq!(lost.text().unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
        let mut torn = Held::new("<p>é</p>".into(), Some(&spill));
        if let Held::Spilled { len, .. } = &mut torn {
            *len = 4; // ends inside the "é"
        }
        assert_eq!(torn.text().unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    }
}
