//! "Send to Zotero" against a stand-in for Zotero's connector server, built on `util::http`.
//!
//! The stand-in follows Zotero's source point by point:
//! - the HTTP server (Mozilla's httpd, which Zotero's `server.js` runs): an HTTP/1.1 request
//!   without a `Host` header, or with a host that is not the server's, is answered 400;
//! - `server.js`: a POST without a numeric `Content-Length` is answered 400 "Content-length not
//!   provided"; an endpoint answers 400 to a method or content type it does not support and to
//!   invalid JSON, 404 "No endpoint found" to an unknown path; every answer carries
//!   `X-Zotero-Version` and `X-Zotero-Connector-API-Version`;
//! - `server_connector.js`: `GET /connector/ping` answers 200 "Zotero is running";
//!   `getSelectedCollection` lists `targets` (`L<id>` libraries at level 0, `C<id>` collections
//!   below) and the selected library or collection; `saveItems` answers 400
//!   `CONNECTOR_VERSION_OUTDATED` when the client's `X-Zotero-Connector-API-Version` is below the
//!   server's, 409 `SESSION_EXISTS` for a session id it has seen, 500 `{"libraryEditable": false}`
//!   for a read-only library and 201 when saved; `updateSession` answers 400
//!   `SESSION_ID_NOT_PROVIDED`, `SESSION_NOT_FOUND` or `COLLECTION_NOT_FOUND`, 500 when `tags` is
//!   not an array (the save session in `saveSession.js` maps over it), else 200 `{}`;
//!   `import` takes any content type, its session from `?session=`, and answers 400 when no
//!   translator recognises the text, 201 with the items otherwise.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use medatlas::zotero::{self, ItemOptions, Ping, ZoteroClient, ZoteroError};
use serde_json::{Value, json};

use crate::util::http::{self, Reply, Request, Server};
use crate::util::{self, temp_dir};

/// How the stand-in Zotero is set up.
#[derive(Clone)]
struct Setup {
    version: &'static str,
    api_version: u32,
    editable: bool,
    /// The selected collection's id, `None` for the library itself.
    selected: Option<i64>,
    collections: Vec<(i64, &'static str, u32)>,
    /// Collections still listed but deleted before the items are moved.
    deleted: Vec<i64>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            version: "7.0.11",
            api_version: 3,
            editable: true,
            selected: Some(12),
            collections: vec![
                (12, "Inbox", 1),
                (13, "Kidney study", 1),
                (14, "Lungs", 1),
                (15, "Lungs", 2),
            ],
            deleted: Vec::new(),
        }
    }
}

#[derive(Default)]
struct State {
    sessions: HashSet<String>,
}

struct Zotero {
    server: Server,
}

impl Zotero {
    fn start(setup: Setup) -> Zotero {
        let host: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let state = Arc::new(Mutex::new(State::default()));
        let h = Arc::clone(&host);
        let server = http::serve(move |req| route(&setup, &h, &state, req));
        let port = server.base().rsplit(':').next().unwrap().to_owned();
        host.set(port).unwrap();
        Zotero { server }
    }

    fn client(&self) -> ZoteroClient {
        ZoteroClient::new(self.server.base()).unwrap()
    }

    fn requests_to(&self, path: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.split('?').next() == Some(path))
            .collect()
    }
}

/// An answer as `server.js` `_generateResponse` writes it.
fn answer(setup: &Setup, status: u16, content_type: &str, body: &str) -> Reply {
    let reply = if body.is_empty() {
        Reply::empty(status)
    } else {
        Reply::Send {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    };
    reply.header("X-Zotero-Version", setup.version).header(
        "X-Zotero-Connector-API-Version",
        &setup.api_version.to_string(),
    )
}

fn error(setup: &Setup, status: u16, code: &str) -> Reply {
    answer(
        setup,
        status,
        "application/json",
        &json!({ "error": code }).to_string(),
    )
}

/// Methods and content types of an endpoint (`supportedMethods`, `supportedDataTypes`; `None`
/// is `'*'`).
fn endpoint(path: &str) -> Option<(&'static [&'static str], Option<&'static [&'static str]>)> {
    const JSON: &[&str] = &["application/json"];
    Some(match path {
        "/connector/ping" => (&["GET", "POST"], Some(&["application/json", "text/plain"])),
        "/connector/getSelectedCollection"
        | "/connector/saveItems"
        | "/connector/updateSession" => (&["POST"], Some(JSON)),
        "/connector/import" => (&["POST"], None),
        _ => return None,
    })
}

