//! "Send to Zotero": citations saved straight into the user's running Zotero desktop.
//!
//! Zotero runs a small HTTP server for its browser connector on `127.0.0.1:23119`
//! (`chrome/content/zotero/xpcom/server/server_connector.js` and `server.js` in Zotero's source).
//! This module speaks that protocol as the connector does: `GET /connector/ping` to see whether
//! Zotero runs (every answer carries `X-Zotero-Version`), `POST /connector/getSelectedCollection`
//! for the libraries and collections one may save into, `POST /connector/saveItems` with the items
//! as Zotero item JSON (201 when saved, into the collection selected in Zotero's window), then
//! `POST /connector/updateSession` to move them into the collection the user chose and tag them.
//! `POST /connector/import` takes BibTeX or RIS text instead, as a fallback.
//!
//! The server only listens on the loopback interface, so requests never leave the machine and
//! need no TLS. Time-outs are short: a Zotero that is not running must be reported at once (the
//! user can copy the citation instead), and one that hangs must not freeze the caller.
//!
//! What was sent is remembered in `zotero-sent.json` in the user data folder (entry, citation,
//! collection, date), so a front end can ask before sending the same citation again. Like the
//! shortlists file it is written atomically, and a file that cannot be read is reported and never
//! written over.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalogue::{Citation, Entry};
use crate::cite::names::Name;
use crate::shortlist::{FileError, write_atomically};

/// Where Zotero's connector server listens (its `httpServer.port` preference, 23119 by default).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:23119";

/// The connector protocol version this client speaks: `const CONNECTOR_API_VERSION = 3;` in
/// `server_connector.js`. A Zotero expecting a newer one answers saves with
/// 400 `CONNECTOR_VERSION_OUTDATED`.
pub const CONNECTOR_API_VERSION: u32 = 3;

/// The tag every saved item gets, so a user can find what MedAtlas added.
pub const TAG: &str = "medatlas";

/// The record of sent citations, in the user data folder.
pub const SENT_FILE_NAME: &str = "zotero-sent.json";

/// The record file's format version.
pub const SENT_FORMAT_VERSION: u32 = 1;

/// How long a ping may take: Zotero answers it at once, so anything slower means "not usable".
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// How long connecting may take. On the loopback interface a closed port is refused at once;
/// this bounds the rare case of a firewall that drops packets.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a save or import may take by default: Zotero writes to its database before
/// answering, which takes longer than a ping, but a user waiting at a button should not wait long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why talking to Zotero failed, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ZoteroError {
    #[error("Zotero is not running: start Zotero, or copy the citation instead")]
    NotRunning,
    #[error(
        "Zotero did not answer within {} s: it may be busy or showing a dialog; try again, or copy \
         the citation instead",
        .0.as_secs_f32()
    )]
    TimedOut(Duration),
    #[error(
        "Zotero already has a save in progress with this session id (SESSION_EXISTS); try again"
    )]
    SessionExists,
    #[error(
        "the library selected in Zotero is read-only: select a library or collection you can edit \
         in Zotero, or choose one with --collection"
    )]
    LibraryNotEditable,
    #[error(
        "this Zotero expects a newer connector protocol than MedAtlas speaks (version {CONNECTOR_API_VERSION}; \
         CONNECTOR_VERSION_OUTDATED): update MedAtlas, or copy the citation instead"
    )]
    ConnectorOutdated,
    #[error("Zotero no longer knows this save session (SESSION_NOT_FOUND); send the items again")]
    SessionNotFound,
    #[error("Zotero has no collection {0} (COLLECTION_NOT_FOUND); it may have been deleted")]
    CollectionNotFound(String),
    #[error("Zotero did not recognise the text as BibTeX or RIS")]
    NotImportable,
    #[error("Zotero answered {status} to {endpoint}: {body}")]
    Unexpected {
        endpoint: &'static str,
        status: u16,
        body: String,
    },
    #[error("Zotero's answer to {endpoint} could not be read: {message}")]
    BadAnswer {
        endpoint: &'static str,
        message: String,
    },
    #[error("the Zotero address {0} is not valid")]
    BadUrl(String),
    #[error("could not talk to Zotero: {0}")]
    Http(String),
}

impl ZoteroError {
    /// Zotero could not be reached at all (as opposed to answering with an error): the caller
    /// should offer another way, such as copying the citation.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ZoteroError::NotRunning | ZoteroError::TimedOut(_))
    }
}

