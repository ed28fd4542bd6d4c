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
//! few kilobytes an edit); there the texts an edit replaces are given back
//! ([`Spill::reclaim_dropped`]): the whole pages under dead texts are punched
//! out of the file (Linux's `fallocate`), so that a long session's file
//! holds what is live, not every version of every article edited.

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Dropped texts are given back to the system ([`Spill::reclaim_dropped`]).
    reclaim: AtomicBool,
}

/// The end of the spill: `buf` holds what belongs at `at` and after, not
/// yet in the file (everything before `at` is).
struct Tail {
    at: u64,
    buf: Vec<u8>,
    /// A write failed: from then on the texts stay here, in memory.
    failed: bool,
    /// Dead texts (start -> end), adjacent ones merged, when reclaiming:
    /// a page is punched out once every text on it is dead.
    dead: BTreeMap<u64, u64>,
}

/// The unit the system frees a file's space in.
const PAGE: u64 = 4096;

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
        let tail = Tail { at: 0, buf: Vec::new(), failed: false, dead: BTreeMap::new() };
        Arc::new(Spill { file, tail: Mutex::new(tail), reclaim: AtomicBool::new(false) })
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

    /// The space the texts take: the file's blocks on its file system
    /// (punched holes take none) and the tail not yet written.
    pub fn in_use(&self) -> std::io::Result<u64> {
        let tail = self.tail();
        #[cfg(unix)]
        let file = std::os::unix::fs::MetadataExt::blocks(&self.file.metadata()?) * 512;
        #[cfg(not(unix))]
        let file = tail.at;
        Ok(file + tail.buf.len() as u64)
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
                    let before = tail.at;
                    tail.at += tail.buf.len() as u64;
                    tail.buf.clear();
                    // Texts that died in the tail are in the file now.
                    let now: Vec<(u64, u64)> =
                        tail.dead.range(..tail.at).filter(|&(_, &e)| e > before).map(|(&s, &e)| (s, e)).collect();
                    for (start, end) in now {
                        self.punch(start, end.min(tail.at));
                    }
                }
                Err(_) => tail.failed = true,
            }
        }
        at
    }

    /// From now on, a text dropped is given back: the whole pages of the
    /// file that only dead texts stand on are freed. For `serve`, whose
    /// edits replace texts while the file lives on; a build drops all its
    /// texts at once, with the file.
    pub fn reclaim_dropped(&self) {
        self.reclaim.store(true, Ordering::Relaxed);
    }

    /// No more reclaiming: the spill is about to go whole (`serve` made a
    /// full build with a spill of its own).
    pub fn stop_reclaiming(&self) {
        self.reclaim.store(false, Ordering::Relaxed);
    }

    /// Whether dropped texts are given back.
    pub fn reclaiming(&self) -> bool {
        self.reclaim.load(Ordering::Relaxed)
    }

    /// Text `at..at + len` is dead: merged with the dead texts beside it,
    /// and what of the merged run is in the file punched out.
    fn release(&self, at: u64, len: u64) {
        let mut tail = self.tail();
        let (mut start, mut end) = (at, at + len);
        if let Some((&s, &e)) = tail.dead.range(..=start).next_back() {
            if e >= start {
                start = s;
                end = end.max(e);
            }
        }
        while let Some((&s, &e)) = tail.dead.range(start..=end).next() {
            tail.dead.remove(&s);
            end = end.max(e);
        }
        tail.dead.insert(start, end);
        if start < tail.at {
            self.punch(start, end.min(tail.at));
        }
    }

    /// Frees the whole pages within `start..end` (a text's first and last
    /// pages may hold live neighbours). Best effort: a file system that
    /// cannot punch holes keeps the bytes, and nothing reads them again.
    fn punch(&self, start: u64, end: u64) {
        let from = start.div_ceil(PAGE) * PAGE;
        let to = end / PAGE * PAGE;
        if to > from {
            #[cfg(target_os = "linux")]
            {
                use rustix::fs::{fallocate, FallocateFlags};
                let _ = fallocate(&self.file, FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE, from, to - from);
            }
        }
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

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::Spilled { spill, at, len } = self {
            if spill.reclaiming() {
                spill.release(*at, *len as u64);
            }
        }
    }
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

    /// The file's space in use, in bytes.
    fn allocated(spill: &Spill) -> u64 {
        spill.in_use().unwrap() - spill.tail().buf.len() as u64
    }

    #[test]
    fn dead_texts_merge_with_their_dead_neighbours() {
        let spill = Spill::new().unwrap();
        for (at, len) in [(100, 50), (300, 10), (150, 20), (200, 100), (10, 5)] {
            spill.release(at, len);
        }
        let dead: Vec<(u64, u64)> = spill.tail().dead.iter().map(|(&s, &e)| (s, e)).collect();
        assert_eq!(dead, vec![(10, 15), (100, 170), (200, 310)]);
        spill.release(170, 30);
        let dead: Vec<(u64, u64)> = spill.tail().dead.iter().map(|(&s, &e)| (s, e)).collect();
        assert_eq!(dead, vec![(10, 15), (100, 310)]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn when_reclaiming_the_pages_of_dropped_texts_are_given_back_and_the_rest_reads_the_same() {
        let spill = Spill::new().unwrap();
        spill.reclaim_dropped();
        // 96 texts of 10,003 bytes: three chunks in the file, the rest in the tail.
        let texts: Vec<String> = (0..96).map(|i| format!("{i:03}{}", "x".repeat(10_000))).collect();
        let mut held: Vec<Option<Held>> = texts.iter().map(|t| Some(Held::new(t.clone(), Some(&spill)))).collect();
        let written = spill.tail().at;
        assert!(written >= 3 * CHUNK as u64);
        let full = allocated(&spill);
        assert!(full >= written, "{full} bytes allocated for {written} written");
        // Every other text dropped: a neighbour stands on each one's edge
        // pages, but each holds at least one whole page of its own.
        for h in held.iter_mut().step_by(2) {
            h.take();
        }
        let half = allocated(&spill);
        let dead_in_file = (0..96).step_by(2).filter(|&i| (i as u64 + 1) * 10_003 <= written).count() as u64;
        assert!(half <= full - dead_in_file * PAGE, "{full} -> {half} bytes for {dead_in_file} dead texts in the file");
        // The rest dropped: adjacent dead texts merge and their shared pages go too.
        for h in held.iter_mut().take(48) {
            h.take();
        }
        let most = allocated(&spill);
        assert!(most <= full - written / 2 + PAGE, "{full} -> {most}: the first half of the file is dead");
        for (t, h) in texts.iter().zip(&held).skip(48).filter_map(|(t, h)| h.as_ref().map(|h| (t, h))) {
            assert_eq!(&h.text().unwrap(), t);
        }
        // Texts that die in the tail go once the tail reaches the file.
        let in_tail: Vec<usize> = (48..96)
            .filter(|&i| held[i].as_ref().is_some_and(|h| matches!(h, Held::Spilled { at, .. } if *at >= written)))
            .collect();
        assert!(!in_tail.is_empty());
        for &i in &in_tail {
            held[i].take();
        }
        let before = allocated(&spill);
        let more: Vec<Held> = (0..30).map(|i| Held::new(format!("{i}{}", "y".repeat(10_000)), Some(&spill))).collect();
        assert!(spill.tail().at > written, "the tail was written");
        let grown = allocated(&spill);
        let new_bytes = spill.tail().at - written;
        assert!(
            grown < before + new_bytes - PAGE,
            "{before} + {new_bytes} -> {grown}: the dead texts of the tail were not kept"
        );
        for (i, h) in more.iter().enumerate() {
            assert_eq!(h.text().unwrap(), format!("{i}{}", "y".repeat(10_000)));
        }
    }

    /// Not reclaiming (a build): a text dropped is not released, so no
    /// system call is made for it.
    #[test]
    fn a_build_drops_its_texts_without_a_system_call_each() {
        let spill = Spill::new().unwrap();
        let held: Vec<Held> = (0..40).map(|i| Held::new(format!("{i}{}", "z".repeat(10_000)), Some(&spill))).collect();
        drop(held);
        assert!(spill.tail().dead.is_empty());
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
