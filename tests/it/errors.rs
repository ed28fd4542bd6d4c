//! Error output is user interface: snapshot-tested.

use crate::{dossier, fixture_dir};

#[test]
fn every_problem_of_a_build_is_reported_at_once() {
    let r = dossier(&fixture_dir("errors/many"), &["build", "--out", "/nonexistent-dossier-test-out"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr);
}

#[test]
fn book_toml_errors_have_a_line_and_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("book.toml"), "[book]\ntitle = \"x\"\n[build]\nbuild_dir = \"out\"\n").unwrap();
    let r = dossier(tmp.path(), &["build"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    book.toml:4:1: error: unknown field `build_dir`
      = help: did you mean `build-dir`?
    dossier: 1 error(s), 0 warning(s); nothing was written
    ");
}
