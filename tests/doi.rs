//! Fetching a paper's or data set's metadata by DOI, against stand-ins for doi.org, Crossref and
//! DataCite on the local test server (`util::http`): one path prefix each (`/doi`, `/crossref`,
//! `/datacite`). The successful answers are real records, trimmed (`tests/data/doi/README.md`);
//! the fault cases use the smallest answer that shows the fault.

use std::path::Path;
use std::time::{Duration, Instant};

use medatlas::catalogue::validate::check_doi;
use medatlas::doi::{self, DoiClient, DoiError, FetchOptions, Kind, Record, Source};

use crate::util::http::{self, Reply, Request, Server};
use crate::util::{self, temp_dir};

const ORGLETT: &str = "10.1021/acs.orglett.9b00971";
const FUSION: &str = "10.1145/3132847.3132886";
const HINDAWI: &str = "10.1155/2014/413629";
const ZENODO: &str = "10.5281/zenodo.11197460";
const PHYSIONET: &str = "10.13026/249v-w155";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(util::data(&format!("doi/{name}"))).unwrap()
}

/// Options for a server that plays all three services, with short time-outs and no pause
/// between requests (the pacing test sets its own).
fn options(server: &Server) -> FetchOptions {
    FetchOptions {
        doi_base: server.url("/doi"),
        crossref_base: server.url("/crossref"),
        datacite_base: server.url("/datacite"),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        min_interval: Duration::ZERO,
        ..FetchOptions::default()
    }
}

fn client(server: &Server) -> DoiClient {
    DoiClient::new(options(server)).unwrap()
}

fn cached_client(server: &Server, cache: &Path) -> DoiClient {
    DoiClient::new(FetchOptions {
        cache_dir: Some(cache.to_owned()),
        ..options(server)
    })
    .unwrap()
}

/// doi.org unavailable, and each REST API answering from `crossref` / `datacite` by DOI.
fn registries(
    crossref: &'static [(&'static str, &'static str)],
    datacite: &'static [(&'static str, &'static str)],
) -> Server {
    http::serve(move |req: &Request| {
        if req.path.starts_with("/doi/") {
            return Reply::status(503);
        }
        for (doi, file) in crossref {
            if req.path == format!("/crossref/works/{doi}") {
                return Reply::json(200, fixture(file));
            }
        }
        for (doi, file) in datacite {
            if req.path == format!("/datacite/dois/{doi}") {
                return Reply::json(200, fixture(file));
            }
        }
        Reply::status(404)
    })
}

fn csl(body: serde_json::Value) -> Reply {
    Reply::json(200, body).header("Content-Type", "application/vnd.citationstyles.csl+json")
}

/// What the catalogue's validator asks of a citation, checked field by field.
fn assert_valid_citation(record: &Record) {
    let c = record.citation();
    assert_eq!(c.evidence, "primary");
    assert!(!c.source.is_empty());
    assert!(["paper", "dataset"].contains(&c.role.as_str()));
    if let Some(doi) = &c.doi {
        check_doi(doi).unwrap();
    }
    if let Some(pages) = &c.pages {
        assert!(!pages.contains(['\u{2013}', '\u{2014}']), "{pages}");
    }
    if let Some(year) = c.year {
        assert!((1900..=2100).contains(&year));
    }
    if c.is_publication() {
        assert!(!c.authors.is_empty() && c.year.is_some());
    }
    for name in &c.authors {
        assert_eq!(name.trim(), name);
        assert!(name.split(',').count() <= 3 && name.split(',').all(|p| !p.trim().is_empty()));
    }
}

