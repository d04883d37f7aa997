//! An optional embedder that calls an OpenAI-compatible embeddings service, and a wrapper that
//! falls back to the local model when that service cannot be used.
//!
//! This module owns the HTTP side of remote embeddings: the `POST {base}/v1/embeddings` request,
//! bounded retries of rate-limited requests (honouring `Retry-After`, capped), and clear errors for
//! refused keys, time-outs, wrong dimensions and malformed answers. The API key is only ever put
//! in the `Authorization` header (marked sensitive): it is never logged, stored, shown in errors or
//! printed by `Debug`. Vectors are cached by the store like any others, keyed by this embedder's
//! [`Embedder::id`], `remote:<model>@<host>`, and the content hash. No user interface here.
//!
//! Settings come from [`RemoteConfig`] or the environment: `MEDATLAS_EMBED_URL` (the service's
//! base address, e.g. `http://localhost:8080`; `/v1/embeddings` is appended), `MEDATLAS_EMBED_MODEL`,
//! `MEDATLAS_EMBED_API_KEY` or `MEDATLAS_EMBED_API_KEY_FILE` (optional; a key file must be private
//! to its owner) and `MEDATLAS_EMBED_DIM` (optional: without it one short
//! request at start-up learns the dimension).

use std::fmt;
use std::io::Read as _;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use url::Url;

use super::{EmbedError, Embedder, normalise};

pub const ENV_URL: &str = "MEDATLAS_EMBED_URL";
pub const ENV_MODEL: &str = "MEDATLAS_EMBED_MODEL";
pub const ENV_API_KEY: &str = "MEDATLAS_EMBED_API_KEY";
pub const ENV_DIM: &str = "MEDATLAS_EMBED_DIM";
/// A file holding the key (read when `MEDATLAS_EMBED_API_KEY` is not set); refused when other users
/// may read it.
pub const ENV_API_KEY_FILE: &str = "MEDATLAS_EMBED_API_KEY_FILE";

/// The largest answer read from the service (a batch of 64 vectors of 3,072 numbers is ~4 MiB).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// The text sent to learn the dimension or to check that the service works.
const PROBE_TEXT: &str = "MedAtlas embedding probe";
/// Wait before retrying a rate-limited request that gave no usable `Retry-After`.
const DEFAULT_RETRY_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("remote embedder settings: {0}")]
    Config(String),
    #[error("could not set up the HTTP client: {0}")]
    Client(reqwest::Error),
    #[error(
        "the embedding service at {endpoint} refused the request ({status}): {message}; check \
         {ENV_API_KEY}"
    )]
    Unauthorized {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error(
        "the embedding service at {endpoint} is still rate limiting (429) after {attempts} \
         attempts; try again later"
    )]
    RateLimited { endpoint: String, attempts: u32 },
    #[error("the embedding service at {endpoint} did not answer within {timeout_ms} ms")]
    Timeout { endpoint: String, timeout_ms: u128 },
    #[error("the embedding service at {endpoint} could not be reached: {cause}")]
    Unreachable { endpoint: String, cause: String },
    #[error("the embedding service at {endpoint} answered {status}: {message}")]
    Status {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error(
        "the embedding service at {endpoint} sent an answer that is not a list of embeddings: {reason}"
    )]
    Malformed { endpoint: String, reason: String },
    #[error("the embedding service returned {got} dimensions, expected {expected}")]
    Dimension { expected: usize, got: usize },
}

impl From<RemoteError> for EmbedError {
    fn from(e: RemoteError) -> Self {
        match e {
            RemoteError::Dimension { expected, got } => EmbedError::Dimension { expected, got },
            other => EmbedError::Remote(other.to_string()),
        }
    }
}

