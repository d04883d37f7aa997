//! `medatlas new`: a draft entry from a DOI served by a local stand-in, or from a BibTeX entry,
//! written to a folder, valid, marked as a draft and found by search at once.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::util::http::{self, Reply, Request};
use crate::util::{self, temp_dir};

const ORGLETT: &str = "10.1021/acs.orglett.9b00971";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// doi.org unavailable; Crossref answers with a real record (tests/data/doi).
fn crossref() -> http::Server {
    http::serve(|req: &Request| {
        if req.path == format!("/crossref/works/{ORGLETT}") {
            let body =
                std::fs::read_to_string(util::data("doi/crossref-journal-article.json")).unwrap();
            return Reply::json(200, body);
        }
        if req.path.starts_with("/doi/") {
            return Reply::status(503);
        }
        Reply::status(404)
    })
}

fn run(home: &std::path::Path, server: &http::Server, args: &[&str]) -> Output {
    util::medatlas_command(home)
        .env("MEDATLAS_DOI_BASE", server.url("/doi"))
        .env("MEDATLAS_CROSSREF_BASE", server.url("/crossref"))
        .env("MEDATLAS_DATACITE_BASE", server.url("/datacite"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_doi_becomes_a_valid_draft_entry_that_search_finds() {
    let server = crossref();
    let home = temp_dir();
    let h = home.path();
    let into = h.join("drafts");
    let out = run(
        h,
        &server,
        &[
            "new",
            "--doi",
            &format!("https://doi.org/{}", ORGLETT.to_uppercase()),
            "--name",
            "Example Synthesis Set",
            "--into",
            into.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let file = into.join("example-synthesis-set.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("draft = true"), "{text}");
    assert!(text.contains(&format!("doi = \"{ORGLETT}\"")), "{text}");
    // The folder validates, and search finds the new entry by its name.
    let out = util::medatlas(&["validate", into.to_str().unwrap()], h);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = util::medatlas(
        &[
            "--catalogue",
            into.to_str().unwrap(),
            "search",
            "Example Synthesis Set",
            "--mode",
            "keyword",
            "--json",
        ],
        h,
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        found["results"][0]["id"], "example-synthesis-set",
        "{found}"
    );
    // Asked again, the DOI is now cited by that entry: reported with its id, exit code 4.
    let again = util::medatlas_command(h)
        .args([
            "--catalogue",
            into.to_str().unwrap(),
            "new",
            "--doi",
            ORGLETT,
            "--name",
            "X",
        ])
        .env("MEDATLAS_CROSSREF_BASE", server.url("/crossref"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("example-synthesis-set"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_doi_the_catalogue_cites_is_reported_without_fetching() {
    let home = temp_dir();
    // MIMIC-CXR's Scientific Data paper; no server at all: nothing is fetched.
    let out = util::medatlas(
        &["new", "--doi", "doi:10.1038/S41597-019-0322-0"],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("\"mimic-cxr\""), "{}", stderr(&out));
}

#[test]
fn without_a_terminal_the_name_is_required_and_json_writes_nothing() {
    let server = crossref();
    let home = temp_dir();
    let h = home.path();
    let out = run(h, &server, &["new", "--doi", ORGLETT]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("give its name with --name"),
        "{}",
        stderr(&out)
    );
    let out = run(
        h,
        &server,
        &["new", "--doi", ORGLETT, "--name", "Example", "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let draft: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(draft["draft"], true);
    assert_eq!(draft["access"]["level"], "not-checked");
    assert!(!h.join("medatlas/catalogue/example.toml").exists());
    let bad = run(h, &server, &["new", "--doi", "11.1000/x", "--name", "X"]);
    assert!(stderr(&bad).contains("is not a DOI"), "{}", stderr(&bad));
}

#[test]
fn a_bibtex_entry_from_standard_input_becomes_a_draft() {
    let home = temp_dir();
    let h = home.path();
    let bib = std::fs::read_to_string(util::data("doi/physionet-mc-med.bib")).unwrap();
    let mut child = util::medatlas_command(h)
        .args(["new", "--bibtex", "-", "--name", "MC-MED", "--yes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bib.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Into the user catalogue folder by default, and listed as the user's draft.
    assert!(h.join("medatlas/catalogue/mc-med.toml").exists());
    let list = util::medatlas(&["list"], h);
    assert!(stdout(&list).contains("[user, draft]"), "{}", stdout(&list));
}
