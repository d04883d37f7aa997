//! One BibTeX (or BibLaTeX) entry as a [`Record`], for a paper or data set that a user has as a
//! `.bib` export rather than a DOI, read with the `biblatex` crate (the parser the citation tests
//! already trust to read MedAtlas's own BibTeX).

use biblatex::{Bibliography, ChunksExt, Entry, EntryType, Person};

use super::{Draft, Kind, Record, Source, finish, initials, iso_date, strip_markup};
use crate::doi::DoiError;

/// The record of the one entry in `text`; `source` says where the text came from.
pub(super) fn record(text: &str, source: &str) -> Result<Record, DoiError> {
    let bibliography = Bibliography::parse(text).map_err(|e| DoiError::Bibtex(e.to_string()))?;
    let entries: Vec<&Entry> = bibliography.iter().collect();
    let [entry] = entries.as_slice() else {
        return Err(DoiError::BibtexEntries(entries.len()));
    };
    let field = |name: &str| -> Option<String> {
        entry
            .get(name)
            .map(|chunks| chunks.format_verbatim())
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
    };
    let doi = field("doi");
    // PhysioNet exports every project's citation as `@article` in the "journal" PhysioNet, but
    // its DOIs (prefix 10.13026) name data sets and software, never articles.
    let kind = if doi.as_deref().is_some_and(|d| d.starts_with("10.13026/")) {
        Kind::Dataset
    } else {
        kind_of(
            entry,
            field("eprinttype").or_else(|| field("archiveprefix")),
        )
    };
    let authors = entry
        .author()
        .map(|people| people.iter().map(person).collect())
        .unwrap_or_default();
    let (year, month) = match field("date") {
        Some(date) => iso_date(&date),
        None => (
            field("year").and_then(|y| y.trim().get(..4).and_then(|y| y.parse().ok())),
            field("month").and_then(|m| month(&m)),
        ),
    };
    let publisher = field("publisher").or_else(|| field("organization"));
    let container = match kind {
        Kind::JournalArticle => field("journaltitle").or_else(|| field("journal")),
        Kind::ConferencePaper | Kind::Chapter => field("booktitle"),
        Kind::Report | Kind::Thesis => field("institution").or_else(|| field("school")),
        // A data set's container is its repository, which BibTeX exports name as publisher.
        Kind::Dataset => field("howpublished")
            .filter(|h| !h.contains("\\url"))
            .or_else(|| field("journaltitle").or_else(|| field("journal")))
            .or_else(|| publisher.clone()),
        _ => field("journaltitle")
            .or_else(|| field("journal"))
            .or_else(|| field("howpublished").filter(|h| !h.contains("\\url"))),
    };
    let label = doi.clone().unwrap_or_else(|| entry.key.clone());
    finish(Draft {
        kind,
        title: field("title"),
        authors,
        container,
        year,
        month,
        volume: field("volume"),
        issue: field("number").or_else(|| field("issue")),
        pages: field("pages"),
        doi,
        url: field("url"),
        publisher,
        abstract_text: field("abstract").map(|a| strip_markup(&a)),
        licence: None,
        source: Source::Bibtex,
        source_url: source.to_owned(),
        label,
    })
}

/// The catalogue type of an entry type. `@misc` is how Zenodo, Figshare and most data
/// repositories export a data set, so it is read as one, unless it is an arXiv preprint.
fn kind_of(entry: &Entry, eprint_type: Option<String>) -> Kind {
    match &entry.entry_type {
        EntryType::Article => Kind::JournalArticle,
        EntryType::InProceedings => Kind::ConferencePaper,
        EntryType::InBook | EntryType::InCollection | EntryType::BookInBook => Kind::Chapter,
        EntryType::Book | EntryType::MvBook | EntryType::Collection | EntryType::Proceedings => {
            Kind::Book
        }
        EntryType::TechReport | EntryType::Report => Kind::Report,
        EntryType::PhdThesis | EntryType::MastersThesis | EntryType::Thesis => Kind::Thesis,
        EntryType::Online => Kind::Webpage,
        EntryType::Unpublished => Kind::Preprint,
        EntryType::Misc if eprint_type.is_some_and(|t| t.eq_ignore_ascii_case("arxiv")) => {
            Kind::Preprint
        }
        EntryType::Unknown(name) if name.eq_ignore_ascii_case("preprint") => Kind::Preprint,
        _ => Kind::Dataset,
    }
}

/// "Family, G." for a person; an organisation (written in braces, so it has no given name)
/// keeps its whole name, without commas.
fn person(p: &Person) -> String {
    let family = [p.prefix.trim(), p.name.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let given = initials(&p.given_name);
    let mut name = family.replace(',', " ");
    if !given.is_empty() {
        name = format!("{}, {given}", name.trim());
    }
    let suffix = p.suffix.trim();
    if !suffix.is_empty() {
        name = format!("{name}, {}", suffix.replace(',', ""));
    }
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A BibTeX month: a number, an English name or its abbreviation.
fn month(m: &str) -> Option<u8> {
    let m = m.trim().to_ascii_lowercase();
    if let Ok(n) = m.parse::<u8>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let position = NAMES.iter().position(|name| m.starts_with(name))?;
    u8::try_from(position + 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_entry() {
        let text = r"@article{mansfield2019,
          author = {Mansfield, Steven J. and Smith, Russell C. and {The Example Consortium}},
          title = {A General Copper-Catalyzed Synthesis of Ynamides from 1,2-Dichloroenamides},
          journal = {Organic Letters}, year = {2019}, month = apr, volume = {21}, number = {8},
          pages = {2918--2922}, doi = {10.1021/acs.orglett.9b00971}}";
        let r = record(text, "refs.bib").unwrap();
        assert_eq!(r.kind, Kind::JournalArticle);
        assert_eq!(
            r.authors,
            ["Mansfield, S. J.", "Smith, R. C.", "The Example Consortium"]
        );
        assert_eq!(r.container.as_deref(), Some("Organic Letters"));
        assert_eq!((r.year, r.month), (Some(2019), Some(4)));
        assert_eq!(r.citation().pages.as_deref(), Some("2918-2922"));
        assert_eq!(r.doi.as_deref(), Some("10.1021/acs.orglett.9b00971"));
        assert_eq!(r.citation().source, "refs.bib");
    }

    #[test]
    fn faults_are_one_message_each() {
        assert!(matches!(
            record("", "x").unwrap_err(),
            DoiError::BibtexEntries(0)
        ));
        let two = "@misc{a, title={A}} @misc{b, title={B}}";
        assert_eq!(
            record(two, "x").unwrap_err().to_string(),
            "the BibTeX holds 2 entries; give exactly one"
        );
        let untitled = "@article{a, author={Doe, Jane}, year={2020}}";
        assert_eq!(
            record(untitled, "x").unwrap_err().to_string(),
            "the record of a has no title"
        );
        let nobody = "@article{a, title={T}, year={2020}}";
        assert!(matches!(
            record(nobody, "x").unwrap_err(),
            DoiError::MissingAuthors { .. }
        ));
    }
}