/// A secret that never shows: `Debug` prints `[redacted]` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a key from a file the user named: its first line, trimmed. A file that other users
    /// may read (or write) is refused, so that a key is never taken from a place that exposes it.
    pub fn from_file(path: &std::path::Path) -> Result<ApiKey, RemoteError> {
        let bad =
            |why: String| RemoteError::Config(format!("API key file {}: {why}", path.display()));
        let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "other users may read it (mode {mode:03o}); make it private with chmod 600"
                )));
            }
        }
        if !meta.is_file() {
            return Err(bad("not a file".to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let key = text.lines().next().unwrap_or("").trim();
        if key.is_empty() {
            return Err(bad("it is empty".to_owned()));
        }
        Ok(ApiKey::new(key))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where and how to reach the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConfig {
    /// The service's base address: `{base_url}/v1/embeddings` is called (a base that already
    /// ends in `/v1` gets `/embeddings`).
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// The vectors' length, when known; otherwise one probe request learns it.
    pub dimension: Option<usize>,
    /// Limit for one request, from connecting to the whole answer.
    pub timeout: Duration,
    /// How often a rate-limited (429) or unavailable (503) request is tried again.
    pub max_retries: u32,
    /// The longest wait before a retry, whatever `Retry-After` asks for. A `Retry-After` in
    /// seconds is honoured up to this; without one (or with a date) waits double from 1 s.
    pub max_retry_wait: Duration,
    /// Texts per request.
    pub batch_size: usize,
}

impl RemoteConfig {
    /// Defaults for everything but the address and the model.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> RemoteConfig {
        RemoteConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            dimension: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(20),
            batch_size: 64,
        }
    }

    /// From `MEDATLAS_EMBED_URL`, `MEDATLAS_EMBED_MODEL`, `MEDATLAS_EMBED_API_KEY` and
    /// `MEDATLAS_EMBED_DIM`; `None` when no URL is set (the remote embedder is not wanted).
    pub fn from_env() -> Result<Option<RemoteConfig>, RemoteError> {
        RemoteConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`RemoteConfig::from_env`], reading variables through `var`.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<RemoteConfig>, RemoteError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(url) = get(ENV_URL) else {
            return Ok(None);
        };
        let model = get(ENV_MODEL).ok_or_else(|| {
            RemoteError::Config(format!("{ENV_URL} is set but {ENV_MODEL} is not"))
        })?;
        let mut config = RemoteConfig::new(url, model);
        config.api_key = match (get(ENV_API_KEY), get(ENV_API_KEY_FILE)) {
            (Some(key), _) => Some(ApiKey::new(key)),
            (None, Some(file)) => Some(ApiKey::from_file(std::path::Path::new(&file))?),
            (None, None) => None,
        };
        if let Some(dim) = get(ENV_DIM) {
            config.dimension =
                Some(dim.parse().ok().filter(|&d: &usize| d > 0).ok_or_else(|| {
                    RemoteError::Config(format!(
                        "{ENV_DIM} must be a positive whole number, not {dim:?}"
                    ))
                })?);
        }
        Ok(Some(config))
    }
}

/// The embeddings endpoint for a base address.
fn endpoint(base_url: &str) -> Result<Url, RemoteError> {
    let bad = |why: String| RemoteError::Config(format!("{ENV_URL} {base_url:?}: {why}"));
    let mut url = Url::parse(base_url.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("an http or https address is needed".to_owned()));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let path = if path.ends_with("/v1/embeddings") {
        path
    } else if path.ends_with("/v1") {
        format!("{path}/embeddings")
    } else {
        format!("{path}/v1/embeddings")
    };
    url.set_path(&path);
    Ok(url)
}

/// The endpoint as shown in messages: without user name, password, query or fragment.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    // These only fail for addresses that cannot have them, which then have nothing to hide.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

