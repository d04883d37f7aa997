//! The write-up kit: what a paper needs once its datasets are chosen, assembled from the catalogue
//! only (nothing invented; unverified facts marked):
//! 1. references in the chosen style, with every citation each provider lists (the ones it requires
//!    marked), and the release or subset noted on the shortlist item;
//! 2. acknowledgements: each provider's wording verbatim with its source, the author-line rules apart
//!    (they change the byline), and placeholders the user must fill marked `[…]`;
//! 3. a data availability statement, drafted per access class after the common journal templates;
//! 4. a terms checklist: commercial use, redistribution and each obligation, with its source.
//!
//! An entry without structured usage terms says so instead of guessing.

use serde::Serialize;

use crate::catalogue::{Catalogue, Entry, VocabName};
use crate::cite::{Citer, Format};

/// One dataset of the kit and the note its shortlist item carries (release, subset ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub note: Option<String>,
}

/// A dataset's references in the chosen style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct References {
    pub id: String,
    pub name: String,
    /// The release, version or subset used, from the shortlist.
    pub used: Option<String>,
    /// Each citation rendered, with whether the provider requires it and what is unverified.
    pub citations: Vec<Reference>,
    /// True when no paper or data DOI is known: the resource itself is cited.
    pub resource_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub key: String,
    pub text: String,
    pub required: bool,
    pub unverified: Vec<String>,
}

/// A provider's required wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    pub id: String,
    pub name: String,
    /// `acknowledgements`, `author-line`, `funding`, or `unspecified`.
    pub place: String,
    pub text: String,
    pub source: String,
}

/// Something the user must supply (an application number ...), from an obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    pub id: String,
    pub what: String,
    pub source: String,
}

/// One line of the terms checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: String,
    pub name: String,
    /// `commercial-use`, `redistribution`, an obligation kind, or `terms-not-checked`.
    pub kind: String,
    pub text: String,
    pub source: Option<String>,
}

/// One group of the data availability statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Availability {
    /// `open`, `registration` or `restricted` (application, credentialed, restricted, unavailable).
    pub class: &'static str,
    pub statement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kit {
    pub style: Format,
    pub ids: Vec<String>,
    pub references: Vec<References>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub author_line: Vec<Acknowledgement>,
    pub placeholders: Vec<Placeholder>,
    pub availability: Vec<Availability>,
    pub checklist: Vec<Check>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteupError {
    #[error("unknown dataset id \"{0}\"")]
    Unknown(String),
    #[error("the write-up kit needs at least one dataset")]
    Empty,
}

fn place_of(placement: Option<&str>) -> String {
    match placement {
        Some(p @ ("acknowledgements" | "author-line" | "funding")) => p.to_owned(),
        _ => "unspecified".to_owned(),
    }
}

/// Where open data are: the DOI of its data citation, else its homepage.
fn location(e: &Entry) -> String {
    e.citations
        .iter()
        .find(|c| c.role == "dataset" && c.doi.is_some())
        .and_then(|c| c.doi.as_ref())
        .map(|doi| format!("https://doi.org/{doi}"))
        .unwrap_or_else(|| e.homepage.clone())
}

fn class_of(level: &str) -> &'static str {
    match level {
        "open" => "open",
        "registration" => "registration",
        _ => "restricted",
    }
}

