//! EDTF (Extended Date/Time Format, level 0 and the parts of level 1 that
//! sources need): a date as precise as the evidence, never more.
//!
//! jiff has no partial-date type, so this small one is ours. Ordering
//! (documented in docs/content.md): by the first day the date can mean, then
//! the less precise first ("May 2019" before "7 May 2019"), then the shorter
//! span first ("7 May 2019" before "7–9 May 2019").

use std::cmp::Ordering;
use std::fmt;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A year, a month of a year, or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl Point {
    /// The first day this point can mean, as (y, m, d).
    fn first_day(&self) -> (i32, u8, u8) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }
    /// The last day this point can mean.
    fn last_day(&self) -> (i32, u8, u8) {
        let m = self.month.unwrap_or(12);
        (self.year, m, self.day.unwrap_or_else(|| days_in_month(self.year, m)))
    }
    fn precision(&self) -> u8 {
        match (self.month, self.day) {
            (None, _) => 0,
            (Some(_), None) => 1,
            _ => 2,
        }
    }
    fn to_iso(self) -> String {
        let mut out = String::with_capacity(10);
        self.push_iso(&mut out);
        out
    }
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (as `{:04}` pads a year) onto
    /// `out`: dates are formatted on every page that shows a report, where
    /// `format!` with padding cost about 1,300 instructions a date.
    fn push_iso(self, out: &mut String) {
        if (0..=9999).contains(&self.year) {
            push_digits(out, self.year as u32, 4);
        } else {
            out.push_str(&format!("{:04}", self.year));
        }
        if let Some(m) = self.month {
            out.push('-');
            push_digits(out, u32::from(m), 2);
            if let Some(d) = self.day {
                out.push('-');
                push_digits(out, u32::from(d), 2);
            }
        }
    }
}

