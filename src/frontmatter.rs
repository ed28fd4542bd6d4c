//! Front matter: split the `---` block off, parse it with serde_yaml into raw
//! structs, then resolve those into checked model types (`Article`,
//! `Entity`, `Topic`). serde_yaml lives in this module only.
//!
//! Every position serde_yaml reports is inside the YAML block; we add the
//! block's offset so diagnostics point at the file's own line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use crate::diag::{explain_serde_message, Diagnostic};
use crate::edtf::Edtf;
use crate::source::{Kind, SourceFile};

/// An id written in the content, with the line it was written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub id: String,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Article {
    pub slug: String,
    pub path: PathBuf,
    pub title: String,
    pub publisher: Ref,
    pub author: Option<String>,
    pub published: Edtf,
    pub published_note: Option<String>,
    /// False when `published` did not parse (a placeholder stands in).
    pub published_known: bool,
    pub original: String,
    /// Line of `original:` in the file.
    pub original_line: usize,
    pub url: Option<String>,
    pub summary: String,
    pub topics: Vec<Ref>,
    pub omitted: Vec<String>,
    pub events: Vec<EventClaim>,
    pub body: String,
    /// 1-based line of the body's first line in the file.
    pub body_line: usize,
}

/// A few named values in order of name: an event's figures or its claims,
/// one or two of each as a rule. (A `BTreeMap` takes a node of some 400
/// bytes however few it holds: at 10,000 articles, 8 MiB for this.)
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Named<V>(Vec<(String, V)>);

impl<V> Named<V> {
    /// Sets `k` to `v` (in its place by name).
    pub fn insert(&mut self, k: String, v: V) {
        match self.0.binary_search_by(|(x, _)| x.as_str().cmp(&k)) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (k, v)),
        }
    }

    pub fn get(&self, k: &str) -> Option<&V> {
        self.0.binary_search_by(|(x, _)| x.as_str().cmp(k)).ok().map(|i| &self.0[i].1)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.into_iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Holds no spare room (kept for the whole build).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, V> IntoIterator for &'a Named<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, V)>, fn(&'a (String, V)) -> (&'a String, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<V> std::ops::Index<&str> for Named<V> {
    type Output = V;
    fn index(&self, k: &str) -> &V {
        self.get(k).unwrap_or_else(|| panic!("no value named `{k}`"))
    }
}

/// As a map, in order of name (as a `BTreeMap` is).
impl<V: Serialize> Serialize for Named<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// What one article says about one event.
#[derive(Debug, Clone)]
pub struct EventClaim {
    pub id: String,
    pub line: usize,
    pub date: Edtf,
    pub title: String,
    pub figures: Named<f64>,
    pub claims: Named<String>,
    pub quote: String,
    pub quote_line: usize,
    pub planned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Organisation,
    Place,
    Operation,
    Publisher,
}

impl EntityKind {
    pub const ALL: [EntityKind; 5] =
        [EntityKind::Person, EntityKind::Organisation, EntityKind::Place, EntityKind::Operation, EntityKind::Publisher];
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Organisation => "organisation",
            EntityKind::Place => "place",
            EntityKind::Operation => "operation",
            EntityKind::Publisher => "publisher",
        }
    }
    pub fn plural(self) -> &'static str {
        match self {
            EntityKind::Person => "People",
            EntityKind::Organisation => "Organisations",
            EntityKind::Place => "Places",
            EntityKind::Operation => "Operations",
            EntityKind::Publisher => "Publishers",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub id: String,
    pub path: PathBuf,
    pub kind: EntityKind,
    pub name: String,
    pub aliases: Vec<String>,
    pub role: Option<String>,
    pub summary: String,
    pub url: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub id: String,
    pub path: PathBuf,
    pub title: String,
    pub summary: String,
    pub parent: Option<Ref>,
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub articles: Vec<Article>,
    pub entities: Vec<Entity>,
    pub topics: Vec<Topic>,
    pub diags: Vec<Diagnostic>,
}

