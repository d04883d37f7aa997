//! Integration tests of the catalogue through the real `medatlas` binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{self, data, temp_dir};

/// Runs the binary with an empty, private data dir so no real user catalogue is read.
fn medatlas(args: &[&str]) -> Output {
    let home = temp_dir();
    util::medatlas(args, home.path())
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// (id, tier) pairs from the seed's stable id list.
fn seed_ids() -> Vec<(String, Option<u64>)> {
    let text = std::fs::read_to_string(data("catalogue-ids.tsv")).expect("id list");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_owned(), cols[3].trim().parse().ok())
        })
        .collect()
}

#[test]
fn every_seed_id_is_listed_with_its_facts() {
    let out = medatlas(&["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries = json(&out);
    let entries = entries.as_array().expect("array");
    let by_id: BTreeMap<&str, &Value> = entries
        .iter()
        .map(|e| (e["id"].as_str().expect("id"), e))
        .collect();
    let seeds = seed_ids();
    assert_eq!(seeds.len(), 44);
    for (id, tier) in &seeds {
        let e = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("seed id {id} missing from `list --json`"));
        assert_eq!(e["tier"].as_u64(), *tier, "tier of {id}");
        for field in ["modalities", "body_parts"] {
            assert!(
                !e[field].as_array().expect(field).is_empty(),
                "{id} has no {field}"
            );
        }
        assert!(e["access"]["level"].is_string(), "{id} access");
        assert!(e["licence"]["id"].is_string(), "{id} licence");
        let citations = e["citations"].as_array().expect("citations");
        assert!(
            !citations.is_empty() || e["no_citation"].is_string(),
            "{id} has neither a citation nor a no_citation reason"
        );
        assert_eq!(e["origin"]["kind"], "bundled");
    }
}

#[test]
fn list_text_shows_every_entry() {
    let out = medatlas(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for (id, _) in seed_ids() {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{id} "))),
            "{id} not in list"
        );
    }
    let n = util::catalogue().entries.len();
    assert!(text.contains(&format!("{n} datasets")));
}

#[test]
fn validate_passes_on_the_bundled_catalogue() {
    let out = medatlas(&["validate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok: no problems"));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
    let out = medatlas(&["validate", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "{} valid entries",
            util::catalogue().entries.len()
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn each_malformed_file_yields_its_own_precise_error() {
    let dir = data("malformed");
    let expected = std::fs::read_to_string(dir.join("EXPECTED.tsv")).expect("expectations");
    let rows: Vec<(String, usize, String)> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_owned(),
                cols[1].parse().expect("line"),
                cols[2].to_owned(),
            )
        })
        .collect();
    assert!(rows.len() >= 20, "need at least 20 malformed files");
    let on_disk = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    assert_eq!(
        on_disk,
        rows.len(),
        "every malformed file has an expectation"
    );

    let out = medatlas(&["validate", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "validate must fail");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    let problem_lines: Vec<&str> = err.lines().filter(|l| !l.starts_with(' ')).collect();
    for (file, line, fragment) in &rows {
        let prefix = format!("{}:{line}:", dir.join(file).display());
        let matching: Vec<&&str> = problem_lines
            .iter()
            .filter(|l| l.contains(&format!("{}", dir.join(file).display())))
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{file} should yield exactly one problem, got: {matching:?}"
        );
        assert!(
            matching[0].starts_with(&prefix) && matching[0].contains(fragment.as_str()),
            "{file}: expected `{prefix} … {fragment}`, got `{}`",
            matching[0]
        );
    }
    assert!(stdout(&out).contains(&format!("{} problem(s) found", rows.len())));
}

#[test]
fn did_you_mean_hints_list_accepted_values() {
    let out = medatlas(&["validate", data("malformed").to_str().unwrap()]);
    let err = stderr(&out);
    assert!(err.contains("did you mean \"MR\"?"), "{err}");
    assert!(err.contains("did you mean \"brain\"?"), "{err}");
    assert!(err.contains("did you mean \"open\"?"), "{err}");
    assert!(err.contains("did you mean `summary`?"), "{err}");
    assert!(err.contains("did you mean \"CC-BY-4.0\"?"), "{err}");
    assert!(err.contains("accepted: CT, MR, PT"), "{err}");
}

#[test]
fn oversized_file_is_refused_without_reading_it_all() {
    let dir = temp_dir();
    let path = dir.path().join("huge.toml");
    let mut text = String::from("id = \"huge\"\n");
    while text.len() < 300 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, text).unwrap();
    let out = medatlas(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("catalogue files may be at most 262144 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_folder_overrides_a_bundled_entry_and_adds_new_ones() {
    let dir = data("user-catalogue");
    let out = medatlas(&["--catalogue", dir.to_str().unwrap(), "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries = json(&out);
    let entries = entries.as_array().unwrap();
    // The folder overrides mias and adds one entry.
    assert_eq!(entries.len(), util::catalogue().entries.len() + 1);
    let mias = entries.iter().find(|e| e["id"] == "mias").unwrap();
    assert_eq!(mias["name"], "MIAS (local mirror)");
    assert_eq!(mias["origin"]["kind"], "user");
    assert!(
        mias["origin"]["path"]
            .as_str()
            .unwrap()
            .ends_with("mias.toml")
    );
    let added = entries
        .iter()
        .find(|e| e["id"] == "example-brain-mri")
        .unwrap();
    assert_eq!(added["origin"]["kind"], "user");

    let out = medatlas(&["--catalogue", dir.to_str().unwrap(), "list"]);
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("mias ")).unwrap();
    assert!(line.contains("[user]"), "{line}");
}

#[test]
fn platform_user_folder_is_read() {
    let home = temp_dir();
    let user_dir = home.path().join("medatlas/catalogue");
    std::fs::create_dir_all(&user_dir).unwrap();
    std::fs::copy(
        data("user-catalogue/example-brain-mri.toml"),
        user_dir.join("example-brain-mri.toml"),
    )
    .unwrap();
    let out = util::medatlas(&["show", "example-brain-mri", "--json"], home.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["origin"]["kind"], "user");
}

#[test]
fn broken_user_files_never_stop_the_cli() {
    let dir = data("malformed");
    let out = medatlas(&["--catalogue", dir.to_str().unwrap(), "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Only relation-missing-target.toml loads: a dangling relation is reported, the entry kept.
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        util::catalogue().entries.len() + 1
    );
    let err = stderr(&out);
    assert!(err.contains("warning: 56 catalogue problem(s)"), "{err}");
    assert!(err.contains("unknown-modality.toml:12:15"), "{err}");
}

#[test]
fn duplicate_ids_across_user_folders_are_reported() {
    let a = temp_dir();
    let b = temp_dir();
    for dir in [&a, &b] {
        std::fs::copy(
            data("user-catalogue/example-brain-mri.toml"),
            dir.path().join("example-brain-mri.toml"),
        )
        .unwrap();
    }
    let out = medatlas(&[
        "--catalogue",
        a.path().to_str().unwrap(),
        "--catalogue",
        b.path().to_str().unwrap(),
        "validate",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("duplicate id \"example-brain-mri\": already defined in"),
        "{err}"
    );
}

#[test]
fn missing_catalogue_folder_is_reported_not_fatal() {
    let out = medatlas(&["--catalogue", "/nonexistent/medatlas-test", "list"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("catalogue folder not found"));
}

#[test]
fn show_prints_one_entry_and_suggests_on_unknown_ids() {
    let out = medatlas(&["show", "adni", "--json"]);
    assert!(out.status.success());
    let e = json(&out);
    assert_eq!(e["id"], "adni");
    assert_eq!(e["citations"][0]["doi"], "10.1212/WNL.0b013e3181cb3e25");

    let out = medatlas(&["show", "adni"]);
    let text = stdout(&out);
    assert!(text.contains("Alzheimer's Disease Neuroimaging Initiative (ADNI)"));
    assert!(text.contains("https://adni.loni.usc.edu/"));

    let out = medatlas(&["show", "chestxray14"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean nih-chestxray14?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn facets_count_every_entry() {
    let out = medatlas(&["facets", "--json"]);
    assert!(out.status.success());
    let doc = json(&out);
    let n = util::catalogue().entries.len() as u64;
    assert_eq!(doc["total"], n);
    let tiers = doc["facets"]["tier"].as_array().unwrap();
    let sum: u64 = tiers.iter().map(|v| v["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, n, "every entry has exactly one tier value");
    let by_value: BTreeMap<&str, u64> = tiers
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["count"].as_u64().unwrap()))
        .collect();
    // The seed's tier-1 datasets, and entries added since with a curated tier 1.
    let added_tier1 = util::catalogue()
        .entries
        .iter()
        .filter(|e| e.seed.is_none() && e.tier == Some(1))
        .count();
    let expected_tier1 =
        (seed_ids().iter().filter(|(_, t)| *t == Some(1)).count() + added_tier1) as u64;
    assert_eq!(by_value["1"], expected_tier1);
    let keys: BTreeSet<&str> = doc["facets"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "tier",
        "modalities",
        "body_parts",
        "access",
        "species",
        "tasks",
    ] {
        assert!(keys.contains(key), "facet {key}");
    }
}

#[test]
fn cite_several_ids_gives_one_importable_file() {
    let out = medatlas(&["cite", "adni", "tcia", "--format", "bibtex"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("\n@").count() + usize::from(text.starts_with('@')),
        3
    );
    assert!(text.contains("@article{adni2010,"));
    assert!(text.contains("@article{adni2010b,"));
    assert!(text.contains("@article{tcia2013,"));

    let out = medatlas(&["cite", "adni", "tcia", "--format", "ris"]);
    assert_eq!(stdout(&out).matches("ER  - ").count(), 3);

    let out = medatlas(&["cite", "adni", "mias", "--format", "csl-json"]);
    let items = json(&out);
    assert_eq!(items.as_array().unwrap().len(), 4);
    assert_eq!(items[0]["id"], "adni2010");

    let out = medatlas(&["cite", "adni"]);
    assert!(stdout(&out).starts_with("Petersen, R. C., Aisen, P. S."));
}

#[test]
fn cite_reports_unknown_ids_and_uncited_entries() {
    let out = medatlas(&["cite", "adnii"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no dataset with id \"adnii\"; did you mean adni?"),
        "{}",
        stderr(&out)
    );

    // Cited as the resource itself, a record every reference manager imports.
    let out = medatlas(&["cite", "medpix", "--format", "ris"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("note: medpix has no known paper or data DOI"));
    let ris = stdout(&out);
    assert!(ris.starts_with("TY  - ELEC\n"), "{ris}");
    assert!(ris.contains("UR  - https://"), "{ris}");
}

#[test]
fn export_filters_and_writes_csv_and_markdown() {
    let out = medatlas(&[
        "export",
        "--modality",
        "MRI",
        "--body-part",
        "brain",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let id_col = 0;
    let modalities_col = headers.iter().position(|h| h == "modalities").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ids: BTreeSet<String> = rows.iter().map(|r| r[id_col].to_owned()).collect();
    assert!(ids.contains("adni") && ids.contains("oasis"), "{ids:?}");
    assert!(!ids.contains("mias"));
    for row in &rows {
        assert!(
            row[modalities_col].contains("Magnetic resonance"),
            "{row:?}"
        );
    }

    let dir = temp_dir();
    let path = dir.path().join("tier1.md");
    let out = medatlas(&[
        "export",
        "--tier",
        "1",
        "--format",
        "markdown",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(
        md.contains("| [Alzheimer's Disease Neuroimaging Initiative](https://adni.loni.usc.edu/)")
    );
    assert!(!md.contains("OpenNeuro"));

    let out = medatlas(&["export", "--modality", "MRII", "--format", "csv"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("unknown modality \"MRII\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn search_and_eval_from_the_command_line() {
    let dir = temp_dir();
    let store = dir.path().join("store.sqlite3");
    let store = store.to_str().unwrap();
    let out = medatlas(&[
        "--store",
        store,
        "search",
        "mamography",
        "--json",
        "--limit",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    assert_eq!(doc["query"], "mamography");
    assert_eq!(doc["mode"], "hybrid");
    assert!(doc["took_ms"].as_f64().unwrap() >= 0.0);
    assert!(doc["total"].as_u64().unwrap() >= 3);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for hit in results {
        assert!(hit["id"].is_string() && hit["name"].is_string() && hit["score"].is_number());
        assert!(hit["why"].is_object());
    }
    assert!(doc["facets"]["modalities"].is_array());

    // Filters and modes; two processes at once on the same store.
    let a = util::medatlas_command(dir.path())
        .args([
            "--store",
            store,
            "search",
            "brain",
            "--modality",
            "MRI",
            "--mode",
            "keyword",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let b = medatlas(&[
        "--store", store, "search", "brain", "--tier", "2", "--mode", "semantic", "--json",
    ]);
    let a = a.wait_with_output().unwrap();
    assert!(a.status.success() && b.status.success(), "{}", stderr(&b));
    for hit in json(&a)["results"].as_array().unwrap() {
        let id = hit["id"].as_str().unwrap();
        let entry = json(&medatlas(&["show", id, "--json"]));
        assert!(
            entry["modalities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == "MR"),
            "{id}"
        );
    }
    let semantic = json(&b);
    assert_eq!(semantic["mode"], "semantic");
    for hit in semantic["results"].as_array().unwrap() {
        let entry = json(&medatlas(&["show", hit["id"].as_str().unwrap(), "--json"]));
        assert_eq!(entry["tier"], 2);
    }

    let queries = data("dev-queries.tsv");
    let out = medatlas(&["--store", store, "eval", queries.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("30 judged queries"), "{text}");
    for mode in ["hybrid", "keyword", "semantic"] {
        assert!(text.lines().any(|l| l.starts_with(mode)), "{text}");
    }
    assert!(text.contains("weakest queries (hybrid):"));

    let bad = dir.path().join("bad.tsv");
    std::fs::write(&bad, "good query\tadni:2\nno tab here\n").unwrap();
    let out = medatlas(&["--store", store, "eval", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("line 2: expected"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_store_is_reported_once_and_rebuilt() {
    let dir = temp_dir();
    let store = dir.path().join("store.sqlite3");
    std::fs::write(&store, b"this is not a SQLite database, and never was").unwrap();
    let out = medatlas(&[
        "--store",
        store.to_str().unwrap(),
        "search",
        "brain",
        "--mode",
        "keyword",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.matches("was unusable").count(), 1, "{err}");
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|f| {
            f.file_name()
                .to_string_lossy()
                .starts_with("store.sqlite3.unusable-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the unusable file is kept aside");
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"this is not a SQLite database, and never was"
    );
}

#[test]
fn a_cycle_of_derived_from_relations_is_an_error() {
    let dir = data("relations-cycle");
    let out = medatlas(&["validate", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("form a cycle").count(), 1, "{err}");
    assert!(err.contains("alpha -> beta -> alpha"), "{err}");
    assert!(err.contains("alpha.toml:61:"), "{err}");
}

#[test]
fn every_bundled_entry_states_its_usage_terms() {
    let c = util::catalogue();
    let mut unknown = 0;
    for e in &c.entries {
        let terms = e
            .terms
            .as_ref()
            .unwrap_or_else(|| panic!("{}: no [terms]", e.id));
        assert!(e.checked.is_some(), "{}: no checked date", e.id);
        assert!(e.licence.family.is_some(), "{}: no licence family", e.id);
        assert!(!terms.redistribution.is_empty(), "{}", e.id);
        if terms.commercial_use == "unknown" {
            unknown += 1;
            assert!(terms.note.is_some(), "{}: unknown without a note", e.id);
        }
        if e.tier.is_some() {
            assert!(e.tier_source.is_some(), "{}: no tier_source", e.id);
        }
    }
    assert!(
        unknown * 4 <= c.entries.len(),
        "{unknown} of {} entries have unknown commercial use",
        c.entries.len()
    );
}

#[test]
fn filters_by_commercial_use_and_licence_family() {
    let c = util::catalogue();
    for (flag, value, of) in [
        ("--commercial-use", "allowed", "commercial_use"),
        ("--licence-family", "non-commercial", "licence_family"),
    ] {
        let out = medatlas(&[
            "--store", ":memory:", "search", "", flag, value, "--mode", "keyword", "--json",
            "--limit", "200",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = json(&out);
        let ids: Vec<&str> = doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = c
            .entries
            .iter()
            .filter(|e| match of {
                "commercial_use" => e.terms.as_ref().is_some_and(|t| t.commercial_use == value),
                _ => e.licence.family.as_deref() == Some(value),
            })
            .map(|e| e.id.as_str())
            .collect();
        assert!(!expected.is_empty(), "{flag} {value}: no entry to find");
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(sorted, want, "{flag} {value}");
        assert!(doc["facets"][of].is_array(), "{of} facet counts");
    }
}

#[test]
fn a_search_for_a_snomed_code_finds_the_entries_with_that_body_part() {
    let c = util::catalogue();
    let code = c.vocabulary.body_parts["brain"]
        .codes
        .iter()
        .find(|c| c.system == "SNOMED CT")
        .expect("brain has a SNOMED CT code")
        .code
        .clone();
    let out = medatlas(&[
        "--store", ":memory:", "search", &code, "--mode", "keyword", "--json", "--limit", "200",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut found: Vec<String> = json(&out)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    let want: Vec<String> = c
        .entries
        .iter()
        .filter(|e| e.body_parts.iter().any(|b| b == "brain"))
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(found, want);

    // The codes are in `show --json` and `facets --json`.
    let adni = json(&medatlas(&["show", "adni", "--json"]));
    assert!(
        adni["codes"]["body_parts"]["brain"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == code.as_str())
    );
    let facets = json(&medatlas(&["facets", "--json"]));
    let brain = facets["facets"]["body_parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["value"] == "brain")
        .unwrap();
    assert!(brain["codes"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn csv_exports_carry_usage_terms_and_standard_codes() {
    let out = medatlas(&["export", "--format", "csv", "--body-part", "brain"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    for column in [
        "licence_family",
        "commercial_use",
        "redistribution",
        "checked",
        "codes",
    ] {
        assert!(headers.iter().any(|h| h == column), "{column}");
    }
    let codes = headers.iter().position(|h| h == "codes").unwrap();
    let id = headers.iter().position(|h| h == "id").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let adni = rows
        .iter()
        .find(|r| &r[id] == "adni")
        .expect("adni exported");
    assert!(
        adni[codes].contains("brain: SNOMED CT 12738006"),
        "{}",
        &adni[codes]
    );
    assert!(
        adni[codes].contains("human: NCBI Taxonomy 9606"),
        "{}",
        &adni[codes]
    );
}

/// The catalogue expansion's contract (`expansion-ids.tsv`): every `must` id and at least 30
/// `maybe` ids are in the bundled catalogue, with the curated tier the spec proposes unless the
/// entry says why not, and marked as added by the expansion.
#[test]
fn the_expansion_ids_are_in_the_catalogue() {
    let text = std::fs::read_to_string(data("expansion-ids.tsv")).expect("expansion ids");
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 156);
    let catalogue = util::catalogue();
    let mut missing_must = Vec::new();
    let mut maybe_present = 0;
    for row in &rows {
        let (id, tier, priority) = (row[0], row[3].trim(), row[4].trim());
        let Some(entry) = catalogue.get(id) else {
            if priority == "must" {
                missing_must.push(id);
            }
            continue;
        };
        if priority == "maybe" {
            maybe_present += 1;
        }
        assert_eq!(entry.added.as_deref(), Some("catalogue-expansion"), "{id}");
        assert_eq!(entry.tier_source.as_deref(), Some("curated"), "{id}");
        let proposed: u8 = tier.parse().expect("tier");
        assert!(
            entry.tier == Some(proposed) || entry.tier_note.is_some(),
            "{id}: tier {:?} differs from the proposed {proposed} without a tier_note",
            entry.tier
        );
    }
    assert!(
        missing_must.is_empty(),
        "must ids missing: {missing_must:?}"
    );
    assert!(maybe_present >= 30, "only {maybe_present} maybe ids");
    assert!(
        catalogue.entries.len() >= 184,
        "{} entries",
        catalogue.entries.len()
    );
}

#[test]
fn config_keeps_a_contact_address_and_refuses_a_malformed_one() {
    let home = temp_dir();
    let h = home.path();
    let out = util::medatlas(
        &["config", "set", "contact-email", "researcher@example.org"],
        h,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = util::medatlas(&["config", "show"], h);
    assert!(
        stdout(&out).contains("contact-email = researcher@example.org"),
        "{}",
        stdout(&out)
    );
    let bad = util::medatlas(&["config", "set", "contact-email", "nobody"], h);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("is not an e-mail address"),
        "{}",
        stderr(&bad)
    );
    let out = util::medatlas(&["config", "unset", "contact-email"], h);
    assert!(out.status.success());
    assert!(stdout(&util::medatlas(&["config", "show"], h)).contains("(not set)"));
}

#[test]
fn eval_reads_the_users_own_queries_by_default() {
    let home = temp_dir();
    let h = home.path();
    let missing = util::medatlas(&["eval", "--mode", "keyword"], h);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("queries.tsv does not exist"),
        "{}",
        stderr(&missing)
    );
    std::fs::create_dir_all(h.join("medatlas")).unwrap();
    std::fs::write(h.join("medatlas/queries.tsv"), "fastMRI knee\tfastmri:2\n").unwrap();
    let out = util::medatlas(&["eval", "--mode", "keyword", "--json"], h);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report[0]["queries"][0]["top"][0], "fastmri");
}

#[test]
fn a_draft_entry_is_marked_as_such_and_no_bundled_entry_is_a_draft() {
    assert!(util::catalogue().entries.iter().all(|e| !e.draft));
    let dir = data("draft-catalogue");
    let out = medatlas(&[
        "--catalogue",
        dir.to_str().unwrap(),
        "show",
        "example-draft",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(&out)["draft"], true);
    let out = medatlas(&["--catalogue", dir.to_str().unwrap(), "list"]);
    assert!(stdout(&out).contains("[user, draft]"), "{}", stdout(&out));
    // A confirmed entry carries no `draft` key at all.
    let out = medatlas(&["show", "adni", "--json"]);
    assert!(json(&out).get("draft").is_none());
}
