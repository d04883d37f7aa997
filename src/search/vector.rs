//! The vector stage: which nearest-neighbour searches a query needs (unfiltered, and inside the
//! selection when one is active, so filtered results never run short), how many neighbours to ask
//! for, over which parts of the index, and the cosine similarity of each neighbour found.

use std::collections::{HashMap, HashSet};

use crate::catalogue::facets::{self, FacetKind, Selection};
use crate::store::{KnnFilter, VECTOR_SHARDS};

use super::{SearchEngine, SearchError};

impl SearchEngine {
    /// The filters of the vector searches: none without a vector; else the unfiltered search
    /// (for membership and facet counts), plus one inside the selection when there is one.
    pub(super) fn vector_filters(
        &self,
        selection: &Selection,
        has_vector: bool,
    ) -> Result<Vec<KnnFilter>, SearchError> {
        let mut filters = Vec::new();
        if has_vector {
            filters.push(KnnFilter::default());
            if !selection.is_empty() {
                filters.push(self.knn_filter(selection)?);
            }
        }
        Ok(filters)
    }

    /// The parts of the vector index searched side by side: both parts of a large store file
    /// (which has a second connection), else the whole index at once.
    pub(super) fn vector_shards(&self) -> Vec<Option<i64>> {
        if self.store.reader().is_some() && self.docs.len() >= self.params.shard_from {
            (0..VECTOR_SHARDS).map(Some).collect()
        } else {
            vec![None]
        }
    }

    /// The neighbours asked of the vector index: `knn_k`, fewer on very large catalogues. sqlite-vec
    /// selects the nearest `k` of every chunk by `k` passes over it, so its work grows with
    /// entries × `k`; that product is capped, down to a floor of 50 neighbours.
    pub(super) fn knn_k(&self) -> usize {
        const WORK: usize = 2_000_000;
        const FLOOR: usize = 50;
        let n = self.docs.len().max(1);
        let k = self.params.knn_k.min((WORK / n).max(FLOOR));
        k.min(n)
    }

    /// Cosine similarity of each neighbour found, by document position.
    pub(super) fn semantic_evidence(&self, neighbours: Vec<(i64, f32)>) -> HashMap<usize, f32> {
        let mut semantic = HashMap::new();
        for (rowid, distance) in neighbours {
            if let Some(i) = self.docs.by_rowid.get(rowid) {
                semantic.insert(i, 1.0 - distance);
            }
        }
        semantic
    }

    /// The selection as a filter inside the vector index: single-valued facets as its metadata
    /// columns, multi-valued ones as the set of rowids that have every selected facet.
    fn knn_filter(&self, selection: &Selection) -> Result<KnnFilter, SearchError> {
        let mut filter = KnnFilter::default();
        let mut rowid_sets: Vec<HashSet<i64>> = Vec::new();
        for (facet, values) in &selection.0 {
            let values: Vec<String> = values.iter().cloned().collect();
            match facet {
                FacetKind::Tier => filter.tiers = values.iter().map(|v| tier_key(v)).collect(),
                FacetKind::Access => filter.access = values,
                FacetKind::Domain => filter.domains = values,
                multi => rowid_sets.push(
                    self.store
                        .rowids_with(multi.key(), &values)?
                        .into_iter()
                        .collect(),
                ),
            }
        }
        if let Some(first) = rowid_sets.pop() {
            let both: Vec<i64> = first
                .into_iter()
                .filter(|r| rowid_sets.iter().all(|s| s.contains(r)))
                .collect();
            filter.rowids = Some(both);
        }
        Ok(filter)
    }
}

/// A tier facet value as the vector index stores it (0 for "no tier", -1 matches nothing).
fn tier_key(value: &str) -> i64 {
    if value == facets::NO_TIER {
        0
    } else {
        value.parse().unwrap_or(-1)
    }
}