/// What a ping found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ping {
    /// Zotero answered; `version` is its `X-Zotero-Version` header when sent (e.g. "7.0.11").
    Running {
        version: Option<String>,
    },
    NotRunning,
}

/// A library (`L1`) or collection (`C12`) one can save into, as `getSelectedCollection` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Zotero's tree view id: `L` + library id, or `C` + collection id.
    pub id: String,
    pub name: String,
    /// 0 for a library, 1 for its top-level collections, 2 for their subcollections ...
    #[serde(default)]
    pub level: u32,
    #[serde(default, rename = "filesEditable")]
    pub files_editable: bool,
    /// Zotero marks the targets the user saved into recently.
    #[serde(default)]
    pub recent: bool,
}

impl Target {
    pub fn is_library(&self) -> bool {
        self.id.starts_with('L')
    }
}

/// The editable libraries and their collections, and what is selected in Zotero's window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collections {
    pub targets: Vec<Target>,
    /// The tree view id of the selected library or collection, where saves go by default.
    pub selected: String,
    pub selected_name: String,
    /// Whether the selected library can be written (saves into a read-only one fail with 500).
    pub library_editable: bool,
}

impl Collections {
    pub fn get(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    /// The target a user named: a tree view id (`C12`, `L1`) exactly, else every target whose
    /// name matches without regard to case (several when names repeat in different places).
    pub fn find(&self, wanted: &str) -> Vec<&Target> {
        let wanted = wanted.trim();
        if let Some(t) = self.get(wanted) {
            return vec![t];
        }
        let lower = wanted.to_lowercase();
        self.targets
            .iter()
            .filter(|t| t.name.trim().to_lowercase() == lower)
            .collect()
    }
}

/// The answer of `getSelectedCollection`, as `server_connector.js` builds it.
#[derive(Debug, Deserialize)]
struct SelectedCollection {
    #[serde(rename = "libraryID")]
    library_id: i64,
    #[serde(default, rename = "libraryName")]
    library_name: String,
    #[serde(default = "yes", rename = "libraryEditable")]
    library_editable: bool,
    /// The selected collection's id, `null` when a library itself is selected.
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    targets: Vec<Target>,
}

fn yes() -> bool {
    true
}

/// A blocking client of Zotero's connector server.
#[derive(Debug, Clone)]
pub struct ZoteroClient {
    base: String,
    http: Client,
    timeout: Duration,
}

impl ZoteroClient {
    /// A client of the Zotero at `base_url` (e.g. [`DEFAULT_BASE_URL`]).
    pub fn new(base_url: &str) -> Result<Self, ZoteroError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let parsed =
            url::Url::parse(&base).map_err(|e| ZoteroError::BadUrl(format!("{base} ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(ZoteroError::BadUrl(base));
        }
        let http = Client::builder()
            .user_agent(format!("MedAtlas/{}", crate::VERSION))
            .connect_timeout(CONNECT_TIMEOUT)
            // The connector server is on this machine: a proxy would only break it.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ZoteroError::Http(e.to_string()))?;
        Ok(ZoteroClient {
            base,
            http,
            timeout: REQUEST_TIMEOUT,
        })
    }

    /// The same client with another time-out for saves, imports and collection lists.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `X-Zotero-Connector-API-Version` on every request: Zotero refuses requests that look like
    /// they come from a web page (a `Mozilla/` user agent or an `Origin`) unless they carry it, and
    /// checks it on saves.
    fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path)).timeout(self.timeout).header(
            "X-Zotero-Connector-API-Version",
            CONNECTOR_API_VERSION.to_string(),
        )
    }

    fn send(&self, request: RequestBuilder, timeout: Duration) -> Result<Response, ZoteroError> {
        request.send().map_err(|e| transport_error(&e, timeout))
    }

    /// Whether Zotero runs, and its version.
    pub fn ping(&self) -> Result<Ping, ZoteroError> {
        let request = self
            .http
            .get(self.url("/connector/ping"))
            .timeout(PING_TIMEOUT)
            .header(
                "X-Zotero-Connector-API-Version",
                CONNECTOR_API_VERSION.to_string(),
            );
        let response = match self.send(request, PING_TIMEOUT) {
            Ok(r) => r,
            Err(ZoteroError::NotRunning) => return Ok(Ping::NotRunning),
            Err(e) => return Err(e),
        };
        let version = zotero_version(&response);
        if !response.status().is_success() {
            return Err(unexpected("/connector/ping", response));
        }
        Ok(Ping::Running { version })
    }

    /// The libraries and collections one can save into, and the selected one.
    pub fn collections(&self) -> Result<Collections, ZoteroError> {
        const ENDPOINT: &str = "/connector/getSelectedCollection";
        let response = self.send(self.post(ENDPOINT).json(&json!({})), self.timeout)?;
        if response.status() != StatusCode::OK {
            return Err(unexpected(ENDPOINT, response));
        }
        let answer: SelectedCollection = read_json(ENDPOINT, response)?;
        let (selected, selected_name) = match answer.id {
            Some(id) => (format!("C{id}"), answer.name.unwrap_or_default()),
            None => (format!("L{}", answer.library_id), answer.library_name),
        };
        Ok(Collections {
            targets: answer.targets,
            selected,
            selected_name,
            library_editable: answer.library_editable,
        })
    }

    /// Saves items (Zotero item JSON, see [`item`]) into the collection selected in Zotero; move
    /// them with [`ZoteroClient::update_session`] and the same `session_id`. `uri` is the page the
    /// items come from (the dataset's homepage).
    pub fn save_items(
        &self,
        items: &[Value],
        session_id: &str,
        uri: &str,
    ) -> Result<(), ZoteroError> {
        const ENDPOINT: &str = "/connector/saveItems";
        let body = json!({ "items": items, "uri": uri, "sessionID": session_id });
        let response = self.send(self.post(ENDPOINT).json(&body), self.timeout)?;
        match response.status().as_u16() {
            201 => Ok(()),
            _ => Err(save_error(ENDPOINT, response)),
        }
    }

    /// Moves what a session saved into `target` (a tree view id such as `C12`) and sets its tags.
    pub fn update_session(
        &self,
        session_id: &str,
        target: &str,
        tags: &[String],
    ) -> Result<(), ZoteroError> {
        const ENDPOINT: &str = "/connector/updateSession";
        // The connector API's comment says "a string of tags separated by commas", but the save
        // session applies them with `tags.map(tag => tag.trim())` (saveSession.js): an array.
        let body = json!({ "sessionID": session_id, "target": target, "tags": tags });
        let response = self.send(self.post(ENDPOINT).json(&body), self.timeout)?;
        match response.status().as_u16() {
            200 => Ok(()),
            400 => {
                let status = response.status().as_u16();
                let text = response.text().unwrap_or_default();
                Err(match error_code(&text).as_deref() {
                    Some("SESSION_NOT_FOUND" | "SESSION_ID_NOT_PROVIDED") => {
                        ZoteroError::SessionNotFound
                    }
                    Some("COLLECTION_NOT_FOUND") => {
                        ZoteroError::CollectionNotFound(target.to_owned())
                    }
                    _ => ZoteroError::Unexpected {
                        endpoint: ENDPOINT,
                        status,
                        body: text.trim().to_owned(),
                    },
                })
            }
            _ => Err(unexpected(ENDPOINT, response)),
        }
    }

    /// Imports BibTeX or RIS text into the selected collection (Zotero picks the translator), the
    /// fallback when item JSON cannot be saved. Returns how many items Zotero created.
    pub fn import_text(&self, text: &str) -> Result<usize, ZoteroError> {
        const ENDPOINT: &str = "/connector/import";
        // Import reads its session id from the query string (`searchParams.get('session')`).
        // Without one the session's id is `null`, the same for every import, so the second
        // import would be refused as SESSION_EXISTS: each import gets a fresh id. A `text/plain`
        // body is read as a string (server.js `PLAIN_TEXT_CONTENT_TYPES`).
        let session_id = new_session_id();
        let session: String = url::form_urlencoded::byte_serialize(session_id.as_bytes()).collect();
        let request = self
            .post(&format!("{ENDPOINT}?session={session}"))
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(text.to_owned());
        let response = self.send(request, self.timeout)?;
        match response.status().as_u16() {
            201 => {
                let items: Vec<Value> = read_json(ENDPOINT, response)?;
                Ok(items.len())
            }
            400 => Err(ZoteroError::NotImportable),
            _ => Err(save_error(ENDPOINT, response)),
        }
    }
}

