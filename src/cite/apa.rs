//! APA 7th edition references, as plain text (italics cannot be shown, so none are marked).

use super::names::Name;
use super::{Citer, Date, best_link, end_sentence, split_pages};
use crate::catalogue::Citation;

/// APA author list: up to 20 names with "&" before the last; 21 or more give the first 19, an
/// ellipsis and the last. A list the catalogue marks as incomplete ends in "et al." rather than
/// pretending to be whole.
fn authors(list: &[String], incomplete: bool) -> String {
    let names: Vec<String> = list.iter().map(|a| Name::parse(a).apa()).collect();
    if incomplete {
        return format!("{}, et al.", names.join(", "));
    }
    let joined = match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        2..=20 => {
            let (last, rest) = names.split_last().unwrap_or((&names[0], &[]));
            format!("{}, & {last}", rest.join(", "))
        }
        _ => format!(
            "{}, . . . {}",
            names[..19].join(", "),
            names.last().cloned().unwrap_or_default()
        ),
    };
    end_sentence(&joined)
}

fn editors(list: &[String]) -> String {
    let names: Vec<String> = list
        .iter()
        .map(|a| Name::parse(a).apa_given_first())
        .collect();
    let joined = match names.len() {
        0 => return String::new(),
        1 => names[0].clone(),
        2 => format!("{} & {}", names[0], names[1]),
        _ => {
            let (last, rest) = names.split_last().unwrap_or((&names[0], &[]));
            format!("{}, & {last}", rest.join(", "))
        }
    };
    let role = if names.len() == 1 { "Ed." } else { "Eds." };
    format!("{joined} ({role}), ")
}

fn pages_en_dash(pages: &str) -> String {
    match split_pages(pages) {
        (first, Some(last)) => format!("{first}\u{2013}{last}"),
        (single, None) => single.to_owned(),
    }
}

/// The link at the end of a reference: "Retrieved Month D, YYYY, from URL" for a web page that may
/// change (APA 7, 9.16), else the DOI or URL.
fn link(c: &Citation, accessed: Option<Date>) -> Option<String> {
    match (accessed, &c.url) {
        (Some(d), Some(url)) => Some(format!(
            "Retrieved {} {}, {}, from {url}",
            d.month_name(),
            d.day,
            d.year
        )),
        _ => best_link(c),
    }
}

/// A resource with no named author: APA moves the title into the author's place, before the date.
fn unauthored(title: &str, date: &str, c: &Citation, accessed: Option<Date>) -> String {
    let described = if c.kind == "dataset" {
        format!("{title} [Data set].")
    } else {
        end_sentence(title)
    };
    let mut out = format!("{described} ({date}).");
    if let Some(source) = c.publisher.as_ref().or(c.container.as_ref()) {
        out.push(' ');
        out.push_str(&end_sentence(source));
    }
    if let Some(link) = link(c, accessed) {
        out.push(' ');
        out.push_str(&link);
    }
    out
}

pub fn reference(citer: &Citer, c: &Citation, accessed: Option<Date>) -> String {
    let date = c.year.map_or_else(|| "n.d.".to_owned(), |y| y.to_string());
    let title = citer.sentence_case(&c.title);
    if c.authors.is_empty() {
        return unauthored(&title, &date, c, accessed);
    }
    let mut out = format!(
        "{} ({date}). ",
        authors(&c.authors, super::authors_incomplete(c)),
    );
    match c.kind.as_str() {
        "article-journal" => {
            out.push_str(&end_sentence(&title));
            if let Some(container) = &c.container {
                out.push(' ');
                out.push_str(container);
                if let Some(volume) = &c.volume {
                    out.push_str(&format!(", {volume}"));
                    if let Some(issue) = &c.issue {
                        out.push_str(&format!("({issue})"));
                    }
                }
                if let Some(pages) = &c.pages {
                    if pages.contains('-') {
                        out.push_str(&format!(", {}", pages_en_dash(pages)));
                    } else {
                        out.push_str(&format!(", Article {pages}"));
                    }
                }
                out.push('.');
            }
        }
        "paper-conference" | "chapter" => {
            out.push_str(&end_sentence(&title));
            if let Some(container) = &c.container {
                out.push_str(" In ");
                out.push_str(&editors(&c.editors));
                out.push_str(container);
                let mut parts = Vec::new();
                if let Some(volume) = &c.volume {
                    parts.push(format!("Vol. {volume}"));
                }
                if let Some(pages) = &c.pages {
                    let pp = if pages.contains('-') { "pp." } else { "p." };
                    parts.push(format!("{pp} {}", pages_en_dash(pages)));
                }
                if !parts.is_empty() {
                    out.push_str(&format!(" ({})", parts.join(", ")));
                }
                out.push('.');
            }
            if let Some(publisher) = &c.publisher {
                out.push(' ');
                out.push_str(&end_sentence(publisher));
            }
        }
        "dataset" => {
            out.push_str(&format!("{title} [Data set]."));
            if let Some(source) = c.publisher.as_ref().or(c.container.as_ref()) {
                out.push(' ');
                out.push_str(&end_sentence(source));
            }
        }
        "article" => {
            out.push_str(&format!("{title} [Preprint]."));
            if let Some(container) = &c.container {
                out.push(' ');
                out.push_str(&end_sentence(container));
            }
        }
        _ => {
            out.push_str(&end_sentence(&title));
            if let Some(source) = c.publisher.as_ref().or(c.container.as_ref()) {
                out.push(' ');
                out.push_str(&end_sentence(source));
            }
        }
    }
    if let Some(link) = link(c, accessed) {
        out.push(' ');
        out.push_str(&link);
    }
    out
}
