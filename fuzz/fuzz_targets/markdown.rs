//! Any text through the Markdown stage (mentions, sanitising, highlighting):
//! never a panic.
#![no_main]

use dossier::markdown::{render, Matcher, RenderOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let matcher = Matcher::new([("entities/x/index.html".to_string(), vec!["Rusafa", "Jane Roe"])]);
    for trusted in [false, true] {
        let _ = render(
            body,
            &RenderOptions { root: "../../", matcher: &matcher, trusted_html: trusted, number_paragraphs: true },
        );
    }
});