/// A failed request in the user's terms: nothing listening is "not running".
fn transport_error(e: &reqwest::Error, timeout: Duration) -> ZoteroError {
    if e.is_timeout() {
        return ZoteroError::TimedOut(if e.is_connect() {
            CONNECT_TIMEOUT
        } else {
            timeout
        });
    }
    if e.is_connect() {
        return ZoteroError::NotRunning;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    ZoteroError::Http(text)
}

/// `X-Zotero-Version`, which `server.js` adds to every answer (`_generateResponse`).
fn zotero_version(response: &Response) -> Option<String> {
    response
        .headers()
        .get("X-Zotero-Version")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn unexpected(endpoint: &'static str, response: Response) -> ZoteroError {
    let status = response.status().as_u16();
    let mut body = response.text().unwrap_or_default().trim().to_owned();
    if body.chars().count() > 200 {
        body = body.chars().take(200).collect::<String>() + "…";
    }
    ZoteroError::Unexpected {
        endpoint,
        status,
        body,
    }
}

/// The errors `saveItems` and `import` answer with in `server_connector.js`.
fn save_error(endpoint: &'static str, response: Response) -> ZoteroError {
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    match (status, error_code(&text).as_deref()) {
        (409, Some("SESSION_EXISTS")) => ZoteroError::SessionExists,
        (400, Some("CONNECTOR_VERSION_OUTDATED")) => ZoteroError::ConnectorOutdated,
        (500, _)
            if parsed
                .as_ref()
                .is_some_and(|v| v["libraryEditable"] == Value::Bool(false)) =>
        {
            ZoteroError::LibraryNotEditable
        }
        _ => ZoteroError::Unexpected {
            endpoint,
            status,
            body: text.trim().to_owned(),
        },
    }
}

/// The `error` field of a JSON error answer (`{"error": "SESSION_EXISTS"}`).
fn error_code(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text)
        .ok()?
        .get("error")?
        .as_str()
        .map(str::to_owned)
}

fn read_json<T: serde::de::DeserializeOwned>(
    endpoint: &'static str,
    response: Response,
) -> Result<T, ZoteroError> {
    let text = response.text().map_err(|e| ZoteroError::BadAnswer {
        endpoint,
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ZoteroError::BadAnswer {
        endpoint,
        message: e.to_string(),
    })
}

/// The major version of a Zotero version string ("6.0.30" → 6).
pub fn major_version(version: &str) -> Option<u32> {
    version.trim().split('.').next()?.parse().ok()
}

/// A session id for one save: Zotero refuses one it has seen (409), so it must differ between
/// saves, also between two processes started in the same instant.
pub fn new_session_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("medatlas-{nanos:x}-{:x}-{n}", std::process::id())
}

/// What Zotero's version allows in item JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemOptions {
    /// Zotero's major version; `None` when it did not say (then the current types are used:
    /// every Zotero since the connector protocol's version 3 sends `X-Zotero-Version`).
    pub zotero_major: Option<u32>,
}