/// `n` in decimal onto `out`, padded with zeros to `width` digits at least.
fn push_digits(out: &mut String, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let (mut n, mut i) = (n, buf.len());
    while n > 0 || buf.len() - i < width {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(buf[i..].iter().map(|&d| char::from(d)));
}

/// `n` in decimal, as `Display` writes it, onto `out`.
fn push_int(out: &mut String, n: i32) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs(), 1);
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edtf {
    pub start: Point,
    /// Set for ranges (`A/B`).
    pub end: Option<Point>,
    pub approximate: bool,
    pub uncertain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an EDTF date: {reason}")]
pub struct EdtfError {
    pub input: String,
    pub reason: String,
}

impl Edtf {
    pub fn parse(input: &str) -> Result<Edtf, EdtfError> {
        let err = |reason: &str| EdtfError { input: input.to_string(), reason: reason.to_string() };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let (mut approximate, mut uncertain) = (false, false);
        let mut parts = s.splitn(2, '/');
        let a = parts.next().unwrap_or_default();
        let b = parts.next();
        let mut point = |p: &str| -> Result<Point, EdtfError> {
            let mut p = p;
            loop {
                if let Some(r) = p.strip_suffix('~') {
                    approximate = true;
                    p = r;
                } else if let Some(r) = p.strip_suffix('?') {
                    uncertain = true;
                    p = r;
                } else if let Some(r) = p.strip_suffix('%') {
                    approximate = true;
                    uncertain = true;
                    p = r;
                } else {
                    break;
                }
            }
            parse_point(p).map_err(|reason| err(&reason))
        };
        let start = point(a)?;
        let end = match b {
            None => None,
            Some(b) => {
                let end = point(b)?;
                if end.first_day() < start.first_day() {
                    return Err(err("the range ends before it starts"));
                }
                Some(end)
            }
        };
        Ok(Edtf { start, end, approximate, uncertain })
    }

    pub fn first_day(&self) -> (i32, u8, u8) {
        self.start.first_day()
    }
    pub fn last_day(&self) -> (i32, u8, u8) {
        self.end.unwrap_or(self.start).last_day()
    }
    pub fn year(&self) -> i32 {
        self.start.year
    }

    /// The canonical EDTF string (what a machine-readable export carries).
    pub fn to_edtf(&self) -> String {
        let q = match (self.approximate, self.uncertain) {
            (true, true) => "%",
            (true, false) => "~",
            (false, true) => "?",
            _ => "",
        };
        let mut out = String::with_capacity(24);
        self.start.push_iso(&mut out);
        out.push_str(q);
        if let Some(e) = self.end {
            out.push('/');
            e.push_iso(&mut out);
            out.push_str(q);
        }
        out
    }

    /// An ISO date for `<time datetime>`: the start point as precise as known.
    pub fn iso_start(&self) -> String {
        self.start.to_iso()
    }

    /// Whether two dates can mean the same day at all (used to tell a real
    /// disagreement from a difference in precision).
    pub fn overlaps(&self, other: &Edtf) -> bool {
        self.first_day() <= other.last_day() && other.first_day() <= self.last_day()
    }

    /// The order of dates as a plain value: first day, then precision (less
    /// precise first), then span, then the qualifiers. Dates compare as
    /// their keys do; a sort of many dates read from all over the heap can
    /// take the keys once into one array.
    pub fn sort_key(&self) -> SortKey {
        (
            (self.first_day(), self.start.precision(), self.last_day()),
            self.approximate,
            self.uncertain,
            self.end.is_some(),
        )
    }
}

/// [`Edtf::sort_key`].
pub type SortKey = (((i32, u8, u8), u8, (i32, u8, u8)), bool, bool, bool);

impl Ord for Edtf {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for Edtf {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn parse_point(p: &str) -> Result<Point, String> {
    let fields: Vec<&str> = p.split('-').collect();
    let num = |f: &str, what: &str, len: usize| -> Result<u32, String> {
        if f.len() != len || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the {what} `{f}` should be {len} digits"));
        }
        f.parse::<u32>().map_err(|e| e.to_string())
    };
    if fields.is_empty() || fields.len() > 3 {
        return Err("expected YYYY, YYYY-MM or YYYY-MM-DD".into());
    }
    let year = num(fields[0], "year", 4)? as i32;
    let month = match fields.get(1) {
        None => None,
        Some(m) => {
            let m = num(m, "month", 2)?;
            if !(1..=12).contains(&m) {
                return Err(format!("there is no month {m}"));
            }
            Some(m as u8)
        }
    };
    let day = match fields.get(2) {
        None => None,
        Some(d) => {
            let d = num(d, "day", 2)?;
            let max = days_in_month(year, month.unwrap_or(1));
            if d == 0 || d > max as u32 {
                return Err(format!("{} has no day {d}", MONTHS[month.unwrap_or(1) as usize - 1]));
            }
            Some(d as u8)
        }
    };
    Ok(Point { year, month, day })
}

fn words(p: &Point) -> String {
    let mut out = String::with_capacity(20);
    if let Some(m) = p.month {
        if let Some(d) = p.day {
            push_digits(&mut out, u32::from(d), 1);
            out.push(' ');
        }
        out.push_str(MONTHS[m as usize - 1]);
        out.push(' ');
    }
    push_int(&mut out, p.year);
    out
}

/// In words: "7 May 2019", "May 2019", "7–9 May 2019", "c. 1995", "November 2019?".
impl fmt::Display for Edtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = match self.end {
            None => words(&self.start),
            Some(e) => {
                let s = self.start;
                match (s.month, s.day, e.month, e.day) {
                    _ if s == e => words(&s),
                    (Some(sm), Some(sd), Some(em), Some(ed)) if s.year == e.year && sm == em => {
                        format!("{sd}–{ed} {} {}", MONTHS[sm as usize - 1], s.year)
                    }
                    (Some(sm), Some(sd), Some(em), Some(ed)) if s.year == e.year => {
                        format!("{sd} {} – {ed} {} {}", MONTHS[sm as usize - 1], MONTHS[em as usize - 1], s.year)
                    }
                    (Some(sm), None, Some(em), None) if s.year == e.year => {
                        format!("{}–{} {}", MONTHS[sm as usize - 1], MONTHS[em as usize - 1], s.year)
                    }
                    (None, _, None, _) => format!("{}–{}", s.year, e.year),
                    _ => format!("{} – {}", words(&s), words(&e)),
                }
            }
        };
        if self.approximate {
            write!(f, "c. ")?;
        }
        write!(f, "{body}")?;
        if self.uncertain {
            write!(f, "?")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, words: &str) {
        let d = Edtf::parse(input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.to_string(), words, "{input}");
        assert_eq!(Edtf::parse(&d.to_edtf()).unwrap(), d, "round trip of {input}");
    }

    #[test]
    fn renders_in_words() {
        check("2019", "2019");
        check("2019-05", "May 2019");
        check("2019-05-07", "7 May 2019");
        check("2019-05-07/2019-05-09", "7–9 May 2019");
        check("2019-05-30/2019-06-02", "30 May – 2 June 2019");
        check("2016/2018", "2016–2018");
        check("2019-05/2019-06", "May–June 2019");
        check("2018-12-30/2019-01-02", "30 December 2018 – 2 January 2019");
        check("1995~", "c. 1995");
        check("2019-11?", "November 2019?");
        check("2019-11%", "c. November 2019?");
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in ["", "May 2019", "2019-13", "2019-02-30", "19", "2019-5-7", "2019/2018", "2019-05-07T10:00"] {
            assert!(Edtf::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Edtf::parse("2019-02-29").unwrap_err().reason, "February has no day 29");
        assert!(Edtf::parse("2020-02-29").is_ok());
    }

    #[test]
    fn orders_month_before_day_before_range() {
        let mut v: Vec<Edtf> = ["2019-05-07/2019-05-09", "2019-05-07", "2019-05", "2019", "2018-12-31", "2019-05-08"]
            .iter()
            .map(|s| Edtf::parse(s).unwrap())
            .collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown, ["31 December 2018", "2019", "May 2019", "7 May 2019", "7–9 May 2019", "8 May 2019"]);
    }

    #[test]
    fn overlap_tells_precision_from_disagreement() {
        let p = |s| Edtf::parse(s).unwrap();
        assert!(p("2019-05").overlaps(&p("2019-05-07")));
        assert!(!p("2019-05-07").overlaps(&p("2019-05-08")));
        assert!(p("2019").overlaps(&p("2019-12-31")));
    }

    proptest::proptest! {
        #[test]
        fn dates_are_written_as_format_writes_them(
            year in proptest::prop_oneof![0i32..=9999, proptest::num::i32::ANY],
            month in proptest::option::of(1u8..=12),
            day in proptest::option::of(1u8..=31),
        ) {
            let p = Point { year, month, day };
            let iso = match (month, day) {
                (None, _) => format!("{year:04}"),
                (Some(m), None) => format!("{year:04}-{m:02}"),
                (Some(m), Some(d)) => format!("{year:04}-{m:02}-{d:02}"),
            };
            proptest::prop_assert_eq!(p.to_iso(), iso);
            let in_words = match (month, day) {
                (None, _) => year.to_string(),
                (Some(m), None) => format!("{} {year}", MONTHS[m as usize - 1]),
                (Some(m), Some(d)) => format!("{d} {} {year}", MONTHS[m as usize - 1]),
            };
            proptest::prop_assert_eq!(words(&p), in_words);
        }
    }
}