/// A required text value: a string (numbers are taken as written), never
/// empty (`null`, `~` or nothing after the colon), a list or a table.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        // Reported as empty by `nonempty`, at the key's own line.
        Value::Null => Ok(String::new()),
        Value::Sequence(_) => Err(D::Error::custom("invalid type: sequence, expected a string")),
        Value::Mapping(_) => Err(D::Error::custom("invalid type: map, expected a string")),
        Value::Tagged(_) => Err(D::Error::custom("invalid type: tagged value, expected a string")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArticle {
    #[serde(deserialize_with = "text")]
    title: String,
    #[serde(deserialize_with = "text")]
    publisher: String,
    #[serde(default)]
    author: Option<String>,
    published: Value,
    #[serde(default)]
    published_note: Option<String>,
    #[serde(deserialize_with = "text")]
    original: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(deserialize_with = "text")]
    summary: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    omitted: Vec<String>,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: String,
    date: Value,
    #[serde(deserialize_with = "text")]
    title: String,
    #[serde(default)]
    figures: BTreeMap<String, Value>,
    #[serde(default)]
    claims: BTreeMap<String, Value>,
    #[serde(deserialize_with = "text")]
    quote: String,
    #[serde(default)]
    planned: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    kind: EntityKind,
    #[serde(deserialize_with = "text")]
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(deserialize_with = "text")]
    summary: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    #[serde(deserialize_with = "text")]
    title: String,
    #[serde(deserialize_with = "text")]
    summary: String,
    #[serde(default)]
    parent: Option<String>,
}

/// Ids and slugs: lowercase ASCII letters, digits and `-`, starting with a
/// letter or digit. This also keeps `..` and `/` out of output paths.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

/// A valid id made from any text: what the "did you mean" of a bad slug offers.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in deunicode::deunicode(s).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The front matter block and the body, with the body's first line.
pub struct Split<'a> {
    pub yaml: &'a str,
    pub body: &'a str,
    /// 1-based file line of the YAML block's first line.
    pub yaml_line: usize,
    pub body_line: usize,
    /// The YAML block's lines (as `str::lines` splits them), found once:
    /// a field's line is looked up for every field of every article.
    lines: Vec<&'a str>,
}

pub fn split<'a>(text: &'a str, path: &Path) -> Result<Split<'a>, Diagnostic> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text.trim().is_empty() {
        return Err(Diagnostic::error(path, 1, 1, "file is empty")
            .with_help("start the file with a front-matter block: a line `---`, the keys, and a closing `---`"));
    }
    if text[..first_end].trim_end() != "---" {
        return Err(Diagnostic::error(path, 1, 1, "no front matter")
            .with_help("start the file with a line `---`, then the keys (`title: ...`), then a closing `---`"));
    }
    let rest = &text[(first_end + 1).min(text.len())..];
    let mut offset = 0;
    for (i, line) in lines_inclusive(rest).enumerate() {
        let l = line.trim_end();
        if l == "---" || l == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let lines =
                lines_inclusive(yaml).map(|l| l.strip_suffix('\n').map_or(l, |l| l.strip_suffix('\r').unwrap_or(l)));
            return Ok(Split { yaml, body, yaml_line: 2, body_line: i + 3, lines: lines.collect() });
        }
        offset += line.len();
    }
    Err(Diagnostic::error(path, 1, 1, "front matter is never closed")
        .with_help("add a line `---` after the last front-matter key"))
}

/// `text`'s lines with their `\n`, as `str::split_inclusive('\n')` makes
/// them, found by memchr's vector scan (a word at a time for `str`'s).
fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut from = 0;
    std::iter::from_fn(move || {
        if from == text.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &text.as_bytes()[from..]).map_or(text.len(), |k| from + k + 1);
        let line = &text[from..end];
        from = end;
        Some(line)
    })
}

/// Finds the file line of the first front-matter line at or after `from`
/// (a YAML line index) that contains `needle`.
fn line_of(split: &Split, needle: &str, from: usize) -> usize {
    let Some(rest) = split.lines.get(from..) else { return split.yaml_line };
    let found = match rest.first() {
        // A needle within a line: one vector scan of the YAML from line
        // `from` on, then the line the match starts in (a field's line is
        // looked up for every field of every article).
        Some(first) if !needle.contains(['\n', '\r']) => {
            let start = first.as_ptr() as usize - split.yaml.as_ptr() as usize;
            memchr::memmem::find(&split.yaml.as_bytes()[start..], needle.as_bytes()).map(|at| {
                let address = split.yaml.as_ptr() as usize + start + at;
                rest.partition_point(|l| l.as_ptr() as usize <= address) - 1
            })
        }
        _ => rest.iter().position(|l| l.contains(needle)),
    };
    found.map_or(split.yaml_line, |i| from + i + split.yaml_line)
}

