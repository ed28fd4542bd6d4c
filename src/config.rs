//! `book.toml` -> `Config`: the raw serde structs are resolved into checked
//! values once, so later stages never see an unvalidated setting.
//!
//! Key names follow mdBook where they overlap (`[book] title`, `[build]
//! build-dir`), so mdBook users find them where they expect.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{explain_serde_message, line_col, Diagnostic};
use crate::edtf::Edtf;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    book: RawBook,
    #[serde(default)]
    build: RawBuild,
    #[serde(default)]
    site: RawSite,
    #[serde(default)]
    briefings: Vec<RawBriefing>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBook {
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    language: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawBuild {
    content_dir: Option<PathBuf>,
    build_dir: Option<PathBuf>,
    #[serde(default)]
    trusted_html: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSite {
    url: Option<String>,
    cname: Option<String>,
    /// Fixed "now" for feeds, so builds stay reproducible.
    updated: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBriefing {
    id: String,
    title: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    entities: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub description: String,
    pub authors: Vec<String>,
    pub language: String,
    /// Relative to the root.
    pub content_dir: PathBuf,
    pub build_dir: PathBuf,
    pub trusted_html: bool,
    /// Absolute base URL with a trailing `/`, when the site has one.
    pub site_url: Option<String>,
    pub cname: Option<String>,
    pub updated: Option<String>,
    pub briefings: Vec<Briefing>,
    /// The site's icon, from the site root: a `favicon.svg`, `.png` or
    /// `.ico` the dossier puts in `static/`, else the built-in
    /// `assets/favicon.svg` (see [`favicon`]).
    pub favicon: String,
}

/// The icon files looked for at the top of `static/`, in order of
/// preference, with their media types.
pub const FAVICONS: &[(&str, &str)] =
    &[("favicon.svg", "image/svg+xml"), ("favicon.png", "image/png"), ("favicon.ico", "image/x-icon")];

/// The built-in icon, written under `assets/`.
pub const DEFAULT_FAVICON: &str = "assets/favicon.svg";

/// The icon a site links: the first of [`FAVICONS`] among the files copied
/// from `static/` (named from the site root), else [`DEFAULT_FAVICON`].
pub fn favicon<'a>(statics: impl Iterator<Item = &'a str>) -> String {
    let statics: Vec<&str> = statics.filter(|s| s.starts_with("favicon.")).collect();
    FAVICONS.iter().find(|(name, _)| statics.contains(name)).map_or(DEFAULT_FAVICON, |(name, _)| name).to_string()
}

/// The media type of an icon file, by its extension.
pub fn favicon_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    FAVICONS.iter().find(|(name, _)| name.rsplit_once('.').is_some_and(|(_, e)| e == ext)).map_or("", |(_, t)| t)
}

/// Overrides `[site] url` when set (the Pages workflow sets it).
pub const SITE_URL_ENV: &str = "DOSSIER_SITE_URL";

#[derive(Debug, Clone)]
pub struct Briefing {
    pub id: String,
    pub title: String,
    pub audience: Option<String>,
    pub summary: Option<String>,
    pub topics: Vec<String>,
    pub entities: Vec<String>,
    pub sources: Vec<String>,
    pub from: Option<Edtf>,
    pub to: Option<Edtf>,
    /// Line in book.toml, for cross-reference errors.
    pub line: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "Dossier".into(),
            description: String::new(),
            authors: vec![],
            language: "en".into(),
            content_dir: "content".into(),
            build_dir: "book".into(),
            trusted_html: false,
            site_url: None,
            cname: None,
            updated: None,
            briefings: vec![],
            favicon: DEFAULT_FAVICON.into(),
        }
    }
}

pub const FILE: &str = "book.toml";

