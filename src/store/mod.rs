//! The local store: SQLite (bundled, with FTS5) plus sqlite-vec, as a cache of the catalogue.
//!
//! The catalogue files are the source of truth; this database only holds what makes search fast:
//! the `medical_imaging_knowledge` table of documents, their facet values, an FTS5 keyword index and
//! a `vec0` table of embeddings whose single-valued facets are vec0 metadata columns (so KNN filters
//! while searching, never after `k`). Documents are rebuilt by content hash, vectors are cached by
//! (model, content hash) so a model switch or restart re-embeds only what changed. A file that is
//! corrupt, truncated, foreign or from another schema version is moved aside and rebuilt; it is never
//! deleted, since it might not be ours. This module knows nothing of vocabularies or ranking.

mod vec_ext;

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

/// `PRAGMA application_id` of MedAtlas stores ("MDAT"), to tell our files from foreign ones.
const APPLICATION_ID: i32 = 0x4D44_4154;
/// Bumped whenever the schema changes; an older file is rebuilt.
pub const SCHEMA_VERSION: i32 = 1;
/// How the `knowledge_vec` index is built (see `SearchReads::knn`); part of the key that decides when
/// the index is rebuilt.
const VECTOR_LAYOUT: &str = "unit-l2-parts2x256-chunks256";
/// The vector index is split in `VECTOR_SHARDS` parts (a vec0 partition key), so that two threads
/// can each search one; a query that names no part searches them all. Rowids go to the parts in
/// alternate blocks of `VECTOR_BLOCK` (one chunk), so a catalogue smaller than a block stays in one
/// part.
pub const VECTOR_SHARDS: i64 = 2;
const VECTOR_BLOCK: i64 = VECTOR_CHUNK as i64;
/// Vectors per vec0 chunk. sqlite-vec scans whole chunks and picks the nearest `k` of each by `k`
/// passes over it: with its default of 1,024, a KNN over the 44 bundled entries took 281 µs,
/// against 87 µs with 256; on 100,000 entries, one half of the index took 14.3 against 15.5 ms.
const VECTOR_CHUNK: usize = 256;
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Store files are read through memory maps (SQLite caps this at about 2 GB). A KNN query reads
/// every vector; through SQLite's small default page cache that cost 50-100 ms at 100,000 entries,
/// against about 25-30 ms mapped, the same as a store in memory.
const MMAP_SIZE: i64 = 1 << 31;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store file {path}: {reason}")]
    Unusable { path: PathBuf, reason: String },
    #[error("could not move the unusable store file aside: {0}")]
    MoveAside(std::io::Error),
    #[error("could not create the store folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Memory,
}

impl Location {
    /// `<cache dir>/store.sqlite3`, e.g. `~/.cache/medatlas/store.sqlite3` on Linux.
    pub fn default_file() -> Option<Location> {
        crate::project_dirs().map(|d| Location::File(d.cache_dir().join("store.sqlite3")))
    }
}

/// One document to index: a catalogue entry flattened by the search layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: String,
    pub content_hash: String,
    pub name: String,
    pub aliases: String,
    pub summary: String,
    pub description: String,
    /// Facet labels and synonyms, searchable as keywords.
    pub keywords: String,
    /// The text the embedder sees.
    pub embed_text: String,
    pub tier: Option<u8>,
    pub access: String,
    pub domain: String,
    /// (facet key, value) pairs, multi-valued facets included.
    pub facets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// A document whose vector is missing or stale for the current model.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEmbedding {
    pub rowid: i64,
    pub content_hash: String,
    pub text: String,
}

/// Filters applied inside the KNN search (vec0 metadata columns) plus an optional rowid set for
/// multi-valued facets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnnFilter {
    pub tiers: Vec<i64>,
    pub access: Vec<String>,
    pub domains: Vec<String>,
    pub rowids: Option<Vec<i64>>,
}

pub struct Store {
    /// A second, read-only connection to a store file (none for a store in memory), so that a
    /// search can run queries on two threads. Declared before `conn` so that it closes first: the
    /// last connection to close checkpoints the write-ahead log into the file and deletes it,
    /// which a read-only one cannot do.
    reader: Option<Reader>,
    conn: Connection,
    location: Location,
    model: String,
    dimension: usize,
    /// Problems met while opening (a file rebuilt, a fallback to memory), for the user to see.
    pub warnings: Vec<String>,
}

