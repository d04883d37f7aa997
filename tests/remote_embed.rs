//! The remote embedder against an OpenAI-compatible embeddings server on 127.0.0.1 started inside
//! the tests (no internet).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use medatlas::embed::remote::{
    ApiKey, FallbackEmbedder, RemoteConfig, RemoteEmbedder, RemoteError,
};
use medatlas::embed::{EmbedError, Embedder};
use serde_json::{Value, json};

use crate::util::http::{self, Reply, Request, Server, serve};

const KEY: &str = "sk-secret-123";

fn ok_json(body: Value) -> Reply {
    Reply::json(200, body)
}

/// A well-behaved answer: for each input, `[chars, 1, 0, …]` of `dim` numbers, listed in reverse
/// order with their indexes (clients must sort).
fn embeddings(request: &Request, dim: usize) -> Reply {
    let body = request.json();
    let inputs: Vec<String> = body["input"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut v = vec![0.0f32; dim];
            v[0] = text.chars().count() as f32;
            if dim > 1 {
                v[1] = 1.0;
            }
            json!({ "object": "embedding", "index": i, "embedding": v })
        })
        .collect();
    data.reverse();
    ok_json(json!({ "object": "list", "data": data, "model": body["model"] }))
}

fn config(server: &Server) -> RemoteConfig {
    let mut c = RemoteConfig::new(server.base(), "test-model");
    c.api_key = Some(ApiKey::new(KEY));
    c.timeout = Duration::from_secs(5);
    c
}

fn remote_err(result: Result<RemoteEmbedder, RemoteError>) -> RemoteError {
    match result {
        Ok(e) => panic!("expected an error, got {e:?}"),
        Err(e) => e,
    }
}

/// A stand-in for the local model.
struct Stub;

impl Embedder for Stub {
    fn id(&self) -> &str {
        "stub"
    }
    fn dimension(&self) -> usize {
        2
    }
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|_| vec![1.0, 0.0]).collect())
    }
}

#[test]
fn a_correct_answer_gives_normalised_vectors_in_order() {
    let server = serve(|r| embeddings(r, 3));
    let embedder = RemoteEmbedder::new(config(&server)).unwrap();
    // No dimension configured: one probe request learned it.
    assert_eq!(embedder.dimension(), 3);
    assert_eq!(embedder.id(), "remote:test-model@127.0.0.1");
    let v = embedder.embed_batch(&["ab", "abcd"]).unwrap();
    let expected = |n: f32| {
        let norm = (n * n + 1.0).sqrt();
        vec![n / norm, 1.0 / norm, 0.0]
    };
    assert_eq!(v, vec![expected(2.0), expected(4.0)]);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.path, "/v1/embeddings");
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {KEY}")));
        assert_eq!(r.json()["model"], "test-model");
    }
    assert_eq!(seen[1].json()["input"], json!(["ab", "abcd"]));
}

#[test]
fn texts_are_sent_in_batches() {
    let server = serve(|r| embeddings(r, 3));
    let mut c = config(&server);
    c.dimension = Some(3);
    c.batch_size = 2;
    let embedder = RemoteEmbedder::new(c).unwrap();
    let v = embedder
        .embed_batch(&["a", "bb", "ccc", "dddd", "eeeee"])
        .unwrap();
    assert_eq!(v.len(), 5);
    assert!(v[4][0] > v[0][0]);
    assert_eq!(
        server.requests().len(),
        3,
        "a configured dimension needs no probe"
    );
}

#[test]
fn base_addresses_with_v1_or_a_trailing_slash_work() {
    let server = serve(|r| embeddings(r, 3));
    for base in [
        format!("{}/", server.base()),
        format!("{}/v1", server.base()),
    ] {
        let mut c = config(&server);
        c.base_url = base;
        RemoteEmbedder::new(c).unwrap();
    }
    assert!(server.requests().iter().all(|r| r.path == "/v1/embeddings"));
}

