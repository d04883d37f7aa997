//! Citation output for every bundled entry, checked with independent parsers and golden files.

use std::collections::BTreeSet;
use std::path::PathBuf;

use biblatex::{Bibliography, ChunksExt};
use biblib::{CitationParser, RisParser};
use medatlas::catalogue::{Catalogue, Entry};
use medatlas::cite::{Citer, Date, Format};

use crate::util;

fn catalogue() -> &'static Catalogue {
    let c = util::catalogue();
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    c
}

fn all(c: &Catalogue) -> Vec<&Entry> {
    c.entries.iter().collect()
}

/// Every entry's citations, an entry without any counting its resource citation.
fn citation_count(c: &Catalogue) -> usize {
    c.entries.iter().map(|e| e.citations.len().max(1)).sum()
}

/// The accessed date of web resources in these tests (golden files must not change every day).
const ACCESSED: Date = Date {
    year: 2026,
    month: 11,
    day: 28,
};

fn citer(c: &Catalogue) -> Citer {
    Citer::new(c).with_accessed(ACCESSED)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_entry_renders_in_every_format() {
    let c = catalogue();
    let citer = citer(c);
    for e in &c.entries {
        for format in Format::ALL {
            let text = citer.entry(e, format);
            if e.citations.is_empty() {
                // Cited as the resource itself: its homepage and when it was accessed.
                assert!(text.contains(&e.homepage), "{} {format}", e.id);
                let accessed = match format {
                    Format::Apa => "Retrieved November 28, 2026, from",
                    Format::Vancouver => "[cited 2026 Nov 28]",
                    Format::Bibtex => "urldate = {2026-11-28}",
                    Format::Ris => "Y2  - 2026/11/28",
                    Format::CslJson => "2026,",
                };
                assert!(text.contains(accessed), "{} {format}: {text}", e.id);
                continue;
            }
            assert!(!text.trim().is_empty(), "{} {format}: empty", e.id);
            for (i, citation) in e.citations.iter().enumerate() {
                let one = citer.citation(e, i, format).expect("citation");
                let year = citation
                    .year
                    .map_or_else(|| "n.d.".to_owned(), |y| y.to_string());
                if citation.year.is_some() || format == Format::Apa {
                    assert!(
                        one.contains(&year),
                        "{} {format}: year missing in {one}",
                        e.id
                    );
                }
                if format.is_text_style()
                    && let Some(doi) = &citation.doi
                {
                    assert!(one.contains(doi.as_str()), "{} {format}: DOI missing", e.id);
                }
            }
        }
    }
}

#[test]
fn entries_without_citations_are_named_not_dropped_silently() {
    let c = catalogue();
    let citer = citer(c);
    let rendered = citer.document(&all(c), Format::Ris);
    let expected: Vec<String> = c
        .entries
        .iter()
        .filter(|e| e.citations.is_empty())
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(rendered.uncited, expected);
    let bib = citer.document(&all(c), Format::Bibtex).text;
    for id in &expected {
        assert!(bib.contains(&format!("@misc{{{id},")), "{id}");
    }
}

#[test]
fn bibtex_parses_with_a_real_parser_and_keeps_the_fields() {
    let c = catalogue();
    let citer = citer(c);
    let text = citer.document(&all(c), Format::Bibtex).text;
    let bib = Bibliography::parse(&text).unwrap_or_else(|e| panic!("BibTeX does not parse: {e:?}"));
    assert_eq!(bib.len(), citation_count(c));
    let keys: BTreeSet<&str> = bib.keys().collect();
    assert_eq!(keys.len(), bib.len(), "keys must be unique");
    for e in &c.entries {
        let cited = citer.citations_of(e);
        for (i, citation) in cited.iter().enumerate() {
            let year = citation.year.map(|y| y.to_string()).unwrap_or_default();
            let key = if i == 0 || cited[..i].iter().all(|p| p.year != citation.year) {
                format!("{}{year}", e.id)
            } else {
                let n = cited[..i]
                    .iter()
                    .filter(|p| p.year == citation.year)
                    .count();
                format!("{}{year}{}", e.id, char::from(b'a' + n as u8))
            };
            let record = bib
                .get(&key)
                .unwrap_or_else(|| panic!("no BibTeX record {key}"));
            let incomplete = citation.unverified.iter().any(|f| f == "authors");
            if citation.authors.is_empty() {
                assert!(record.get("author").is_none(), "{key}: no author field");
            } else {
                let authors = record.author().expect("author field");
                assert_eq!(
                    authors.len(),
                    citation.authors.len() + usize::from(incomplete),
                    "{key} authors (an incomplete list ends in `and others`)"
                );
            }
            let title = record.title().expect("title").format_verbatim();
            assert_eq!(
                squash(&title.replace(['{', '}'], "")),
                squash(&citation.title.replace(['{', '}'], "")),
                "{key} title"
            );
            let year = record.get("year").map(|y| y.format_verbatim());
            assert_eq!(year, citation.year.map(|y| y.to_string()), "{key} year");
            if let Some(doi) = &citation.doi {
                assert_eq!(&record.doi().expect("doi"), doi, "{key} doi");
            }
            let expected_type = match citation.kind.as_str() {
                "article-journal" => "article",
                "paper-conference" => "inproceedings",
                "chapter" => "incollection",
                "book" => "book",
                "report" => "techreport",
                "thesis" => "phdthesis",
                _ => "misc",
            };
            assert_eq!(
                record.entry_type.to_string().to_lowercase(),
                expected_type,
                "{key} type"
            );
        }
    }
}

#[test]
fn ris_round_trips_through_a_parser() {
    let c = catalogue();
    let citer = citer(c);
    let text = citer.document(&all(c), Format::Ris).text;
    for line in text.lines() {
        assert!(
            line.len() >= 6 && &line[2..6] == "  - " || line == "ER  - ",
            "malformed RIS line {line:?}"
        );
    }
    let parsed = RisParser::new().parse(&text).expect("RIS parses");
    let originals: Vec<_> = c
        .entries
        .iter()
        .flat_map(|e| citer.citations_of(e).into_owned())
        .collect();
    assert_eq!(parsed.len(), originals.len());
    for (p, o) in parsed.iter().zip(originals) {
        assert_eq!(squash(&p.title), squash(&o.title));
        // The parser splits a name at "&", as in an organisation's name ("Medicine & Imaging").
        let ampersands: usize = o.authors.iter().map(|a| a.matches(" & ").count()).sum();
        assert_eq!(p.authors.len(), o.authors.len() + ampersands, "{}", o.title);
        assert_eq!(
            p.doi.as_deref().map(str::to_lowercase),
            o.doi.as_deref().map(str::to_lowercase),
            "{}",
            o.title
        );
        assert_eq!(p.date.as_ref().map(|d| d.year), o.year, "{}", o.title);
    }
}

/// The item types and variables of the CSL 1.0.2 data schema that our output may use.
const CSL_TYPES: &[&str] = &[
    "article",
    "article-journal",
    "book",
    "chapter",
    "dataset",
    "paper-conference",
    "report",
    "thesis",
    "webpage",
];
const CSL_VARIABLES: &[&str] = &[
    "id",
    "type",
    "title",
    "author",
    "editor",
    "container-title",
    "issued",
    "accessed",
    "volume",
    "issue",
    "page",
    "DOI",
    "URL",
    "PMID",
    "PMCID",
    "ISBN",
    "note",
    "publisher",
    "number",
];
const CSL_NAME_PARTS: &[&str] = &["family", "given", "suffix", "literal"];

#[test]
fn csl_json_fits_the_csl_data_model() {
    let c = catalogue();
    let citer = citer(c);
    let text = citer.document(&all(c), Format::CslJson).text;
    let items: Vec<citationberg::json::Item> =
        serde_json::from_str(&text).expect("CSL-JSON deserialises into the CSL data model");
    assert_eq!(items.len(), citation_count(c));
    let raw: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut ids = BTreeSet::new();
    for (item, value) in items.iter().zip(&raw) {
        let id = item.id().expect("id").into_owned();
        assert!(ids.insert(id.clone()), "duplicate id {id}");
        let kind = item.type_().expect("type");
        assert!(CSL_TYPES.contains(&kind.as_ref()), "{id}: type {kind}");
        let object = value.as_object().unwrap();
        for key in object.keys() {
            assert!(
                CSL_VARIABLES.contains(&key.as_str()),
                "{id}: unknown variable {key}"
            );
        }
        assert!(
            object["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{id} title"
        );
        // An undated resource has no `issued`; a publication always has one (the validator checks).
        if let Some(issued) = object.get("issued") {
            let parts = issued["date-parts"].as_array().expect("date-parts");
            assert_eq!(parts.len(), 1);
            let first = parts[0].as_array().unwrap();
            assert!((1..=3).contains(&first.len()));
            assert!(
                first[0]
                    .as_i64()
                    .is_some_and(|y| (1900..=2100).contains(&y))
            );
        }
        let authors = object.get("author").and_then(|a| a.as_array());
        for name in authors.into_iter().flatten() {
            let name = name.as_object().unwrap();
            assert!(
                name.keys().all(|k| CSL_NAME_PARTS.contains(&k.as_str())),
                "{id}"
            );
            assert!(name.contains_key("family") || name.contains_key("literal"));
        }
    }
}

#[test]
fn dataset_citations_are_typed_as_datasets() {
    let c = catalogue();
    let citer = citer(c);
    let e = c.get("ct-colonography").expect("entry");
    assert_eq!(e.citations[0].kind, "dataset");
    let ris = citer.citation(e, 0, Format::Ris).unwrap();
    assert!(ris.starts_with("TY  - DATA\n"));
    let csl = citer.citation(e, 0, Format::CslJson).unwrap();
    assert!(csl.contains("\"type\": \"dataset\""));
    let bib = citer.citation(e, 0, Format::Bibtex).unwrap();
    assert!(bib.starts_with("@misc{ct-colonography2015,"));
    assert!(bib.contains("howpublished = {The Cancer Imaging Archive}"));
    assert!(bib.contains("doi = {10.7937/K9/TCIA.2015.NWTESAY1}"));
    let apa = citer.citation(e, 0, Format::Apa).unwrap();
    assert!(apa.contains(
        "[Data set]. The Cancer Imaging Archive. https://doi.org/10.7937/K9/TCIA.2015.NWTESAY1"
    ));
}

#[test]
fn tcia_collections_cite_data_then_paper_then_tcia() {
    let c = catalogue();
    let citer = citer(c);
    let e = c.get("ct-colonography").expect("entry");
    let apa = citer.entry(e, Format::Apa);
    let data = apa
        .find("Data from CT COLONOGRAPHY")
        .expect("data citation");
    let tcia = apa
        .find("The Cancer Imaging Archive (TCIA): Maintaining")
        .expect("TCIA paper");
    assert!(data < tcia);
}

const GOLDEN_IDS: &[&str] = &[
    "adni",
    "ct-colonography",
    "ddsm",
    "fastmri",
    "mias",
    "tcga",
    "nih-chestxray14",
];

fn golden_path(id: &str, format: Format) -> PathBuf {
    let ext = match format {
        Format::Apa => "apa.txt",
        Format::Vancouver => "vancouver.txt",
        Format::Bibtex => "bib",
        Format::Ris => "ris",
        Format::CslJson => "csl.json",
    };
    util::data("citations").join(format!("{id}.{ext}"))
}

/// Golden files were checked by hand against the style rules; `UPDATE_GOLDEN=1` rewrites them.
#[test]
fn golden_citations() {
    let c = catalogue();
    let citer = citer(c);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for id in GOLDEN_IDS {
        let e = c.get(id).unwrap_or_else(|| panic!("{id}"));
        for format in Format::ALL {
            let text = citer.entry(e, format);
            let path = golden_path(id, format);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else {
                let expected = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                if expected != text {
                    mismatches.push(format!("{}:\n{text}", path.display()));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden mismatch:\n{}",
        mismatches.join("\n")
    );
}

/// A resource whose source names no author and no date: every format leaves both out rather than
/// inventing them, APA puts the title first with "n.d.", and the required flag reaches the JSON.
#[test]
fn a_resource_without_year_or_authors_renders_in_every_format() {
    let dir = util::data("undated-resource");
    let c = Catalogue::validate_dir(&dir).expect("fixture folder");
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    let entry = c.get("example-atlas-site").expect("fixture entry");
    let citer = citer(&c);
    let one = |format| citer.citation(entry, 0, format).expect("citation");
    assert_eq!(
        one(Format::Apa),
        "Example Brain MRI Collection web site. (n.d.). Example Organisation. Retrieved November 28, 2026, from https://example.org/ebmc/"
    );
    assert_eq!(
        one(Format::Vancouver),
        "Example Brain MRI Collection web site [Internet]. Example Organisation. [cited 2026 Nov 28]. Available from: https://example.org/ebmc/"
    );
    let bib = Bibliography::parse(&one(Format::Bibtex)).expect("BibTeX parses");
    let record = bib.get("example-atlas-site").expect("key without a year");
    assert!(record.get("author").is_none() && record.get("year").is_none());
    let ris = one(Format::Ris);
    assert!(!ris.contains("AU  - ") && !ris.contains("PY  - "), "{ris}");
    let csl: serde_json::Value = serde_json::from_str(&one(Format::CslJson)).expect("CSL-JSON");
    let item = &csl[0];
    assert!(
        item.get("author").is_none() && item.get("issued").is_none(),
        "{item}"
    );
    let json = serde_json::to_value(entry).expect("entry JSON");
    assert_eq!(json["citations"][0]["required"], true);
    assert!(json["citations"][0].get("year").is_none());
}