#[derive(Deserialize)]
struct EmbeddingsAnswer {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// Calls an OpenAI-compatible embeddings service.
pub struct RemoteEmbedder {
    config: RemoteConfig,
    endpoint: Url,
    shown: String,
    id: String,
    dimension: usize,
    client: Client,
}

impl fmt::Debug for RemoteEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteEmbedder")
            .field("id", &self.id)
            .field("endpoint", &self.shown)
            .field("dimension", &self.dimension)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RemoteEmbedder {
    /// Sets up the embedder. Without a configured dimension this sends one short request to learn
    /// it, so it fails when the service cannot be used.
    pub fn new(config: RemoteConfig) -> Result<RemoteEmbedder, RemoteError> {
        let endpoint = endpoint(&config.base_url)?;
        let host = endpoint.host_str().unwrap_or("").to_owned();
        let client = Client::builder()
            .user_agent(format!("MedAtlas/{}", crate::VERSION))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(RemoteError::Client)?;
        let mut embedder = RemoteEmbedder {
            id: format!("remote:{}@{host}", config.model),
            shown: shown(&endpoint),
            dimension: config.dimension.unwrap_or(0),
            config,
            endpoint,
            client,
        };
        if embedder.dimension == 0 {
            let probe = embedder.request(&[PROBE_TEXT])?;
            embedder.dimension = probe.first().map_or(0, Vec::len);
            if embedder.dimension == 0 {
                return Err(RemoteError::Malformed {
                    endpoint: embedder.shown.clone(),
                    reason: "the probe returned an empty vector".to_owned(),
                });
            }
        }
        Ok(embedder)
    }

    /// The embeddings endpoint, without any credentials it may contain.
    pub fn endpoint(&self) -> &str {
        &self.shown
    }

    pub fn config(&self) -> &RemoteConfig {
        &self.config
    }

    /// Embeds one short text: an error says why the service cannot be used.
    pub fn probe(&self) -> Result<(), RemoteError> {
        self.embed_texts(&[PROBE_TEXT]).map(|_| ())
    }

    /// One vector per text, normalised, in order; batches of `batch_size` texts per request.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, RemoteError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.config.batch_size.max(1)) {
            for v in self.request(chunk)? {
                if v.len() != self.dimension {
                    return Err(RemoteError::Dimension {
                        expected: self.dimension,
                        got: v.len(),
                    });
                }
                out.push(normalise(v));
            }
        }
        Ok(out)
    }

    /// One request, retried while the service says it is rate limited or unavailable.
    fn request(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, RemoteError> {
        let body = serde_json::json!({ "model": self.config.model, "input": texts });
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = self.client.post(self.endpoint.clone()).json(&body);
            if let Some(key) = &self.config.api_key {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .map_err(|_| {
                        RemoteError::Config(format!(
                            "{ENV_API_KEY} contains characters that cannot be sent in a header"
                        ))
                    })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            let response = request.send().map_err(|e| self.transport_error(&e))?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                if attempts > self.config.max_retries {
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        return Err(RemoteError::RateLimited {
                            endpoint: self.shown.clone(),
                            attempts,
                        });
                    }
                    let message = self.error_message(response);
                    return Err(RemoteError::Status {
                        endpoint: self.shown.clone(),
                        status: status.as_u16(),
                        message,
                    });
                }
                let asked = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                drop(response);
                let wait = asked
                    .unwrap_or(DEFAULT_RETRY_WAIT * 2u32.saturating_pow(attempts - 1))
                    .min(self.config.max_retry_wait);
                tracing::warn!(
                    "the embedding service at {} answered {status}; retrying in {} ms",
                    self.shown,
                    wait.as_millis()
                );
                std::thread::sleep(wait);
                continue;
            }
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                let message = self.error_message(response);
                return Err(RemoteError::Unauthorized {
                    endpoint: self.shown.clone(),
                    status: status.as_u16(),
                    message,
                });
            }
            if !status.is_success() {
                let message = self.error_message(response);
                return Err(RemoteError::Status {
                    endpoint: self.shown.clone(),
                    status: status.as_u16(),
                    message,
                });
            }
            let bytes = self.read_capped(response)?;
            return self.parse(&bytes, texts.len());
        }
    }

    fn read_capped(&self, response: reqwest::blocking::Response) -> Result<Vec<u8>, RemoteError> {
        let mut bytes = Vec::new();
        response
            .take(MAX_RESPONSE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                    || std::iter::successors(
                        std::error::Error::source(&e),
                        |s: &&(dyn std::error::Error + 'static)| (*s).source(),
                    )
                    .any(|s| {
                        s.downcast_ref::<reqwest::Error>()
                            .is_some_and(reqwest::Error::is_timeout)
                    });
                if timed_out {
                    self.timeout_error()
                } else {
                    RemoteError::Unreachable {
                        endpoint: self.shown.clone(),
                        cause: format!("the answer broke off ({e})"),
                    }
                }
            })?;
        if bytes.len() as u64 > MAX_RESPONSE_BYTES {
            return Err(RemoteError::Malformed {
                endpoint: self.shown.clone(),
                reason: format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
            });
        }
        Ok(bytes)
    }

    fn parse(&self, bytes: &[u8], expected: usize) -> Result<Vec<Vec<f32>>, RemoteError> {
        let malformed = |reason: String| RemoteError::Malformed {
            endpoint: self.shown.clone(),
            reason,
        };
        let answer: EmbeddingsAnswer =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if answer.data.len() != expected {
            return Err(malformed(format!(
                "{} vectors for {expected} texts",
                answer.data.len()
            )));
        }
        let mut items = answer.data;
        if items.iter().all(|i| i.index.is_some()) {
            items.sort_by_key(|i| i.index);
            if items.iter().enumerate().any(|(n, i)| i.index != Some(n)) {
                return Err(malformed("the vectors' indexes are not 0..n".to_owned()));
            }
        }
        Ok(items.into_iter().map(|i| i.embedding).collect())
    }

    fn timeout_error(&self) -> RemoteError {
        RemoteError::Timeout {
            endpoint: self.shown.clone(),
            timeout_ms: self.config.timeout.as_millis(),
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> RemoteError {
        if e.is_timeout() {
            return self.timeout_error();
        }
        let mut cause = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            let text = s.to_string();
            if !cause.contains(&text) {
                if !cause.is_empty() {
                    cause.push_str(": ");
                }
                cause.push_str(&text);
            }
            source = s.source();
        }
        if cause.is_empty() {
            cause = "the request failed".to_owned();
        }
        RemoteError::Unreachable {
            endpoint: self.shown.clone(),
            cause: self.redact(&cause),
        }
    }

    /// The service's own explanation (`{"error": {"message": …}}` and the like), short, without
    /// the key even if the service echoes it.
    fn error_message(&self, response: reqwest::blocking::Response) -> String {
        let mut bytes = Vec::new();
        // A few KiB are enough for a message; a failure to read leaves it empty.
        let _ = response.take(16 * 1024).read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        let from_json = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                let e = v.get("error").unwrap_or(&v);
                e.get("message")
                    .and_then(|m| m.as_str())
                    .or_else(|| e.as_str())
                    .or_else(|| v.get("detail").and_then(|d| d.as_str()))
                    .map(str::to_owned)
            });
        let message = from_json.unwrap_or_else(|| text.trim().to_owned());
        let mut message: String = self.redact(&message).chars().take(300).collect();
        if message.is_empty() {
            message = "no explanation given".to_owned();
        }
        message
    }

    fn redact(&self, text: &str) -> String {
        match &self.config.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "[redacted]"),
            _ => text.to_owned(),
        }
    }
}

