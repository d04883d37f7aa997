//! Vancouver references after the ICMJE/NLM conventions ("Citing Medicine"), as plain text.

use super::names::Name;
use super::{Citer, Date, end_sentence, split_pages};
use crate::catalogue::Citation;

/// NLM lists up to six authors; with more, the first six and "et al.".
const MAX_AUTHORS: usize = 6;

fn authors(list: &[String], incomplete: bool) -> String {
    let names: Vec<String> = list.iter().map(|a| Name::parse(a).vancouver()).collect();
    if names.len() > MAX_AUTHORS || incomplete {
        format!(
            "{}, et al.",
            names[..names.len().min(MAX_AUTHORS)].join(", ")
        )
    } else {
        end_sentence(&names.join(", "))
    }
}

fn editors(list: &[String]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let names: Vec<String> = list.iter().map(|a| Name::parse(a).vancouver()).collect();
    let role = if names.len() == 1 {
        "editor"
    } else {
        "editors"
    };
    format!("{}, {role}. ", names.join(", "))
}

/// NLM elides the repeated leading digits of the last page: 201-209 → 201-9, D996-D1008 → D996-1008.
pub fn elide_pages(pages: &str) -> String {
    let (first, Some(last)) = split_pages(pages) else {
        return pages.trim().to_owned();
    };
    let prefix_len = first.chars().take_while(|c| !c.is_ascii_digit()).count();
    let (first_prefix, first_num) = first.split_at(prefix_len);
    let last_num = last.strip_prefix(first_prefix).unwrap_or(last);
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !numeric(first_num) || !numeric(last_num) {
        return format!("{first}-{last}");
    }
    if first_num.len() != last_num.len() {
        return format!("{first}-{last_num}");
    }
    let common = first_num
        .chars()
        .zip(last_num.chars())
        .take_while(|(a, b)| a == b)
        .count()
        .min(last_num.len() - 1);
    format!("{first}-{}", &last_num[common..])
}

/// " Source; 2020." with whichever of the two is known (NLM: publisher or place, then date).
fn source_and_year(source: Option<&String>, year: Option<i32>) -> String {
    match (source, year) {
        (Some(source), Some(year)) => format!(" {source}; {year}."),
        (Some(source), None) => format!(" {}", end_sentence(source)),
        (None, Some(year)) => format!(" {year}."),
        (None, None) => String::new(),
    }
}

pub fn reference(citer: &Citer, c: &Citation, accessed: Option<Date>) -> String {
    // NLM starts with the title when no author is named.
    let mut out = if c.authors.is_empty() {
        String::new()
    } else {
        authors(&c.authors, super::authors_incomplete(c)) + " "
    };
    let title = end_sentence(&citer.sentence_case(&c.title));
    match c.kind.as_str() {
        "article-journal" => {
            out.push_str(&title);
            if let Some(container) = &c.container {
                out.push_str(&format!(" {}.", container.trim_end_matches('.')));
            }
            if let Some(year) = c.year {
                out.push_str(&format!(" {year}"));
            }
            if let Some(volume) = &c.volume {
                out.push_str(&format!(";{volume}"));
            }
            if let Some(issue) = &c.issue {
                out.push_str(&format!("({issue})"));
            }
            if let Some(pages) = &c.pages {
                out.push_str(&format!(":{}", elide_pages(pages)));
            }
            out.push('.');
        }
        "paper-conference" | "chapter" => {
            out.push_str(&title);
            if let Some(container) = &c.container {
                out.push_str(&format!(" In: {}{}.", editors(&c.editors), container));
            }
            out.push_str(&source_and_year(c.publisher.as_ref(), c.year));
            if let Some(pages) = &c.pages {
                out.push_str(&format!(" p. {}.", elide_pages(pages)));
            }
        }
        "dataset" => {
            out.push_str(&format!("{} [dataset].", title.trim_end_matches('.')));
            let source = c.publisher.as_ref().or(c.container.as_ref());
            out.push_str(&source_and_year(source, c.year));
        }
        "article" => {
            out.push_str(&format!("{} [Preprint].", title.trim_end_matches('.')));
            if let Some(container) = &c.container {
                out.push_str(&format!(" {container}"));
                if let Some(arxiv) = &c.arxiv {
                    out.push_str(&format!(":{arxiv}"));
                }
                out.push(';');
            }
            if let Some(year) = c.year {
                out.push_str(&format!(" {year}."));
            }
        }
        "webpage" => {
            // NLM: "Title [Internet]. Publisher; [cited 2026 Nov 28]. Available from: URL".
            out.push_str(&format!("{} [Internet].", title.trim_end_matches('.')));
            let source = c.publisher.as_ref().or(c.container.as_ref());
            out.push_str(&source_and_year(source, c.year));
            if let Some(d) = accessed {
                out.push_str(&format!(
                    " [cited {} {} {}].",
                    d.year,
                    &d.month_name()[..3],
                    d.day
                ));
            }
        }
        _ => {
            out.push_str(&title);
            let source = c.publisher.as_ref().or(c.container.as_ref());
            out.push_str(&source_and_year(source, c.year));
        }
    }
    if let Some(doi) = &c.doi {
        out.push_str(&format!(" doi:{doi}"));
    } else if let Some(url) = c.url.clone().or_else(|| {
        c.arxiv
            .as_ref()
            .map(|a| format!("https://arxiv.org/abs/{a}"))
    }) {
        out.push_str(&format!(" Available from: {url}"));
    }
    if let Some(pmid) = &c.pmid {
        let sep = if out.ends_with('.') { " " } else { ". " };
        out.push_str(&format!("{sep}PMID: {pmid}."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::elide_pages;

    #[test]
    fn page_elision() {
        assert_eq!(elide_pages("201-209"), "201-9");
        assert_eq!(elide_pages("1045-1057"), "1045-57");
        assert_eq!(elide_pages("D996-D1008"), "D996-1008");
        assert_eq!(elide_pages("D871-D877"), "D871-7");
        assert_eq!(elide_pages("1-9"), "1-9");
        assert_eq!(elide_pages("3462-3471"), "3462-71");
        assert_eq!(elide_pages("150-160"), "150-60");
        assert_eq!(elide_pages("170177"), "170177");
        assert_eq!(elide_pages("1111-1111"), "1111-1");
    }
}