impl Config {
    /// Parses `book.toml` text; `path` is only used in diagnostics.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Vec<Diagnostic>> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            let (message, help) = explain_serde_message(e.message());
            let help = help.or_else(|| {
                let m = message.to_lowercase();
                Some(if m.contains("invalid type") {
                    "check the value's type: text in quotes, true/false, or a list [\"a\", \"b\"] (see the README)"
                        .into()
                } else if m.contains("string") {
                    "a quoted value is never closed on its line: end it with the same quote mark".into()
                } else {
                    "book.toml is TOML: `key = \"value\"` lines under [book], [build], [site] and [[briefings]]".into()
                })
            });
            vec![Diagnostic::error(path, line, col, message).with_help_opt(help)]
        })?;
        let mut diags = vec![];
        let mut cfg = Config::default();
        if let Some(t) = raw.book.title {
            cfg.title = t;
        }
        cfg.description = raw.book.description.unwrap_or_default();
        cfg.authors = raw.book.authors;
        if let Some(l) = raw.book.language {
            cfg.language = l;
        }
        if let Some(d) = raw.build.content_dir {
            cfg.content_dir = d;
        }
        if let Some(d) = raw.build.build_dir {
            cfg.build_dir = d;
        }
        cfg.trusted_html = raw.build.trusted_html;
        let line_of = |needle: &str| text.find(needle).map_or(1, |i| line_col(text, i).0);
        // The environment wins over book.toml: a CI deploy (GitHub Pages)
        // knows the address the site will have.
        let from_env = std::env::var(SITE_URL_ENV).ok().filter(|u| !u.trim().is_empty());
        let env_set = from_env.is_some();
        if let Some(url) = from_env.or(raw.site.url) {
            if env_set && !(url.starts_with("https://") || url.starts_with("http://")) {
                diags.push(
                    Diagnostic::error(path, 1, 1, format!("{SITE_URL_ENV} `{url}` is not an absolute http(s) URL"))
                        .with_help(
                            "set it to the address readers use, e.g. \"https://org.github.io/repo/\", or unset it",
                        ),
                );
            } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                diags.push(
                    Diagnostic::error(
                        path,
                        line_of("url"),
                        1,
                        format!("site url `{url}` is not an absolute http(s) URL"),
                    )
                    .with_help("write it as the address readers use, e.g. \"https://org.github.io/repo/\""),
                );
            }
            cfg.site_url = Some(if url.ends_with('/') { url } else { format!("{url}/") });
        }
        cfg.cname = raw.site.cname.filter(|c| !c.trim().is_empty());
        cfg.updated = raw.site.updated;
        let mut seen = std::collections::BTreeSet::new();
        for b in raw.briefings {
            let line = text.find(&format!("\"{}\"", b.id)).map_or(1, |i| line_col(text, i).0);
            if !crate::frontmatter::is_valid_id(&b.id) {
                diags.push(
                    Diagnostic::error(path, line, 1, format!("briefing id `{}` is not a valid id", b.id))
                        .with_help("use lowercase letters, digits and `-`"),
                );
            }
            if !seen.insert(b.id.clone()) {
                diags.push(Diagnostic::error(path, line, 1, format!("briefing `{}` is defined twice", b.id)));
            }
            let mut date = |s: &Option<String>| match s {
                None => None,
                Some(s) => match Edtf::parse(s) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        diags.push(
                            Diagnostic::error(path, line, 1, e.to_string())
                                .with_help("write an EDTF date such as 2019-05 or 2019-05-07"),
                        );
                        None
                    }
                },
            };
            let (from, to) = (date(&b.from), date(&b.to));
            cfg.briefings.push(Briefing {
                id: b.id,
                title: b.title,
                audience: b.audience,
                summary: b.summary,
                topics: b.topics,
                entities: b.entities,
                sources: b.sources,
                from,
                to,
                line,
            });
        }
        if diags.is_empty() {
            Ok(cfg)
        } else {
            Err(diags)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        match Config::parse(text, Path::new("book.toml")) {
            Ok(_) => String::from("ok"),
            Err(d) => d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"),
        }
    }

    #[test]
    fn reads_mdbook_style_keys() {
        let c = Config::parse(
            "[book]\ntitle = \"T\"\nauthors = [\"A\"]\n[build]\nbuild-dir = \"out\"\n[site]\nurl = \"https://o.github.io/r\"\n",
            Path::new("book.toml"),
        )
        .unwrap();
        assert_eq!(c.title, "T");
        assert_eq!(c.build_dir, PathBuf::from("out"));
        assert_eq!(c.site_url.as_deref(), Some("https://o.github.io/r/"));
    }

    #[test]
    fn unknown_key_has_line_and_hint() {
        assert_eq!(
            errors("[book]\ntitle = \"T\"\ntittle = \"x\"\n"),
            "book.toml:3:1: error: unknown field `tittle`\n  = help: did you mean `title`?"
        );
        assert_eq!(
            errors("[build]\nbuild_dir = \"x\"\n"),
            "book.toml:2:1: error: unknown field `build_dir`\n  = help: did you mean `build-dir`?"
        );
    }

    #[test]
    fn wrong_types_and_syntax_point_at_the_line() {
        let e = errors("[book]\nauthors = \"me\"\n");
        assert!(e.starts_with("book.toml:2:11: error: invalid type"), "{e}");
        let e = errors("[book\n");
        assert!(e.starts_with("book.toml:1:"), "{e}");
    }
}