#[test]
fn a_refused_key_is_a_clear_error_without_the_key() {
    let server = serve(|_| {
        Reply::json(
            401,
            json!({ "error": { "message": format!("Incorrect API key provided: {KEY}") } }),
        )
    });
    let e = remote_err(RemoteEmbedder::new(config(&server)));
    assert!(
        matches!(e, RemoteError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("(401)"), "{text}");
    assert!(text.contains("MEDATLAS_EMBED_API_KEY"), "{text}");
    assert!(
        text.contains("Incorrect API key provided: [redacted]"),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
    assert!(!format!("{e:?}").contains(KEY));
}

#[test]
fn rate_limited_then_ok_honours_retry_after() {
    let server = serve(|r| {
        if r.number == 0 {
            Reply::json(429, json!({ "error": { "message": "slow down" } }))
                .header("Retry-After", "1")
        } else {
            embeddings(r, 3)
        }
    });
    let mut c = config(&server);
    c.dimension = Some(3);
    let embedder = RemoteEmbedder::new(c).unwrap();
    let started = Instant::now();
    let v = embedder.embed("hello").unwrap();
    let waited = started.elapsed();
    assert_eq!(v.len(), 3);
    assert_eq!(server.requests().len(), 2);
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(4), "{waited:?}");
}

#[test]
fn retries_are_bounded_and_their_waits_capped() {
    let server = serve(|_| Reply::json(429, "{}").header("Retry-After", "3600"));
    let mut c = config(&server);
    c.dimension = Some(3);
    c.max_retries = 2;
    c.max_retry_wait = Duration::from_millis(100);
    let embedder = RemoteEmbedder::new(c).unwrap();
    let started = Instant::now();
    let e = embedder.embed("hello").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests().len(), 3);
    let text = e.to_string();
    assert!(
        text.contains("rate limiting (429) after 3 attempts"),
        "{text}"
    );
}

