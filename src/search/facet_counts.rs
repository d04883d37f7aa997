//! The facet-count stage: for each facet value, how many of a search's results would be shown if
//! it were selected too, given the other facets' selections (disjunctive counts), counted over
//! value positions rather than strings.

use crate::catalogue::facets::{FacetCounts, FacetKind, FacetValue, Selection};

use super::SearchEngine;

impl SearchEngine {
    /// Disjunctive counts over `members` (document positions).
    pub(super) fn facet_counts(
        &self,
        members: impl Iterator<Item = usize>,
        selection: &Selection,
    ) -> Vec<FacetCounts> {
        // One visit per document (its data is scattered in memory), counting every facet.
        let mut counts: Vec<Vec<usize>> = self
            .docs
            .facet_lists
            .iter()
            .map(|l| vec![0; l.len()])
            .collect();
        for i in members {
            let doc = &self.docs.list[i];
            for (f, &facet) in FacetKind::ALL.iter().enumerate() {
                if selection.is_empty() || doc.matches(selection, Some(facet)) {
                    for &id in doc.facet_ids(f) {
                        counts[f][id as usize] += 1;
                    }
                }
            }
        }
        FacetKind::ALL
            .iter()
            .zip(&self.docs.facet_lists)
            .zip(counts)
            .map(|((&facet, list), counts)| FacetCounts {
                facet,
                label: facet.label(),
                values: list
                    .iter()
                    .zip(counts)
                    .map(|((value, label), count)| FacetValue {
                        value: value.clone(),
                        label: label.clone(),
                        count,
                    })
                    .collect(),
            })
            .collect()
    }
}