fn route(setup: &Setup, port: &OnceLock<String>, state: &Mutex<State>, req: &Request) -> Reply {
    // httpd: HTTP/1.1 requires a Host naming this server.
    let port = port.get().map(String::as_str).unwrap_or("");
    let host_ok = req
        .header("Host")
        .is_some_and(|h| h == format!("127.0.0.1:{port}") || h == format!("localhost:{port}"));
    if !host_ok {
        return Reply::status(400);
    }
    let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
    let Some((methods, types)) = endpoint(path) else {
        return answer(setup, 404, "text/plain", "No endpoint found\n");
    };
    let mut data = Value::Null;
    if req.method == "POST" {
        let numeric = req
            .header("Content-Length")
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        if !numeric {
            return answer(setup, 400, "text/plain", "Content-length not provided\n");
        }
    }
    if !methods.contains(&req.method.as_str()) {
        return answer(
            setup,
            400,
            "text/plain",
            "Endpoint does not support method\n",
        );
    }
    if req.method == "POST" {
        let content_type = req
            .header("Content-Type")
            .map(|c| c.split(';').next().unwrap_or("").trim().to_owned());
        if let Some(ct) = &content_type {
            if types.is_some_and(|t| !t.contains(&ct.as_str())) {
                return answer(
                    setup,
                    400,
                    "text/plain",
                    "Endpoint does not support content-type\n",
                );
            }
            if ct == "application/json" {
                match serde_json::from_slice(&req.body) {
                    Ok(v) => data = v,
                    Err(_) => return answer(setup, 400, "text/plain", "Invalid JSON provided\n"),
                }
            }
        }
    }
    let mut state = state.lock().unwrap();
    match path {
        "/connector/ping" => answer(
            setup,
            200,
            "text/html",
            "<!DOCTYPE html><html><body>Zotero is running</body></html>",
        ),
        "/connector/getSelectedCollection" => {
            let mut targets =
                vec![json!({"id": "L1", "name": "My Library", "filesEditable": true, "level": 0})];
            targets.extend(setup.collections.iter().map(|(id, name, level)| {
                json!({"id": format!("C{id}"), "name": name, "filesEditable": true, "level": level})
            }));
            let name = setup
                .selected
                .and_then(|s| setup.collections.iter().find(|c| c.0 == s))
                .map_or("My Library", |c| c.1);
            let body = json!({
                "libraryID": 1, "libraryName": "My Library", "libraryEditable": setup.editable,
                "filesEditable": true, "editable": setup.editable,
                "id": setup.selected, "name": name, "targets": targets,
            });
            answer(setup, 200, "application/json", &body.to_string())
        }
        "/connector/saveItems" => {
            // versionWarning(req, true): only when the header is sent, and below the server's.
            if let Some(v) = req.header("X-Zotero-Connector-API-Version")
                && v.parse::<u32>().unwrap_or(0) < setup.api_version
            {
                return error(setup, 400, "CONNECTOR_VERSION_OUTDATED");
            }
            let session = data["sessionID"].as_str().unwrap_or("").to_owned();
            if !state.sessions.insert(session) {
                return error(setup, 409, "SESSION_EXISTS");
            }
            if !setup.editable {
                return answer(
                    setup,
                    500,
                    "application/json",
                    &json!({"libraryEditable": false}).to_string(),
                );
            }
            answer(setup, 201, "application/json", "")
        }
        "/connector/updateSession" => {
            let Some(session) = data["sessionID"].as_str().filter(|s| !s.is_empty()) else {
                return error(setup, 400, "SESSION_ID_NOT_PROVIDED");
            };
            if !state.sessions.contains(session) {
                return error(setup, 400, "SESSION_NOT_FOUND");
            }
            let target = data["target"].as_str().unwrap_or("");
            if let Some(id) = target.strip_prefix('C') {
                let id: i64 = id.parse().unwrap_or(-1);
                if !setup.collections.iter().any(|c| c.0 == id) || setup.deleted.contains(&id) {
                    return error(setup, 400, "COLLECTION_NOT_FOUND");
                }
            }
            // session.update(target, tags): `this._currentTags = tags || []`, then
            // `tags.map(...)`; anything but an array throws, and server.js answers 500.
            if !(data["tags"].is_null() || data["tags"].is_array()) {
                return answer(setup, 500, "", "");
            }
            answer(setup, 200, "application/json", "{}")
        }
        "/connector/import" => {
            let text = String::from_utf8_lossy(&req.body);
            let records = text.matches("TY  - ").count() + text.matches("\n@").count();
            let records = records + usize::from(text.starts_with('@'));
            if records == 0 {
                return Reply::status(400)
                    .header("X-Zotero-Version", setup.version)
                    .header("X-Zotero-Connector-API-Version", "3");
            }
            if !setup.editable {
                return answer(
                    setup,
                    500,
                    "application/json",
                    &json!({"libraryEditable": false}).to_string(),
                );
            }
            let session = query
                .split('&')
                .find_map(|p| p.strip_prefix("session="))
                .unwrap_or("")
                .to_owned();
            if !state.sessions.insert(session) {
                return error(setup, 409, "SESSION_EXISTS");
            }
            let items: Vec<Value> = (0..records).map(|i| json!({"id": i})).collect();
            answer(
                setup,
                201,
                "application/json",
                &Value::Array(items).to_string(),
            )
        }
        _ => answer(setup, 404, "text/plain", "No endpoint found\n"),
    }
}

