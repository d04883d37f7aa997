//! BibTeX records. Keys are `<id><year>` (`<id>` alone for an undated resource), with a letter added
//! for a second citation of the same entry and year, so they are stable and unique across a whole
//! export.

use super::names::Name;
use super::{Date, split_pages};
use crate::catalogue::{Citation, Entry};

pub fn key(entry: &Entry, index: usize) -> String {
    let Some(citation) = entry.citations.get(index) else {
        return entry.id.clone();
    };
    let same_year_before = entry.citations[..index]
        .iter()
        .filter(|c| c.year == citation.year)
        .count();
    let suffix = match same_year_before {
        0 => String::new(),
        n => char::from(b'a' + (n as u8).min(25)).to_string(),
    };
    let year = citation.year.map(|y| y.to_string()).unwrap_or_default();
    format!("{}{year}{suffix}", entry.id)
}

/// Escapes BibTeX's special characters and braces runs of non-ASCII letters (kept as UTF-8) so
/// that BibTeX treats each as one unit.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_non_ascii = false;
    for c in text.chars() {
        let non_ascii = !c.is_ascii() && c.is_alphabetic();
        if non_ascii && !in_non_ascii {
            out.push('{');
        } else if !non_ascii && in_non_ascii {
            out.push('}');
        }
        in_non_ascii = non_ascii;
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            '\u{2013}' => out.push_str("--"),
            '\u{2014}' => out.push_str("---"),
            _ => out.push(c),
        }
    }
    if in_non_ascii {
        out.push('}');
    }
    out
}

/// A title with every word that carries a capital (after the first word) braced, so bibliography
/// styles that lower-case titles keep acronyms and names as published.
fn title(text: &str) -> String {
    text.split(' ')
        .enumerate()
        .map(|(i, word)| {
            let escaped = escape(word);
            let has_capital = word
                .chars()
                .skip(usize::from(i == 0))
                .any(char::is_uppercase);
            if has_capital && (i > 0 || word.chars().skip(1).any(char::is_uppercase)) {
                format!("{{{escaped}}}")
            } else {
                escaped
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn person(name: &str) -> String {
    match Name::parse(name) {
        Name::Person {
            family,
            given,
            suffix: Some(suffix),
        } => format!(
            "{}, {}, {}",
            escape(&family),
            escape(&suffix),
            escape(&given)
        ),
        Name::Person { family, given, .. } => format!("{}, {}", escape(&family), escape(&given)),
        // Double braces keep an organisation from being split into first and last names.
        Name::Organisation(org) => format!("{{{}}}", escape(&org)),
    }
}

fn names(list: &[String]) -> String {
    list.iter()
        .map(|n| person(n))
        .collect::<Vec<_>>()
        .join(" and ")
}

pub fn record(key: &str, c: &Citation, accessed: Option<Date>) -> String {
    let kind = match c.kind.as_str() {
        "article-journal" => "article",
        "paper-conference" => "inproceedings",
        "chapter" => "incollection",
        "book" => "book",
        "report" => "techreport",
        "thesis" => "phdthesis",
        _ => "misc",
    };
    let mut fields: Vec<(&str, String)> = Vec::new();
    if !c.authors.is_empty() {
        let mut authors = names(&c.authors);
        if super::authors_incomplete(c) {
            // BibTeX's own marker for a list that goes on: styles print "et al.".
            authors.push_str(" and others");
        }
        fields.push(("author", authors));
    }
    fields.push(("title", title(&c.title)));
    if let Some(container) = &c.container {
        let field = match kind {
            "article" => "journal",
            "inproceedings" | "incollection" => "booktitle",
            "techreport" => "institution",
            "phdthesis" => "school",
            _ => "howpublished",
        };
        fields.push((field, escape(container)));
    }
    if !c.editors.is_empty() {
        fields.push(("editor", names(&c.editors)));
    }
    if let Some(year) = c.year {
        fields.push(("year", year.to_string()));
    }
    if let Some(month) = c.month {
        fields.push(("month", month.to_string()));
    }
    if let Some(v) = &c.volume {
        fields.push(("volume", escape(v)));
    }
    if let Some(v) = &c.issue {
        fields.push(("number", escape(v)));
    }
    if let Some(pages) = &c.pages {
        let value = match split_pages(pages) {
            (first, Some(last)) => format!("{first}--{last}"),
            (single, None) => single.to_owned(),
        };
        fields.push(("pages", escape(&value)));
    }
    if let Some(v) = &c.publisher {
        fields.push(("publisher", escape(v)));
    }
    if let Some(v) = &c.isbn {
        fields.push(("isbn", escape(v)));
    }
    if let Some(v) = &c.doi {
        // Verbatim, as biblatex and the doi-aware styles read it (an escaped "\_" would be kept).
        fields.push(("doi", v.clone()));
    }
    if let Some(v) = &c.url {
        fields.push(("url", v.clone()));
    }
    if let Some(d) = accessed {
        // biblatex's access date of a URL.
        fields.push((
            "urldate",
            format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
        ));
    }
    if let Some(v) = &c.arxiv {
        fields.push(("eprint", escape(v)));
        fields.push(("archiveprefix", "arXiv".to_owned()));
    }
    if let Some(v) = &c.pmid {
        fields.push(("pmid", escape(v)));
    }
    if let Some(v) = &c.pmcid {
        fields.push(("pmcid", escape(v)));
    }
    let mut note = Vec::new();
    if c.kind == "dataset" {
        note.push("Dataset".to_owned());
    }
    if let Some(n) = &c.note {
        note.push(escape(n));
    }
    if !note.is_empty() {
        fields.push(("note", note.join(". ")));
    }
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("  {name} = {{{value}}}"))
        .collect();
    format!("@{kind}{{{key},\n{}\n}}\n", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_specials_and_braces_non_ascii() {
        assert_eq!(
            escape("A & B 50% $5 #1 a_b {x} ~ ^ \\"),
            "A \\& B 50\\% \\$5 \\#1 a\\_b \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}"
        );
        assert_eq!(escape("Uhlén"), "Uhl{é}n");
        assert_eq!(escape("Müller–Lyer"), "M{ü}ller--Lyer");
    }

    #[test]
    fn titles_protect_capitals() {
        assert_eq!(
            title("The Cancer Imaging Archive (TCIA): maintaining"),
            "The {Cancer} {Imaging} {Archive} {(TCIA):} maintaining"
        );
        assert_eq!(
            title("fastMRI: an open dataset"),
            "{fastMRI:} an open dataset"
        );
    }
}