impl Store {
    /// Opens (or creates) the store for embeddings of `model` with `dimension` values. An unusable
    /// file is moved aside and rebuilt with a warning; if the file cannot be used at all (say, a
    /// read-only folder), the store falls back to memory, also with a warning.
    pub fn open(location: &Location, model: &str, dimension: usize) -> Result<Store, StoreError> {
        vec_ext::register();
        let mut warnings = Vec::new();
        let (conn, file) = match location {
            Location::Memory => (Connection::open_in_memory()?, None),
            Location::File(path) => match open_file(path, &mut warnings) {
                Ok(conn) => (conn, Some(path)),
                Err(e) => {
                    warnings.push(format!("{e}; using a temporary in-memory store instead"));
                    (Connection::open_in_memory()?, None)
                }
            },
        };
        let mut store = Store {
            conn,
            reader: None,
            location: location.clone(),
            model: model.to_owned(),
            dimension,
            warnings,
        };
        store.prepare_schema()?;
        // Opened once the schema is in place. Without it, search runs its passes one after the
        // other on the main connection, as for a store in memory.
        store.reader = file.and_then(|path| match Reader::open(path) {
            Ok(reader) => Some(reader),
            Err(e) => {
                tracing::warn!("no second connection to {}: {e}", path.display());
                None
            }
        });
        Ok(store)
    }

