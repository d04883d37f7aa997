//! Link checks against real HTTP servers on 127.0.0.1 started inside the tests (no internet).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use medatlas::links::{self, CheckOptions, LinkResult, LinkStatus, OFFLINE};
use medatlas::store::{Location, Store};

use crate::util::http::{self, Reply, Server, serve, serve_with_delay};
use crate::util::{self, data, temp_dir};

/// A port on 127.0.0.1 where nothing listens.
fn dead_port_url(path: &str) -> String {
    format!("{}{path}", http::closed_port_base())
}

fn options() -> CheckOptions {
    CheckOptions {
        concurrency: 4,
        request_timeout: Duration::from_secs(5),
        ..CheckOptions::default()
    }
}

fn check(urls: &[String], options: &CheckOptions) -> links::CheckReport {
    links::check_urls(urls, options, &AtomicBool::new(false), &|_, _| {}).unwrap()
}

fn one(url: &str) -> LinkResult {
    let report = check(&[url.to_owned()], &options());
    assert_eq!(report.results.len(), 1, "{report:?}");
    report.results[0].clone()
}

/// The site most tests use.
fn site() -> Server {
    let base: Arc<OnceLock<String>> = Arc::default();
    let b = Arc::clone(&base);
    let server = serve(move |r| {
        let head = r.method == "HEAD";
        match r.path.as_str() {
            "/ok" | "/final" => Reply::status(200),
            "/moved" => Reply::redirect(301, "/temp"),
            // Absolute, unlike the relative first hop.
            "/temp" => Reply::redirect(
                302,
                &format!("{}/final", b.get().map_or("", String::as_str)),
            ),
            "/missing" => Reply::status(404),
            "/error" => Reply::status(500),
            "/head-refused" if head => Reply::status(405),
            "/head-refused" => Reply::status(200),
            "/loop-a" => Reply::redirect(302, "/loop-b"),
            "/loop-b" => Reply::redirect(302, "/loop-a"),
            "/to-ftp" => Reply::redirect(301, "ftp://127.0.0.1/file"),
            "/huge" if head => Reply::status(405),
            "/huge" => Reply::Huge(1 << 30),
            "/hang" => Reply::Hang,
            _ => Reply::status(404),
        }
    });
    base.set(server.base().to_owned()).unwrap();
    server
}

// ------------------------------------------------------------------------------------------------
// One link at a time
// ------------------------------------------------------------------------------------------------

#[test]
fn ok_link_with_head_and_user_agent() {
    let server = site();
    let r = one(&server.url("/ok"));
    assert_eq!(r.status, LinkStatus::Ok, "{r:?}");
    assert_eq!(r.http_status, Some(200));
    assert_eq!(r.final_url, None);
    assert_eq!(r.badge(), "ok (200)");
    assert_eq!(server.request_lines(), vec!["HEAD /ok"]);
    let agents: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.header("user-agent").map(str::to_owned))
        .collect();
    assert!(
        agents[0].starts_with(&format!("MedAtlas/{}", medatlas::VERSION)),
        "{agents:?}"
    );
}

#[test]
fn redirect_chain_reports_every_hop_and_the_final_url() {
    let server = site();
    let r = one(&server.url("/moved"));
    assert_eq!(r.status, LinkStatus::Redirected, "{r:?}");
    assert_eq!(r.http_status, Some(200));
    assert_eq!(r.final_url.as_deref(), Some(server.url("/final").as_str()));
    let hops: Vec<(String, u16)> = r.hops.iter().map(|h| (h.url.clone(), h.status)).collect();
    assert_eq!(
        hops,
        vec![(server.url("/moved"), 301), (server.url("/temp"), 302)]
    );
    assert_eq!(
        r.badge(),
        format!("redirected to {} (301, 302 → 200)", server.url("/final"))
    );
    assert_eq!(
        server.request_lines(),
        vec!["HEAD /moved", "HEAD /temp", "HEAD /final"]
    );
}

