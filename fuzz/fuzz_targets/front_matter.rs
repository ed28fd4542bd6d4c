//! Any bytes, decoded as a content file and parsed as an article, an entity
//! and a topic: diagnostics, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use dossier::frontmatter::{parse_article, parse_entity, parse_topic};
use dossier::source::{decode, Kind, SourceFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode(data.to_vec(), Path::new("content/articles/f.md")) else { return };
    let mut diags = vec![];
    for kind in [Kind::Article, Kind::Entity, Kind::Topic] {
        let file = SourceFile { rel: PathBuf::from("content/articles/f.md"), kind, text: text.clone() };
        match kind {
            Kind::Article => drop(parse_article(&file, &mut diags)),
            Kind::Entity => drop(parse_entity(&file, &mut diags)),
            Kind::Topic => drop(parse_topic(&file, &mut diags)),
        }
    }
});
