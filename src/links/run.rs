//! A run: worker threads share a queue, at most one request per host at a time, cancellation,
//! progress, and the offline shortcut.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use url::Url;

use super::http::{self, Checked};
use super::{CheckOptions, CheckReport, LinkError, LinkResult, LinkStatus, OFFLINE, unix_now};

/// How often a waiting worker looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Checks every distinct address in `urls` and reports what it found.
///
/// Runs on the calling thread plus up to `options.concurrency` worker threads and returns when
/// all are done, so call it from a background thread (for a window, e.g. inside a promise).
/// `progress(done, total)` is called from the workers after each address (total = distinct
/// addresses). Setting `cancel` stops the run soon: requests in flight finish (each is bounded by
/// the request timeout), no new ones start, and the report has `cancelled` set and leaves out the
/// addresses never checked. Addresses that are not http(s) are reported as not checked without
/// any request. Fails only when the HTTP client cannot be set up.
pub fn check_urls(
    urls: &[String],
    options: &CheckOptions,
    cancel: &AtomicBool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<CheckReport, LinkError> {
    let started = Instant::now();
    let mut distinct: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    for u in urls {
        if seen.insert(u.as_str()) {
            distinct.push(u.as_str());
        }
    }
    let total = distinct.len();
    let mut state = State {
        results: vec![None; total],
        ..State::default()
    };
    let mut jobs = Vec::new();
    for (i, u) in distinct.iter().enumerate() {
        match http::checkable(u) {
            Ok(url) => {
                state.pending.push_back(i);
                jobs.push(Some((http::host_key(&url), url)));
            }
            Err(why) => {
                state.results[i] = Some(not_checked(u, why));
                state.done += 1;
                jobs.push(None);
            }
        }
    }
    if state.done > 0 {
        progress(state.done, total);
    }
    let mut offline = None;
    if !state.pending.is_empty() {
        let client = http::client(options)?;
        let workers = options.concurrency.clamp(1, state.pending.len());
        let shared = Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
            jobs,
            given: &distinct,
            options,
            cancel,
            progress,
            total,
        };
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| shared.work(&client));
            }
        });
        state = shared.into_state();
        offline = state.offline.take();
    }
    let cancelled = cancel.load(Ordering::Relaxed) && state.results.iter().any(Option::is_none);
    Ok(CheckReport {
        results: state.results.into_iter().flatten().collect(),
        cancelled,
        offline,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn not_checked(url: &str, why: String) -> LinkResult {
    LinkResult {
        url: url.to_owned(),
        status: LinkStatus::NotChecked,
        http_status: None,
        final_url: None,
        hops: Vec::new(),
        cause: Some(why),
        checked_at: unix_now(),
        elapsed_ms: 0,
    }
}

fn offline_result(url: &str) -> LinkResult {
    LinkResult {
        url: url.to_owned(),
        status: LinkStatus::Unreachable,
        http_status: None,
        final_url: None,
        hops: Vec::new(),
        cause: Some(OFFLINE.to_owned()),
        checked_at: unix_now(),
        elapsed_ms: 0,
    }
}

#[derive(Default)]
struct State {
    /// Indexes of addresses not yet started.
    pending: VecDeque<usize>,
    /// Hosts with a request in flight.
    busy: HashSet<String>,
    in_flight: usize,
    done: usize,
    results: Vec<Option<LinkResult>>,
    /// Hosts that could not be connected to, with the cause seen first, in order.
    failed_hosts: Vec<(String, String)>,
    /// Addresses whose check failed before connecting (rewritten if the run goes offline).
    connect_failures: Vec<usize>,
    /// Some server answered: the network works and the offline shortcut is off.
    answered: bool,
    offline: Option<String>,
}

struct Shared<'a> {
    state: Mutex<State>,
    changed: Condvar,
    jobs: Vec<Option<(String, Url)>>,
    /// The addresses as given (results are keyed by these, not by their parsed form).
    given: &'a [&'a str],
    options: &'a CheckOptions,
    cancel: &'a AtomicBool,
    progress: &'a (dyn Fn(usize, usize) + Sync),
    total: usize,
}

enum Next {
    Check(usize),
    Stop,
}