impl Kit {
    /// The kit for `items`, in citation `style`.
    pub fn build(
        catalogue: &Catalogue,
        citer: &Citer,
        items: &[Item],
        style: Format,
    ) -> Result<Kit, WriteupError> {
        if items.is_empty() {
            return Err(WriteupError::Empty);
        }
        let mut entries = Vec::new();
        for item in items {
            let entry = catalogue
                .get(&item.id)
                .ok_or_else(|| WriteupError::Unknown(item.id.clone()))?;
            entries.push((entry, item));
        }
        let vocab = &catalogue.vocabulary;
        let mut kit = Kit {
            style,
            ids: entries.iter().map(|(e, _)| e.id.clone()).collect(),
            references: Vec::new(),
            acknowledgements: Vec::new(),
            author_line: Vec::new(),
            placeholders: Vec::new(),
            availability: Vec::new(),
            checklist: Vec::new(),
        };
        for (e, item) in &entries {
            let cited = citer.citations_of(e);
            kit.references.push(References {
                id: e.id.clone(),
                name: e.name.clone(),
                used: item.note.clone(),
                resource_only: e.citations.is_empty(),
                citations: cited
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Reference {
                        key: crate::cite::bibtex_key(e, i),
                        text: citer.citation(e, i, style).unwrap_or_default(),
                        required: c.required,
                        unverified: c.unverified.clone(),
                    })
                    .collect(),
            });
            kit.acknowledge(e);
            kit.check(e, vocab);
        }
        let all: Vec<&Entry> = entries.iter().map(|(e, _)| *e).collect();
        kit.availability = availability(&all, vocab);
        Ok(kit)
    }

    fn acknowledge(&mut self, e: &Entry) {
        let mut seen = Vec::new();
        let mut add = |kit: &mut Kit, place: String, text: &str, source: &str| {
            if seen.contains(&text.to_owned()) {
                return;
            }
            seen.push(text.to_owned());
            let ack = Acknowledgement {
                id: e.id.clone(),
                name: e.short_name.clone(),
                place: place.clone(),
                text: text.to_owned(),
                source: source.to_owned(),
            };
            if place == "author-line" {
                kit.author_line.push(ack);
            } else {
                kit.acknowledgements.push(ack);
            }
        };
        if let Some(a) = &e.acknowledgement {
            // The entry-level wording; its placement is free text, so the obligations below say
            // where when they know.
            let author_line = e.terms.as_ref().is_some_and(|t| {
                t.obligations.iter().any(|o| {
                    o.kind == "acknowledge" && o.placement.as_deref() == Some("author-line")
                })
            }) && a
                .placement
                .as_deref()
                .is_some_and(|p| p.contains("author line"));
            let place = if author_line {
                "author-line"
            } else {
                "acknowledgements"
            };
            add(self, place.to_owned(), &a.text, &a.source);
        }
        if let Some(terms) = &e.terms {
            for o in &terms.obligations {
                match o.kind.as_str() {
                    "acknowledge" => {
                        add(self, place_of(o.placement.as_deref()), &o.text, &o.source)
                    }
                    "register-project" => self.placeholders.push(Placeholder {
                        id: e.id.clone(),
                        what: format!(
                            "[your {} application or project number] — {}",
                            e.short_name, o.text
                        ),
                        source: o.source.clone(),
                    }),
                    _ => {}
                }
            }
        }
    }

    fn check(&mut self, e: &Entry, vocab: &crate::catalogue::Vocabulary) {
        let Some(terms) = &e.terms else {
            self.checklist.push(Check {
                id: e.id.clone(),
                name: e.short_name.clone(),
                kind: "terms-not-checked".into(),
                text: "Usage terms not checked yet: read the provider's terms before use.".into(),
                source: None,
            });
            return;
        };
        let inferred = |field: &str| {
            if terms.inferred.iter().any(|f| f == field) {
                " (inferred)"
            } else {
                ""
            }
        };
        self.checklist.push(Check {
            id: e.id.clone(),
            name: e.short_name.clone(),
            kind: "commercial-use".into(),
            text: format!(
                "Commercial use: {}{}",
                vocab.label(VocabName::UsagePermissions, &terms.commercial_use),
                inferred("commercial_use")
            ),
            source: Some(terms.source.clone()),
        });
        self.checklist.push(Check {
            id: e.id.clone(),
            name: e.short_name.clone(),
            kind: "redistribution".into(),
            text: format!(
                "Redistribution: {}{}",
                vocab.label(VocabName::UsagePermissions, &terms.redistribution),
                inferred("redistribution")
            ),
            source: Some(terms.source.clone()),
        });
        for o in &terms.obligations {
            if o.kind == "acknowledge" || o.kind == "cite" {
                continue;
            }
            self.checklist.push(Check {
                id: e.id.clone(),
                name: e.short_name.clone(),
                kind: o.kind.clone(),
                text: format!(
                    "{}: {}",
                    vocab.label(VocabName::ObligationKinds, &o.kind),
                    o.text
                ),
                source: Some(o.source.clone()),
            });
        }
    }

    /// The whole kit as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# Write-up kit\n\n");
        out.push_str(&self.references_text(true));
        out.push_str(&self.acknowledgements_text(true));
        out.push_str(&self.availability_text(true));
        out.push_str(&self.checklist_text(true));
        out
    }

    /// The whole kit as plain text.
    pub fn to_text(&self) -> String {
        [
            self.references_text(false),
            self.acknowledgements_text(false),
            self.availability_text(false),
            self.checklist_text(false),
        ]
        .concat()
    }

    fn heading(markdown: bool, title: &str) -> String {
        if markdown {
            format!("## {title}\n\n")
        } else {
            format!("{title}\n{}\n\n", "=".repeat(title.chars().count()))
        }
    }

    /// Part 1, for copying: every dataset's references.
    pub fn references_text(&self, markdown: bool) -> String {
        let mut out = Self::heading(markdown, &format!("References ({})", self.style.label()));
        let code = markdown && !self.style.is_text_style();
        for r in &self.references {
            out.push_str(&if markdown {
                format!("**{}** (`{}`)", r.name, r.id)
            } else {
                format!("{} ({})", r.name, r.id)
            });
            if let Some(used) = &r.used {
                out.push_str(&format!(" — release or subset used: {used}"));
            }
            out.push('\n');
            if r.resource_only {
                out.push_str("No paper or data DOI is known: the resource itself is cited.\n");
            }
            if code {
                out.push_str("\n```\n");
            }
            for c in &r.citations {
                let mut marks = Vec::new();
                if c.required {
                    marks.push("required by the provider".to_owned());
                }
                if !c.unverified.is_empty() {
                    marks.push(format!("unverified: {}", c.unverified.join(", ")));
                }
                let text = c.text.trim_end();
                if code {
                    out.push_str(text);
                    out.push('\n');
                    if !marks.is_empty() && self.style == Format::Bibtex {
                        out.push_str(&format!("% {}\n", marks.join("; ")));
                    }
                } else {
                    let bullet = if markdown { "- " } else { "  " };
                    out.push_str(&format!("{bullet}{text}"));
                    if !marks.is_empty() {
                        out.push_str(&format!(" [{}]", marks.join("; ")));
                    }
                    out.push('\n');
                }
            }
            if code {
                out.push_str("```\n");
            }
            out.push('\n');
        }
        out
    }

    /// Part 2: acknowledgements, the author-line rules apart, and the placeholders to fill.
    pub fn acknowledgements_text(&self, markdown: bool) -> String {
        let mut out = Self::heading(markdown, "Acknowledgements");
        let quote = |a: &Acknowledgement| {
            format!(
                "{}{}: \"{}\" (source: {})\n",
                if markdown { "- " } else { "  " },
                a.name,
                a.text,
                a.source
            )
        };
        if self.author_line.is_empty() && self.acknowledgements.is_empty() {
            out.push_str("No provider of these datasets states a required acknowledgement.\n\n");
        }
        if !self.author_line.is_empty() {
            out.push_str(
                "Author line (these change the paper's byline, not its acknowledgements):\n",
            );
            for a in &self.author_line {
                out.push_str(&quote(a));
            }
            out.push('\n');
        }
        if !self.acknowledgements.is_empty() {
            out.push_str("Acknowledgements section, in the providers' words:\n");
            for a in &self.acknowledgements {
                out.push_str(&quote(a));
            }
            out.push('\n');
        }
        if !self.placeholders.is_empty() {
            out.push_str("To fill in (marked […]):\n");
            for p in &self.placeholders {
                out.push_str(&format!(
                    "{}{} (source: {})\n",
                    if markdown { "- " } else { "  " },
                    p.what,
                    p.source
                ));
            }
            out.push('\n');
        }
        out
    }

    /// Part 3: the data availability statement.
    pub fn availability_text(&self, markdown: bool) -> String {
        let mut out = Self::heading(markdown, "Data availability statement (draft)");
        let paragraphs: Vec<&str> = self
            .availability
            .iter()
            .map(|a| a.statement.as_str())
            .collect();
        out.push_str(&paragraphs.join(" "));
        out.push_str("\n\n");
        out
    }

    /// Part 4: the terms checklist.
    pub fn checklist_text(&self, markdown: bool) -> String {
        let mut out = Self::heading(markdown, "Terms checklist");
        for c in &self.checklist {
            let tick = if markdown { "- [ ] " } else { "[ ] " };
            out.push_str(&format!("{tick}{}: {}", c.name, c.text));
            if let Some(source) = &c.source {
                out.push_str(&format!(" (source: {source})"));
            }
            out.push('\n');
        }
        out.push('\n');
        out
    }
}