    /// The read-only connection for a search's vector pass, when the store is a file.
    pub fn reader(&self) -> Option<&Reader> {
        self.reader.as_ref()
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    fn prepare_schema(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let fresh: bool = tx.query_row(
            "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'meta'",
            [],
            |r| r.get(0),
        )?;
        if fresh {
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};
                 CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE medical_imaging_knowledge(
                     rowid INTEGER PRIMARY KEY,
                     id TEXT NOT NULL UNIQUE,
                     content_hash TEXT NOT NULL,
                     name TEXT NOT NULL,
                     summary TEXT NOT NULL,
                     tier INTEGER,
                     access TEXT NOT NULL,
                     domain TEXT NOT NULL,
                     embed_text TEXT NOT NULL);
                 CREATE TABLE facets(
                     facet TEXT NOT NULL,
                     value TEXT NOT NULL,
                     dataset INTEGER NOT NULL,
                     PRIMARY KEY (facet, value, dataset)) WITHOUT ROWID;
                 CREATE INDEX facets_by_dataset ON facets(dataset);
                 CREATE VIRTUAL TABLE knowledge_fts USING fts5(
                     name, aliases, summary, description, keywords,
                     tokenize = 'porter unicode61 remove_diacritics 2');
                 CREATE TABLE vector_cache(
                     model TEXT NOT NULL,
                     content_hash TEXT NOT NULL,
                     vector BLOB NOT NULL,
                     PRIMARY KEY (model, content_hash)) WITHOUT ROWID;
                 CREATE TABLE embedding_state(
                     dataset INTEGER PRIMARY KEY,
                     content_hash TEXT NOT NULL);"
            ))?;
        }
        let stored_model: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'model'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let vec_exists: bool = tx.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'knowledge_vec'",
            [],
            |r| r.get(0),
        )?;
        // The vector index is derived data: a different model, dimension or index layout rebuilds
        // it (from the per-model vector cache, so nothing is re-embedded).
        let wanted = format!("{}#{}#{VECTOR_LAYOUT}", self.model, self.dimension);
        if stored_model.as_deref() != Some(wanted.as_str()) || !vec_exists {
            // A different model: its vectors mean nothing here. Drop the index (the per-model
            // vector cache stays) and let the next sync re-embed or refill from the cache.
            tx.execute_batch(&format!(
                "DROP TABLE IF EXISTS knowledge_vec;
                 DELETE FROM embedding_state;
                 CREATE VIRTUAL TABLE knowledge_vec USING vec0(
                     dataset INTEGER PRIMARY KEY,
                     shard INTEGER PARTITION KEY,
                     embedding float[{}] distance_metric=l2,
                     tier INTEGER,
                     access TEXT,
                     domain TEXT,
                     chunk_size={VECTOR_CHUNK});",
                self.dimension
            ))?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('model', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [&wanted],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes the documents table match `docs` exactly: new and changed documents are (re)indexed,
    /// missing ones removed, unchanged ones (same content hash) left alone. One transaction.
    pub fn sync_documents(&mut self, docs: &[Document]) -> Result<SyncReport, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: HashMap<String, (i64, String)> = {
            let mut stmt =
                tx.prepare("SELECT id, rowid, content_hash FROM medical_imaging_knowledge")?;
            stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                .collect::<Result<_, _>>()?
        };
        let mut report = SyncReport::default();
        let wanted: std::collections::HashSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        for (id, (rowid, _)) in &existing {
            if !wanted.contains(id.as_str()) {
                delete_document(&tx, *rowid)?;
                report.removed += 1;
            }
        }
        for doc in docs {
            match existing.get(&doc.id) {
                Some((_, hash)) if *hash == doc.content_hash => report.unchanged += 1,
                Some((rowid, _)) => {
                    delete_document(&tx, *rowid)?;
                    insert_document(&tx, Some(*rowid), doc)?;
                    report.updated += 1;
                }
                None => {
                    insert_document(&tx, None, doc)?;
                    report.added += 1;
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }

    /// Rowids of every document, by dataset id.
    pub fn rowids(&self) -> Result<HashMap<String, i64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, rowid FROM medical_imaging_knowledge")?;
        let map = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(map)
    }

    /// Copies vectors already cached for this model into the index; returns how many.
    pub fn fill_from_cache(&mut self) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(i64, String, Vec<u8>)> = {
            let mut stmt = tx.prepare(
                "SELECT k.rowid, k.content_hash, c.vector
                 FROM medical_imaging_knowledge k
                 JOIN vector_cache c ON c.model = ?1 AND c.content_hash = k.content_hash
                 LEFT JOIN embedding_state s ON s.dataset = k.rowid
                 WHERE s.content_hash IS NULL OR s.content_hash != k.content_hash",
            )?;
            stmt.query_map([&self.model], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        for (rowid, hash, blob) in &rows {
            put_vector(&tx, *rowid, hash, blob)?;
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// Documents whose vector is missing or was computed from older content.
    pub fn pending_embeddings(&self) -> Result<Vec<PendingEmbedding>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT k.rowid, k.content_hash, k.embed_text
             FROM medical_imaging_knowledge k
             LEFT JOIN embedding_state s ON s.dataset = k.rowid
             WHERE s.content_hash IS NULL OR s.content_hash != k.content_hash
             ORDER BY k.tier IS NULL, k.tier, k.rowid",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PendingEmbedding {
                    rowid: r.get(0)?,
                    content_hash: r.get(1)?,
                    text: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Stores vectors for documents (and in the per-model cache). Vectors of the wrong dimension are
    /// refused.
    pub fn store_embeddings(
        &mut self,
        items: &[(PendingEmbedding, Vec<f32>)],
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (pending, vector) in items {
            if vector.len() != self.dimension {
                return Err(StoreError::Unusable {
                    path: PathBuf::from("(vector)"),
                    reason: format!(
                        "vector of {} values for a {}-dimensional index",
                        vector.len(),
                        self.dimension
                    ),
                });
            }
            let blob = to_blob(vector);
            tx.execute(
                "INSERT OR REPLACE INTO vector_cache(model, content_hash, vector) VALUES (?1, ?2, ?3)",
                params![self.model, pending.content_hash, blob],
            )?;
            // The document may have changed while the vector was computed: only a vector of the
            // current content is indexed.
            let current: Option<String> = tx
                .query_row(
                    "SELECT content_hash FROM medical_imaging_knowledge WHERE rowid = ?1",
                    [pending.rowid],
                    |r| r.get(0),
                )
                .optional()?;
            if current.as_deref() == Some(pending.content_hash.as_str()) {
                put_vector(&tx, pending.rowid, &pending.content_hash, &blob)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How many documents have a current vector, of how many.
    pub fn embedding_progress(&self) -> Result<(usize, usize), StoreError> {
        let done: i64 = self.conn.query_row(
            "SELECT count(*) FROM medical_imaging_knowledge k
             JOIN embedding_state s ON s.dataset = k.rowid AND s.content_hash = k.content_hash",
            [],
            |r| r.get(0),
        )?;
        let total: i64 =
            self.conn
                .query_row("SELECT count(*) FROM medical_imaging_knowledge", [], |r| {
                    r.get(0)
                })?;
        Ok((done as usize, total as usize))
    }

    /// How many documents an FTS5 query matches.
    pub fn keyword_count(&self, fts_query: &str) -> Result<usize, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM knowledge_fts WHERE knowledge_fts MATCH ?1")?;
        let n: i64 = stmt.query_row([fts_query], |r| r.get(0))?;
        Ok(n.max(0) as usize)
    }

    /// Rowids having any of `values` for `facet`.
    pub fn rowids_with(&self, facet: &str, values: &[String]) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT dataset FROM facets WHERE facet = ?1 AND value = ?2")?;
        for v in values {
            for rowid in stmt.query_map(params![facet, v], |r| r.get::<_, i64>(0))? {
                out.push(rowid?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Direct access for modules that keep their own tables in the store (link checks).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// SQL string literal for values that come from the vocabulary (never from free text).
/// A read-only connection to a store file, usable from another thread (one query at a time).
pub struct Reader {
    conn: Mutex<Connection>,
}

impl Reader {
    fn open(path: &Path) -> Result<Reader, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "mmap_size", MMAP_SIZE)?;
        Ok(Reader {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic during a read leaves nothing half-written: the connection stays usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The queries a search runs, on whichever connection is free: the store's own or its reader.
pub trait SearchReads {
    /// Runs `f` on this connection.
    fn with_connection<R>(&self, f: impl FnOnce(&Connection) -> R) -> R;

    /// Every document with a rowid in `rowids` that an FTS5 query matches, with its bm25 score
    /// under the field weights (name 10, aliases 8, summary 4, keywords 2, description 1; higher
    /// is better), in no particular order. The score does not depend on the rowid range (its IDF
    /// counts the whole index). For a single phrase this is that phrase's share of the score of
    /// any OR-query containing it: FTS5's bm25 sums independent per-phrase terms.
    fn keyword_scores(
        &self,
        fts_query: &str,
        rowids: RangeInclusive<i64>,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        self.with_connection(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT rowid, -bm25(knowledge_fts, 10.0, 8.0, 4.0, 1.0, 2.0)
                     FROM knowledge_fts WHERE knowledge_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3",
            )?;
            let rows = stmt
                .query_map(params![fts_query, rowids.start(), rowids.end()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// The `k` nearest documents to `vector` that pass `filter`, with cosine distances, in one
    /// part of the index (`shard`, from 0 to `VECTOR_SHARDS` - 1) or in all of it (`None`).
    ///
    /// The index stores unit vectors under the L2 metric (sqlite-vec computes L2 with AVX, cosine
    /// without); for unit vectors the order is the same and cosine distance = L2² / 2.
    fn knn(
        &self,
        vector: &[f32],
        k: usize,
        filter: &KnnFilter,
        shard: Option<i64>,
    ) -> Result<Vec<(i64, f32)>, StoreError> {
        self.with_connection(|conn| {
            if k == 0 || filter.rowids.as_ref().is_some_and(Vec::is_empty) {
                return Ok(Vec::new());
            }
            let mut sql = String::from(
                "SELECT dataset, distance FROM knowledge_vec WHERE embedding MATCH ?1 AND k = ?2",
            );
            let list = |values: Vec<String>| values.join(", ");
            if let Some(shard) = shard {
                sql.push_str(&format!(" AND shard = {shard}"));
            }
            if !filter.tiers.is_empty() {
                sql.push_str(&format!(
                    " AND tier IN ({})",
                    list(filter.tiers.iter().map(i64::to_string).collect())
                ));
            }
            for (column, values) in [("access", &filter.access), ("domain", &filter.domains)] {
                if !values.is_empty() {
                    sql.push_str(&format!(
                        " AND {column} IN ({})",
                        list(values.iter().map(|v| quote(v)).collect())
                    ));
                }
            }
            if let Some(rowids) = &filter.rowids {
                sql.push_str(&format!(
                    " AND dataset IN ({})",
                    list(rowids.iter().map(i64::to_string).collect())
                ));
            }
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![to_blob(vector), k as i64], |r| {
                    let l2: f32 = r.get(1)?;
                    Ok((r.get(0)?, l2 * l2 / 2.0))
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }
}

impl SearchReads for Store {
    fn with_connection<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&self.conn)
    }
}

impl SearchReads for Reader {
    fn with_connection<R>(&self, f: impl FnOnce(&Connection) -> R) -> R {
        f(&self.lock())
    }
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A vector as sqlite-vec's float32 blob, scaled to unit length (the L2 index relies on it).
fn to_blob(vector: &[f32]) -> Vec<u8> {
    crate::embed::normalise(vector.to_vec())
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect()
}

fn put_vector(
    tx: &rusqlite::Transaction<'_>,
    rowid: i64,
    hash: &str,
    blob: &[u8],
) -> Result<(), StoreError> {
    let (tier, access, domain): (Option<i64>, String, String) = tx.query_row(
        "SELECT tier, access, domain FROM medical_imaging_knowledge WHERE rowid = ?1",
        [rowid],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    tx.execute("DELETE FROM knowledge_vec WHERE dataset = ?1", [rowid])?;
    tx.execute(
        "INSERT INTO knowledge_vec(dataset, shard, embedding, tier, access, domain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            rowid,
            (rowid / VECTOR_BLOCK).rem_euclid(VECTOR_SHARDS),
            blob,
            tier.unwrap_or(0),
            access,
            domain
        ],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO embedding_state(dataset, content_hash) VALUES (?1, ?2)",
        params![rowid, hash],
    )?;
    Ok(())
}

fn delete_document(tx: &rusqlite::Transaction<'_>, rowid: i64) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM medical_imaging_knowledge WHERE rowid = ?1",
        [rowid],
    )?;
    tx.execute("DELETE FROM facets WHERE dataset = ?1", [rowid])?;
    tx.execute("DELETE FROM knowledge_fts WHERE rowid = ?1", [rowid])?;
    tx.execute("DELETE FROM knowledge_vec WHERE dataset = ?1", [rowid])?;
    tx.execute("DELETE FROM embedding_state WHERE dataset = ?1", [rowid])?;
    Ok(())
}

fn insert_document(
    tx: &rusqlite::Transaction<'_>,
    rowid: Option<i64>,
    doc: &Document,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO medical_imaging_knowledge
             (rowid, id, content_hash, name, summary, tier, access, domain, embed_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            rowid,
            doc.id,
            doc.content_hash,
            doc.name,
            doc.summary,
            doc.tier,
            doc.access,
            doc.domain,
            doc.embed_text
        ],
    )?;
    let rowid = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO knowledge_fts(rowid, name, aliases, summary, description, keywords)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            rowid,
            doc.name,
            doc.aliases,
            doc.summary,
            doc.description,
            doc.keywords
        ],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO facets(facet, value, dataset) VALUES (?1, ?2, ?3)",
    )?;
    for (facet, value) in &doc.facets {
        stmt.execute(params![facet, value, rowid])?;
    }
    Ok(())
}

/// Opens a store file, moving an unusable one aside and starting afresh.
fn open_file(path: &Path, warnings: &mut Vec<String>) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    match open_checked(path) {
        Ok(conn) => Ok(conn),
        Err(reason) => {
            let aside = move_aside(path).map_err(StoreError::MoveAside)?;
            let warning = format!(
                "the store {} was unusable ({reason}); it was moved to {} and is being rebuilt",
                path.display(),
                aside.display()
            );
            warnings.push(warning);
            open_checked(path).map_err(|reason| StoreError::Unusable {
                path: path.to_owned(),
                reason,
            })
        }
    }
}

/// Opens and checks a file: ours (application id), current schema, passes SQLite's quick check.
fn open_checked(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    let check = || -> Result<(), String> {
        let app_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        if app_id == 0 && version == 0 && tables == 0 {
            return Ok(()); // a new, empty file
        }
        if app_id != APPLICATION_ID {
            return Err("not a MedAtlas store".into());
        }
        if version != SCHEMA_VERSION {
            return Err(format!(
                "schema version {version}, this MedAtlas uses {SCHEMA_VERSION}"
            ));
        }
        let quick: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        if quick != "ok" {
            return Err(format!("integrity check failed: {quick}"));
        }
        Ok(())
    };
    check()?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)
        .map_err(|e| e.to_string())?;
    // A log left by a process that did not close cleanly is read at every page lookup (and its
    // pages are not memory-mapped) until it is copied into the file: a search over 100,000
    // entries took 97 ms instead of 52 ms with a 170 MB log. Copy what can be copied now.
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Renames `path` (and its WAL files) to `<name>.unusable-<unix seconds>`.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".unusable-{stamp}"));
    let aside = path.with_file_name(name);
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        if side.exists() {
            let mut target = aside.as_os_str().to_owned();
            target.push(suffix);
            std::fs::rename(&side, PathBuf::from(target))?;
        }
    }
    Ok(aside)
}