impl Shared<'_> {
    fn into_state(self) -> State {
        self.state.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker that panicked mid-update leaves nothing half-done that matters here.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'g>(&self, guard: MutexGuard<'g, State>) -> MutexGuard<'g, State> {
        match self.changed.wait_timeout(guard, CANCEL_POLL) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn work(&self, client: &reqwest::blocking::Client) {
        loop {
            let index = match self.next() {
                Next::Check(i) => i,
                Next::Stop => return,
            };
            let Some((host, url)) = &self.jobs[index] else {
                continue;
            };
            // The host this worker holds; empty while it waits for another one.
            let mut holding = host.clone();
            let checked = http::check_one(client, url, self.options, &mut |from, to| {
                holding.clear();
                let ok = self.switch_host(from, to);
                if ok {
                    holding = to.to_owned();
                }
                ok
            });
            self.finish(index, &holding, host, checked);
        }
    }

    /// Waits for an address whose host is free, or for the end of the run.
    fn next(&self) -> Next {
        let mut state = self.lock();
        loop {
            if self.cancelled() || state.pending.is_empty() {
                return Next::Stop;
            }
            if state.offline.is_some() {
                self.drain_offline(state);
                return Next::Stop;
            }
            let suspicious = self.options.offline_after_hosts > 0
                && !state.answered
                && state.failed_hosts.len() >= self.options.offline_after_hosts;
            if suspicious {
                // Wait for the requests in flight: one answer clears the suspicion, none confirms it.
                if state.in_flight == 0 {
                    self.go_offline(&mut state);
                    self.drain_offline(state);
                    return Next::Stop;
                }
            } else if let Some(pos) = state.pending.iter().position(|&i| {
                self.jobs[i]
                    .as_ref()
                    .is_some_and(|(h, _)| !state.busy.contains(h))
            }) && let Some(index) = state.pending.remove(pos)
                && let Some((host, _)) = &self.jobs[index]
            {
                state.busy.insert(host.clone());
                state.in_flight += 1;
                return Next::Check(index);
            }
            state = self.wait(state);
        }
    }

    /// A redirect to another host: give up `from`, wait for `to`.
    fn switch_host(&self, from: &str, to: &str) -> bool {
        let mut state = self.lock();
        state.busy.remove(from);
        self.changed.notify_all();
        while state.busy.contains(to) {
            if self.cancelled() {
                return false;
            }
            state = self.wait(state);
        }
        state.busy.insert(to.to_owned());
        true
    }

    fn finish(&self, index: usize, holding: &str, host: &str, checked: Option<Checked>) {
        let done = {
            let mut state = self.lock();
            if !holding.is_empty() {
                state.busy.remove(holding);
            }
            state.in_flight -= 1;
            if let Some(mut checked) = checked {
                checked.result.url = self.given[index].to_owned();
                if checked.answered {
                    state.answered = true;
                }
                if checked.connect_failure {
                    state.connect_failures.push(index);
                    if !state.failed_hosts.iter().any(|(h, _)| h == host) {
                        let cause = checked.result.cause.clone().unwrap_or_default();
                        state.failed_hosts.push((host.to_owned(), cause));
                    }
                }
                state.results[index] = Some(checked.result);
                state.done += 1;
            }
            self.changed.notify_all();
            state.done
        };
        (self.progress)(done, self.total);
    }

    /// Every host tried so far failed to connect and none answered: call the network down.
    fn go_offline(&self, state: &mut State) {
        let hosts: Vec<&str> = state.failed_hosts.iter().map(|(h, _)| h.as_str()).collect();
        let named = match hosts.len() {
            n if n > 3 => format!("{} and {} more", hosts[..3].join(", "), n - 3),
            _ => hosts.join(", "),
        };
        let example = state
            .failed_hosts
            .first()
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        let skipped = match state.pending.len() {
            1 => "1 more address was".to_owned(),
            n => format!("{n} more addresses were"),
        };
        let note = format!(
            "the network seems to be down: none of the {} hosts tried could be reached ({named}; \
             {example}), so {skipped} not tried and every link reads \"unreachable: {OFFLINE}\"",
            hosts.len(),
        );
        // Said once, by whoever shows the report.
        tracing::debug!("{note}");
        for &i in &state.connect_failures {
            if let Some(r) = state.results[i].as_mut() {
                r.cause = Some(OFFLINE.to_owned());
            }
        }
        state.offline = Some(note);
    }

    fn drain_offline(&self, mut state: MutexGuard<'_, State>) {
        let drained: Vec<usize> = state.pending.drain(..).collect();
        if drained.is_empty() {
            return;
        }
        for i in drained {
            state.results[i] = Some(offline_result(self.given[i]));
            state.done += 1;
        }
        let done = state.done;
        self.changed.notify_all();
        drop(state);
        (self.progress)(done, self.total);
    }
}

/// Distinct hosts among the addresses (for messages such as "100 links on 10 hosts").
pub fn host_count(urls: &[String]) -> usize {
    urls.iter()
        .filter_map(|u| http::checkable(u).ok())
        .map(|url| http::host_key(&url))
        .collect::<HashSet<_>>()
        .len()
}
