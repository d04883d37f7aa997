//! Vectors for the catalogue's documents: which are missing for the engine's embedder, computing
//! them in batches (also off the UI thread, through `embed_pending`), and storing them.

use std::sync::Arc;

use crate::embed::{EmbedError, Embedder};
use crate::store::PendingEmbedding;

use super::{SearchEngine, SearchError};

/// Documents embedded per call of the model.
const BATCH: usize = 8;

/// Embeds `pending` documents in batches with `embedder` (never through a query cache), calling
/// `progress(done, total)` after each batch.
pub fn embed_pending(
    embedder: &dyn Embedder,
    pending: Vec<PendingEmbedding>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<(PendingEmbedding, Vec<f32>)>, EmbedError> {
    let total = pending.len();
    let mut out = Vec::with_capacity(total);
    for chunk in pending.chunks(BATCH) {
        let texts: Vec<&str> = chunk.iter().map(|p| p.text.as_str()).collect();
        let vectors = embedder.embed_batch(&texts)?;
        if vectors.len() != chunk.len() {
            return Err(EmbedError::Inference(format!(
                "{} vectors returned for {} texts",
                vectors.len(),
                chunk.len()
            )));
        }
        out.extend(chunk.iter().cloned().zip(vectors));
        progress(out.len(), total);
    }
    Ok(out)
}

impl SearchEngine {
    pub fn pending_embeddings(&self) -> Result<Vec<PendingEmbedding>, SearchError> {
        Ok(self.store.pending_embeddings()?)
    }

    pub fn store_embeddings(
        &mut self,
        items: &[(PendingEmbedding, Vec<f32>)],
    ) -> Result<(), SearchError> {
        self.store.store_embeddings(items)?;
        self.refresh_readiness();
        Ok(())
    }

    /// (documents with a current vector, all documents).
    pub fn embedding_progress(&self) -> Result<(usize, usize), SearchError> {
        Ok(self.store.embedding_progress()?)
    }

    /// Computes every missing vector now with the engine's embedder, storing each batch as it
    /// is done and reporting (done, total) after each.
    pub fn index_embeddings(
        &mut self,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<usize, SearchError> {
        let Some(embedder) = self.embedder.clone() else {
            return Ok(0);
        };
        // The bundled catalogue's vectors ship with the program (for the embedded model).
        self.store_shipped_vectors()?;
        let pending = self.store.pending_embeddings()?;
        let total = pending.len();
        let mut done = 0;
        for chunk in pending.chunks(BATCH) {
            let vectors = embed_pending(embedder.as_ref(), chunk.to_vec(), |_, _| {})?;
            self.store.store_embeddings(&vectors)?;
            done += vectors.len();
            progress(done, total);
        }
        self.refresh_readiness();
        Ok(total)
    }

    pub(super) fn refresh_readiness(&mut self) {
        self.ready = self.embedder.is_some()
            && self
                .store
                .embedding_progress()
                .is_ok_and(|(done, total)| done == total && total > 0);
    }

    /// True when semantic search can run: an embedder is set and every document has its vector.
    pub fn semantic_ready(&self) -> bool {
        self.ready
    }

    /// Sets (or replaces) the embedder, e.g. once a background thread has loaded the model.
    /// The store must already hold vectors of this embedder's model for semantic search to run.
    pub fn set_embedder(&mut self, embedder: Arc<dyn Embedder>) {
        self.embedder = Some(embedder);
        self.refresh_readiness();
    }
}