#[test]
fn not_found_and_server_error_are_broken_with_their_status() {
    let server = site();
    let r = one(&server.url("/missing"));
    assert_eq!((r.status, r.http_status), (LinkStatus::Broken, Some(404)));
    assert_eq!(r.badge(), "broken: 404 Not Found");
    let r = one(&server.url("/error"));
    assert_eq!((r.status, r.http_status), (LinkStatus::Broken, Some(500)));
    assert_eq!(r.badge(), "broken: 500 Internal Server Error");
}

#[test]
fn head_refused_falls_back_to_get() {
    let server = site();
    let r = one(&server.url("/head-refused"));
    assert_eq!(
        (r.status, r.http_status),
        (LinkStatus::Ok, Some(200)),
        "{r:?}"
    );
    assert_eq!(
        server.request_lines(),
        vec!["HEAD /head-refused", "GET /head-refused"]
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = site();
    let opts = CheckOptions {
        request_timeout: Duration::from_secs(1),
        ..options()
    };
    let started = Instant::now();
    let report = check(&[server.url("/hang")], &opts);
    let r = &report.results[0];
    assert_eq!(r.status, LinkStatus::Unreachable, "{r:?}");
    assert_eq!(r.badge(), "unreachable: no answer within 1 s");
    assert!(started.elapsed() < Duration::from_secs(4), "{r:?}");
    assert!(report.offline.is_none());
}

#[test]
fn connection_refused_is_unreachable() {
    let r = one(&dead_port_url("/x"));
    assert_eq!(r.status, LinkStatus::Unreachable);
    assert_eq!(r.badge(), "unreachable: connection refused");
}

#[test]
fn redirect_loop_is_detected() {
    let server = site();
    let r = one(&server.url("/loop-a"));
    assert_eq!(r.status, LinkStatus::Broken, "{r:?}");
    let cause = r.cause.clone().unwrap();
    assert!(cause.starts_with("redirect loop"), "{cause}");
    assert_eq!(r.hops.len(), 2);
    assert_eq!(
        server.request_lines().len(),
        2,
        "each address requested once"
    );
}

#[test]
fn too_many_redirects_are_broken() {
    let server = serve(|r| {
        let n: u32 = r.path.trim_start_matches("/r").parse().unwrap_or(0);
        Reply::redirect(302, &format!("/r{}", n + 1))
    });
    let opts = CheckOptions {
        max_redirects: 3,
        ..options()
    };
    let r = check(&[server.url("/r0")], &opts).results[0].clone();
    assert_eq!(r.status, LinkStatus::Broken);
    assert_eq!(r.cause.as_deref(), Some("more than 3 redirects"));
    assert_eq!(server.request_lines().len(), 4);
}

#[test]
fn a_huge_body_is_never_downloaded() {
    let server = site();
    let started = Instant::now();
    let r = one(&server.url("/huge"));
    assert_eq!(
        (r.status, r.http_status),
        (LinkStatus::Ok, Some(200)),
        "{r:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The client closes the connection without reading: the server's writes soon fail.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.client_went_away() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    let sent = server.body_bytes_sent();
    assert!(
        server.client_went_away(),
        "the client kept the connection open (sent {sent} bytes)"
    );
    // At most what the socket buffers held: a small part of the 1 GiB body.
    assert!(sent < 32 << 20, "{sent} bytes sent");
    eprintln!("huge body: the server sent {sent} bytes of 1 GiB before the client closed");
}

#[test]
fn only_http_and_https_are_requested() {
    let server = site();
    let urls = vec![
        "ftp://127.0.0.1/data.zip".to_owned(),
        "mailto:someone@example.org".to_owned(),
        "file:///etc/passwd".to_owned(),
        "not an address".to_owned(),
        server.url("/to-ftp"),
    ];
    let report = check(&urls, &options());
    let by_url: HashMap<_, _> = report.results.iter().map(|r| (r.url.clone(), r)).collect();
    for u in &urls[..4] {
        let r = by_url[u];
        assert_eq!(r.status, LinkStatus::NotChecked, "{r:?}");
        assert!(r.badge().starts_with("not checked: "), "{}", r.badge());
    }
    assert!(by_url[&urls[0]].cause.as_deref().unwrap().contains("ftp"));
    let r = by_url[&urls[4]];
    assert_eq!(r.status, LinkStatus::NotChecked, "{r:?}");
    assert_eq!(r.final_url.as_deref(), Some("ftp://127.0.0.1/file"));
    assert_eq!(server.request_lines(), vec!["HEAD /to-ftp"]);
}

#[test]
fn results_keep_the_address_as_given_and_duplicates_are_checked_once() {
    let server = site();
    let bare = server.base().to_owned(); // no trailing slash: parsing would add one
    let report = check(&[bare.clone(), bare.clone(), server.url("/ok")], &options());
    assert_eq!(report.results.len(), 2);
    assert!(report.get(&bare).is_some());
    assert_eq!(server.request_lines().len(), 2);
}

// ------------------------------------------------------------------------------------------------
// Runs: politeness, offline, cancellation, progress
// ------------------------------------------------------------------------------------------------

#[test]
fn one_request_at_a_time_per_host() {
    let server = serve_with_delay(Duration::from_millis(50), |_| Reply::status(200));
    let urls: Vec<String> = (0..12).map(|i| server.url(&format!("/p{i}"))).collect();
    let opts = CheckOptions {
        concurrency: 6,
        ..options()
    };
    let started = Instant::now();
    let report = check(&urls, &opts);
    assert!(report.results.iter().all(|r| r.status == LinkStatus::Ok));
    assert_eq!(server.max_active(), 1);
    assert_eq!(server.connections(), 12);
    assert!(started.elapsed() >= Duration::from_millis(12 * 50));
}

#[test]
fn redirects_to_another_host_respect_its_limit_too() {
    let target = serve_with_delay(Duration::from_millis(30), |_| Reply::status(200));
    let base = target.base().to_owned();
    let origin = serve(move |r| Reply::redirect(302, &format!("{base}{}", r.path)));
    let mut urls: Vec<String> = (0..6).map(|i| origin.url(&format!("/r{i}"))).collect();
    urls.extend((0..6).map(|i| target.url(&format!("/t{i}"))));
    let report = check(&urls, &options());
    assert!(
        report
            .results
            .iter()
            .all(|r| matches!(r.status, LinkStatus::Ok | LinkStatus::Redirected)),
        "{report:?}"
    );
    assert_eq!(target.max_active(), 1);
    assert_eq!(origin.max_active(), 1);
}

#[test]
fn offline_every_link_reads_offline_without_trying_each() {
    let hang = site();
    let mut urls: Vec<String> = (0..3).map(|_| dead_port_url("/")).collect();
    // Were these tried, each would wait for the whole timeout.
    urls.extend((0..20).map(|i| hang.url(&format!("/hang?{i}"))));
    let opts = CheckOptions {
        concurrency: 1,
        request_timeout: Duration::from_secs(3),
        ..options()
    };
    let report = check(&urls, &opts);
    assert_eq!(report.results.len(), urls.len());
    for r in &report.results {
        assert!(r.is_offline(), "{r:?}");
        assert_eq!(r.badge(), format!("unreachable: {OFFLINE}"));
    }
    let note = report
        .offline
        .clone()
        .expect("the run says it went offline");
    assert!(note.contains("20 more addresses were not tried"), "{note}");
    assert!(note.contains("none of the 3 hosts tried"), "{note}");
    assert_eq!(hang.connections(), 0);
}

#[test]
fn dead_hosts_do_not_make_a_working_network_offline() {
    let slow = serve_with_delay(Duration::from_millis(200), |_| Reply::status(200));
    // The working host is tried first, so it is in flight while the dead ones fail.
    let mut urls: Vec<String> = vec![slow.url("/a")];
    urls.extend((0..6).map(|_| dead_port_url("/")));
    urls.push(slow.url("/b"));
    let report = check(&urls, &options());
    assert!(report.offline.is_none(), "{:?}", report.offline);
    for r in &report.results {
        if r.url.starts_with(slow.base()) {
            assert_eq!(r.status, LinkStatus::Ok);
        } else {
            assert_eq!(r.badge(), "unreachable: connection refused");
        }
    }
}

#[test]
fn cancelling_stops_the_run_and_progress_is_reported() {
    let server = serve_with_delay(Duration::from_millis(100), |_| Reply::status(200));
    let urls: Vec<String> = (0..20).map(|i| server.url(&format!("/p{i}"))).collect();
    let cancel = AtomicBool::new(false);
    let seen: Mutex<Vec<(usize, usize)>> = Mutex::default();
    let progress = |done: usize, total: usize| {
        seen.lock().unwrap().push((done, total));
        if done >= 3 {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let report = links::check_urls(&urls, &options(), &cancel, &progress).unwrap();
    assert!(report.cancelled);
    assert!(
        (3..=5).contains(&report.results.len()),
        "{}",
        report.results.len()
    );
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|&(_, total)| total == 20));
    assert_eq!(
        seen.iter().map(|&(d, _)| d).max(),
        Some(report.results.len())
    );
}

#[test]
fn progress_reaches_the_total() {
    let server = site();
    let urls = vec![
        server.url("/ok"),
        server.url("/missing"),
        "ftp://x/y".to_owned(),
    ];
    let last = Mutex::new((0, 0));
    let report = links::check_urls(&urls, &options(), &AtomicBool::new(false), &|d, t| {
        let mut l = last.lock().unwrap();
        if d > l.0 {
            *l = (d, t);
        }
    })
    .unwrap();
    assert!(!report.cancelled);
    assert_eq!(*last.lock().unwrap(), (3, 3));
    let counts: HashMap<_, _> = report.counts().into_iter().collect();
    assert_eq!(counts[&LinkStatus::Ok], 1);
    assert_eq!(counts[&LinkStatus::Broken], 1);
    assert_eq!(counts[&LinkStatus::NotChecked], 1);
}

/// 100 links on 10 hosts, each answering after 50 ms: the number asked for in the report.
#[test]
fn timing_100_links_on_10_hosts() {
    let servers: Vec<Server> = (0..10)
        .map(|_| serve_with_delay(Duration::from_millis(50), |_| Reply::status(200)))
        .collect();
    let urls: Vec<String> = (0..10)
        .flat_map(|i| servers.iter().map(move |s| s.url(&format!("/page{i}"))))
        .collect();
    assert_eq!(links::host_count(&urls), 10);
    let opts = CheckOptions {
        concurrency: 10,
        ..options()
    };
    let started = Instant::now();
    let report = check(&urls, &opts);
    let elapsed = started.elapsed();
    eprintln!(
        "100 links on 10 hosts (50 ms per request): {} ms",
        elapsed.as_millis()
    );
    assert_eq!(report.results.len(), 100);
    assert!(report.results.iter().all(|r| r.status == LinkStatus::Ok));
    assert!(servers.iter().all(|s| s.max_active() == 1));
    // One host at a time would take 5 s; ten in parallel about 0.5 s.
}

// ------------------------------------------------------------------------------------------------
// The store
// ------------------------------------------------------------------------------------------------

#[test]
fn results_persist_across_reopening_the_store() {
    let dir = temp_dir();
    let path = dir.path().join("store.sqlite3");
    let server = site();
    let urls = vec![
        server.url("/ok"),
        server.url("/moved"),
        server.url("/missing"),
        "ftp://127.0.0.1/x".to_owned(),
    ];
    let report = check(&urls, &options());
    {
        let store = Store::open(&Location::File(path.clone()), "test-model", 4).unwrap();
        assert_eq!(links::save_results(&store, &report.results).unwrap(), 4);
    }
    let store = Store::open(&Location::File(path.clone()), "test-model", 4).unwrap();
    assert!(store.warnings.is_empty(), "{:?}", store.warnings);
    let loaded = links::load_results(&store).unwrap();
    assert_eq!(loaded.len(), 4);
    for r in &report.results {
        assert_eq!(&loaded[&r.url], r);
    }
    let moved = links::load_result(&store, &server.url("/moved"))
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.final_url.as_deref(),
        Some(server.url("/final").as_str())
    );
    assert_eq!(moved.hops.len(), 2);
    assert!(moved.checked_at > 1_700_000_000);
    assert!(
        links::load_result(&store, "http://never.checked/")
            .unwrap()
            .is_none()
    );

    // An offline run never replaces what was known.
    let mut offline = report.results[0].clone();
    offline.status = LinkStatus::Unreachable;
    offline.cause = Some(OFFLINE.to_owned());
    assert_eq!(links::save_results(&store, &[offline]).unwrap(), 0);
    assert_eq!(
        links::load_result(&store, &urls[0])
            .unwrap()
            .unwrap()
            .status,
        LinkStatus::Ok
    );

    // The catalogue's tables are left alone.
    let docs: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM medical_imaging_knowledge", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(docs, 0);
}

// ------------------------------------------------------------------------------------------------
// The command line
// ------------------------------------------------------------------------------------------------

fn write_entry(dir: &Path, server: &Server) {
    let example = std::fs::read_to_string(data("user-catalogue/example-brain-mri.toml")).unwrap();
    let text = example
        .replace("id = \"example-brain-mri\"", "id = \"local-links\"")
        .replace("https://example.org/ebmc/docs", &server.url("/missing"))
        .replace("https://example.org/ebmc/", &server.url("/ok"));
    assert!(
        !text.contains("example.org/"),
        "every address points to the test server"
    );
    std::fs::write(dir.join("local-links.toml"), text).unwrap();
}

#[test]
fn cli_check_links_json_against_the_local_server() {
    let server = site();
    let home = temp_dir();
    let catalogue = home.path().join("catalogue");
    std::fs::create_dir(&catalogue).unwrap();
    write_entry(&catalogue, &server);
    let store = home.path().join("store.sqlite3");
    let out = util::medatlas(
        &[
            "check-links",
            "local-links",
            "--json",
            "--catalogue",
            catalogue.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--timeout-secs",
            "5",
        ],
        home.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["entry"], "local-links");
    assert_eq!(rows[0]["kind"], "homepage");
    assert_eq!(rows[0]["url"], server.url("/ok"));
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["http_status"], 200);
    assert!(rows[0]["checked_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(rows[1]["kind"], "docs");
    assert_eq!(rows[1]["status"], "broken");
    assert_eq!(rows[1]["http_status"], 404);

    // The results were stored.
    let store = Store::open(
        &Location::File(store),
        medatlas::embed::MINILM_ID,
        medatlas::embed::MINILM_DIM,
    )
    .unwrap();
    let loaded = links::load_results(&store).unwrap();
    assert_eq!(loaded[&server.url("/missing")].http_status, Some(404));

    // Human output: one line per link and a summary.
    let out = util::medatlas(
        &[
            "check-links",
            "--catalogue",
            catalogue.to_str().unwrap(),
            "--store",
            ":memory:",
            "local-links",
        ],
        home.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "local-links  homepage  {}  ok (200)",
            server.url("/ok")
        )),
        "{stdout}"
    );
    assert!(stdout.contains("broken: 404 Not Found"), "{stdout}");
    assert!(
        stdout.contains("2 links (2 addresses) checked in"),
        "{stdout}"
    );

    // An unknown id is exit code 2, as for `show`.
    let out = util::medatlas(
        &["check-links", "no-such-dataset", "--store", ":memory:"],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
}
