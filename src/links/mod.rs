//! Link health: checks the catalogue's links over HTTP and remembers what it found.
//!
//! This module owns the link checker and the `link_checks` table of the store. It requests only
//! http and https addresses; it sends HEAD first and falls back to a GET whose body is never read
//! when HEAD is refused; it follows redirects itself, so every hop and the final address are known
//! and loops are caught; it keeps a bounded number of requests in flight and at most one at a time
//! per host; it can be cancelled and reports progress; and when the first hosts it tries all fail
//! to connect it concludes that the machine is offline instead of trying every link.
//!
//! Checking ([`check_urls`]) and remembering ([`save_results`], [`load_results`]) are separate
//! steps: the check needs no store, so it can run on a background thread while the store stays
//! with its owner. Results live in their own table keyed by URL and never touch catalogue data.
//! This module knows nothing of any user interface.

mod http;
mod persist;
mod run;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalogue::Entry;

pub use persist::{ensure_table, load_result, load_results, save_results};
pub use run::{check_urls, host_count};

/// The cause given to every link of a run that found the network down.
pub const OFFLINE: &str = "offline";

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("could not set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("link check results: database error: {0}")]
    Store(#[from] rusqlite::Error),
}

/// One link of one catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkTarget {
    pub entry_id: String,
    /// `homepage`, or the `kind` of a `[[links]]` item (`docs`, `portal`, …).
    pub kind: String,
    pub url: String,
}

/// Every link the checker looks at for these entries: each homepage, then its `[[links]]`, in
/// file order, each address once per entry. Citation addresses and DOIs are not included.
pub fn targets(entries: &[Entry]) -> Vec<LinkTarget> {
    let mut out = Vec::new();
    for e in entries {
        let links = std::iter::once(("homepage", &e.homepage))
            .chain(e.links.iter().map(|l| (l.kind.as_str(), &l.url)));
        let mut seen = std::collections::HashSet::new();
        for (kind, url) in links {
            if seen.insert(url.as_str()) {
                out.push(LinkTarget {
                    entry_id: e.id.clone(),
                    kind: kind.to_owned(),
                    url: url.clone(),
                });
            }
        }
    }
    out
}

/// What a check concluded about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// A 2xx answer without any redirect.
    Ok,
    /// A 2xx answer after one or more redirects: the link works but has moved (see `final_url`).
    Redirected,
    /// The server answered with an error status (4xx, 5xx), or the redirects never end.
    Broken,
    /// No answer: DNS, connection or timeout failures, or the machine is offline.
    Unreachable,
    /// Not requested: not an http(s) address, or a redirect to one.
    NotChecked,
}

impl LinkStatus {
    pub const ALL: [LinkStatus; 5] = [
        LinkStatus::Ok,
        LinkStatus::Redirected,
        LinkStatus::Broken,
        LinkStatus::Unreachable,
        LinkStatus::NotChecked,
    ];

    /// The stable name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Ok => "ok",
            LinkStatus::Redirected => "redirected",
            LinkStatus::Broken => "broken",
            LinkStatus::Unreachable => "unreachable",
            LinkStatus::NotChecked => "not_checked",
        }
    }

    pub fn parse(s: &str) -> Option<LinkStatus> {
        LinkStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One redirect on the way to the final address: the address requested and the 3xx it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    pub url: String,
    pub status: u16,
}

/// The outcome of checking one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkResult {
    pub url: String,
    pub status: LinkStatus,
    /// The last HTTP status received (the final answer, or the last 3xx of a redirect loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Where the redirects ended, when there were any: the address to put in the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// Every redirect followed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<Hop>,
    /// Why the link is broken, unreachable or not checked, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the check finished, in seconds since the Unix epoch.
    pub checked_at: i64,
    pub elapsed_ms: u64,
}

impl LinkResult {
    /// True for the results of a run that found the network down: they say nothing about the link.
    pub fn is_offline(&self) -> bool {
        self.status == LinkStatus::Unreachable && self.cause.as_deref() == Some(OFFLINE)
    }

    /// A short description: `ok (200)`, `redirected to https://… (301, 302 → 200)`,
    /// `broken: 404 Not Found`, `unreachable: connection refused`, `not checked: …`.
    pub fn badge(&self) -> String {
        let cause = self.cause.as_deref().unwrap_or("");
        match self.status {
            LinkStatus::Ok => match self.http_status {
                Some(s) => format!("ok ({s})"),
                None => "ok".to_owned(),
            },
            LinkStatus::Redirected => {
                let chain: Vec<String> = self.hops.iter().map(|h| h.status.to_string()).collect();
                let last = self
                    .http_status
                    .map(|s| format!(" → {s}"))
                    .unwrap_or_default();
                format!(
                    "redirected to {} ({}{last})",
                    self.final_url.as_deref().unwrap_or("?"),
                    chain.join(", ")
                )
            }
            LinkStatus::Broken => match (self.http_status, self.cause.as_deref()) {
                (_, Some(cause)) => format!("broken: {cause}"),
                (Some(s), None) => format!("broken: {}", status_text(s)),
                (None, None) => "broken".to_owned(),
            },
            LinkStatus::Unreachable => format!("unreachable: {cause}"),
            LinkStatus::NotChecked => format!("not checked: {cause}"),
        }
    }
}

/// `404 Not Found`, or just the number for codes without a standard reason.
pub fn status_text(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// How a run behaves. `Default` suits the catalogue: 8 requests in flight, 15 s per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// At most this many requests in flight (at least 1); each host still gets one at a time.
    pub concurrency: usize,
    /// Limit for one request (connect, send and wait for the answer's head).
    pub request_timeout: Duration,
    /// Redirects followed before a link counts as broken.
    pub max_redirects: usize,
    /// When this many different hosts have failed to connect and none has answered at all, the
    /// run stops trying and calls the remaining links offline (0 turns this off).
    pub offline_after_hosts: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            concurrency: 8,
            request_timeout: Duration::from_secs(15),
            max_redirects: 10,
            offline_after_hosts: 3,
        }
    }
}

/// What one run found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// One result per distinct address, in the order first given. A cancelled run leaves out the
    /// addresses it never got to.
    pub results: Vec<LinkResult>,
    pub cancelled: bool,
    /// Set once when the run concluded that the network is down, saying why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
    pub elapsed_ms: u64,
}

impl CheckReport {
    pub fn get(&self, url: &str) -> Option<&LinkResult> {
        self.results.iter().find(|r| r.url == url)
    }

    /// How many results have each status, in [`LinkStatus::ALL`] order.
    pub fn counts(&self) -> [(LinkStatus, usize); 5] {
        LinkStatus::ALL.map(|s| (s, self.results.iter().filter(|r| r.status == s).count()))
    }
}

/// The User-Agent sent with every request.
pub fn user_agent() -> String {
    format!(
        "MedAtlas/{} (link checker of a medical imaging dataset catalogue)",
        crate::VERSION
    )
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
