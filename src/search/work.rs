//! The store queries of one search, as tasks that two threads share: keyword scoring over rowid
//! ranges as soon as the plan is known, and the vector searches (one per filter and part of the
//! index) once the query vector exists. Each thread runs tasks on its own SQLite connection until
//! none is left; a thread that runs out while the vector is still awaited waits for it.

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::{Arc, Condvar, Mutex};

use crate::store::{KnnFilter, SearchReads};

use super::SearchError;

/// A phrase and the (rowid, bm25) rows of one of its rowid ranges.
pub(super) type ScoredTask = (String, Vec<(i64, f64)>);

/// One store query of a search.
enum Task {
    /// Score a phrase over a rowid range.
    Keyword(String, RangeInclusive<i64>),
    /// Search one part of the vector index (or all of it) under the filter at this position.
    Vector(Arc<Vec<f32>>, usize, Option<i64>),
}

/// A search's store queries, shared by two threads that each run them on their own connection
/// until none is left. Vector tasks are queued once the query vector exists; until then a thread
/// that runs out of tasks waits for them.
pub(super) struct Work<'a> {
    filters: &'a [KnnFilter],
    k: usize,
    state: Mutex<WorkState>,
    changed: Condvar,
}

#[derive(Default)]
struct WorkState {
    queue: VecDeque<Task>,
    /// The query vector is still being computed.
    awaiting_vector: bool,
    /// The query vector was provided (its searches are queued or done).
    had_vector: bool,
    keyword: Vec<ScoredTask>,
    /// (filter position, neighbours in one part of the index)
    neighbours: Vec<(usize, Vec<(i64, f32)>)>,
}

/// What a search's tasks found.
pub(super) struct WorkDone {
    pub had_vector: bool,
    pub keyword: Vec<ScoredTask>,
    /// The nearest `k` under each filter, all filters together.
    pub neighbours: Vec<(i64, f32)>,
}

impl<'a> Work<'a> {
    pub(super) fn new(filters: &'a [KnnFilter], k: usize, awaiting_vector: bool) -> Work<'a> {
        Work {
            filters,
            k,
            state: Mutex::new(WorkState {
                awaiting_vector,
                ..WorkState::default()
            }),
            changed: Condvar::new(),
        }
    }

    pub(super) fn push_keyword<'p>(
        &self,
        tasks: impl Iterator<Item = (&'p str, RangeInclusive<i64>)>,
    ) {
        let mut state = lock(&self.state);
        state
            .queue
            .extend(tasks.map(|(p, r)| Task::Keyword(p.to_owned(), r)));
        drop(state);
        self.changed.notify_all();
    }

    /// Stores the query vector and queues its searches, ahead of the (smaller) keyword tasks.
    pub(super) fn provide_vector(&self, vector: Vec<f32>, shards: &[Option<i64>]) {
        let mut state = lock(&self.state);
        let vector = Arc::new(vector);
        state.had_vector = true;
        for filter in (0..self.filters.len()).rev() {
            for &shard in shards.iter().rev() {
                state
                    .queue
                    .push_front(Task::Vector(vector.clone(), filter, shard));
            }
        }
        state.awaiting_vector = false;
        drop(state);
        self.changed.notify_all();
    }

    /// Runs tasks on `reads` until none is left and none is to come.
    pub(super) fn run(&self, reads: &impl SearchReads) -> Result<(), SearchError> {
        loop {
            let task = {
                let mut state = lock(&self.state);
                loop {
                    if let Some(task) = state.queue.pop_front() {
                        break task;
                    }
                    if !state.awaiting_vector {
                        return Ok(());
                    }
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            };
            match task {
                Task::Keyword(phrase, rowids) => {
                    let rows = reads.keyword_scores(&phrase, rowids)?;
                    lock(&self.state).keyword.push((phrase, rows));
                }
                Task::Vector(vector, filter, shard) => {
                    let rows = reads.knn(&vector, self.k, &self.filters[filter], shard)?;
                    lock(&self.state).neighbours.push((filter, rows));
                }
            }
        }
    }

    pub(super) fn finish(self) -> WorkDone {
        let state = self
            .state
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut neighbours = Vec::new();
        for filter in 0..self.filters.len() {
            let mut found: Vec<(i64, f32)> = state
                .neighbours
                .iter()
                .filter(|(f, _)| *f == filter)
                .flat_map(|(_, rows)| rows.iter().copied())
                .collect();
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            found.truncate(self.k);
            neighbours.extend(found);
        }
        WorkDone {
            had_vector: state.had_vector,
            keyword: state.keyword,
            neighbours,
        }
    }
}

/// Marks the query vector as no longer awaited when dropped: after it was provided, or when
/// computing it failed or panicked, so the other thread never waits for it in vain.
pub(super) struct VectorGate<'w, 'a>(pub(super) &'w Work<'a>);

impl Drop for VectorGate<'_, '_> {
    fn drop(&mut self) {
        lock(&self.0.state).awaiting_vector = false;
        self.0.changed.notify_all();
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (plain queues).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
