//! A BERT encoder (the architecture of all-MiniLM-L6-v2) written over candle tensors and laid out
//! for what MedAtlas asks of it: one short, unpadded sequence at a time on a CPU.
//!
//! The arithmetic is the reference BERT's, op for op: word + position + token-type embeddings and
//! LayerNorm; per layer, multi-head self-attention with a residual LayerNorm, then a GELU (erf)
//! feed-forward with a residual LayerNorm. Three choices differ from a general-purpose BERT and
//! make a query about twice as fast:
//! - every linear layer computes `W · Xᵀ` (weights on the left, in their stored `[out, in]`
//!   layout), which the CPU matrix kernels handle far better than `X · Wᵀ` when `X` has only a
//!   handful of rows;
//! - the query, key and value projections are one matrix (`[3 · hidden, hidden]`), so one product
//!   instead of three;
//! - there is no attention mask: sequences are never padded, so every position attends to all.

use candle_core::{D, DType, Device, Module, Result, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;

/// The fields of a Hugging Face BERT `config.json` that the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub hidden_act: String,
}

/// A linear layer `y = W x + b` whose weight keeps the stored `[out, in]` layout.
struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    fn load(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<Linear> {
        Ok(Linear {
            weight: vb.get((outputs, inputs), "weight")?,
            bias: vb.get(outputs, "bias")?,
        })
    }

    /// `[n, in]` → `[n, out]`.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        // `[out, in] · [in, n]`: the many-row operand goes on the left, where the matrix
        // kernels stream it once instead of re-reading it per input row.
        self.weight.matmul(&xs.t()?)?.t()?.broadcast_add(&self.bias)
    }
}

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(&xs.contiguous()?, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    /// Query, key and value projections stacked: `[3 · hidden, hidden]`.
    qkv: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
    heads: usize,
    head_size: usize,
}

impl Layer {
    fn load(vb: VarBuilder, config: &BertConfig) -> Result<Layer> {
        let hidden = config.hidden_size;
        let attention = vb.pp("attention");
        let projection = |name: &str| Linear::load(attention.pp("self").pp(name), hidden, hidden);
        let (q, k, v) = (
            projection("query")?,
            projection("key")?,
            projection("value")?,
        );
        let qkv = Linear {
            weight: Tensor::cat(&[&q.weight, &k.weight, &v.weight], 0)?,
            bias: Tensor::cat(&[&q.bias, &k.bias, &v.bias], 0)?,
        };
        let eps = config.layer_norm_eps;
        Ok(Layer {
            qkv,
            attention_output: Linear::load(attention.pp("output").pp("dense"), hidden, hidden)?,
            attention_norm: LayerNorm::load(attention.pp("output").pp("LayerNorm"), hidden, eps)?,
            intermediate: Linear::load(
                vb.pp("intermediate").pp("dense"),
                hidden,
                config.intermediate_size,
            )?,
            output: Linear::load(
                vb.pp("output").pp("dense"),
                config.intermediate_size,
                hidden,
            )?,
            output_norm: LayerNorm::load(vb.pp("output").pp("LayerNorm"), hidden, eps)?,
            heads: config.num_attention_heads,
            head_size: hidden / config.num_attention_heads,
        })
    }

    /// `[n, hidden]` → `[n, hidden]`.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let n = xs.dim(0)?;
        // [n, 3·hidden] → [3, heads, n, head_size]
        let qkv = self
            .qkv
            .forward(xs)?
            .reshape((n, 3, self.heads, self.head_size))?
            .permute((1, 2, 0, 3))?
            .contiguous()?;
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let scale = 1.0 / (self.head_size as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?;
        let probabilities = candle_nn::ops::softmax_last_dim(&scores)?;
        // [heads, n, head_size] → [n, hidden]
        let context = probabilities
            .matmul(&v)?
            .transpose(0, 1)?
            .reshape((n, self.heads * self.head_size))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_output.forward(&context)? + xs)?)?;
        let intermediate = self.intermediate.forward(&attended)?.gelu_erf()?;
        self.output_norm
            .forward(&(self.output.forward(&intermediate)? + attended)?)
    }
}

/// The encoder: token ids in, one hidden vector per token out.
pub struct Bert {
    word_embeddings: candle_nn::Embedding,
    position_embeddings: Tensor,
    token_type_embedding: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    max_positions: usize,
    device: Device,
}

impl Bert {
    pub fn load(vb: VarBuilder, config: &BertConfig) -> Result<Bert> {
        if config.hidden_act != "gelu" {
            candle_core::bail!(
                "unsupported activation {:?} (this encoder implements BERT's erf GELU)",
                config.hidden_act
            );
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            candle_core::bail!("the hidden size is not a multiple of the number of heads");
        }
        // Checkpoints exported from a task model nest the encoder under `bert.`.
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let embeddings = vb.pp("embeddings");
        // The largest table (30,522 × 384) is only looked up, a few rows per text: it stays in
        // f16, as stored, and the rows a text uses are widened to f32 (exactly), which keeps 23 MB
        // of memory free.
        let word_embeddings = candle_nn::Embedding::new(
            embeddings.pp("word_embeddings").get_with_hints_dtype(
                (config.vocab_size, hidden),
                "weight",
                Default::default(),
                DType::F16,
            )?,
            hidden,
        );
        let position_embeddings = embeddings
            .pp("position_embeddings")
            .get((config.max_position_embeddings, hidden), "weight")?;
        // Every token has type 0 (single sentences), so only that row is kept.
        let token_type_embedding = embeddings
            .pp("token_type_embeddings")
            .get((config.type_vocab_size, hidden), "weight")?
            .get(0)?;
        let embedding_norm =
            LayerNorm::load(embeddings.pp("LayerNorm"), hidden, config.layer_norm_eps)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), config))
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert {
            word_embeddings,
            position_embeddings,
            token_type_embedding,
            embedding_norm,
            layers,
            max_positions: config.max_position_embeddings,
            device: vb.device().clone(),
        })
    }

    /// Hidden states `[n, hidden]` for one unpadded sequence of token ids.
    pub fn forward(&self, ids: &[u32]) -> Result<Tensor> {
        let n = ids.len();
        if n == 0 || n > self.max_positions {
            candle_core::bail!(
                "sequence of {n} tokens (1 to {} allowed)",
                self.max_positions
            );
        }
        let ids = Tensor::from_slice(ids, n, &self.device)?;
        let embedded = self
            .word_embeddings
            .forward(&ids)?
            .to_dtype(DType::F32)?
            .add(&self.position_embeddings.narrow(0, 0, n)?)?
            .broadcast_add(&self.token_type_embedding)?;
        let mut hidden = self.embedding_norm.forward(&embedded)?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden)?;
        }
        Ok(hidden)
    }

    /// The mean of the hidden states over all tokens (sentence-transformers' mean pooling for an
    /// unpadded sequence).
    pub fn mean_pooled(&self, ids: &[u32]) -> Result<Vec<f32>> {
        self.forward(ids)?
            .to_dtype(DType::F32)?
            .mean(D::Minus2)?
            .to_vec1::<f32>()
    }
}
