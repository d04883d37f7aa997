//! What search keeps in memory about each document, built once per engine from the catalogue and
//! the store's rowids: facet values (as positions, for counting without hashing strings), the
//! words each entry contains (for "why"), the names it goes by (for exact-name matches) and a
//! rowid → position table. Nothing here touches the store after it is built.

use std::collections::HashMap;

use crate::catalogue::facets::{FacetKind, Selection};
use crate::catalogue::{Entry, Vocabulary};
use crate::store::Document;

use super::text;

/// What search keeps in memory per document.
#[derive(Debug, Clone)]
pub(super) struct DocMeta {
    pub id: String,
    pub rowid: i64,
    pub name: String,
    pub tier_rank: u8,
    facet_values: Vec<(FacetKind, Vec<String>)>,
    /// For each facet of `FacetKind::ALL`, the positions of this document's values in
    /// `Docs::facet_lists` (for counting without hashing strings), packed in one allocation
    /// (see `DocMeta::facet_ids`).
    facet_ids: Box<[u32]>,
    /// Sorted ids (in `Docs::words`) of the words of the name, aliases, summary and keywords, to
    /// say which query words an entry contains without touching the database.
    pub words: Vec<u32>,
}

impl DocMeta {
    /// The positions of this document's values of facet number `f` (see `facet_ids`).
    pub fn facet_ids(&self, f: usize) -> &[u32] {
        let ends = FacetKind::ALL.len();
        let start = if f == 0 {
            ends
        } else {
            self.facet_ids[f - 1] as usize
        };
        &self.facet_ids[start..self.facet_ids[f] as usize]
    }

    pub fn values(&self, facet: FacetKind) -> &[String] {
        self.facet_values
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Whether the document passes `selection`, leaving out the facet `ignored` (for disjunctive
    /// counts).
    pub fn matches(&self, selection: &Selection, ignored: Option<FacetKind>) -> bool {
        selection.0.iter().all(|(facet, selected)| {
            Some(*facet) == ignored
                || selected.is_empty()
                || self.values(*facet).iter().any(|v| selected.contains(v))
        })
    }
}

/// Every document, with the lookups built over them.
pub(super) struct Docs {
    pub list: Vec<DocMeta>,
    pub by_rowid: RowidIndex,
    /// Documents by lower-cased name, short name or alias (tokens joined by spaces), for
    /// exact-name matches.
    pub by_name: HashMap<String, Vec<u32>>,
    /// The documents' rowids in order, to split keyword scoring into rowid ranges.
    pub sorted_rowids: Vec<i64>,
    /// Word ids for `DocMeta::words`.
    pub words: HashMap<String, u32>,
    /// Every value (and label) of each facet of `FacetKind::ALL`, in vocabulary order.
    pub facet_lists: Vec<Vec<(String, String)>>,
}

impl Docs {
    /// The in-memory side of `entries`, whose store documents are `documents` (same order) with
    /// the store's `rowids`. Entries the store does not hold are left out.
    pub fn build(
        entries: &[Entry],
        documents: &[Document],
        rowids: &HashMap<String, i64>,
        vocab: &Vocabulary,
    ) -> Docs {
        let facet_lists: Vec<Vec<(String, String)>> =
            FacetKind::ALL.iter().map(|f| f.all_values(vocab)).collect();
        let mut docs = Docs {
            list: Vec::with_capacity(entries.len()),
            by_rowid: RowidIndex::Sparse(HashMap::new()),
            by_name: HashMap::new(),
            sorted_rowids: Vec::new(),
            words: HashMap::new(),
            facet_lists,
        };
        for (e, d) in entries.iter().zip(documents) {
            if let Some(&rowid) = rowids.get(&e.id) {
                docs.add(e, d, rowid);
            }
        }
        docs.by_rowid = RowidIndex::new(docs.list.iter().map(|d| d.rowid));
        docs.sorted_rowids = docs.list.iter().map(|d| d.rowid).collect();
        docs.sorted_rowids.sort_unstable();
        docs
    }

    fn add(&mut self, e: &Entry, d: &Document, rowid: i64) {
        let position = self.list.len() as u32;
        let mut names: Vec<String> = std::iter::once(&e.name)
            .chain(std::iter::once(&e.short_name))
            .chain(&e.aliases)
            .map(|n| text::tokens(n).join(" "))
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            self.by_name.entry(name).or_default().push(position);
        }
        let mut word_ids: Vec<u32> = [&d.name, &d.aliases, &d.summary, &d.keywords]
            .iter()
            .flat_map(|t| text::tokens(t))
            .map(|w| {
                let next = self.words.len() as u32;
                *self.words.entry(w).or_insert(next)
            })
            .collect();
        word_ids.sort_unstable();
        word_ids.dedup();
        let facet_ids = pack(
            FacetKind::ALL
                .iter()
                .zip(&self.facet_lists)
                .map(|(&f, list)| {
                    f.values_of(e)
                        .into_iter()
                        .filter_map(|v| list.iter().position(|(value, _)| value == v))
                        .map(|p| p as u32)
                        .collect()
                }),
        );
        self.list.push(DocMeta {
            words: word_ids,
            id: e.id.clone(),
            rowid,
            name: e.name.clone(),
            tier_rank: e.tier.unwrap_or(9),
            facet_ids,
            facet_values: FacetKind::ALL
                .iter()
                .map(|&f| (f, f.values_of(e).into_iter().map(str::to_owned).collect()))
                .collect(),
        });
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
}

/// Lists packed as `[end of list 0, end of list 1, …, items…]`, ends counted from the start.
fn pack(lists: impl Iterator<Item = Vec<u32>>) -> Box<[u32]> {
    let lists: Vec<Vec<u32>> = lists.collect();
    let mut packed = Vec::with_capacity(lists.len() + lists.iter().map(Vec::len).sum::<usize>());
    let mut end = lists.len();
    for list in &lists {
        end += list.len();
        packed.push(end as u32);
    }
    packed.extend(lists.into_iter().flatten());
    packed.into_boxed_slice()
}

/// Document positions by rowid. SQLite hands out rowids in sequence, so a table indexed by rowid
/// is small; if deletions ever leave them sparse, a map takes over.
pub(super) enum RowidIndex {
    Dense { first: i64, positions: Vec<u32> },
    Sparse(HashMap<i64, usize>),
}

impl RowidIndex {
    fn new(rowids: impl Iterator<Item = i64> + Clone) -> RowidIndex {
        let count = rowids.clone().count();
        let (first, last) = rowids
            .clone()
            .fold((i64::MAX, i64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)));
        let span = last.saturating_sub(first).saturating_add(1);
        if count == 0 || span > (4 * count + 1024) as i64 || count >= u32::MAX as usize {
            return RowidIndex::Sparse(rowids.enumerate().map(|(i, r)| (r, i)).collect());
        }
        let mut positions = vec![u32::MAX; span as usize];
        for (i, r) in rowids.enumerate() {
            positions[(r - first) as usize] = i as u32;
        }
        RowidIndex::Dense { first, positions }
    }

    pub fn get(&self, rowid: i64) -> Option<usize> {
        match self {
            RowidIndex::Dense { first, positions } => {
                let slot = usize::try_from(rowid.checked_sub(*first)?).ok()?;
                positions
                    .get(slot)
                    .filter(|&&p| p != u32::MAX)
                    .map(|&p| p as usize)
            }
            RowidIndex::Sparse(map) => map.get(&rowid).copied(),
        }
    }
}
