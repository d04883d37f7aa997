//! Vectors of the bundled catalogue, computed ahead of time and compiled into the program, so that
//! semantic search is ready at first launch without embedding the bundled entries.
//!
//! The asset (`assets/vectors/minilm.bin`) is keyed by model and by the SHA-256 of the exact text
//! the embedder sees ([`index::embed_text`](super::index::embed_text)): a vector is used only for
//! the same model and the same text, so an edited entry (or a user's entry) is embedded as before.
//! `medatlas bundle-vectors assets/vectors/minilm.bin` regenerates it, and a test fails with that
//! command when an entry's text no longer matches.
//!
//! Layout, little-endian: the magic `MEDATLAS-VECTORS-1\n`; the model id's length (u16) and bytes;
//! the dimension (u32); the number of records (u32); then per record the 32-byte SHA-256 of the
//! text followed by `dimension` f32 values.

use std::collections::HashMap;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::index::embed_text;
use crate::catalogue::Entry;
use crate::embed::{EmbedError, Embedder};

const MAGIC: &[u8] = b"MEDATLAS-VECTORS-1\n";

static BUNDLED_BYTES: &[u8] = include_bytes!("../../assets/vectors/minilm.bin");

/// Where the asset lives in the source tree, for messages.
pub const BUNDLED_PATH: &str = "assets/vectors/minilm.bin";

/// The command that regenerates the asset.
pub const REGENERATE: &str = "cargo run --release -- bundle-vectors assets/vectors/minilm.bin";

/// The key of a text: the SHA-256 of its UTF-8 bytes.
pub type TextKey = [u8; 32];

