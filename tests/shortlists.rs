//! `medatlas shortlist` and `medatlas compare` through the real binary, with a private home folder.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{self, temp_dir};

fn run(home: &Path, args: &[&str]) -> Output {
    util::medatlas(args, home)
}

fn ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, args)).unwrap()
}

fn file(home: &Path) -> std::path::PathBuf {
    home.join("medatlas/shortlists.toml")
}

#[test]
fn shortlists_are_edited_from_the_command_line_and_kept_in_the_data_folder() {
    let home = temp_dir();
    let h = home.path();
    ok(h, &["shortlist", "new", "Paper A"]);
    ok(
        h,
        &[
            "shortlist",
            "add",
            "Paper A",
            "adni",
            "oasis",
            "--note",
            "first pass",
        ],
    );
    ok(h, &["shortlist", "add", "Paper A", "brats"]);
    ok(h, &["shortlist", "move", "Paper A", "brats", "1"]);
    ok(h, &["shortlist", "note", "Paper A", "adni", "ADNI-3 only"]);
    let shown = json(h, &["shortlist", "show", "Paper A", "--json"]);
    let ids: Vec<&str> = shown["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["brats", "adni", "oasis"]);
    assert_eq!(shown["items"][1]["note"], "ADNI-3 only");
    assert_eq!(shown["items"][2]["note"], "first pass");
    assert_eq!(shown["items"][0]["in_catalogue"], true);
    ok(h, &["shortlist", "rename", "Paper A", "Thesis"]);
    ok(h, &["shortlist", "remove", "Thesis", "oasis"]);
    let lists = json(h, &["shortlist", "list", "--json"]);
    assert_eq!(lists, serde_json::json!([{"name": "Thesis", "count": 2}]));
    // User data, not cache: its own file, with the previous version kept as a backup.
    assert!(file(h).exists());
    let backup = std::fs::read_to_string(h.join("medatlas/shortlists.toml.bak")).unwrap();
    assert!(backup.contains("oasis"), "{backup}");
    let unknown = run(h, &["shortlist", "add", "Thesis", "adnii"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean adni"));
    ok(h, &["shortlist", "delete", "Thesis"]);
    assert_eq!(
        json(h, &["shortlist", "list", "--json"]),
        serde_json::json!([])
    );
}

#[test]
fn export_and_import_keep_unknown_ids_and_refuse_a_taken_name() {
    let home = temp_dir();
    let h = home.path();
    ok(
        h,
        &[
            "shortlist",
            "add",
            "Team",
            "lidc-idri",
            "luna16",
            "--note",
            "v2",
        ],
    );
    for ext in ["toml", "json"] {
        let path = h.join(format!("team.{ext}"));
        ok(h, &["shortlist", "export", "Team", path.to_str().unwrap()]);
        let taken = run(h, &["shortlist", "import", path.to_str().unwrap()]);
        assert!(!taken.status.success(), "the name is taken");
        let name = format!("Team {ext}");
        ok(
            h,
            &["shortlist", "import", path.to_str().unwrap(), "--as", &name],
        );
        let shown = json(h, &["shortlist", "show", &name, "--json"]);
        assert_eq!(shown["items"][0]["id"], "lidc-idri");
        assert_eq!(shown["items"][1]["note"], "v2");
    }
    // A colleague's list naming a dataset this catalogue lacks: kept and reported.
    let theirs = h.join("theirs.json");
    std::fs::write(
        &theirs,
        r#"{"medatlas_shortlist": 1, "name": "Theirs", "items": [{"id": "adni"}, {"id": "their-own-set"}]}"#,
    )
    .unwrap();
    let out = run(h, &["shortlist", "import", theirs.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("their-own-set"));
    let shown = json(h, &["shortlist", "show", "Theirs", "--json"]);
    assert_eq!(shown["items"][1]["id"], "their-own-set");
    assert_eq!(shown["items"][1]["in_catalogue"], false);
}

#[test]
fn a_broken_shortlists_file_is_reported_with_its_line_and_never_overwritten() {
    let home = temp_dir();
    let h = home.path();
    std::fs::create_dir_all(h.join("medatlas")).unwrap();
    let broken = "version = 1\n[[lists]]\nname = \"A\"\nitems = [ { id = \"adni\" \n";
    std::fs::write(file(h), broken).unwrap();
    let out = run(h, &["shortlist", "add", "A", "oasis"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("shortlists.toml:4:"), "{err}");
    assert_eq!(std::fs::read_to_string(file(h)).unwrap(), broken);
}

#[test]
fn compare_prints_a_table_json_csv_and_markdown() {
    let home = temp_dir();
    let h = home.path();
    let c = json(h, &["compare", "adni", "oasis", "--json"]);
    assert_eq!(c["ids"], serde_json::json!(["adni", "oasis"]));
    let rows = c["rows"].as_array().unwrap();
    for field in [
        "modalities",
        "subjects",
        "download_bytes",
        "licence_family",
        "commercial_use",
        "acknowledgement",
        "first_release_year",
        "related",
    ] {
        assert!(rows.iter().any(|r| r["field"] == field), "{field}");
    }
    let body = rows.iter().find(|r| r["field"] == "body_parts").unwrap();
    assert_eq!(body["differs"], false);
    let csv = ok(h, &["compare", "adni", "oasis", "--csv"]);
    assert!(csv.starts_with("field,differs,adni,oasis\r\n"), "{csv}");
    let md = ok(h, &["compare", "adni", "oasis", "--markdown"]);
    assert!(md.starts_with("| | ADNI | OASIS |"), "{md}");
    let one = run(h, &["compare", "adni"]);
    assert!(!one.status.success());
    assert!(String::from_utf8_lossy(&one.stderr).contains("2 to 6 datasets"));
    ok(h, &["shortlist", "add", "Pair", "kits19", "kits23"]);
    let table = ok(h, &["compare", "--shortlist", "Pair"]);
    assert!(table.contains("KiTS19"), "{table}");
}

#[test]
fn the_write_up_kit_assembles_references_acknowledgements_availability_and_terms() {
    let home = temp_dir();
    let h = home.path();
    let kit = json(
        h,
        &["writeup", "adni", "tcia", "openneuro", "--format", "json"],
    );
    assert_eq!(kit["ids"], serde_json::json!(["adni", "tcia", "openneuro"]));
    // ADNI's byline rule is apart from the acknowledgements.
    let byline = kit["author_line"].as_array().unwrap();
    assert!(byline.iter().any(|a| {
        a["id"] == "adni"
            && a["text"]
                .as_str()
                .unwrap()
                .contains("for the Alzheimer's Disease Neuroimaging Initiative")
    }));
    assert!(
        kit["acknowledgements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["place"] != "author-line")
    );
    // TCIA's required citation is marked.
    let tcia = &kit["references"][1];
    assert_eq!(tcia["id"], "tcia");
    assert!(
        tcia["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["required"] == true)
    );
    // Open and restricted data get their own statements, each dataset with its citation key.
    let classes: Vec<&str> = kit["availability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["open", "restricted"]);
    assert!(
        kit["availability"][1]["statement"]
            .as_str()
            .unwrap()
            .contains("[adni2010]")
    );
    let checks = kit["checklist"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["id"] == "adni" && c["kind"] == "no-ai-upload")
    );
    assert!(checks.iter().all(|c| c["source"].is_string()));

    // A shortlist's notes become the release used; an entry without terms says so.
    ok(
        h,
        &[
            "shortlist",
            "add",
            "Paper",
            "lidc-idri",
            "--note",
            "LIDC-IDRI v4 (2020)",
        ],
    );
    let md = ok(h, &["writeup", "Paper"]);
    assert!(md.starts_with("# Write-up kit\n"), "{md}");
    assert!(
        md.contains("release or subset used: LIDC-IDRI v4 (2020)"),
        "{md}"
    );
    let user = util::data("user-catalogue");
    let text = ok(
        h,
        &[
            "--catalogue",
            user.to_str().unwrap(),
            "writeup",
            "example-brain-mri",
            "--format",
            "text",
            "--style",
            "bibtex",
        ],
    );
    assert!(text.contains("Usage terms not checked yet"), "{text}");
    assert!(text.contains("@article{example-brain-mri2020,"), "{text}");
}
