//! Retrieval quality on judged queries: nDCG@10, Recall@5 and MRR, per query and averaged.
//!
//! The judged-query format is one query per line: the query, a tab, then comma-separated
//! `id:grade` judgements (2 = what the user is looking for, 1 = also relevant); `#` starts a comment.

use serde::Serialize;

use super::{Mode, Query, SearchEngine, SearchError};

#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub line: usize,
    pub query: String,
    pub grades: Vec<(String, u8)>,
}

/// A line of a judged-query file that does not follow the format, with its 1-based number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JudgedError {
    #[error("line {line}: expected `query<TAB>id:grade,id:grade`, found no tab")]
    NoTab { line: usize },
    #[error("line {line}: judgement \"{item}\" is not `id:grade`")]
    NotIdGrade { line: usize, item: String },
    /// Not a number from 0 to 3; the integer parser's reason would add nothing to this.
    #[error("line {line}: grade \"{grade}\" must be 0, 1, 2 or 3")]
    BadGrade { line: usize, grade: String },
    #[error("line {line}: no judgements")]
    NoJudgements { line: usize },
}

impl JudgedError {
    /// The 1-based number of the offending line.
    pub fn line(&self) -> usize {
        match self {
            JudgedError::NoTab { line }
            | JudgedError::NotIdGrade { line, .. }
            | JudgedError::BadGrade { line, .. }
            | JudgedError::NoJudgements { line } => *line,
        }
    }
}

/// Parses judged queries; errors name the line and say what is expected.
pub fn parse_judged(text: &str) -> Result<Vec<Judged>, JudgedError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((query, judgements)) = line.split_once('\t') else {
            return Err(JudgedError::NoTab { line: line_no });
        };
        let mut grades = Vec::new();
        for item in judgements
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let Some((id, grade)) = item.rsplit_once(':') else {
                return Err(JudgedError::NotIdGrade {
                    line: line_no,
                    item: item.to_owned(),
                });
            };
            let grade: u8 = grade
                .trim()
                .parse()
                .ok()
                .filter(|g| *g <= 3)
                .ok_or_else(|| JudgedError::BadGrade {
                    line: line_no,
                    grade: grade.to_owned(),
                })?;
            grades.push((id.trim().to_owned(), grade));
        }
        if grades.is_empty() {
            return Err(JudgedError::NoJudgements { line: line_no });
        }
        out.push(Judged {
            line: line_no,
            query: query.trim().to_owned(),
            grades,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryScore {
    pub query: String,
    pub ndcg_at_10: f64,
    pub recall_at_5: f64,
    pub reciprocal_rank: f64,
    /// The first five ids returned.
    pub top: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub mode: Mode,
    pub ndcg_at_10: f64,
    pub recall_at_5: f64,
    pub mrr: f64,
    pub queries: Vec<QueryScore>,
    /// Judged ids that are not in the catalogue, dropped from the judgements they appear in.
    pub unknown_ids: Vec<String>,
}

impl EvalReport {
    /// The `n` queries with the lowest nDCG@10.
    pub fn weakest(&self, n: usize) -> Vec<&QueryScore> {
        let mut sorted: Vec<&QueryScore> = self.queries.iter().collect();
        sorted.sort_by(|a, b| a.ndcg_at_10.total_cmp(&b.ndcg_at_10));
        sorted.truncate(n);
        sorted
    }
}

pub fn score_ranking(ranked: &[String], grades: &[(String, u8)]) -> (f64, f64, f64) {
    let grade_of = |id: &str| grades.iter().find(|(g, _)| g == id).map_or(0, |(_, g)| *g);
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, id)| gain(grade_of(id)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = grades.iter().map(|(_, g)| *g).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    let ndcg = if idcg > 0.0 { dcg / idcg } else { 0.0 };
    let relevant: Vec<&str> = grades
        .iter()
        .filter(|(_, g)| *g > 0)
        .map(|(id, _)| id.as_str())
        .collect();
    let found = ranked
        .iter()
        .take(5)
        .filter(|id| relevant.contains(&id.as_str()))
        .count();
    let recall = if relevant.is_empty() {
        0.0
    } else {
        found as f64 / relevant.len() as f64
    };
    let rr = ranked
        .iter()
        .position(|id| relevant.contains(&id.as_str()))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64);
    (ndcg, recall, rr)
}

pub fn evaluate(
    engine: &SearchEngine,
    judged: &[Judged],
    mode: Mode,
) -> Result<EvalReport, SearchError> {
    let mut queries = Vec::new();
    let mut unknown_ids = Vec::new();
    for j in judged {
        // A judged id the catalogue lacks is dropped from this query's judgements (and reported),
        // so that a missing entry does not silently lower the score.
        let (grades, unknown): (Vec<_>, Vec<_>) = j
            .grades
            .iter()
            .cloned()
            .partition(|(id, _)| engine.docs.list.iter().any(|d| &d.id == id));
        for (id, _) in unknown {
            if !unknown_ids.contains(&id) {
                unknown_ids.push(id);
            }
        }
        let results = engine.search(&Query {
            text: j.query.clone(),
            mode,
            limit: Some(10),
            ..Default::default()
        })?;
        let ranked: Vec<String> = results.results.iter().map(|h| h.id.clone()).collect();
        let (ndcg, recall, rr) = score_ranking(&ranked, &grades);
        queries.push(QueryScore {
            query: j.query.clone(),
            ndcg_at_10: ndcg,
            recall_at_5: recall,
            reciprocal_rank: rr,
            top: ranked.into_iter().take(5).collect(),
        });
    }
    let n = queries.len().max(1) as f64;
    Ok(EvalReport {
        mode,
        ndcg_at_10: queries.iter().map(|q| q.ndcg_at_10).sum::<f64>() / n,
        recall_at_5: queries.iter().map(|q| q.recall_at_5).sum::<f64>() / n,
        mrr: queries.iter().map(|q| q.reciprocal_rank).sum::<f64>() / n,
        queries,
        unknown_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_on_a_known_ranking() {
        let grades = vec![("a".to_owned(), 2), ("b".to_owned(), 1)];
        let perfect = score_ranking(&["a".into(), "b".into()], &grades);
        assert!((perfect.0 - 1.0).abs() < 1e-9);
        assert_eq!(perfect.1, 1.0);
        assert_eq!(perfect.2, 1.0);
        let late = score_ranking(&["x".into(), "b".into(), "a".into()], &grades);
        assert!(late.0 < 1.0 && late.0 > 0.0);
        assert_eq!(late.2, 0.5);
        let none = score_ranking(&["x".into()], &grades);
        assert_eq!(none, (0.0, 0.0, 0.0));
    }

    #[test]
    fn parse_errors_name_the_line() {
        assert!(parse_judged("# c\nq\tadni:2\n").is_ok());
        let err = parse_judged("q\tadni:2\nbroken line\n").unwrap_err();
        assert_eq!(err, JudgedError::NoTab { line: 2 });
        assert_eq!(
            err.to_string(),
            "line 2: expected `query<TAB>id:grade,id:grade`, found no tab"
        );
        let err = parse_judged("q\tadni:x\n").unwrap_err();
        assert_eq!(err.line(), 1);
        assert_eq!(err.to_string(), "line 1: grade \"x\" must be 0, 1, 2 or 3");
        let err = parse_judged("q\tadni\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: judgement \"adni\" is not `id:grade`"
        );
        let err = parse_judged("q\t , \n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: no judgements");
    }
}
