//! RIS records: `XX  - value` lines, one tag per line, closed by `ER  - `.

use super::{Date, split_pages};
use crate::catalogue::Citation;

fn kind(c: &Citation) -> &'static str {
    match c.kind.as_str() {
        "article-journal" => "JOUR",
        "paper-conference" => "CONF",
        "chapter" => "CHAP",
        "book" => "BOOK",
        "report" => "RPRT",
        "thesis" => "THES",
        "dataset" => "DATA",
        "article" => "UNPB",
        "webpage" => "ELEC",
        _ => "GEN",
    }
}

/// RIS values are single lines: line breaks inside a value become spaces.
fn line(out: &mut String, tag: &str, value: &str) {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if !value.is_empty() {
        out.push_str(&format!("{tag}  - {value}\n"));
    }
}

pub fn record(c: &Citation, accessed: Option<Date>) -> String {
    let mut out = String::new();
    line(&mut out, "TY", kind(c));
    for author in &c.authors {
        line(&mut out, "AU", author);
    }
    for editor in &c.editors {
        line(&mut out, "ED", editor);
    }
    line(&mut out, "TI", &c.title);
    if let Some(container) = &c.container {
        line(&mut out, "T2", container);
    }
    if let Some(year) = c.year {
        line(&mut out, "PY", &year.to_string());
        if let Some(month) = c.month {
            line(&mut out, "DA", &format!("{year}/{month:02}//"));
        }
    }
    if let Some(v) = &c.volume {
        line(&mut out, "VL", v);
    }
    if let Some(v) = &c.issue {
        line(&mut out, "IS", v);
    }
    if let Some(pages) = &c.pages {
        let (first, last) = split_pages(pages);
        line(&mut out, "SP", first);
        if let Some(last) = last {
            line(&mut out, "EP", last);
        }
    }
    if let Some(v) = &c.publisher {
        line(&mut out, "PB", v);
    }
    if let Some(v) = &c.isbn {
        line(&mut out, "SN", v);
    }
    if let Some(v) = &c.doi {
        line(&mut out, "DO", v);
    }
    if let Some(v) = &c.url {
        line(&mut out, "UR", v);
    } else if let Some(a) = &c.arxiv {
        line(&mut out, "UR", &format!("https://arxiv.org/abs/{a}"));
    }
    if let Some(d) = accessed {
        // The access date, as Zotero and EndNote write it.
        line(
            &mut out,
            "Y2",
            &format!("{:04}/{:02}/{:02}", d.year, d.month, d.day),
        );
    }
    if let Some(v) = &c.pmid {
        line(&mut out, "AN", &format!("PMID: {v}"));
    }
    if let Some(v) = &c.pmcid {
        line(&mut out, "N1", &format!("PMCID: {v}"));
    }
    if let Some(v) = &c.note {
        line(&mut out, "N1", v);
    }
    out.push_str("ER  - \n");
    out
}
