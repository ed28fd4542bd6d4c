//! Each article's rendered HTML, held from its compilation to its page
//! outside the process's memory: in one unlinked temporary file that the
//! compiling threads append to and the rendering threads read back, each
//! text at its own offset (positional reads and writes, no lock).
//!
//! A page cannot be rendered before every article is compiled (it links the
//! others), so a build holds the HTML of the whole corpus at once: 65 MB at
//! 10,000 articles. Compressing it in memory (LZ4, until 2026-12-03) came to
//! 6 % of such a build's instructions; a file costs a copy in and a copy
//! out, and the kernel keeps it in its page cache while there is room and
//! writes it to disk when there is not. Where no temporary file can be made,
//! the text stays in memory as it is. `serve` keeps the file of its first
//! build and appends each edited article's HTML to it (a few kilobytes an
//! edit; the texts it replaces are not reclaimed).

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The temporary file: deleted by the system when the last handle goes.
pub struct Spill {
    file: File,
    end: AtomicU64,
}

impl Spill {
    /// A new unlinked file in the system's temporary folder, or `None` where
    /// there is none (the texts then stay in memory).
    pub fn new() -> Option<Arc<Spill>> {
        if !cfg!(unix) {
            return None;
        }
        let file = tempfile::tempfile().ok()?;
        Some(Arc::new(Spill { file, end: AtomicU64::new(0) }))
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[cfg(unix)]
    fn write(&self, bytes: &[u8]) -> std::io::Result<u64> {
        use std::os::unix::fs::FileExt;
        let at = self.end.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.file.write_all_at(bytes, at)?;
        Ok(at)
    }

    #[cfg(unix)]
    fn read(&self, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }

    #[cfg(not(unix))]
    fn write(&self, _: &[u8]) -> std::io::Result<u64> {
        Err(std::io::ErrorKind::Unsupported.into())
    }

    #[cfg(not(unix))]
    fn read(&self, _: u64, _: usize) -> std::io::Result<Vec<u8>> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// A text kept until it is used: in the spill file, or in memory.
pub enum Held {
    Memory(Box<str>),
    Spilled { spill: Arc<Spill>, at: u64, len: usize },
}

impl Held {
    /// Writes `text` to `spill` if there is one and the write succeeds;
    /// keeps it in memory otherwise.
    pub fn new(text: String, spill: Option<&Arc<Spill>>) -> Held {
        if let Some(spill) = spill.filter(|_| !text.is_empty()) {
            if let Ok(at) = spill.write(text.as_bytes()) {
                return Held::Spilled { spill: spill.clone(), at, len: text.len() };
            }
        }
        Held::Memory(text.into_boxed_str())
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