fn yaml_error(e: serde_yaml::Error, split: &Split, path: &Path) -> Diagnostic {
    let (mut line, mut col) =
        e.location().map_or((split.yaml_line, 1), |l| (l.line() + split.yaml_line - 1, l.column()));
    let raw = e.to_string();
    if raw.contains("end of stream") {
        // The parser notices an unclosed quote at the end; point at where it opened.
        let open = split.lines.iter().copied().enumerate().find_map(|(i, l)| {
            let v = l.split_once(": ").map_or(l, |(_, v)| v).trim_start();
            let q = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            (v.len() == 1 || !v.trim_end().ends_with(q)).then(|| (i, l.find(q).unwrap_or(0)))
        });
        if let Some((i, c)) = open {
            (line, col) = (i + split.yaml_line, c + 1);
        }
    }
    // serde_yaml prefixes the key path ("events[0].date: invalid type ...").
    let (field, rest) = match raw.split_once(": ") {
        Some((p, r)) if !p.contains(' ') && !p.is_empty() => (Some(p.to_string()), r),
        _ => (None, raw.as_str()),
    };
    // Our own checks of a value (see `text`) carry no key path: take the key
    // from the line the error points at.
    let ours = rest.starts_with("is empty") || rest.starts_with("invalid type");
    if ours {
        // Point at the value, as serde_yaml does for its own type errors.
        if let Some(l) = line.checked_sub(split.yaml_line).and_then(|i| split.lines.get(i)) {
            if let Some(colon) = l.find(':') {
                let after = &l[colon + 1..];
                let value = after.len() - after.trim_start().len();
                col = if after.trim().is_empty() { colon + 2 } else { colon + 2 + value };
            }
        }
    }
    let field = field.or_else(|| {
        if !ours {
            return None;
        }
        let l = split.lines.get(line.checked_sub(split.yaml_line)?)?;
        let key = l.trim_start().trim_start_matches("- ").split_once(':')?.0.trim();
        (!key.is_empty() && !key.contains(' ')).then(|| key.to_string())
    });
    let (message, mut help) = explain_serde_message(rest);
    if help.is_none() {
        let lower = rest.to_lowercase();
        if lower.contains("tab") {
            help = Some("YAML indents with spaces, never tabs".into());
        } else if lower.contains("invalid type") {
            help = Some("check the value's shape: text, a number, a list `[a, b]`, or `- ` lines".into());
        } else if lower.contains("end of stream") || lower.contains("quoted scalar") {
            help = Some("a quoted value is never closed: end it with the same quote mark".into());
        } else if lower.contains("mapping values are not allowed") {
            help = Some("a value containing `: ` must be quoted".into());
        }
    }
    let known = message.starts_with("unknown") || message.starts_with("missing") || message.starts_with("invalid type");
    let message = match (field, known) {
        (Some(f), _) if !message.starts_with("unknown field") => format!("`{f}` {message}")
            .replace("` is empty", "` is empty")
            .replacen(&format!("`{f}` invalid"), &format!("`{f}`: invalid"), 1)
            .replacen(&format!("`{f}` unknown"), &format!("`{f}`: unknown"), 1),
        (_, true) => message,
        _ => format!("invalid front matter: {message}"),
    };
    Diagnostic::error(path, line, col, message).with_help_opt(help)
}

fn date(v: &Value, line: usize, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<Edtf> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Null => {
            diags.push(
                Diagnostic::error(path, line, 1, "the date is empty")
                    .with_help("write an EDTF date such as 2019, 2019-05 or 2019-05-07"),
            );
            return None;
        }
        _ => {
            diags.push(
                Diagnostic::error(path, line, 1, "a date must be a single value")
                    .with_help("write an EDTF date such as 2019-05-07"),
            );
            return None;
        }
    };
    match Edtf::parse(&s) {
        Ok(d) => Some(d),
        Err(e) => {
            diags.push(Diagnostic::error(path, line, 1, e.to_string()).with_help(
                "write an EDTF date: 2019, 2019-05, 2019-05-07, a range 2019-05-07/2019-05-09, approximate 1995~, uncertain 2019-11?",
            ));
            None
        }
    }
}