#[test]
fn doi_org_content_negotiation_comes_first_and_is_polite() {
    let server = http::serve(|req| {
        if req.path == "/doi/10.1000/abc" {
            csl(serde_json::json!({
                "type": "dataset", "DOI": "10.1000/ABC", "title": "A data set",
                "author": [{"literal": "Example Imaging Consortium"}],
                "issued": {"date-parts": [[2021, 6]]}, "publisher": "Example Repository"
            }))
        } else {
            Reply::status(500)
        }
    });
    let client = DoiClient::new(FetchOptions {
        contact: Some("curator@example.org".into()),
        ..options(&server)
    })
    .unwrap();
    let record = client.fetch("https://doi.org/10.1000/ABC").unwrap();
    assert_eq!(record.source, Source::DoiOrg);
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(record.authors, ["Example Imaging Consortium"]);
    assert_eq!((record.year, record.month), (Some(2021), Some(6)));
    assert_eq!(record.doi.as_deref(), Some("10.1000/ABC"));
    let c = record.citation();
    assert_eq!((c.role.as_str(), c.kind.as_str()), ("dataset", "dataset"));
    assert_eq!(c.source, server.url("/doi/10.1000/abc"));

    // A data set: DataCite is asked for its licence (here it fails, which costs nothing).
    assert_eq!(record.licence, None);
    assert_eq!(
        server.request_lines(),
        ["GET /doi/10.1000/abc", "GET /datacite/dois/10.1000/abc"]
    );
    let requests = server.requests();
    assert_eq!(
        requests[0].header("Accept"),
        Some("application/vnd.citationstyles.csl+json")
    );
    let agent = requests[0].header("User-Agent").unwrap();
    assert!(agent.starts_with("MedAtlas/"), "{agent}");
    assert!(agent.ends_with("(mailto:curator@example.org)"), "{agent}");
    assert_eq!(
        doi::user_agent(None),
        format!("MedAtlas/{}", medatlas::VERSION)
    );
}

#[test]
fn a_crossref_journal_article() {
    let server = registries(&[(ORGLETT, "crossref-journal-article.json")], &[]);
    let record = client(&server).fetch(&format!("doi:{ORGLETT}")).unwrap();
    assert_eq!(record.source, Source::Crossref);
    assert_eq!(record.kind, Kind::JournalArticle);
    assert_eq!(
        record.title,
        "A General Copper-Catalyzed Synthesis of Ynamides from 1,2-Dichloroenamides"
    );
    assert_eq!(
        record.authors,
        [
            "Mansfield, S. J.",
            "Smith, R. C.",
            "Yong, J. R. J.",
            "Garry, O. L.",
            "Anderson, E. A."
        ]
    );
    assert_eq!(record.container.as_deref(), Some("Organic Letters"));
    assert_eq!((record.year, record.month), (Some(2019), Some(4)));
    assert_eq!(record.volume.as_deref(), Some("21"));
    assert_eq!(record.issue.as_deref(), Some("8"));
    assert_eq!(record.pages.as_deref(), Some("2918-2922"));
    assert_eq!(
        record.publisher.as_deref(),
        Some("American Chemical Society (ACS)")
    );
    assert_eq!(record.doi.as_deref(), Some(ORGLETT));
    assert_eq!(record.licence, None);
    assert_valid_citation(&record);
    assert_eq!(record.citation().role, "paper");
    // doi.org first, then Crossref; DataCite never asked.
    assert_eq!(
        server.request_lines(),
        [
            format!("GET /doi/{ORGLETT}"),
            format!("GET /crossref/works/{ORGLETT}")
        ]
    );
}

#[test]
fn a_crossref_conference_paper_with_its_subtitle() {
    let server = registries(&[(FUSION, "crossref-conference-paper.json")], &[]);
    let record = client(&server).fetch(FUSION).unwrap();
    assert_eq!(record.kind, Kind::ConferencePaper);
    assert_eq!(
        record.title,
        "FUSION: An Online Method for Multistream Classification"
    );
    assert_eq!(
        record.container.as_deref(),
        Some("Proceedings of the 2017 ACM on Conference on Information and Knowledge Management")
    );
    assert_eq!(record.authors.len(), 6);
    assert_eq!(record.authors[5], "Hamlen, K. W.");
    assert_eq!((record.year, record.month), (Some(2017), Some(11)));
    assert_eq!(record.citation().kind, "paper-conference");
    assert_valid_citation(&record);
}

