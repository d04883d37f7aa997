//! Sentence embeddings behind one small trait, so search never depends on where vectors come from.
//!
//! The default `MiniLm` runs sentence-transformers/all-MiniLM-L6-v2 in-process with candle: BERT,
//! mean pooling over the attention mask, L2 normalisation — the same recipe as the Python library,
//! on weights compiled into the binary (`assets/model/`), so it works offline from any folder.

mod bert;
mod pages;
pub mod remote;
mod threads;

pub use threads::{THREADS_VARIABLE, ThreadSetting, settle_inference_threads};

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("could not load the embedding model: {0}")]
    Load(String),
    #[error("embedding failed: {0}")]
    Inference(String),
    #[error("the embedder returned {got} dimensions, expected {expected}")]
    Dimension { expected: usize, got: usize },
    #[error("remote embedder: {0}")]
    Remote(String),
}

/// Anything that turns texts into unit-length vectors of a fixed dimension.
pub trait Embedder: Send + Sync {
    /// A stable id: vectors from different ids are never mixed in the store.
    fn id(&self) -> &str;
    fn dimension(&self) -> usize;
    /// One vector per text, in order, each L2-normalised.
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.embed_batch(&[text])?
            .pop()
            .ok_or_else(|| EmbedError::Inference("no vector returned".into()))
    }
}

/// A shared embedder is an embedder (one model serves documents and, behind a cache, queries).
impl<E: Embedder + ?Sized> Embedder for std::sync::Arc<E> {
    fn id(&self) -> &str {
        (**self).id()
    }

    fn dimension(&self) -> usize {
        (**self).dimension()
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        (**self).embed_batch(texts)
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        (**self).embed(text)
    }
}

static WEIGHTS: &[u8] = include_bytes!("../../assets/model/model.safetensors");
static TOKENIZER: &[u8] = include_bytes!("../../assets/model/tokenizer.json");
static CONFIG: &[u8] = include_bytes!("../../assets/model/config.json");

/// sentence-transformers' `max_seq_length` for this model (the tokenizer file says 128; the model
/// card's pipeline truncates at 256, and the reference vectors were made that way).
pub const MAX_TOKENS: usize = 256;
pub const MINILM_ID: &str = "sentence-transformers/all-MiniLM-L6-v2@f16";
pub const MINILM_DIM: usize = 384;

pub struct MiniLm {
    model: bert::Bert,
    tokenizer: Tokenizer,
}

impl MiniLm {
    /// Loads the compiled-in weights (about 0.2 s).
    pub fn load() -> Result<MiniLm, EmbedError> {
        let device = Device::Cpu;
        let config: bert::BertConfig =
            serde_json::from_slice(CONFIG).map_err(|e| EmbedError::Load(e.to_string()))?;
        // The weights are stored as f16 to halve their size; computing in f32 reproduces the
        // original model's vectors (cosine ≥ 0.999999 against float32 weights).
        let vb = VarBuilder::from_slice_safetensors(WEIGHTS, DType::F32, &device)
            .map_err(|e| EmbedError::Load(e.to_string()))?;
        let model = bert::Bert::load(vb, &config).map_err(|e| EmbedError::Load(e.to_string()))?;
        // The model holds its own copies now (the word table as f16 rows, the rest in f32).
        pages::release(WEIGHTS);
        let mut tokenizer =
            Tokenizer::from_bytes(TOKENIZER).map_err(|e| EmbedError::Load(e.to_string()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| EmbedError::Load(e.to_string()))?;
        Ok(MiniLm { model, tokenizer })
    }

    fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let err = |e: &dyn std::fmt::Display| EmbedError::Inference(e.to_string());
        let encoding = self.tokenizer.encode(text, true).map_err(|e| err(&e))?;
        // One unpadded sequence: mean pooling over all its tokens is the masked mean.
        let pooled = self
            .model
            .mean_pooled(encoding.get_ids())
            .map_err(|e| err(&e))?;
        Ok(normalise(pooled))
    }
}

impl Embedder for MiniLm {
    fn id(&self) -> &str {
        MINILM_ID
    }

    fn dimension(&self) -> usize {
        MINILM_DIM
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Texts are embedded one at a time: without padding each costs only its own length, which
        // on CPU beats padded batches for the short, uneven texts of a catalogue.
        texts.iter().map(|t| self.embed_one(t)).collect()
    }
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Vectors by query text, and the order they arrived in (oldest first).
type QueryCache = (HashMap<String, Vec<f32>>, VecDeque<String>);

/// A small first-in-first-out cache of query vectors in front of an embedder: typing the same
/// query again (or backspacing to it) costs nothing.
pub struct CachedEmbedder<E> {
    inner: E,
    capacity: usize,
    cache: Mutex<QueryCache>,
}

impl<E: Embedder> CachedEmbedder<E> {
    pub fn new(inner: E, capacity: usize) -> Self {
        CachedEmbedder {
            inner,
            capacity: capacity.max(1),
            cache: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    pub fn inner(&self) -> &E {
        &self.inner
    }
}

impl<E: Embedder> Embedder for CachedEmbedder<E> {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed_batch(texts)
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        if let Ok(guard) = self.cache.lock()
            && let Some(v) = guard.0.get(text)
        {
            return Ok(v.clone());
        }
        let v = self.inner.embed(text)?;
        if let Ok(mut guard) = self.cache.lock() {
            let (map, order) = &mut *guard;
            if map.insert(text.to_owned(), v.clone()).is_none() {
                order.push_back(text.to_owned());
            }
            while order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        Ok(v)
    }
}