fn file_id(path: &Path, diags: &mut Vec<Diagnostic>) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
    if !is_valid_id(&stem) {
        diags.push(
            Diagnostic::error(path, 1, 1, format!("file name `{stem}` is not a valid id"))
                .with_help(format!("rename the file to `{}.md`: lowercase letters, digits and `-`", slugify(&stem))),
        );
    }
    stem
}

fn check_id(id: &str, what: &str, line: usize, path: &Path, diags: &mut Vec<Diagnostic>) {
    if !is_valid_id(id) {
        diags.push(
            Diagnostic::error(path, line, 1, format!("{what} `{id}` is not a valid id"))
                .with_help(format!("use lowercase letters, digits and `-`, e.g. `{}`", slugify(id))),
        );
    }
}

/// A web address from front matter: http(s) only, so that no `javascript:`
/// or `data:` value ever becomes a live link. `original` may also be a file
/// name (no scheme).
fn web_address(s: &str, field: &str, file_name_ok: bool, split: &Split, path: &Path, diags: &mut Vec<Diagnostic>) {
    let t = s.trim().to_ascii_lowercase();
    let has_scheme = t.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let ok = t.is_empty() || t.starts_with("https://") || t.starts_with("http://") || (file_name_ok && !has_scheme);
    if !ok {
        diags.push(
            Diagnostic::error(
                path,
                line_of(split, &format!("{field}:"), 0),
                1,
                format!("`{field}` must be an http(s) address"),
            )
            .with_help(if file_name_ok {
                "write https://… or the name of a file under content/originals/"
            } else {
                "write the full address, starting with https://"
            }),
        );
    }
}

fn nonempty(s: &str, field: &str, split: &Split, path: &Path, diags: &mut Vec<Diagnostic>) {
    if s.trim().is_empty() {
        diags.push(
            Diagnostic::error(path, line_of(split, &format!("{field}:"), 0), 1, format!("`{field}` is empty"))
                .with_help(format!("write a value after `{field}:`")),
        );
    }
}

pub fn parse_article(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Article> {
    let path = &file.rel;
    let slug = file_id(path, diags);
    let split = split(&file.text, path).map_err(|d| diags.push(d)).ok()?;
    let raw: RawArticle = serde_yaml::from_str(split.yaml).map_err(|e| diags.push(yaml_error(e, &split, path))).ok()?;
    nonempty(&raw.title, "title", &split, path, diags);
    nonempty(&raw.publisher, "publisher", &split, path, diags);
    nonempty(&raw.original, "original", &split, path, diags);
    nonempty(&raw.summary, "summary", &split, path, diags);
    web_address(&raw.original, "original", true, &split, path, diags);
    web_address(raw.url.as_deref().unwrap_or(""), "url", false, &split, path, diags);
    let published = date(&raw.published, line_of(&split, "published:", 0), path, diags);
    let publisher = Ref { line: line_of(&split, "publisher:", 0), id: raw.publisher };
    let topics = raw
        .topics
        .into_iter()
        .map(|id| Ref { line: line_of(&split, &id, line_of(&split, "topics:", 0) - split.yaml_line), id })
        .collect();
    let mut events = vec![];
    let mut ev_from = 0;
    for ev in raw.events {
        let line = line_of(&split, &format!("id: {}", ev.id), ev_from);
        ev_from = line - split.yaml_line;
        check_id(&ev.id, "event id", line, path, diags);
        let d = date(&ev.date, line_of(&split, "date:", ev_from), path, diags);
        let mut figures = Named::default();
        for (k, v) in ev.figures {
            match v.as_f64() {
                Some(n) => {
                    figures.insert(k, n);
                }
                None => diags.push(
                    Diagnostic::error(
                        path,
                        line_of(&split, &k, ev_from),
                        1,
                        format!("figure `{k}` of event `{}` is not a number", ev.id),
                    )
                    .with_help("figures are numbers; put a text value under `claims:` instead"),
                ),
            }
        }
        let mut claims = Named::default();
        for (k, v) in ev.claims {
            let s = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    diags.push(Diagnostic::error(
                        path,
                        line_of(&split, &k, ev_from),
                        1,
                        format!("claim `{k}` of event `{}` must be a short text", ev.id),
                    ));
                    continue;
                }
            };
            claims.insert(k, s);
        }
        figures.shrink_to_fit();
        claims.shrink_to_fit();
        let quote_line = line_of(&split, "quote:", ev_from);
        if ev.quote.trim().is_empty() {
            diags.push(
                Diagnostic::error(path, quote_line, 1, format!("event `{}` has an empty quote", ev.id))
                    .with_help("quote the sentence of the body that reports the event"),
            );
        }
        if let Some(date) = d {
            events.push(EventClaim {
                id: ev.id,
                line,
                date,
                title: ev.title,
                figures,
                claims,
                quote: ev.quote,
                quote_line,
                planned: ev.planned,
            });
        }
    }
    // Keep going with a placeholder date so cross-references are still
    // checked: the build stops anyway, with every problem listed.
    let published_known = published.is_some();
    let published = published.unwrap_or(Edtf {
        start: crate::edtf::Point { year: 1, month: None, day: None },
        end: None,
        approximate: false,
        uncertain: false,
    });
    Some(Article {
        slug,
        path: path.clone(),
        title: raw.title,
        publisher,
        author: raw.author.filter(|a| !a.trim().is_empty()),
        published,
        published_known,
        published_note: raw.published_note,
        original_line: line_of(&split, "original:", 0),
        original: raw.original,
        url: raw.url.filter(|u| !u.trim().is_empty()),
        summary: raw.summary,
        topics,
        omitted: raw.omitted,
        events,
        body: split.body.to_string(),
        body_line: split.body_line,
    })
}