#[test]
fn a_jats_abstract_becomes_plain_text() {
    let server = registries(&[(HINDAWI, "crossref-jats-abstract.json")], &[]);
    let record = client(&server).fetch(HINDAWI).unwrap();
    let text = record.abstract_text.as_deref().unwrap();
    assert!(
        text.starts_with("This study investigated the influence"),
        "{text}"
    );
    assert!(
        text.contains("corticosterone(P<0.05)and accelerated BP (P<0.01versus basal)"),
        "{text}"
    );
    assert!(!text.contains("jats") && !text.contains("mml"), "{text}");
    assert!(
        text.ends_with("despite preserved endothelial function."),
        "{text}"
    );
    assert_eq!(record.authors[0], "Slezak, P.");
    assert_eq!(record.pages.as_deref(), Some("1-11"));
    assert_eq!(
        record.container.as_deref(),
        Some("BioMed Research International")
    );
    assert_valid_citation(&record);
}

#[test]
fn a_zenodo_dataset_from_datacite_with_its_licence() {
    let server = registries(&[], &[(ZENODO, "datacite-zenodo-dataset.json")]);
    let record = client(&server).fetch(ZENODO).unwrap();
    assert_eq!(record.source, Source::DataCite);
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(
        record.title,
        "Yutu-2 PCAM Images for 3D Scene Reconstruction (2019)"
    );
    assert_eq!(record.authors, ["Ma, X.", "chen, M."]);
    assert_eq!(record.publisher.as_deref(), Some("Zenodo"));
    assert_eq!(record.container.as_deref(), Some("Zenodo"));
    assert_eq!(record.year, Some(2024));
    assert_eq!(record.licence.as_deref(), Some("CC-BY-4.0"));
    let c = record.citation();
    assert_eq!((c.role.as_str(), c.kind.as_str()), ("dataset", "dataset"));
    assert_valid_citation(&record);
    // doi.org failed, Crossref does not know the DOI, DataCite does.
    assert_eq!(
        server.request_lines(),
        [
            format!("GET /doi/{ZENODO}"),
            format!("GET /crossref/works/{ZENODO}"),
            format!("GET /datacite/dois/{ZENODO}")
        ]
    );
}

#[test]
fn a_physionet_dataset_from_datacite() {
    let server = registries(&[], &[(PHYSIONET, "datacite-physionet.json")]);
    let record = client(&server).fetch(PHYSIONET).unwrap();
    assert_eq!(record.source, Source::DataCite);
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(
        record.title,
        "Bridge2AI-Voice: An ethically-sourced, diverse voice dataset linked to health information"
    );
    assert_eq!(
        record.authors,
        [
            "Johnson, A.",
            "Bélisle-Pipon, J.-C.",
            "Dorr, D.",
            "Ghosh, S.",
            "Payne, P.",
            "Powell, M.",
            "Rameau, A.",
            "Ravitsky, V.",
            "Sigaras, A.",
            "Elemento, O.",
            "Bensoussan, Y."
        ]
    );
    assert_eq!(record.doi.as_deref(), Some(PHYSIONET));
    assert_eq!(record.publisher.as_deref(), Some("PhysioNet"));
    assert_eq!(record.container.as_deref(), Some("PhysioNet"));
    assert_eq!(record.year, Some(2025));
    assert_eq!(
        record.url.as_deref(),
        Some("https://physionet.org/content/b2ai-voice/1.1/")
    );
    let c = record.citation();
    assert_eq!((c.role.as_str(), c.kind.as_str()), ("dataset", "dataset"));
    assert_valid_citation(&record);
    // doi.org failed, Crossref does not know the DOI, DataCite does.
    assert_eq!(
        server.request_lines(),
        [
            format!("GET /doi/{PHYSIONET}"),
            format!("GET /crossref/works/{PHYSIONET}"),
            format!("GET /datacite/dois/{PHYSIONET}")
        ]
    );
}

#[test]
fn a_datacite_image_is_cited_as_a_resource_with_its_spdx_licence() {
    let value: serde_json::Value =
        serde_json::from_str(&fixture("datacite-zenodo-image.json")).unwrap();
    let record = Record::from_datacite(&value, "https://api.datacite.org/dois/x").unwrap();
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(record.authors, ["Ma, X.", "Chen, M.", "Hu, T."]);
    assert_eq!(record.licence.as_deref(), Some("CC-BY-4.0"));
    assert_valid_citation(&record);
}