impl Embedder for RemoteEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(self.embed_texts(texts)?)
    }
}

/// The remote embedder when it works, a local one otherwise: decided once, then kept.
///
/// Vectors of different models must never be mixed in one index, and the store is opened for one
/// model id and dimension. So the choice is made once, when this is built: the remote embedder is
/// probed with one short text, and if that (or setting it up) fails, the local embedder answers for as long as this value lives. There is no switching afterwards: if
/// the chosen remote service fails later, the error is returned like any embedding error (an index
/// run stops and keeps the vectors it cached) rather than quietly filling the index with another
/// model's vectors. `id()` and `dimension()` are those of the embedder that was chosen, so open
/// the store after building this; [`FallbackEmbedder::using_remote`] and
/// [`FallbackEmbedder::warning`] tell the user which one it is and why.
pub struct FallbackEmbedder {
    chosen: Box<dyn Embedder>,
    remote: bool,
    warning: Option<String>,
}

impl fmt::Debug for FallbackEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallbackEmbedder")
            .field("id", &self.chosen.id())
            .field("remote", &self.remote)
            .field("warning", &self.warning)
            .finish()
    }
}

impl FallbackEmbedder {
    /// Probes `remote` and keeps it if it answers with vectors of its dimension; otherwise builds
    /// the local embedder with `local` (only then), keeping the reason as `warning` for the caller
    /// to report.
    pub fn choose<R, L>(
        remote: Result<R, RemoteError>,
        local: impl FnOnce() -> Result<L, EmbedError>,
    ) -> Result<FallbackEmbedder, EmbedError>
    where
        R: Embedder + 'static,
        L: Embedder + 'static,
    {
        let failure = match remote {
            Ok(remote) => match remote.embed(PROBE_TEXT) {
                Ok(v) if v.len() == remote.dimension() => {
                    return Ok(FallbackEmbedder {
                        chosen: Box::new(remote),
                        remote: true,
                        warning: None,
                    });
                }
                Ok(v) => EmbedError::Dimension {
                    expected: remote.dimension(),
                    got: v.len(),
                }
                .to_string(),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        let local = local()?;
        let warning = format!(
            "the remote embedder cannot be used ({failure}); using {} for this session",
            local.id()
        );
        Ok(FallbackEmbedder {
            chosen: Box::new(local),
            remote: false,
            warning: Some(warning),
        })
    }

    /// The remote embedder configured in the environment if there is one and it works, else the
    /// local one (without a warning when no remote embedder is configured).
    pub fn from_env<L: Embedder + 'static>(
        local: impl FnOnce() -> Result<L, EmbedError>,
    ) -> Result<FallbackEmbedder, EmbedError> {
        match RemoteConfig::from_env() {
            Ok(None) => Ok(FallbackEmbedder {
                chosen: Box::new(local()?),
                remote: false,
                warning: None,
            }),
            Ok(Some(config)) => FallbackEmbedder::choose(RemoteEmbedder::new(config), local),
            Err(e) => FallbackEmbedder::choose::<RemoteEmbedder, L>(Err(e), local),
        }
    }

    /// True when the remote embedder was chosen.
    pub fn using_remote(&self) -> bool {
        self.remote
    }

    /// Why the remote embedder was not chosen, when it was configured but failed.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
}

impl Embedder for FallbackEmbedder {
    fn id(&self) -> &str {
        self.chosen.id()
    }

    fn dimension(&self) -> usize {
        self.chosen.dimension()
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.chosen.embed_batch(texts)
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.chosen.embed(text)
    }
}
