//! One address, checked: HEAD (or a GET whose body is never read), redirects followed by hand.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use url::Url;

use super::{CheckOptions, Hop, LinkResult, LinkStatus, unix_now, user_agent};

/// Answers to a HEAD that mean "try GET instead": Forbidden, Method Not Allowed, Not Implemented.
const HEAD_REFUSED: [u16; 3] = [403, 405, 501];

/// The client every check of a run shares: no automatic redirects, a per-request timeout.
pub(crate) fn client(options: &CheckOptions) -> Result<Client, reqwest::Error> {
    Client::builder()
        .user_agent(user_agent())
        .redirect(Policy::none())
        .timeout(options.request_timeout)
        .connect_timeout(options.request_timeout)
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
}

/// The unit of politeness: one request at a time per `host:port`.
pub(crate) fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Parses an address the checker may request, or says why it will not.
pub(crate) fn checkable(url: &str) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|e| format!("not a valid address ({e})"))?;
    match parsed.scheme() {
        "http" | "https" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(parsed),
        "http" | "https" => Err("the address has no host".to_owned()),
        other => Err(format!(
            "only http and https addresses are checked, not {other}:"
        )),
    }
}

/// A finished check plus what it says about the network.
pub(crate) struct Checked {
    pub result: LinkResult,
    /// No connection could be made (DNS, refused, unreachable, connect timeout): on its own a dead
    /// host, from every host at once an offline machine.
    pub connect_failure: bool,
    /// Some server answered with an HTTP response, so the network works.
    pub answered: bool,
}

/// Checks one address. Before a redirect leads to another host, `switch_host(from, to)` is called;
/// it must release `from` and wait for `to`, and returns false when the run was cancelled while
/// waiting (then so does this, with `None`).
pub(crate) fn check_one(
    client: &Client,
    start: &Url,
    options: &CheckOptions,
    switch_host: &mut dyn FnMut(&str, &str) -> bool,
) -> Option<Checked> {
    let started = Instant::now();
    let mut url = start.clone();
    let mut seen = HashSet::from([url.as_str().to_owned()]);
    let mut hops: Vec<Hop> = Vec::new();
    let mut answered = false;
    let finish = |status, http_status, final_url, hops, cause: Option<String>| LinkResult {
        url: start.as_str().to_owned(),
        status,
        http_status,
        final_url,
        hops,
        cause,
        checked_at: unix_now(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    loop {
        let response = match request(client, &url) {
            Ok(r) => r,
            Err(e) => {
                let (cause, connect_failure) = describe(&e, options.request_timeout);
                let final_url = (!hops.is_empty()).then(|| url.to_string());
                return Some(Checked {
                    result: finish(LinkStatus::Unreachable, None, final_url, hops, Some(cause)),
                    connect_failure: connect_failure && !answered,
                    answered,
                });
            }
        };
        answered = true;
        let status = response.status();
        let code = status.as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // The body is never read: dropping the response closes or reuses the connection.
        drop(response);
        let done = |status, cause, hops| Checked {
            result: finish(status, Some(code), None, hops, cause),
            connect_failure: false,
            answered: true,
        };
        if !status.is_redirection() || code == 304 {
            let (kind, cause) = if status.is_success() || code == 304 {
                let kind = if hops.is_empty() {
                    LinkStatus::Ok
                } else {
                    LinkStatus::Redirected
                };
                (kind, None)
            } else {
                (LinkStatus::Broken, None)
            };
            let final_url = (!hops.is_empty()).then(|| url.to_string());
            return Some(Checked {
                result: finish(kind, Some(code), final_url, hops, cause),
                connect_failure: false,
                answered: true,
            });
        }
        let Some(location) = location else {
            return Some(done(
                LinkStatus::Broken,
                Some(format!("{code} redirect without a Location header")),
                hops,
            ));
        };
        let next = match url.join(&location) {
            Ok(next) => next,
            Err(e) => {
                return Some(done(
                    LinkStatus::Broken,
                    Some(format!(
                        "{code} redirect to an invalid address {location:?} ({e})"
                    )),
                    hops,
                ));
            }
        };
        hops.push(Hop {
            url: url.to_string(),
            status: code,
        });
        if let Err(why) = checkable(next.as_str()) {
            return Some(Checked {
                result: finish(
                    LinkStatus::NotChecked,
                    Some(code),
                    Some(next.to_string()),
                    hops,
                    Some(format!("redirected to {next}: {why}")),
                ),
                connect_failure: false,
                answered: true,
            });
        }
        if !seen.insert(next.as_str().to_owned()) {
            return Some(done(
                LinkStatus::Broken,
                Some(format!("redirect loop: {url} leads back to {next}")),
                hops,
            ));
        }
        if hops.len() > options.max_redirects {
            return Some(done(
                LinkStatus::Broken,
                Some(format!("more than {} redirects", options.max_redirects)),
                hops,
            ));
        }
        let (from, to) = (host_key(&url), host_key(&next));
        if from != to && !switch_host(&from, &to) {
            return None;
        }
        url = next;
    }
}

/// HEAD, or GET when the server refuses HEAD.
fn request(client: &Client, url: &Url) -> Result<Response, reqwest::Error> {
    let head = client.head(url.clone()).send()?;
    if HEAD_REFUSED.contains(&head.status().as_u16()) {
        drop(head);
        return client.get(url.clone()).send();
    }
    Ok(head)
}

/// A failure in words, and whether it happened before any connection was made.
fn describe(e: &reqwest::Error, timeout: Duration) -> (String, bool) {
    let io_kind = sources(e).find_map(|s| s.downcast_ref::<std::io::Error>().map(|io| io.kind()));
    if e.is_timeout() {
        return (
            format!("no answer within {}", human(timeout)),
            e.is_connect(),
        );
    }
    if e.is_connect() {
        let (cause, network) = match io_kind {
            Some(ErrorKind::ConnectionRefused) => ("connection refused".to_owned(), true),
            Some(ErrorKind::NetworkUnreachable | ErrorKind::NetworkDown) => {
                ("network unreachable".to_owned(), true)
            }
            Some(ErrorKind::HostUnreachable) => ("host unreachable".to_owned(), true),
            Some(ErrorKind::TimedOut) => (format!("no answer within {}", human(timeout)), true),
            _ if e.is_dns() => (format!("DNS lookup failed ({})", innermost(e)), true),
            // A TLS failure, say: a server was reached, so this says nothing about the network.
            _ => (format!("could not connect ({})", chain(e)), false),
        };
        return (cause, network);
    }
    (format!("request failed ({})", chain(e)), false)
}

fn sources<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(e.source(), |s: &&'a (dyn std::error::Error + 'static)| {
        (*s).source()
    })
}

fn innermost(e: &reqwest::Error) -> String {
    sources(e)
        .last()
        .map_or_else(|| e.to_string(), |s| s.to_string())
}

/// The causes below reqwest's own message (which repeats the address), without repetitions.
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for s in sources(e) {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}