/// Sends raw bytes and returns the status line of the answer.
fn raw(base: &str, request: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.lines().next().unwrap_or("").to_owned()
}

fn lidc_items(version: &str) -> Vec<Value> {
    let lidc = util::catalogue().get("lidc-idri").unwrap();
    let options = ItemOptions::for_version(Some(version));
    (0..lidc.citations.len())
        .map(|i| zotero::item(lidc, i, options).unwrap())
        .collect()
}

#[test]
fn the_stand_in_checks_host_and_content_length_as_zotero_does() {
    let z = Zotero::start(Setup::default());
    let port = z.server.base().rsplit(':').next().unwrap();
    let ok = format!("GET /connector/ping HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    assert!(raw(z.server.base(), &ok).contains(" 200 "));
    let no_host = "GET /connector/ping HTTP/1.1\r\n\r\n";
    assert!(raw(z.server.base(), no_host).contains(" 400 "));
    let other_host = "GET /connector/ping HTTP/1.1\r\nHost: evil.example:80\r\n\r\n";
    assert!(raw(z.server.base(), other_host).contains(" 400 "));
    let no_length = format!(
        "POST /connector/getSelectedCollection HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\n\r\n"
    );
    assert!(raw(z.server.base(), &no_length).contains(" 400 "));
    // And the client sends both, on every request.
    let client = z.client();
    client.ping().unwrap();
    client.collections().unwrap();
    let ping = z.requests_to("/connector/ping").pop().unwrap();
    assert_eq!(
        ping.header("Host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    let posts = z.requests_to("/connector/getSelectedCollection");
    let sent = posts.last().unwrap();
    assert_eq!(sent.header("Content-Length"), Some("2"));
    assert_eq!(
        sent.header("Host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
}

#[test]
fn ping_reports_that_zotero_runs_and_its_version() {
    let z = Zotero::start(Setup::default());
    assert_eq!(
        z.client().ping().unwrap(),
        Ping::Running {
            version: Some("7.0.11".into())
        }
    );
    let pings = z.requests_to("/connector/ping");
    assert_eq!(pings[0].method, "GET");
    assert_eq!(pings[0].header("X-Zotero-Connector-API-Version"), Some("3"));
}

#[test]
fn a_closed_port_is_not_running_at_once() {
    let client = ZoteroClient::new(&http::closed_port_base()).unwrap();
    let started = Instant::now();
    assert_eq!(client.ping().unwrap(), Ping::NotRunning);
    let err = client.collections().unwrap_err();
    assert!(matches!(err, ZoteroError::NotRunning), "{err}");
    assert_eq!(
        err.to_string(),
        "Zotero is not running: start Zotero, or copy the citation instead"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn silence_is_a_time_out_not_a_hang() {
    let server = http::serve(|_| Reply::Hang);
    let client = ZoteroClient::new(server.base())
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let err = client.ping().unwrap_err();
    assert!(matches!(err, ZoteroError::TimedOut(_)), "{err}");
    assert!(err.is_unreachable());
    assert!(started.elapsed() < Duration::from_secs(4));
    let started = Instant::now();
    let err = client.save_items(&[], "s", "").unwrap_err();
    assert!(matches!(err, ZoteroError::TimedOut(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn collections_list_the_targets_and_the_selected_one() {
    let z = Zotero::start(Setup::default());
    let c = z.client().collections().unwrap();
    assert_eq!(c.selected, "C12");
    assert_eq!(c.selected_name, "Inbox");
    let ids: Vec<&str> = c.targets.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["L1", "C12", "C13", "C14", "C15"]);
    assert_eq!(c.targets[0].level, 0);
    assert!(c.targets[0].is_library());
    assert_eq!(c.find("kidney study")[0].id, "C13");
    assert_eq!(c.find("Lungs").len(), 2);
    let request = &z.requests_to("/connector/getSelectedCollection")[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.json(), json!({}));
    assert_eq!(request.header("Content-Type"), Some("application/json"));

    let library = Zotero::start(Setup {
        selected: None,
        ..Setup::default()
    });
    let c = library.client().collections().unwrap();
    assert_eq!(
        (c.selected.as_str(), c.selected_name.as_str()),
        ("L1", "My Library")
    );
}

#[test]
fn save_items_sends_json_with_the_api_version_and_201_is_success() {
    let z = Zotero::start(Setup::default());
    let client = z.client();
    let items = lidc_items("7.0.11");
    client
        .save_items(&items, "session-1", "https://example.org/lidc")
        .unwrap();
    let request = &z.requests_to("/connector/saveItems")[0];
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert_eq!(request.header("X-Zotero-Connector-API-Version"), Some("3"));
    let body = request.json();
    assert_eq!(body["sessionID"], "session-1");
    assert_eq!(body["uri"], "https://example.org/lidc");
    let sent = body["items"].as_array().unwrap();
    let types: Vec<&str> = sent
        .iter()
        .map(|i| i["itemType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["dataset", "journalArticle", "journalArticle"]);
    assert_eq!(sent[0]["DOI"], "10.7937/K9/TCIA.2015.LO9QL9SX");
    assert_eq!(sent[0]["repository"], "The Cancer Imaging Archive");
    assert_eq!(sent[0]["rights"], "CC-BY-3.0");
    assert_eq!(sent[0]["date"], "2015");
    assert_eq!(
        sent[1]["creators"][0],
        json!({"firstName": "S. G., III", "lastName": "Armato", "creatorType": "author"})
    );
    assert_eq!(sent[1]["publicationTitle"], "Medical Physics");
    assert_eq!(sent[1]["DOI"], "10.1118/1.3528204");
    // Tags are set by updateSession, not as (automatic) item tags.
    assert_eq!(sent[2]["tags"], json!([]));

    client
        .update_session(
            "session-1",
            "C13",
            &["medatlas".into(), "Kidney, study".into()],
        )
        .unwrap();
    let update = z.requests_to("/connector/updateSession")[0].json();
    assert_eq!(
        update,
        json!({"sessionID": "session-1", "target": "C13", "tags": ["medatlas", "Kidney, study"]})
    );
    let err = client.update_session("session-1", "C99", &[]).unwrap_err();
    assert!(
        matches!(err, ZoteroError::CollectionNotFound(ref c) if c == "C99"),
        "{err}"
    );
    let err = client.update_session("nope", "C13", &[]).unwrap_err();
    assert!(matches!(err, ZoteroError::SessionNotFound), "{err}");
}

#[test]
fn a_reused_session_id_is_409_session_exists() {
    let z = Zotero::start(Setup::default());
    let client = z.client();
    let items = lidc_items("7.0.11");
    client.save_items(&items, "same", "").unwrap();
    let err = client.save_items(&items, "same", "").unwrap_err();
    assert!(matches!(err, ZoteroError::SessionExists), "{err}");
    assert_ne!(zotero::new_session_id(), zotero::new_session_id());
}

#[test]
fn a_read_only_library_is_500_not_editable() {
    let z = Zotero::start(Setup {
        editable: false,
        ..Setup::default()
    });
    let err = z
        .client()
        .save_items(&lidc_items("7.0.11"), "s", "")
        .unwrap_err();
    assert!(matches!(err, ZoteroError::LibraryNotEditable), "{err}");
    assert!(err.to_string().contains("read-only"));
}

#[test]
fn a_zotero_expecting_a_newer_protocol_is_400_connector_version_outdated() {
    // The client sends version 3; a Zotero whose CONNECTOR_API_VERSION is 4 finds it outdated.
    let z = Zotero::start(Setup {
        api_version: 4,
        ..Setup::default()
    });
    let err = z
        .client()
        .save_items(&lidc_items("7.0.11"), "s", "")
        .unwrap_err();
    assert!(matches!(err, ZoteroError::ConnectorOutdated), "{err}");
    // The stand-in itself: an old version header is refused, none at all is let through.
    let port = z.server.base().rsplit(':').next().unwrap();
    let body = r#"{"items":[],"sessionID":"raw"}"#;
    let request = |version: &str| {
        format!(
            "POST /connector/saveItems HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n{version}\r\n{body}",
            body.len()
        )
    };
    assert!(
        raw(
            z.server.base(),
            &request("X-Zotero-Connector-API-Version: 2\r\n")
        )
        .contains(" 400 ")
    );
    assert!(raw(z.server.base(), &request("")).contains(" 201 "));
}

#[test]
fn zotero_6_gets_documents_for_data_sets() {
    let items = lidc_items("6.0.30");
    assert_eq!(items[0]["itemType"], "document");
    assert_eq!(items[0]["publisher"], "The Cancer Imaging Archive");
    assert!(
        items[0]["extra"]
            .as_str()
            .unwrap()
            .contains("Type: dataset")
    );
    assert_eq!(items[1]["itemType"], "journalArticle");
}

#[test]
fn import_sends_ris_text_as_a_fallback() {
    let z = Zotero::start(Setup::default());
    let client = z.client();
    let ris = "TY  - DATA\nTI  - Data From LIDC-IDRI\nER  - \n\nTY  - JOUR\nTI  - X\nER  - \n";
    assert_eq!(client.import_text(ris).unwrap(), 2);
    let request = &z.requests_to("/connector/import")[0];
    assert!(
        request
            .path
            .starts_with("/connector/import?session=medatlas-"),
        "{}",
        request.path
    );
    assert_eq!(
        request.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    // A second import is another session.
    assert_eq!(client.import_text(ris).unwrap(), 2);
    assert_eq!(String::from_utf8_lossy(&request.body), ris);
    let err = client.import_text("not a reference").unwrap_err();
    assert!(matches!(err, ZoteroError::NotImportable), "{err}");
}

// The command line.

fn run(home: &Path, base: &str, args: &[&str]) -> Output {
    util::medatlas_command(home)
        .env("MEDATLAS_ZOTERO_URL", base)
        .env_remove("MEDATLAS_SHORTLISTS")
        .args(args)
        .output()
        .unwrap()
}

fn ok_json(home: &Path, base: &str, args: &[&str]) -> Value {
    let out = run(home, base, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_command_sends_every_citation_into_the_chosen_collection_once() {
    let z = Zotero::start(Setup::default());
    let home = temp_dir();
    let h = home.path();
    let report = ok_json(
        h,
        z.server.base(),
        &[
            "zotero",
            "lidc-idri",
            "bcdr",
            "--collection",
            "kidney study",
            "--json",
        ],
    );
    assert_eq!(
        report["collection"],
        json!({"id": "C13", "name": "Kidney study"})
    );
    assert_eq!(report["zotero_version"], "7.0.11");
    // LIDC-IDRI's three citations, and BCDR (no known paper) as the resource itself.
    assert_eq!(report["sent"].as_array().unwrap().len(), 4);
    assert_eq!(report["uncited"], json!(["bcdr"]));
    let save = z.requests_to("/connector/saveItems")[0].json();
    let items = save["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["itemType"], "dataset");
    let bcdr = &items[3];
    assert_eq!(bcdr["itemType"], "webpage");
    assert!(bcdr["url"].as_str().unwrap().starts_with("http"));
    assert!(bcdr["accessDate"].is_string());
    assert!(bcdr["creators"].as_array().is_none_or(|c| c.is_empty()));
    let update = z.requests_to("/connector/updateSession")[0].json();
    assert_eq!(update["target"], "C13");
    assert_eq!(update["tags"], json!(["medatlas"]));
    assert_eq!(update["sessionID"], save["sessionID"]);

    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(h.join("medatlas/zotero-sent.json")).unwrap(),
    )
    .unwrap();
    let sent = record["sent"].as_array().unwrap();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[3]["entry"], "bcdr");
    assert_eq!(sent[2]["entry"], "lidc-idri");
    assert_eq!(sent[2]["citation"], 2);
    assert_eq!(sent[2]["collection"], "C13");
    assert!(sent[0]["date"].as_str().unwrap().ends_with('Z'));

    // Again: skipped, unless --again; another collection is another matter.
    let report = ok_json(
        h,
        z.server.base(),
        &["zotero", "lidc-idri", "--collection", "C13", "--json"],
    );
    assert_eq!(report["sent"], json!([]));
    assert_eq!(report["skipped"].as_array().unwrap().len(), 3);
    assert_eq!(z.requests_to("/connector/saveItems").len(), 1);
    let report = ok_json(
        h,
        z.server.base(),
        &[
            "zotero",
            "lidc-idri",
            "--collection",
            "C13",
            "--again",
            "--json",
        ],
    );
    assert_eq!(report["sent"].as_array().unwrap().len(), 3);
    let report = ok_json(h, z.server.base(), &["zotero", "lidc-idri", "--json"]);
    assert_eq!(report["collection"]["id"], "C12");
    assert_eq!(report["sent"].as_array().unwrap().len(), 3);
    assert_eq!(z.requests_to("/connector/saveItems").len(), 3);
}

#[test]
fn a_shortlist_is_sent_with_its_name_as_a_tag() {
    let z = Zotero::start(Setup::default());
    let home = temp_dir();
    let h = home.path();
    let out = util::medatlas(&["shortlist", "add", "Lung paper", "lidc-idri"], h);
    assert!(out.status.success());
    ok_json(
        h,
        z.server.base(),
        &[
            "zotero",
            "--shortlist",
            "Lung paper",
            "--collection",
            "C14",
            "--json",
        ],
    );
    let update = z.requests_to("/connector/updateSession")[0].json();
    assert_eq!(update["tags"], json!(["medatlas", "Lung paper"]));
    let save = z.requests_to("/connector/saveItems")[0].json();
    assert_eq!(save["items"][0]["tags"], json!([]));
}

#[test]
fn an_ambiguous_or_unknown_collection_lists_the_candidates() {
    let z = Zotero::start(Setup::default());
    let home = temp_dir();
    let out = run(
        home.path(),
        z.server.base(),
        &["zotero", "lidc-idri", "--collection", "lungs"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Lungs (C14)") && err.contains("Lungs (C15)"),
        "{err}"
    );
    let out = run(
        home.path(),
        z.server.base(),
        &["zotero", "lidc-idri", "--collection", "Heart"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Kidney study (C13)"), "{err}");
    assert!(z.requests_to("/connector/saveItems").is_empty());
}

#[test]
fn zotero_not_running_is_one_clear_error_and_exit_code_3() {
    let home = temp_dir();
    let started = Instant::now();
    let out = run(
        home.path(),
        &http::closed_port_base(),
        &["zotero", "lidc-idri"],
    );
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Zotero is not running"), "{err}");
    assert!(
        err.contains("medatlas cite lidc-idri --format ris"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!home.path().join("medatlas/zotero-sent.json").exists());
}

#[test]
fn a_broken_record_is_reported_and_kept() {
    let z = Zotero::start(Setup::default());
    let home = temp_dir();
    let file = home.path().join("medatlas/zotero-sent.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{ broken").unwrap();
    let out = run(home.path(), z.server.base(), &["zotero", "lidc-idri"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("zotero-sent.json:1:"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{ broken");
}

#[test]
fn a_silent_zotero_ends_the_command_with_exit_code_3() {
    let server = http::serve(|_| Reply::Hang);
    let home = temp_dir();
    let started = Instant::now();
    let out = run(home.path(), server.base(), &["zotero", "lidc-idri"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not answer within 2 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn items_saved_but_not_moved_say_where_they_are() {
    let z = Zotero::start(Setup {
        deleted: vec![14],
        ..Setup::default()
    });
    let home = temp_dir();
    let out = run(
        home.path(),
        z.server.base(),
        &["zotero", "lidc-idri", "--collection", "C14"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("saved in \"Inbox\" but could not be moved to \"Lungs\"")
            && err.contains("COLLECTION_NOT_FOUND"),
        "{err}"
    );
    assert!(!home.path().join("medatlas/zotero-sent.json").exists());
}
