//! How long `serve` takes to apply an edit of one article, without the file
//! watcher, the server or the browser: builds the dossier at ROOT into
//! memory, then N times appends a sentence to one article's first paragraph
//! and times `Live::edit` (recompile, relink, shared pieces, dependent
//! files) and, apart, `graph::link` alone. The article is put back as it was.
//!
//!     cargo run --release --example edit -- /dev/shm/dossier-bench/10000/dossier 30
//!
//! (`bench/serve.py` measures the whole way, from the write to the page in
//! a client.)

use std::path::{Path, PathBuf};
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().expect("usage: edit ROOT [N]"));
    let n: usize = args.next().map_or(20, |s| s.parse().expect("N is a number"));
    let (live, _) = match dossier::live::Live::build(&root) {
        Ok(built) => built,
        Err(f) => panic!("the dossier does not build:\n{}", f.text()),
    };
    // The article in the middle of the list, as bench/serve.py edits.
    let units: Vec<&PathBuf> = live.compiled.units.keys().collect();
    let rel = units[units.len() / 2].clone();
    let path = root.join(&rel);
    let original = std::fs::read_to_string(&path).expect("the article reads");
    let (mut edits, mut links) = (vec![], vec![]);
    for i in 0..n {
        let edited = original.replacen("\n\n", &format!("\n\nEdit number {i} of this benchmark. "), 1);
        std::fs::write(&path, edited).expect("the article writes");
        let t = Instant::now();
        let edit = live.edit(&root, std::slice::from_ref(&rel));
        edits.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Err(f) = edit {
            std::fs::write(&path, &original).expect("the article is put back");
            panic!("the edit failed:\n{}", f.text());
        }
        let c = &live.compiled;
        let list: Vec<_> = c.units.values().cloned().collect();
        let t = Instant::now();
        let graph = dossier::graph::link(c.graph.config.clone(), &c.catalogue, &list, &mut vec![]);
        links.push(t.elapsed().as_secs_f64() * 1000.0);
        drop(graph);
    }
    std::fs::write(&path, &original).expect("the article is put back");
    let show = |name: &str, v: Vec<f64>| {
        let (med, min, max) = median(v);
        println!("{name:<10} median {med:6.1} ms   min {min:6.1}   max {max:6.1}");
    };
    println!("{} articles, {n} edits of {}", live.compiled.units.len(), Path::new(&rel).display());
    show("Live::edit", edits);
    show("link", links);
}