pub fn text_key(text: &str) -> TextKey {
    Sha256::digest(text.as_bytes()).into()
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ShippedError {
    #[error("the shipped vectors file does not start with {MAGIC:?}")]
    Magic,
    #[error("the shipped vectors file ends early, inside {0}")]
    Truncated(&'static str),
    #[error("the shipped vectors file has a model id that is not UTF-8")]
    ModelId,
    #[error("the shipped vectors file has {0} bytes after its last record")]
    Trailing(usize),
    #[error("the shipped vectors file holds the text key {0} twice")]
    Duplicate(String),
    #[error("a shipped vector for {0} has a value that is not a finite number")]
    NotFinite(String),
}

/// Precomputed vectors of one model, by text key.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippedVectors {
    pub model: String,
    pub dimension: usize,
    vectors: HashMap<TextKey, Vec<f32>>,
}

fn hex(key: &TextKey) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ShippedError> {
        if self.bytes.len() < n {
            return Err(ShippedError::Truncated(what));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ShippedError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ShippedError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl ShippedVectors {
    pub fn new(model: &str, dimension: usize) -> Self {
        ShippedVectors {
            model: model.to_owned(),
            dimension,
            vectors: HashMap::new(),
        }
    }

    /// The vectors compiled into the program (parsed once).
    pub fn bundled() -> Result<&'static ShippedVectors, ShippedError> {
        static PARSED: OnceLock<Result<ShippedVectors, ShippedError>> = OnceLock::new();
        PARSED
            .get_or_init(|| ShippedVectors::parse(BUNDLED_BYTES))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, ShippedError> {
        let mut r = Reader { bytes };
        if r.take(MAGIC.len(), "the header")
            .map_err(|_| ShippedError::Magic)?
            != MAGIC
        {
            return Err(ShippedError::Magic);
        }
        let len = usize::from(r.u16("the model id")?);
        let model = std::str::from_utf8(r.take(len, "the model id")?)
            .map_err(|_| ShippedError::ModelId)?
            .to_owned();
        let dimension = r.u32("the dimension")? as usize;
        let count = r.u32("the record count")? as usize;
        let mut shipped = ShippedVectors::new(&model, dimension);
        for _ in 0..count {
            let key: TextKey = r
                .take(32, "a record's key")?
                .try_into()
                .map_err(|_| ShippedError::Truncated("a record's key"))?;
            let raw = r.take(dimension * 4, "a record's vector")?;
            let vector: Vec<f32> = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if vector.iter().any(|v| !v.is_finite()) {
                return Err(ShippedError::NotFinite(hex(&key)));
            }
            if shipped.vectors.insert(key, vector).is_some() {
                return Err(ShippedError::Duplicate(hex(&key)));
            }
        }
        if !r.bytes.is_empty() {
            return Err(ShippedError::Trailing(r.bytes.len()));
        }
        Ok(shipped)
    }

    /// Adds the vector of `text` (replacing an earlier one for the same text).
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) {
        self.vectors.insert(text_key(text), vector);
    }

    /// The file's bytes, records in key order so that the same vectors give the same file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.vectors.len() * (32 + self.dimension * 4));
        out.extend_from_slice(MAGIC);
        let model = self.model.as_bytes();
        out.extend_from_slice(&(model.len().min(usize::from(u16::MAX)) as u16).to_le_bytes());
        out.extend_from_slice(&model[..model.len().min(usize::from(u16::MAX))]);
        out.extend_from_slice(&(self.dimension as u32).to_le_bytes());
        out.extend_from_slice(&(self.vectors.len() as u32).to_le_bytes());
        let mut keys: Vec<&TextKey> = self.vectors.keys().collect();
        keys.sort();
        for key in keys {
            out.extend_from_slice(key);
            for v in &self.vectors[key] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// The vector of `text` for `model`, if shipped.
    pub fn get(&self, model: &str, text: &str) -> Option<&[f32]> {
        if model != self.model {
            return None;
        }
        self.vectors
            .get(&text_key(text))
            .filter(|v| v.len() == self.dimension)
            .map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.vectors.contains_key(&text_key(text))
    }
}

/// Embeds the texts of `entries` with `embedder`, in batches, calling `progress(done, total)` after
/// each: the content of a new asset.
pub fn compute(
    entries: &[Entry],
    embedder: &dyn Embedder,
    mut progress: impl FnMut(usize, usize),
) -> Result<ShippedVectors, EmbedError> {
    let texts: Vec<String> = entries.iter().map(embed_text).collect();
    let mut shipped = ShippedVectors::new(embedder.id(), embedder.dimension());
    let mut done = 0;
    for chunk in texts.chunks(8) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let vectors = embedder.embed_batch(&refs)?;
        if vectors.len() != chunk.len() {
            return Err(EmbedError::Inference(format!(
                "{} vectors returned for {} texts",
                vectors.len(),
                chunk.len()
            )));
        }
        for (text, vector) in chunk.iter().zip(vectors) {
            shipped.insert(text, vector);
        }
        done += chunk.len();
        progress(done, texts.len());
    }
    Ok(shipped)
}

/// How the shipped vectors cover `entries`: the ids whose text has no shipped vector, and how many
/// shipped vectors belong to no entry's text.
pub fn coverage(shipped: &ShippedVectors, entries: &[Entry]) -> (Vec<String>, usize) {
    let texts: Vec<String> = entries.iter().map(embed_text).collect();
    let missing = entries
        .iter()
        .zip(&texts)
        .filter(|(_, t)| !shipped.contains(t))
        .map(|(e, _)| e.id.clone())
        .collect();
    let wanted: std::collections::HashSet<TextKey> = texts.iter().map(|t| text_key(t)).collect();
    let unused = shipped
        .vectors
        .keys()
        .filter(|k| !wanted.contains(*k))
        .count();
    (missing, unused)
}

impl super::SearchEngine {
    /// Stores the shipped vectors of the documents that lack one, where the shipped model is the
    /// store's and the text is the same (the bundled catalogue, unless edited); returns how many.
    /// Those documents are never embedded. A damaged asset is an error the caller may report as a
    /// warning: the documents are then embedded as usual.
    pub fn store_shipped_vectors(&mut self) -> Result<usize, super::SearchError> {
        let Ok(shipped) = ShippedVectors::bundled() else {
            return Ok(0);
        };
        let model = self.store.model().to_owned();
        if shipped.model != model {
            return Ok(0);
        }
        let found: Vec<_> = self
            .store
            .pending_embeddings()?
            .into_iter()
            .filter_map(|p| {
                let vector = shipped.get(&model, &p.text)?.to_vec();
                Some((p, vector))
            })
            .collect();
        if !found.is_empty() {
            self.store.store_embeddings(&found)?;
            self.refresh_readiness();
        }
        Ok(found.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ShippedVectors {
        let mut s = ShippedVectors::new("model@1", 3);
        s.insert("first text", vec![0.6, 0.8, 0.0]);
        s.insert("second text", vec![0.0, 0.0, 1.0]);
        s
    }

    #[test]
    fn bytes_round_trip_and_are_deterministic() {
        let s = sample();
        let bytes = s.to_bytes();
        assert_eq!(ShippedVectors::parse(&bytes), Ok(s.clone()));
        assert_eq!(bytes, ShippedVectors::parse(&bytes).unwrap().to_bytes());
        assert_eq!(s.get("model@1", "first text"), Some(&[0.6, 0.8, 0.0][..]));
        assert_eq!(s.get("other@1", "first text"), None);
        assert_eq!(s.get("model@1", "first text "), None);
    }

    #[test]
    fn damaged_files_are_clear_errors() {
        let bytes = sample().to_bytes();
        assert_eq!(ShippedVectors::parse(b"nope"), Err(ShippedError::Magic));
        assert_eq!(
            ShippedVectors::parse(&bytes[..bytes.len() - 1]),
            Err(ShippedError::Truncated("a record's vector"))
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            ShippedVectors::parse(&longer),
            Err(ShippedError::Trailing(1))
        );
        let mut nan = bytes.clone();
        let at = nan.len() - 4;
        nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(matches!(
            ShippedVectors::parse(&nan),
            Err(ShippedError::NotFinite(_))
        ));
    }

    #[test]
    fn the_bundled_file_parses() {
        let shipped = ShippedVectors::bundled().expect("bundled vectors parse");
        assert_eq!(shipped.model, crate::embed::MINILM_ID);
        assert_eq!(shipped.dimension, crate::embed::MINILM_DIM);
    }
}