impl ItemOptions {
    pub fn for_version(version: Option<&str>) -> Self {
        ItemOptions {
            zotero_major: version.and_then(major_version),
        }
    }

    /// Zotero 7 added the `dataset` item type.
    fn has_dataset(self) -> bool {
        self.zotero_major.is_none_or(|v| v >= 7)
    }

    /// Zotero 6 is the first major release with the `preprint` item type.
    fn has_preprint(self) -> bool {
        self.zotero_major.is_none_or(|v| v >= 6)
    }
}

/// The Zotero item type of a CSL type (the catalogue's `type`).
pub fn item_type(kind: &str, options: ItemOptions) -> &'static str {
    match kind {
        "article-journal" => "journalArticle",
        "paper-conference" => "conferencePaper",
        "chapter" => "bookSection",
        "book" => "book",
        "report" => "report",
        "thesis" => "thesis",
        "article" if options.has_preprint() => "preprint",
        // Before `preprint`, Zotero's own arXiv translator saved preprints as reports.
        "article" => "report",
        "webpage" => "webpage",
        "dataset" if options.has_dataset() => "dataset",
        // Zotero 6 has no `dataset`: `document` is its generic type and has the `publisher`
        // field the repository goes into; "Type: dataset" in `extra` (added by `item`) makes
        // Zotero's citation processor still cite it as a data set.
        "dataset" => "document",
        _ => "document",
    }
}

/// The field a citation's container (journal, proceedings, book, repository, site) goes into.
fn container_field(item_type: &str) -> Option<&'static str> {
    Some(match item_type {
        "journalArticle" => "publicationTitle",
        "conferencePaper" => "proceedingsTitle",
        "bookSection" => "bookTitle",
        "report" => "institution",
        "thesis" => "university",
        "webpage" => "websiteTitle",
        "dataset" | "preprint" => "repository",
        "document" => "publisher",
        _ => return None,
    })
}

