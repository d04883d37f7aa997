//! The `link_checks` table: the latest result per URL, kept in the store across restarts.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Hop, LinkError, LinkResult, LinkStatus};
use crate::store::Store;

/// Creates the `link_checks` table if it is missing. The other functions call this themselves.
pub fn ensure_table(conn: &Connection) -> Result<(), LinkError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS link_checks(
             url TEXT PRIMARY KEY,
             status TEXT NOT NULL,
             http_status INTEGER,
             final_url TEXT,
             hops TEXT NOT NULL DEFAULT '[]',
             cause TEXT,
             checked_at INTEGER NOT NULL,
             elapsed_ms INTEGER NOT NULL)",
    )?;
    Ok(())
}

/// Stores each result as the latest for its URL, in one transaction, and returns how many were
/// written. Results of an offline run are skipped: they say nothing about the links, so they
/// never replace what an earlier run found.
pub fn save_results(store: &Store, results: &[LinkResult]) -> Result<usize, LinkError> {
    let conn = store.connection();
    ensure_table(conn)?;
    let tx = conn.unchecked_transaction()?;
    let mut written = 0;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO link_checks(url, status, http_status, final_url, hops, cause, checked_at,
                                     elapsed_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(url) DO UPDATE SET
                 status = excluded.status, http_status = excluded.http_status,
                 final_url = excluded.final_url, hops = excluded.hops, cause = excluded.cause,
                 checked_at = excluded.checked_at, elapsed_ms = excluded.elapsed_ms",
        )?;
        for r in results.iter().filter(|r| !r.is_offline()) {
            // A Vec of plain structs always serialises.
            let hops = serde_json::to_string(&r.hops).unwrap_or_else(|_| "[]".to_owned());
            stmt.execute(params![
                r.url,
                r.status.as_str(),
                r.http_status,
                r.final_url,
                hops,
                r.cause,
                r.checked_at,
                i64::try_from(r.elapsed_ms).unwrap_or(i64::MAX),
            ])?;
            written += 1;
        }
    }
    tx.commit()?;
    Ok(written)
}

/// The latest stored result for every URL ever checked.
pub fn load_results(store: &Store) -> Result<HashMap<String, LinkResult>, LinkError> {
    let conn = store.connection();
    ensure_table(conn)?;
    let mut stmt = conn.prepare(
        "SELECT url, status, http_status, final_url, hops, cause, checked_at, elapsed_ms
         FROM link_checks",
    )?;
    let mut out = HashMap::new();
    for row in stmt.query_map([], from_row)? {
        if let Some(r) = row? {
            out.insert(r.url.clone(), r);
        }
    }
    Ok(out)
}

/// The latest stored result for one URL.
pub fn load_result(store: &Store, url: &str) -> Result<Option<LinkResult>, LinkError> {
    let conn = store.connection();
    ensure_table(conn)?;
    let row = conn
        .query_row(
            "SELECT url, status, http_status, final_url, hops, cause, checked_at, elapsed_ms
             FROM link_checks WHERE url = ?1",
            [url],
            from_row,
        )
        .optional()?;
    Ok(row.flatten())
}

/// A row, or `None` (with a warning) for one written by a newer MedAtlas with unknown statuses.
fn from_row(row: &Row<'_>) -> rusqlite::Result<Option<LinkResult>> {
    let url: String = row.get(0)?;
    let status: String = row.get(1)?;
    let Some(status) = LinkStatus::parse(&status) else {
        tracing::warn!("link check of {url}: unknown status {status:?} in the store; ignored");
        return Ok(None);
    };
    let hops: String = row.get(4)?;
    let hops: Vec<Hop> = serde_json::from_str(&hops).unwrap_or_default();
    let elapsed_ms: i64 = row.get(7)?;
    Ok(Some(LinkResult {
        url,
        status,
        http_status: row.get(2)?,
        final_url: row.get(3)?,
        hops,
        cause: row.get(5)?,
        checked_at: row.get(6)?,
        elapsed_ms: u64::try_from(elapsed_ms).unwrap_or(0),
    }))
}