#[test]
fn a_wrong_dimension_is_refused() {
    let server = serve(|r| embeddings(r, 3));
    let mut c = config(&server);
    c.dimension = Some(4);
    let embedder = RemoteEmbedder::new(c).unwrap();
    match embedder.embed_batch(&["x"]) {
        Err(EmbedError::Dimension {
            expected: 4,
            got: 3,
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_answers_are_clear_errors() {
    let server = serve(|r| match r.number {
        0 => Reply::json(200, "{not json"),
        1 => ok_json(json!({ "data": "nope" })),
        2 => ok_json(json!({ "data": [] })),
        _ => embeddings(r, 3),
    });
    let mut c = config(&server);
    c.dimension = Some(3);
    let embedder = RemoteEmbedder::new(c).unwrap();
    for expected in [
        "key must be a string",
        "invalid type",
        "0 vectors for 1 texts",
    ] {
        let text = embedder.embed("x").unwrap_err().to_string();
        assert!(text.contains("is not a list of embeddings"), "{text}");
        assert!(text.contains(expected), "{text}");
    }
    assert!(embedder.embed("x").is_ok());
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = serve(|_| Reply::Hang);
    let mut c = config(&server);
    c.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let e = remote_err(RemoteEmbedder::new(c));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(e, RemoteError::Timeout { .. }), "{e:?}");
    assert!(
        e.to_string().contains("did not answer within 500 ms"),
        "{e}"
    );
}

#[test]
fn an_unreachable_service_says_so() {
    let base = http::closed_port_base();
    let e = remote_err(RemoteEmbedder::new(RemoteConfig::new(base, "m")));
    assert!(e.to_string().contains("could not be reached"), "{e}");
}

#[test]
fn the_key_never_shows_in_debug_output() {
    let server = serve(|r| embeddings(r, 3));
    let c = config(&server);
    assert!(!format!("{c:?}").contains(KEY));
    assert!(format!("{c:?}").contains("[redacted]"));
    let embedder = RemoteEmbedder::new(c).unwrap();
    assert!(!format!("{embedder:?}").contains(KEY));
}

#[test]
fn settings_from_environment_variables() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert!(RemoteConfig::from_vars(vars(&[])).unwrap().is_none());
    let e = RemoteConfig::from_vars(vars(&[("MEDATLAS_EMBED_URL", "http://h")])).unwrap_err();
    assert!(e.to_string().contains("MEDATLAS_EMBED_MODEL"), "{e}");
    let c = RemoteConfig::from_vars(vars(&[
        ("MEDATLAS_EMBED_URL", "http://h:8080"),
        ("MEDATLAS_EMBED_MODEL", "m"),
        ("MEDATLAS_EMBED_API_KEY", KEY),
        ("MEDATLAS_EMBED_DIM", "768"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(c.base_url, "http://h:8080");
    assert_eq!(c.model, "m");
    assert_eq!(c.api_key, Some(ApiKey::new(KEY)));
    assert_eq!(c.dimension, Some(768));
    let e = RemoteConfig::from_vars(vars(&[
        ("MEDATLAS_EMBED_URL", "http://h"),
        ("MEDATLAS_EMBED_MODEL", "m"),
        ("MEDATLAS_EMBED_DIM", "many"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("MEDATLAS_EMBED_DIM"), "{e}");
}

#[test]
fn fallback_uses_the_local_embedder_when_the_remote_one_fails() {
    let server = serve(|_| Reply::json(401, json!({ "error": format!("bad key {KEY}") })));
    let fallback =
        FallbackEmbedder::choose(RemoteEmbedder::new(config(&server)), || Ok(Stub)).unwrap();
    assert!(!fallback.using_remote());
    assert_eq!(fallback.id(), "stub");
    assert_eq!(fallback.dimension(), 2);
    let warning = fallback.warning().unwrap();
    assert!(
        warning.contains("401") && warning.contains("using stub"),
        "{warning}"
    );
    assert!(!warning.contains(KEY), "{warning}");
    assert_eq!(fallback.embed("x").unwrap(), vec![1.0, 0.0]);
}

#[test]
fn fallback_decides_once_and_never_mixes_models() {
    // Healthy for the probe, failing afterwards.
    let server = serve(|r| {
        if r.number == 0 {
            embeddings(r, 3)
        } else {
            Reply::json(500, json!({ "error": { "message": "down" } }))
        }
    });
    let mut c = config(&server);
    c.dimension = Some(3);
    let local_built = AtomicBool::new(false);
    let fallback = FallbackEmbedder::choose(RemoteEmbedder::new(c), || {
        local_built.store(true, Ordering::SeqCst);
        Ok(Stub)
    })
    .unwrap();
    assert!(fallback.using_remote());
    assert!(fallback.warning().is_none());
    assert!(
        !local_built.load(Ordering::SeqCst),
        "the local model is only built when needed"
    );
    assert_eq!(fallback.id(), "remote:test-model@127.0.0.1");
    // Later failures are errors, never local vectors under the remote id.
    let e = fallback.embed_batch(&["a", "b"]).unwrap_err();
    assert!(e.to_string().contains("answered 500: down"), "{e}");
    assert_eq!(fallback.id(), "remote:test-model@127.0.0.1");
    assert!(!local_built.load(Ordering::SeqCst));
}

/// `medatlas --store <dir>/store.sqlite3 search QUERY --embedder remote --json` with the service at
/// `base` (and `extra` environment variables).
fn search_remote(
    home: &std::path::Path,
    base: &str,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let store = home.join("store.sqlite3");
    let mut command = crate::util::medatlas_command(home);
    command
        .args(["--store", store.to_str().unwrap()])
        .args(["search", "brain MRI", "--embedder", "remote", "--json"])
        .env("MEDATLAS_EMBED_URL", base)
        .env("MEDATLAS_EMBED_MODEL", "test-model")
        .env("MEDATLAS_EMBED_API_KEY", KEY);
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn the_command_line_searches_with_a_remote_embedder_and_names_it() {
    let server = serve(|r| http::word_hash_embeddings(r, 16));
    let home = crate::util::temp_dir();
    let out = search_remote(home.path(), server.base(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["model"], "remote:test-model@127.0.0.1");
    assert_eq!(doc["semantic_ready"], true);
    assert!(!doc["results"].as_array().unwrap().is_empty());
    assert!(!stderr.contains("warning"), "{stderr}");
    let requests = server.requests();
    assert!(
        requests.len() >= 2,
        "the catalogue and the query were embedded"
    );
    for r in &requests {
        assert_eq!(r.header("authorization"), Some(&*format!("Bearer {KEY}")));
    }
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));

    let inputs = |r: &Request| r.json()["input"].as_array().map_or(0, Vec::len);
    assert!(
        requests.iter().any(|r| inputs(r) > 1),
        "the catalogue in batches"
    );

    // A second run reuses the remote vectors: the service only sees one-text requests (its probe
    // and the query), no catalogue batch.
    let before = server.requests().len();
    let out = search_remote(home.path(), server.base(), &[]);
    assert!(out.status.success());
    let again = &server.requests()[before..];
    assert!(!again.is_empty() && again.iter().all(|r| inputs(r) == 1));
}

#[test]
fn the_command_line_falls_back_to_the_embedded_model_and_says_so_once() {
    let server = serve(|_| {
        Reply::json(
            401,
            json!({ "error": { "message": format!("Incorrect API key provided: {KEY}") } }),
        )
    });
    let home = crate::util::temp_dir();
    let out = search_remote(home.path(), server.base(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["model"], medatlas::embed::MINILM_ID);
    assert_eq!(
        stderr.matches("the remote embedder cannot be used").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("for this session"), "{stderr}");
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY), "{stderr}");
}

#[test]
fn the_command_line_needs_the_service_settings_for_a_remote_embedder() {
    let home = crate::util::temp_dir();
    let out = crate::util::medatlas_command(home.path())
        .args([
            "--store",
            ":memory:",
            "search",
            "brain",
            "--embedder",
            "remote",
        ])
        .env_remove("MEDATLAS_EMBED_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MEDATLAS_EMBED_URL"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = crate::util::temp_dir();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = ApiKey::from_file(&file).unwrap_err().to_string();
    assert!(err.contains("chmod 600") && !err.contains(KEY), "{err}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        format!("{:?}", ApiKey::from_file(&file).unwrap()),
        "[redacted]"
    );
    assert_eq!(ApiKey::from_file(&file).unwrap(), ApiKey::new(KEY));
}