/// The field a citation's publisher goes into, where the type has one.
fn publisher_field(item_type: &str) -> Option<&'static str> {
    Some(match item_type {
        "conferencePaper" | "bookSection" | "book" | "document" => "publisher",
        "report" => "institution",
        "thesis" => "university",
        "dataset" | "preprint" => "repository",
        _ => return None,
    })
}

/// Types with a `DOI` field in every Zotero this supports; others get `DOI: …` in `extra`, which
/// Zotero reads there.
fn has_doi_field(item_type: &str) -> bool {
    matches!(
        item_type,
        "journalArticle" | "conferencePaper" | "dataset" | "preprint"
    )
}

fn creators(names: &[String], creator_type: &str) -> Vec<Value> {
    names
        .iter()
        .map(|n| match Name::parse(n) {
            Name::Person {
                family,
                given,
                suffix,
            } => {
                // Zotero has no suffix field; "Jr." stays with the given names, as Zotero's own
                // name parser keeps it.
                let first = match suffix {
                    Some(s) => format!("{given}, {s}"),
                    None => given,
                };
                json!({ "firstName": first, "lastName": family, "creatorType": creator_type })
            }
            Name::Organisation(org) => json!({ "name": org, "creatorType": creator_type }),
        })
        .collect()
}

/// The item key `saveItems` uses for one citation of an entry (Zotero keeps it only for the
/// session, to attach files to the right item).
pub fn connector_key(entry_id: &str, index: usize) -> String {
    format!("medatlas-{entry_id}-{index}")
}

/// One citation of `entry` as Zotero item JSON (what the connector sends in `saveItems`).
/// Tags are not part of it: [`ZoteroClient::update_session`] sets them, as the connector does.
/// An entry with no known paper or data DOI is sent as the resource itself (index 0: a web page
/// with its homepage and today's access date).
pub fn item(entry: &Entry, index: usize, options: ItemOptions) -> Option<Value> {
    if entry.citations.is_empty() && index == 0 {
        let c = crate::cite::resource_citation(entry);
        let mut value = citation_item(
            &c,
            &connector_key(&entry.id, index),
            entry.licence.label(),
            options,
        );
        if let Some(map) = value.as_object_mut() {
            map.insert("accessDate".into(), crate::cite::Date::today().iso().into());
        }
        return Some(value);
    }
    let c = entry.citations.get(index)?;
    Some(citation_item(
        c,
        &connector_key(&entry.id, index),
        entry.licence.label(),
        options,
    ))
}

/// A citation as Zotero item JSON; `rights` is the data's licence label.
pub fn citation_item(c: &Citation, key: &str, rights: &str, options: ItemOptions) -> Value {
    let kind = item_type(&c.kind, options);
    let mut item = Map::new();
    let mut put = |k: &str, v: Value| {
        item.insert(k.to_owned(), v);
    };
    put("itemType", kind.into());
    put("id", key.into());
    put("title", c.title.clone().into());
    let mut people = creators(&c.authors, "author");
    if matches!(kind, "bookSection" | "book") {
        people.extend(creators(&c.editors, "editor"));
    }
    put("creators", Value::Array(people));
    let mut extra: Vec<String> = Vec::new();
    if c.kind == "dataset" && kind != "dataset" {
        extra.push("Type: dataset".to_owned());
    }
    if let (Some(container), Some(field)) = (&c.container, container_field(kind)) {
        put(field, container.clone().into());
    }
    if let Some(publisher) = &c.publisher {
        match publisher_field(kind) {
            // A repository named as container wins; the publisher then goes to `extra`.
            Some(field) if !item.contains_key(field) => {
                item.insert(field.to_owned(), publisher.clone().into());
            }
            _ => extra.push(format!("Publisher: {publisher}")),
        }
    }
    let mut put = |k: &str, v: Value| {
        item.insert(k.to_owned(), v);
    };
    if let Some(year) = c.year {
        let date = match c.month {
            Some(m) => format!("{year}-{m:02}"),
            None => year.to_string(),
        };
        put("date", date.into());
    }
    let pages_field = match kind {
        "journalArticle" | "conferencePaper" | "bookSection" | "report" => Some("pages"),
        _ => None,
    };
    if let (Some(pages), Some(field)) = (&c.pages, pages_field) {
        put(field, pages.clone().into());
    }
    if matches!(
        kind,
        "journalArticle" | "conferencePaper" | "book" | "bookSection"
    ) && let Some(v) = &c.volume
    {
        put("volume", v.clone().into());
    }
    if kind == "journalArticle"
        && let Some(i) = &c.issue
    {
        put("issue", i.clone().into());
    }
    if matches!(kind, "book" | "bookSection")
        && let Some(isbn) = &c.isbn
    {
        put("ISBN", isbn.clone().into());
    }
    if let Some(doi) = &c.doi {
        if has_doi_field(kind) {
            put("DOI", doi.clone().into());
        } else {
            extra.push(format!("DOI: {doi}"));
        }
    }
    let url = c.url.clone().or_else(|| {
        c.arxiv
            .as_ref()
            .map(|a| format!("https://arxiv.org/abs/{a}"))
    });
    if let Some(url) = url {
        put("url", url.into());
    }
    if let Some(arxiv) = &c.arxiv {
        if kind == "preprint" {
            put("archiveID", format!("arXiv:{arxiv}").into());
        }
        extra.push(format!("arXiv: {arxiv}"));
    }
    if let Some(pmid) = &c.pmid {
        extra.push(format!("PMID: {pmid}"));
    }
    if let Some(pmcid) = &c.pmcid {
        extra.push(format!("PMCID: {pmcid}"));
    }
    if !rights.is_empty() && rights != crate::catalogue::entry::Licence::UNKNOWN {
        put("rights", rights.to_owned().into());
    }
    put("notes", json!([]));
    if !extra.is_empty() {
        put("extra", extra.join("\n").into());
    }
    // Tags in item JSON would be saved as automatic tags (`forceTagType: 1`, saveSession.js) and
    // then kept beside the same tags set by updateSession: the session sets them, once.
    put("tags", json!([]));
    put("attachments", json!([]));
    Value::Object(item)
}