pub fn parse_entity(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Entity> {
    let path = &file.rel;
    let id = file_id(path, diags);
    let split = split(&file.text, path).map_err(|d| diags.push(d)).ok()?;
    let raw: RawEntity = serde_yaml::from_str(split.yaml).map_err(|e| diags.push(yaml_error(e, &split, path))).ok()?;
    nonempty(&raw.name, "name", &split, path, diags);
    nonempty(&raw.summary, "summary", &split, path, diags);
    web_address(raw.url.as_deref().unwrap_or(""), "url", false, &split, path, diags);
    Some(Entity {
        id,
        path: path.clone(),
        kind: raw.kind,
        name: raw.name,
        aliases: raw.aliases.into_iter().filter(|a| !a.trim().is_empty()).collect(),
        role: raw.role,
        summary: raw.summary,
        url: raw.url,
        body: split.body.to_string(),
    })
}

pub fn parse_topic(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<Topic> {
    let path = &file.rel;
    let id = file_id(path, diags);
    let split = split(&file.text, path).map_err(|d| diags.push(d)).ok()?;
    let raw: RawTopic = serde_yaml::from_str(split.yaml).map_err(|e| diags.push(yaml_error(e, &split, path))).ok()?;
    nonempty(&raw.title, "title", &split, path, diags);
    nonempty(&raw.summary, "summary", &split, path, diags);
    Some(Topic {
        id,
        path: path.clone(),
        title: raw.title,
        summary: raw.summary,
        parent: raw.parent.map(|id| Ref { line: line_of(&split, "parent:", 0), id }),
        body: split.body.to_string(),
    })
}

/// Parses every file (in parallel), keeping the input order.
pub fn parse_all(files: &[SourceFile]) -> Parsed {
    use rayon::prelude::*;
    enum One {
        A(Article),
        E(Entity),
        T(Topic),
    }
    let results: Vec<(Option<One>, Vec<Diagnostic>)> = files
        .par_iter()
        .map(|f| {
            let mut d = vec![];
            let one = match f.kind {
                Kind::Article => parse_article(f, &mut d).map(One::A),
                Kind::Entity => parse_entity(f, &mut d).map(One::E),
                Kind::Topic => parse_topic(f, &mut d).map(One::T),
            };
            (one, d)
        })
        .collect();
    let mut out = Parsed::default();
    for (one, d) in results {
        out.diags.extend(d);
        match one {
            Some(One::A(a)) => out.articles.push(a),
            Some(One::E(e)) => out.entities.push(e),
            Some(One::T(t)) => out.topics.push(t),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, text: &str, expected: &str) {
        let file = SourceFile {
            rel: PathBuf::from(format!("content/articles/{name}.md")),
            kind: Kind::Article,
            text: text.into(),
        };
        let mut d = vec![];
        let a = parse_article(&file, &mut d);
        let shown = d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n");
        if expected == "ok" {
            assert!(a.is_some() && d.is_empty(), "{shown}");
        } else {
            assert_eq!(shown, expected);
        }
    }

    const GOOD: &str = "---\ntitle: T\npublisher: p\npublished: 2019-12\noriginal: a.txt\nsummary: S\nevents:\n  - id: e\n    date: 2019\n    title: E\n    figures: { children: 14 }\n    quote: hello\n---\nhello world\n";

    #[test]
    fn parses_a_good_article() {
        check("a", GOOD, "ok");
        let file = SourceFile { rel: "content/articles/a.md".into(), kind: Kind::Article, text: GOOD.into() };
        let a = parse_article(&file, &mut vec![]).unwrap();
        assert_eq!(a.published.to_string(), "December 2019");
        assert_eq!(a.events[0].figures["children"], 14.0);
        assert_eq!(a.events[0].line, 8);
        assert_eq!(a.body_line, 14);
    }

    #[test]
    fn unknown_key_points_at_its_line() {
        check(
            "a",
            &GOOD.replace("summary: S", "summary: S\ntittle: x"),
            "content/articles/a.md:7:1: error: unknown field `tittle`\n  = help: did you mean `title`?",
        );
    }

    #[test]
    fn bad_dates_and_slugs() {
        check(
            "Bad_Slug",
            &GOOD.replace("published: 2019-12", "published: December 2019"),
            "content/articles/Bad_Slug.md:1:1: error: file name `Bad_Slug` is not a valid id\n  = help: rename the file to `bad-slug.md`: lowercase letters, digits and `-`\ncontent/articles/Bad_Slug.md:4:1: error: `December 2019` is not an EDTF date: the year `December 2019` should be 4 digits\n  = help: write an EDTF date: 2019, 2019-05, 2019-05-07, a range 2019-05-07/2019-05-09, approximate 1995~, uncertain 2019-11?",
        );
    }

    proptest::proptest! {
        #[test]
        fn a_field_is_found_on_the_line_a_line_by_line_search_finds(
            yaml in "((id|date|quote|topics): ?[a-z0-9 -]{0,6}\r?\n){0,12}",
            needle in "(id|date|quote|topics|[a-z]{1,2})(: ?)?[a-z0-9-]{0,2}",
            from in 0usize..14,
        ) {
            let text = format!("---\n{yaml}---\nbody\n");
            let split = split(&text, Path::new("a.md")).unwrap();
            let by_lines = split.lines.get(from..).and_then(|rest| rest.iter().position(|l| l.contains(needle.as_str())))
                .map_or(split.yaml_line, |i| from + i + split.yaml_line);
            proptest::prop_assert_eq!(line_of(&split, &needle, from), by_lines, "{:?} {:?} from {}", yaml, needle, from);
        }

        #[test]
        fn lines_are_split_as_str_splits_them(s in "[a-z:\\- \r\n]{0,40}") {
            proptest::prop_assert_eq!(lines_inclusive(&s).collect::<Vec<_>>(), s.split_inclusive('\n').collect::<Vec<_>>());
            let lines: Vec<&str> = lines_inclusive(&s).map(|l| l.strip_suffix('\n').map_or(l, |l| l.strip_suffix('\r').unwrap_or(l))).collect();
            proptest::prop_assert_eq!(lines, s.lines().collect::<Vec<_>>());
        }
    }

    #[test]
    fn split_errors() {
        check("a", "", "content/articles/a.md:1:1: error: file is empty\n  = help: start the file with a front-matter block: a line `---`, the keys, and a closing `---`");
        check("a", "---\ntitle: x\n", "content/articles/a.md:1:1: error: front matter is never closed\n  = help: add a line `---` after the last front-matter key");
        check("a", "just text", "content/articles/a.md:1:1: error: no front matter\n  = help: start the file with a line `---`, then the keys (`title: ...`), then a closing `---`");
    }

    #[test]
    fn slugify_makes_ids() {
        assert_eq!(slugify("Kassym-Jomart Tokayev!"), "kassym-jomart-tokayev");
        assert_eq!(slugify("Ассамблея"), "assambleia");
        assert!(is_valid_id("rusafa-2"));
        assert!(!is_valid_id("../x") && !is_valid_id("a/b") && !is_valid_id("") && !is_valid_id("A"));
    }
}