/// One statement covering each access class present, after the common journal templates
/// ("available in [repository] at [DOI]"; "available from [provider] under [agreement];
/// restrictions apply"), each dataset with its citation key.
fn availability(entries: &[&Entry], vocab: &crate::catalogue::Vocabulary) -> Vec<Availability> {
    let key = |e: &Entry| crate::cite::bibtex_key(e, 0);
    let mut out = Vec::new();
    for class in ["open", "registration", "restricted"] {
        let group: Vec<&&Entry> = entries
            .iter()
            .filter(|e| class_of(&e.access.level) == class)
            .collect();
        if group.is_empty() {
            continue;
        }
        let parts: Vec<String> = group
            .iter()
            .map(|e| match class {
                "open" => format!("{} at {} [{}]", e.name, location(e), key(e)),
                "registration" => format!(
                    "{} after free registration at {} [{}]",
                    e.name,
                    e.access.url.as_deref().unwrap_or(&e.homepage),
                    key(e)
                ),
                _ => format!(
                    "{} from its provider under {} ({}); access can be requested at {} [{}]",
                    e.name,
                    e.licence.label(),
                    vocab.label(VocabName::AccessLevels, &e.access.level),
                    e.access.url.as_deref().unwrap_or(&e.homepage),
                    key(e)
                ),
            })
            .collect();
        let statement = match class {
            "open" => format!(
                "The data that support the findings of this study are openly available: {}.",
                parts.join("; ")
            ),
            "registration" => format!(
                "The following data are publicly available to registered users: {}.",
                parts.join("; ")
            ),
            _ => format!(
                "Restrictions apply to the availability of the following data, which were used under \
                 licence for this study and are not redistributed by the authors: {}.",
                parts.join("; ")
            ),
        };
        out.push(Availability { class, statement });
    }
    out
}