/// One citation sent to Zotero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentItem {
    pub entry: String,
    /// The citation's position among the entry's citations, from 0.
    pub citation: usize,
    /// The tree view id of the collection (or library) it went into.
    pub collection: String,
    #[serde(default)]
    pub collection_name: String,
    /// When it was sent, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
}

/// Everything sent so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub version: u32,
    #[serde(default)]
    pub sent: Vec<SentItem>,
}

impl Default for Sent {
    fn default() -> Self {
        Sent {
            version: SENT_FORMAT_VERSION,
            sent: Vec::new(),
        }
    }
}

impl Sent {
    /// The last time this citation went into this collection.
    pub fn find(&self, entry: &str, citation: usize, collection: &str) -> Option<&SentItem> {
        self.sent
            .iter()
            .rev()
            .find(|s| s.entry == entry && s.citation == citation && s.collection == collection)
    }

    /// Records a sending now.
    pub fn record(&mut self, entry: &str, citation: usize, target: &Target) {
        self.sent.push(SentItem {
            entry: entry.to_owned(),
            citation,
            collection: target.id.clone(),
            collection_name: target.name.clone(),
            date: utc_now(),
        });
    }
}

/// The file that remembers what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFile {
    pub path: PathBuf,
}

impl SentFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SentFile { path: path.into() }
    }

    /// `<data dir>/zotero-sent.json`, next to the shortlists.
    pub fn default_location() -> Option<Self> {
        crate::project_dirs().map(|d| SentFile::new(d.data_dir().join(SENT_FILE_NAME)))
    }

    /// The record; empty when there is no file yet.
    pub fn load(&self) -> Result<Sent, FileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Sent::default()),
            Err(e) => return Err(io_error(&self.path, e)),
        };
        let sent: Sent = serde_json::from_str(&text).map_err(|e| FileError::Parse {
            path: self.path.display().to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if sent.version > SENT_FORMAT_VERSION {
            return Err(FileError::Version {
                path: self.path.display().to_string(),
                found: sent.version,
            });
        }
        Ok(sent)
    }

    /// Writes the record through a temporary file; a current file that cannot be read is never
    /// replaced (it may hold the only copy of the history).
    pub fn save(&self, sent: &Sent) -> Result<(), FileError> {
        if self.path.exists() {
            self.load()?;
        }
        let sent = Sent {
            version: SENT_FORMAT_VERSION,
            sent: sent.sent.clone(),
        };
        let text = serde_json::to_string_pretty(&sent).map_err(|e| FileError::Invalid {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        write_atomically(&self.path, format!("{text}\n").as_bytes())
    }
}

fn io_error(path: &Path, source: std::io::Error) -> FileError {
    FileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_timestamp(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_timestamp(secs: u64) -> String {
    let date = crate::cite::Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let rest = secs % 86_400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn citation(kind: &str) -> Citation {
        Citation {
            role: "paper".into(),
            kind: kind.into(),
            authors: vec![
                "Armato, S. G., III".into(),
                "Clarke, L. P.".into(),
                "The LIDC Consortium".into(),
            ],
            title: "A title".into(),
            container: Some("Medical Physics".into()),
            year: Some(2011),
            month: None,
            volume: Some("38".into()),
            issue: Some("2".into()),
            pages: Some("915-931".into()),
            doi: Some("10.1118/1.3528204".into()),
            url: None,
            pmid: Some("21452728".into()),
            pmcid: Some("PMC3041807".into()),
            arxiv: None,
            isbn: None,
            publisher: None,
            editors: vec![],
            note: None,
            evidence: "primary".into(),
            source: "https://example.org".into(),
            unverified: vec![],
            required: false,
        }
    }

    const Z7: ItemOptions = ItemOptions {
        zotero_major: Some(7),
    };
    const Z6: ItemOptions = ItemOptions {
        zotero_major: Some(6),
    };

    #[test]
    fn journal_article_has_its_fields_creators_and_identifiers() {
        let item = citation_item(&citation("article-journal"), "k", "CC-BY-3.0", Z7);
        assert_eq!(item["itemType"], "journalArticle");
        assert_eq!(item["publicationTitle"], "Medical Physics");
        assert_eq!(item["volume"], "38");
        assert_eq!(item["issue"], "2");
        assert_eq!(item["pages"], "915-931");
        assert_eq!(item["date"], "2011");
        assert_eq!(item["DOI"], "10.1118/1.3528204");
        assert_eq!(item["rights"], "CC-BY-3.0");
        assert_eq!(item["extra"], "PMID: 21452728\nPMCID: PMC3041807");
        assert_eq!(
            item["creators"][0],
            json!({"firstName": "S. G., III", "lastName": "Armato", "creatorType": "author"})
        );
        assert_eq!(
            item["creators"][1],
            json!({"firstName": "L. P.", "lastName": "Clarke", "creatorType": "author"})
        );
        assert_eq!(
            item["creators"][2],
            json!({"name": "The LIDC Consortium", "creatorType": "author"})
        );
        assert_eq!(item["tags"], json!([]));
    }

    #[test]
    fn each_catalogue_type_maps_to_a_zotero_type() {
        let cases = [
            ("article-journal", "journalArticle", "publicationTitle"),
            ("paper-conference", "conferencePaper", "proceedingsTitle"),
            ("chapter", "bookSection", "bookTitle"),
            ("report", "report", "institution"),
            ("thesis", "thesis", "university"),
            ("article", "preprint", "repository"),
            ("webpage", "webpage", "websiteTitle"),
            ("dataset", "dataset", "repository"),
        ];
        for (kind, zotero, container) in cases {
            let item = citation_item(&citation(kind), "k", "", Z7);
            assert_eq!(item["itemType"], zotero, "{kind}");
            assert_eq!(item[container], "Medical Physics", "{kind}");
        }
        let mut book = citation("book");
        book.publisher = Some("Springer".into());
        book.editors = vec!["Yaffe, M. J.".into()];
        let item = citation_item(&book, "k", "", Z7);
        assert_eq!(item["itemType"], "book");
        assert_eq!(item["publisher"], "Springer");
        assert_eq!(item["creators"][3]["creatorType"], "editor");
        // A book has no DOI field: the DOI goes into `extra`, where Zotero reads it.
        assert!(item.get("DOI").is_none());
        assert!(
            item["extra"]
                .as_str()
                .unwrap()
                .contains("DOI: 10.1118/1.3528204")
        );
    }

    #[test]
    fn zotero_6_gets_a_document_for_a_dataset_and_keeps_preprints() {
        let item = citation_item(&citation("dataset"), "k", "CC-BY-4.0", Z6);
        assert_eq!(item["itemType"], "document");
        assert_eq!(item["publisher"], "Medical Physics");
        assert!(item["extra"].as_str().unwrap().starts_with("Type: dataset"));
        assert!(
            item["extra"]
                .as_str()
                .unwrap()
                .contains("DOI: 10.1118/1.3528204")
        );
        assert_eq!(
            citation_item(&citation("article"), "k", "", Z6)["itemType"],
            "preprint"
        );
        let z5 = ItemOptions {
            zotero_major: Some(5),
        };
        assert_eq!(
            citation_item(&citation("article"), "k", "", z5)["itemType"],
            "report"
        );
        assert_eq!(ItemOptions::for_version(Some("6.0.30")), Z6);
        assert_eq!(ItemOptions::for_version(Some("7.0.11")), Z7);
        assert_eq!(ItemOptions::for_version(None).zotero_major, None);
        assert_eq!(
            citation_item(&citation("dataset"), "k", "", ItemOptions::default())["itemType"],
            "dataset"
        );
    }

    #[test]
    fn a_resource_without_authors_or_year_converts() {
        let mut c = citation("webpage");
        c.authors.clear();
        c.year = None;
        c.doi = None;
        c.pmid = None;
        c.pmcid = None;
        c.url = Some("https://example.org/data".into());
        let item = citation_item(&c, "k", "unknown", Z7);
        assert_eq!(item["itemType"], "webpage");
        assert_eq!(item["creators"], json!([]));
        assert!(item.get("date").is_none());
        assert!(item.get("extra").is_none());
        // "unknown" is no licence to state.
        assert!(item.get("rights").is_none());
        assert_eq!(item["url"], "https://example.org/data");
    }

    #[test]
    fn preprint_carries_its_arxiv_id() {
        let mut c = citation("article");
        c.container = None;
        c.doi = None;
        c.pmid = None;
        c.pmcid = None;
        c.arxiv = Some("1901.07031".into());
        let item = citation_item(&c, "k", "", Z7);
        assert_eq!(item["archiveID"], "arXiv:1901.07031");
        assert_eq!(item["url"], "https://arxiv.org/abs/1901.07031");
        assert_eq!(item["extra"], "arXiv: 1901.07031");
    }

    #[test]
    fn bundled_entries_convert_every_citation() {
        let catalogue = crate::catalogue::Catalogue::bundled().unwrap();
        let mut count = 0;
        for entry in &catalogue.entries {
            for index in 0..entry.citations.len() {
                let item = item(entry, index, Z7).unwrap();
                assert!(item["title"].as_str().is_some_and(|t| !t.is_empty()));
                assert_ne!(item["itemType"], "document", "{}", entry.id);
                count += 1;
            }
        }
        assert!(count > 100);
        let lidc = catalogue.get("lidc-idri").unwrap();
        let item = item(lidc, 0, Z7).unwrap();
        assert_eq!(item["itemType"], "dataset");
        assert_eq!(item["repository"], "The Cancer Imaging Archive");
        assert_eq!(item["rights"], "CC-BY-3.0");
        assert_eq!(item["DOI"], "10.7937/K9/TCIA.2015.LO9QL9SX");
        assert_eq!(item["id"], "medatlas-lidc-idri-0");
    }

    #[test]
    fn collections_are_found_by_id_or_name() {
        let target = |id: &str, name: &str| Target {
            id: id.into(),
            name: name.into(),
            level: 1,
            files_editable: true,
            recent: false,
        };
        let c = Collections {
            targets: vec![
                target("L1", "My Library"),
                target("C1", "Papers"),
                target("C2", "papers"),
                target("C3", "Kidney"),
            ],
            selected: "L1".into(),
            selected_name: "My Library".into(),
            library_editable: true,
        };
        assert_eq!(c.find("C3")[0].name, "Kidney");
        assert_eq!(c.find("kidney")[0].id, "C3");
        assert_eq!(c.find("Papers").len(), 2);
        assert!(c.find("Lungs").is_empty());
    }

    #[test]
    fn the_record_finds_what_was_sent_and_timestamps_are_utc() {
        let mut sent = Sent::default();
        let t = Target {
            id: "C3".into(),
            name: "Kidney".into(),
            level: 1,
            files_editable: true,
            recent: false,
        };
        sent.record("kits19", 1, &t);
        assert!(sent.find("kits19", 1, "C3").is_some());
        assert!(sent.find("kits19", 0, "C3").is_none());
        assert!(sent.find("kits19", 1, "C4").is_none());
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_709_208_000), "2024-02-29T12:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_broken_record_is_reported_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = SentFile::new(dir.path().join(SENT_FILE_NAME));
        assert_eq!(file.load().unwrap(), Sent::default());
        file.save(&Sent::default()).unwrap();
        std::fs::write(&file.path, "{ not json").unwrap();
        let err = file.load().unwrap_err();
        assert!(matches!(err, FileError::Parse { line: 1, .. }), "{err}");
        assert!(file.save(&Sent::default()).is_err());
        assert_eq!(std::fs::read_to_string(&file.path).unwrap(), "{ not json");
    }
}