#[test]
fn a_malformed_doi_is_refused_before_any_request() {
    let server = http::serve(|_| Reply::status(500));
    let e = client(&server).fetch("doi:11.1000/xyz").unwrap_err();
    assert!(matches!(e, DoiError::Malformed { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "\"doi:11.1000/xyz\" is not a DOI (it does not start with \"10.\"): a DOI looks like \
         10.1234/abcd, also written doi:10.1234/abcd or https://doi.org/10.1234/abcd"
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn not_found_at_doi_org_means_no_such_doi() {
    let server = http::serve(|_| Reply::status(404));
    let e = client(&server).fetch("10.1000/missing").unwrap_err();
    assert!(matches!(e, DoiError::NotFound { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("no such DOI: 10.1000/missing is not registered"),
        "{e}"
    );
    // A 404 from the resolver is final: the REST APIs are not asked.
    assert_eq!(server.request_lines(), ["GET /doi/10.1000/missing"]);
}

#[test]
fn a_record_without_a_title_is_an_error_naming_it() {
    let server = http::serve(|req| {
        if req.path.starts_with("/doi/") {
            csl(
                serde_json::json!({"type": "article-journal", "DOI": "10.1000/untitled",
                "author": [{"family": "Doe", "given": "Jane"}], "issued": {"date-parts": [[2020]]}}),
            )
        } else {
            Reply::status(503)
        }
    });
    let e = client(&server).fetch("10.1000/untitled").unwrap_err();
    assert_eq!(e.to_string(), "the record of 10.1000/untitled has no title");
}

#[test]
fn a_publication_without_authors_is_an_error_naming_it() {
    let server = http::serve(|req| {
        if req.path.starts_with("/doi/") {
            csl(
                serde_json::json!({"type": "article-journal", "DOI": "10.1000/anonymous",
                "title": "Who wrote this", "issued": {"date-parts": [[2020]]}}),
            )
        } else {
            Reply::status(503)
        }
    });
    let e = client(&server).fetch("10.1000/anonymous").unwrap_err();
    assert_eq!(
        e.to_string(),
        "the record of 10.1000/anonymous names no authors, but a publication of type \
         \"article-journal\" needs at least one"
    );
}

#[test]
fn a_web_page_where_json_was_expected_is_an_error() {
    let server = http::serve(|_| Reply::Send {
        status: 200,
        headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
        body: b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
    });
    let e = client(&server).fetch("10.1000/page").unwrap_err();
    assert!(matches!(e, DoiError::NotJson { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "{} sent a web page (text/html; charset=utf-8) where JSON metadata was expected",
            server.url("/doi/10.1000/page")
        )
    );
    // The same web page, sent as JSON, is still found out.
    let mislabelled = http::serve(|_| Reply::json(200, "<html><body>Sign in</body></html>"));
    let e = client(&mislabelled).fetch("10.1000/page").unwrap_err();
    assert!(matches!(e, DoiError::NotJson { .. }), "{e}");
}

#[test]
fn an_answer_over_2_mb_is_refused() {
    let server = http::serve(|_| Reply::Huge(50 * 1024 * 1024));
    let e = client(&server).fetch("10.1000/huge").unwrap_err();
    assert!(matches!(e, DoiError::TooLarge { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "the answer from {} is larger than 2 MB and was refused",
            server.url("/doi/10.1000/huge")
        )
    );
    assert!(server.body_bytes_sent() < 50 * 1024 * 1024);
}

#[test]
fn a_silent_server_times_out_with_one_message() {
    let server = http::serve(|_| Reply::Hang);
    let started = Instant::now();
    let e = DoiClient::new(FetchOptions {
        request_timeout: Duration::from_millis(500),
        ..options(&server)
    })
    .unwrap()
    .fetch("10.1000/slow")
    .unwrap_err();
    assert!(matches!(e, DoiError::TimedOut { .. }), "{e}");
    let host = server.base().trim_start_matches("http://").to_owned();
    assert_eq!(
        e.to_string(),
        format!("{host} did not answer within 0.5 s; try again later")
    );
    // Three sources, each given half a second.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn too_many_requests_waits_for_retry_after_then_succeeds() {
    let server = http::serve(|req| match req.path.as_str() {
        p if p.starts_with("/doi/") => Reply::status(503),
        p if p == format!("/crossref/works/{ORGLETT}") && req.number == 1 => {
            Reply::status(429).header("Retry-After", "1")
        }
        p if p == format!("/crossref/works/{ORGLETT}") => {
            Reply::json(200, fixture("crossref-journal-article.json"))
        }
        _ => Reply::status(404),
    });
    let started = Instant::now();
    let record = client(&server).fetch(ORGLETT).unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(record.source, Source::Crossref);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn too_many_requests_with_a_long_wait_gives_up_at_once() {
    let server = http::serve(|_| Reply::status(429).header("Retry-After", "120"));
    let started = Instant::now();
    let e = client(&server).fetch("10.1000/busy").unwrap_err();
    assert!(matches!(e, DoiError::RateLimited { .. }), "{e}");
    let host = server.base().trim_start_matches("http://").to_owned();
    assert_eq!(
        e.to_string(),
        format!(
            "{host} asks to wait 120 s before the next request (429 Too Many Requests), longer \
             than the 30 s MedAtlas waits; try again later"
        )
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_redirect_loop_is_an_error() {
    let server = http::serve(|req| match req.path.as_str() {
        p if p.starts_with("/doi/") => Reply::redirect(302, "/loop/a"),
        "/loop/a" => Reply::redirect(302, "/loop/b"),
        "/loop/b" => Reply::redirect(301, "/loop/a"),
        _ => Reply::status(503),
    });
    let e = client(&server).fetch("10.1000/loop").unwrap_err();
    assert!(matches!(e, DoiError::RedirectLoop { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "{} redirects in a loop (back to {})",
            server.url("/doi/10.1000/loop"),
            server.url("/loop/a")
        )
    );

    let chain = http::serve(|req| {
        let n: usize = req
            .path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if req.path.starts_with("/doi/") {
            Reply::redirect(302, "/hop/1")
        } else if req.path.starts_with("/hop/") {
            Reply::redirect(302, &format!("/hop/{}", n + 1))
        } else {
            Reply::status(503)
        }
    });
    let e = client(&chain).fetch("10.1000/far").unwrap_err();
    assert!(matches!(e, DoiError::TooManyRedirects { .. }), "{e}");
    assert!(
        e.to_string().ends_with("redirected more than 5 times"),
        "{e}"
    );
}

#[test]
fn offline_is_one_clear_message() {
    let closed = http::closed_port_base();
    let client = DoiClient::new(FetchOptions {
        doi_base: closed.clone(),
        crossref_base: closed.clone(),
        datacite_base: closed.clone(),
        min_interval: Duration::ZERO,
        ..FetchOptions::default()
    })
    .unwrap();
    let e = client.fetch("10.1000/offline").unwrap_err();
    assert!(matches!(e, DoiError::Unreachable { .. }), "{e}");
    let host = closed.trim_start_matches("http://");
    assert_eq!(
        e.to_string(),
        format!("could not connect to {host}: check the internet connection, or try again later")
    );
}

#[test]
fn the_same_doi_is_fetched_once() {
    let server = registries(&[(ORGLETT, "crossref-journal-article.json")], &[]);
    let cache = temp_dir();
    let first = cached_client(&server, cache.path()).fetch(ORGLETT).unwrap();
    let asked = server.requests().len();
    // Another client (a new run), the DOI written another way.
    let again = cached_client(&server, cache.path())
        .fetch("https://doi.org/10.1021/ACS.ORGLETT.9B00971")
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(server.requests().len(), asked);
    assert!(cache.path().join("crossref").read_dir().unwrap().count() == 1);
}

#[test]
fn a_corrupt_cache_file_is_ignored_and_replaced() {
    let server = registries(&[(ORGLETT, "crossref-journal-article.json")], &[]);
    let cache = temp_dir();
    let client = cached_client(&server, cache.path());
    let path = client.cache_path(ORGLETT, Source::Crossref).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{\"body\": {\"message\": {\"title\": [\"trunc").unwrap();

    let record = client.fetch(ORGLETT).unwrap();
    assert_eq!(record.source, Source::Crossref);
    assert_eq!(server.requests().len(), 2);
    // Replaced by the good answer, which the next fetch reads.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    assert_eq!(
        cached_client(&server, cache.path()).fetch(ORGLETT).unwrap(),
        record
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn requests_are_paced_to_about_three_a_second() {
    let server = http::serve(|_| Reply::status(503));
    let client = DoiClient::new(FetchOptions {
        min_interval: FetchOptions::default().min_interval,
        ..options(&server)
    })
    .unwrap();
    let started = Instant::now();
    let e = client.fetch("10.1000/paced").unwrap_err();
    assert!(matches!(e, DoiError::Http { status: 503, .. }), "{e}");
    assert_eq!(server.requests().len(), 3);
    // Three requests, two pauses of a third of a second.
    assert!(
        started.elapsed() >= Duration::from_millis(660),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_bibtex_file_gives_the_same_kind_of_record() {
    let dir = temp_dir();
    let path = dir.path().join("vindr.bib");
    std::fs::write(
        &path,
        r"@misc{nguyen2021vindr,
            author = {Nguyen, Ha Q. and Pham, Hieu H. and {PhysioNet}},
            title = {{VinDr-CXR}: An open dataset of chest X-rays with radiologist annotations (version 1.0.0)},
            publisher = {PhysioNet}, year = {2021}, doi = {10.13026/3akn-b287},
            url = {https://physionet.org/content/vindr-cxr/1.0.0/}}",
    )
    .unwrap();
    let record = Record::from_bibtex_file(&path).unwrap();
    assert_eq!(record.source, Source::Bibtex);
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(
        record.authors,
        ["Nguyen, H. Q.", "Pham, H. H.", "PhysioNet"]
    );
    assert_eq!(record.doi.as_deref(), Some("10.13026/3akn-b287"));
    assert_eq!(record.citation().source, path.display().to_string());
    assert_valid_citation(&record);

    let e = Record::from_bibtex_file(&dir.path().join("missing.bib")).unwrap_err();
    assert!(e.to_string().starts_with("could not read "), "{e}");
}

/// The citations of every real record pass the catalogue's own validator: each replaces the
/// citations of the user-catalogue example entry, and the folder is validated as
/// `medatlas validate` does.
#[test]
fn every_fixture_citation_passes_the_catalogue_validator() {
    let json = |name: &str| -> serde_json::Value { serde_json::from_str(&fixture(name)).unwrap() };
    let records = [
        Record::from_crossref(
            &json("crossref-journal-article.json"),
            "https://api.crossref.org/works/a",
        )
        .unwrap(),
        Record::from_crossref(
            &json("crossref-conference-paper.json"),
            "https://api.crossref.org/works/b",
        )
        .unwrap(),
        Record::from_crossref(
            &json("crossref-jats-abstract.json"),
            "https://api.crossref.org/works/c",
        )
        .unwrap(),
        Record::from_datacite(
            &json("datacite-zenodo-dataset.json"),
            "https://api.datacite.org/dois/d",
        )
        .unwrap(),
        Record::from_datacite(
            &json("datacite-zenodo-image.json"),
            "https://api.datacite.org/dois/e",
        )
        .unwrap(),
        Record::from_bibtex_file(&util::data("doi/physionet-mc-med.bib")).unwrap(),
    ];
    let example =
        std::fs::read_to_string(util::data("user-catalogue/example-brain-mri.toml")).unwrap();
    let (head, rest) = example.split_once("[[citations]]").unwrap();
    let (_, tail) = rest.split_once("[[sources]]").unwrap();
    let mut citations = String::new();
    for record in &records {
        citations.push_str("[[citations]]\n");
        citations.push_str(&toml::to_string(&record.citation()).unwrap());
        citations.push('\n');
    }
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("example-brain-mri.toml"),
        format!("{head}{citations}[[sources]]{tail}"),
    )
    .unwrap();
    let catalogue = medatlas::catalogue::Catalogue::validate_dir(dir.path()).unwrap();
    assert!(catalogue.problems.is_empty(), "{:#?}", catalogue.problems);
    let entry = catalogue.get("example-brain-mri").unwrap();
    assert_eq!(entry.citations.len(), records.len());
    assert_eq!(entry.citations[3].role, "dataset");
}

/// PhysioNet's own BibTeX export of a data set: `@article` in the "journal" PhysioNet, read as
/// the data set it is (its DOI has PhysioNet's prefix).
#[test]
fn physionets_bibtex_export_is_read_as_a_dataset() {
    let record = Record::from_bibtex_file(&util::data("doi/physionet-mc-med.bib")).unwrap();
    assert_eq!(record.kind, Kind::Dataset);
    assert_eq!(
        record.title,
        "Multimodal Clinical Monitoring in the Emergency Department (MC-MED)"
    );
    assert_eq!(
        record.authors,
        [
            "Kansal, A.",
            "Chen, E.",
            "Jin, T.",
            "Rajpurkar, P.",
            "Kim, D."
        ]
    );
    assert_eq!(record.container.as_deref(), Some("PhysioNet"));
    assert_eq!((record.year, record.month), (Some(2025), Some(9)));
    assert_eq!(record.doi.as_deref(), Some("10.13026/wvyw-g663"));
    assert_eq!(
        record.url.as_deref(),
        Some("https://doi.org/10.13026/wvyw-g663")
    );
    let c = record.citation();
    assert_eq!((c.role.as_str(), c.kind.as_str()), ("dataset", "dataset"));
    assert_valid_citation(&record);
}

#[test]
fn json_that_does_not_parse_and_a_type_that_cannot_be_cited() {
    let server = http::serve(|_| Reply::json(200, "{\"message\": {\"title\": [\"trunc"));
    let e = client(&server).fetch("10.1000/broken").unwrap_err();
    assert!(matches!(e, DoiError::BadJson { .. }), "{e}");
    assert!(
        e.to_string().starts_with(&format!(
            "the metadata from {} could not be read: ",
            server.url("/doi/10.1000/broken")
        )),
        "{e}"
    );

    let review = serde_json::json!({"message": {"type": "peer-review", "DOI": "10.1000/review",
        "title": ["A review"], "author": [{"family": "Roe", "given": "Richard"}]}});
    let e = Record::from_crossref(&review, "https://api.crossref.org/works/10.1000/review")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the record of 10.1000/review is of type \"peer-review\", which MedAtlas cannot cite"
    );
}

/// A data set found by content negotiation gets its licence from DataCite's own record. The CSL
/// answer is the Zenodo fixture's record in CSL form (same values); DataCite answers the fixture.
#[test]
fn a_dataset_from_doi_org_gets_its_licence_from_datacite() {
    let server = http::serve(|req| {
        if req.path == format!("/doi/{ZENODO}") {
            csl(serde_json::json!({
                "type": "dataset", "DOI": ZENODO,
                "title": "Yutu-2 PCAM Images for 3D Scene Reconstruction (2019)",
                "author": [{"family": "Ma", "given": "Xinyu"}, {"family": "chen", "given": "Meixi"}],
                "issued": {"date-parts": [[2024]]}, "publisher": "Zenodo"
            }))
        } else if req.path == format!("/datacite/dois/{ZENODO}") {
            Reply::json(200, fixture("datacite-zenodo-dataset.json"))
        } else {
            Reply::status(404)
        }
    });
    let cache = temp_dir();
    let record = cached_client(&server, cache.path()).fetch(ZENODO).unwrap();
    assert_eq!(record.source, Source::DoiOrg);
    assert_eq!(record.authors, ["Ma, X.", "chen, M."]);
    assert_eq!(record.licence.as_deref(), Some("CC-BY-4.0"));
    // Both answers are kept: the next run asks nothing and finds the same licence.
    let again = cached_client(&server, cache.path()).fetch(ZENODO).unwrap();
    assert_eq!(again, record);
    assert_eq!(server.requests().len(), 2);
}
