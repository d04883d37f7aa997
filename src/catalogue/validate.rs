//! Strict checking of catalogue files.
//!
//! A file goes through three passes, each reporting every problem it finds with file, line and column:
//! TOML syntax (with recovery, so several syntax errors show at once); structure (unknown fields with
//! a did-you-mean, missing required fields, wrong types, empty strings), walked over the spanned
//! document against the entry schema; then meaning (values outside the vocabularies, URLs that are
//! not http(s), malformed DOIs, impossible years, id rules). Only a file that passes all three becomes
//! an `Entry`. Nothing here touches the file system.
//!
//! The schema is not written here: `schema::Schema::of::<Entry>()` reads it off the serde structs in
//! `entry` (field names as the file spells them, which are required, and each one's shape), once, on
//! first use. So the structural pass, its did-you-mean and accepted-field lists, the names `unverified`
//! and `sources.supports` may use, and serde's own reading of the file cannot drift apart: a field
//! added to a struct in `entry` is known everywhere. A field whose Rust type has no TOML shape the
//! walk knows fails the schema test below rather than going unchecked.

use std::ops::Range;
use std::sync::LazyLock;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, LineIndex, line_of_byte};
use super::entry::{Citation, Entry, Licence, Terms};
use super::schema::{Field, Schema, Ty};
use super::vocabulary::{VocabName, Vocabulary};

/// Files larger than this are refused before parsing: no catalogue entry comes near it.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// The longest one-line summary accepted.
pub const MAX_SUMMARY_CHARS: usize = 200;

const EARLIEST_YEAR: i32 = 1900;
const LATEST_YEAR: i32 = 2100;

/// The structure of an entry file, derived once from `Entry`'s serde impl.
static ENTRY: LazyLock<Schema> = LazyLock::new(Schema::of::<Entry>);

/// The fields of one `[[citations]]` table, for the names `unverified` may list.
static CITATION: LazyLock<Schema> = LazyLock::new(Schema::of::<Citation>);

/// Names of an entry's top-level fields, for `unverified` and `sources.supports`.
pub fn entry_field_names() -> impl Iterator<Item = &'static str> {
    ENTRY.names()
}

/// One step of a path into a document: a key or an array index.
#[derive(Clone, Copy, Debug)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> From<&'a str> for Seg<'a> {
    fn from(key: &'a str) -> Self {
        Seg::Key(key)
    }
}

impl From<usize> for Seg<'_> {
    fn from(index: usize) -> Self {
        Seg::Index(index)
    }
}

fn path_string(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

macro_rules! path {
    ($($seg:expr),* $(,)?) => { &[$(Seg::from($seg)),*][..] };
}

/// Reads the raw bytes of a file as UTF-8 TOML text, refusing absurd sizes and invalid encodings.
pub fn decode_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::file_level(
            file,
            format!(
                "file is {} bytes; catalogue files may be at most {MAX_FILE_BYTES} bytes",
                bytes.len()
            ),
        )
        .with_help("one dataset per file; move long text to the dataset's own documentation"));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let (line, column) = line_of_byte(bytes, e.valid_up_to());
            Err(Diagnostic {
                file: file.to_owned(),
                line,
                column,
                field: None,
                message: "file is not valid UTF-8".to_owned(),
                help: Some("save the file as UTF-8 (TOML requires it)".to_owned()),
            })
        }
    }
}

/// Converts a `toml` error (syntax or serde) into a diagnostic at its span.
pub fn toml_error(file: &str, text: &str, err: &toml::de::Error) -> Diagnostic {
    let (line, column) = err
        .span()
        .map_or((0, 0), |span| LineIndex::new(text).position(span.start));
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        field: None,
        message: err.message().trim().to_owned(),
        help: None,
    }
}

/// Parses and checks one entry file. `stem` is the file name without `.toml`, which must equal the id.
pub fn parse_entry(
    file: &str,
    bytes: &[u8],
    stem: &str,
    vocab: &Vocabulary,
) -> Result<Entry, Vec<Diagnostic>> {
    let text = decode_text(file, bytes).map_err(|d| vec![d])?;
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        return Err(syntax_errors
            .iter()
            .map(|e| toml_error(file, text, e))
            .collect());
    }
    let mut checker = Checker {
        file,
        lines: LineIndex::new(text),
        root: &root,
        vocab,
        problems: Vec::new(),
    };
    checker.walk_table(root.get_ref(), root.span(), &ENTRY.fields, &mut Vec::new());
    if !checker.problems.is_empty() {
        return Err(checker.problems);
    }
    let mut entry: Entry = toml::from_str(text).map_err(|e| vec![toml_error(file, text, &e)])?;
    checker.check_entry(&entry, stem);
    if checker.problems.is_empty() {
        // A standard licence's family is the vocabulary's: stated once there, shown everywhere.
        if entry.licence.family.is_none() {
            entry.licence.family = Some(entry.licence.family(vocab).to_owned());
        }
        Ok(entry)
    } else {
        Err(checker.problems)
    }
}

struct Checker<'a> {
    file: &'a str,
    lines: LineIndex<'a>,
    root: &'a Spanned<DeTable<'a>>,
    vocab: &'a Vocabulary,
    problems: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    fn report_at(
        &mut self,
        span: Range<usize>,
        field: String,
        message: String,
        help: Option<String>,
    ) {
        let (line, column) = self.lines.position(span.start);
        self.problems.push(Diagnostic {
            file: self.file.to_owned(),
            line,
            column,
            field: (!field.is_empty()).then_some(field),
            message,
            help,
        });
    }

    /// Reports a problem at the value found under `path` (or its nearest existing parent).
    fn report(&mut self, path: &[Seg<'_>], message: impl Into<String>, help: Option<String>) {
        let span = self.span_of(path);
        self.report_at(span, path_string(path), message.into(), help);
    }

    fn span_of(&self, path: &[Seg<'_>]) -> Range<usize> {
        let mut span = 0..0;
        let mut current: Option<&DeValue<'_>> = None;
        let mut table: Option<&DeTable<'_>> = Some(self.root.get_ref());
        for seg in path {
            let next = match (seg, table, current) {
                (Seg::Key(k), Some(t), _) => t.get(*k),
                (Seg::Index(i), _, Some(DeValue::Array(items))) => items.get(*i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = next.span();
            current = Some(next.get_ref());
            table = match next.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        span
    }

    fn walk_table(
        &mut self,
        table: &DeTable<'_>,
        table_span: Range<usize>,
        fields: &[Field],
        path: &mut Vec<String>,
    ) {
        let here = path.join(".");
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let field_path = if here.is_empty() {
                name.to_owned()
            } else {
                format!("{here}.{name}")
            };
            match fields.iter().find(|f| f.name == name) {
                None => {
                    let accepted: Vec<&str> = fields.iter().map(|f| f.name).collect();
                    let mut help = format!("accepted fields here: {}", accepted.join(", "));
                    if let Some(best) = closest(name, accepted.iter().copied()) {
                        help = format!("did you mean `{best}`? {help}");
                    }
                    self.report_at(
                        key.span(),
                        field_path,
                        format!("unknown field `{name}`"),
                        Some(help),
                    );
                }
                Some(field) => {
                    path.push(name.to_owned());
                    self.walk_value(value, &field.ty, path);
                    path.pop();
                }
            }
        }
        for field in fields.iter().filter(|f| f.required) {
            if !table.iter().any(|(k, _)| k.get_ref() == field.name) {
                let field_path = if here.is_empty() {
                    field.name.to_owned()
                } else {
                    format!("{here}.{}", field.name)
                };
                self.report_at(
                    table_span.clone(),
                    field_path,
                    format!("missing required field `{}`", field.name),
                    Some(format!("add `{}`: {}", field.name, field.ty.describe())),
                );
            }
        }
    }

    fn walk_value(&mut self, value: &Spanned<DeValue<'_>>, ty: &Ty, path: &mut Vec<String>) {
        let field_path = path.join(".");
        let span = value.span();
        match (ty, value.get_ref()) {
            (Ty::Str, DeValue::String(s)) => self.check_nonempty(s, span, field_path),
            (Ty::Int, DeValue::Integer(_)) | (Ty::Bool, DeValue::Boolean(_)) => {}
            (Ty::StrList, DeValue::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{field_path}[{i}]");
                    match item.get_ref() {
                        DeValue::String(s) => self.check_nonempty(s, item.span(), item_path),
                        other => self.report_at(
                            item.span(),
                            item_path,
                            format!("expected a string, found {}", describe(other)),
                            None,
                        ),
                    }
                }
            }
            (Ty::Table(fields), DeValue::Table(t)) => self.walk_table(t, span, fields, path),
            (Ty::TableList(fields), DeValue::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let last = path.pop().unwrap_or_default();
                    path.push(format!("{last}[{i}]"));
                    match item.get_ref() {
                        DeValue::Table(t) => self.walk_table(t, item.span(), fields, path),
                        other => self.report_at(
                            item.span(),
                            path.join("."),
                            format!("expected a table, found {}", describe(other)),
                            None,
                        ),
                    }
                    path.pop();
                    path.push(last);
                }
            }
            (ty, other) => {
                let help = match ty {
                    Ty::Str => "write it in double quotes, e.g. \"text\"",
                    Ty::Int => "write a whole number without quotes, e.g. 2010",
                    Ty::Bool => "write true or false without quotes",
                    Ty::StrList => "write a list of quoted strings, e.g. [\"CT\", \"MR\"]",
                    Ty::Table(_) => "write it as a [table] section",
                    Ty::TableList(_) => "write each item as a [[table]] section",
                    // A shape the schema cannot describe (a test keeps these out of `Entry`):
                    // the typed pass after this walk still checks it.
                    Ty::Unsupported(_) => return,
                };
                self.report_at(
                    span,
                    field_path,
                    format!("expected {}, found {}", ty.describe(), describe(other)),
                    Some(help.to_owned()),
                );
            }
        }
    }

    fn check_nonempty(&mut self, s: &str, span: Range<usize>, field: String) {
        if s.trim().is_empty() {
            self.report_at(
                span,
                field,
                "empty string".to_owned(),
                Some("give a value or leave the optional field out".to_owned()),
            );
        }
    }

    fn check_vocab(&mut self, path: &[Seg<'_>], name: VocabName, value: &str) {
        let terms = self.vocab.terms(name);
        if terms.contains_key(value) {
            return;
        }
        let accepted: Vec<&str> = terms.keys().map(String::as_str).collect();
        let suggestion = self
            .vocab
            .key_for_synonym(name, value)
            .or_else(|| closest(value, accepted.iter().copied()));
        let mut help = format!("accepted: {}", accepted.join(", "));
        if let Some(s) = suggestion {
            help = format!("did you mean \"{s}\"? {help}");
        }
        self.report(
            path,
            format!("unknown {} \"{value}\"", name.noun()),
            Some(help),
        );
    }

    fn check_vocab_list(&mut self, field: &str, name: VocabName, values: &[String], min: usize) {
        if values.len() < min {
            self.report(
                path![field],
                format!("needs at least {min} value(s)"),
                Some(format!(
                    "accepted: {}",
                    self.vocab
                        .terms(name)
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
        for (i, value) in values.iter().enumerate() {
            self.check_vocab(path![field, i], name, value);
        }
        self.check_no_duplicates(path![field], values);
    }

    fn check_no_duplicates(&mut self, path: &[Seg<'_>], values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            if values[..i].contains(value) {
                let mut item_path = path.to_vec();
                item_path.push(Seg::Index(i));
                self.report(&item_path, format!("\"{value}\" is listed twice"), None);
            }
        }
    }

    fn check_url(&mut self, path: &[Seg<'_>], value: &str) {
        if let Err(why) = check_http_url(value) {
            self.report(
                path,
                format!("\"{value}\" is not a usable link: {why}"),
                Some("links must be absolute http:// or https:// URLs".to_owned()),
            );
        }
    }

    fn check_entry(&mut self, e: &Entry, stem: &str) {
        if !is_slug(&e.id) {
            self.report(
                path!["id"],
                format!("id \"{}\" is not a lowercase slug", e.id),
                Some(
                    "use lowercase letters, digits and single hyphens, e.g. \"nih-chestxray14\""
                        .into(),
                ),
            );
        }
        if e.id != stem {
            self.report(
                path!["id"],
                format!(
                    "id \"{}\" does not match the file name \"{stem}.toml\"",
                    e.id
                ),
                Some(format!(
                    "rename the file to \"{}.toml\" or set id = \"{stem}\"",
                    e.id
                )),
            );
        }
        if e.summary.chars().count() > MAX_SUMMARY_CHARS || e.summary.contains('\n') {
            self.report(
                path!["summary"],
                format!(
                    "summary must be one line of at most {MAX_SUMMARY_CHARS} characters (it has {})",
                    e.summary.chars().count()
                ),
                Some("put the detail in `description`".into()),
            );
        }
        self.check_vocab(path!["domain"], VocabName::Domains, &e.domain);
        // A draft's facets are still the user's to fill: none is required yet.
        let at_least = usize::from(!e.draft);
        self.check_vocab_list("modalities", VocabName::Modalities, &e.modalities, at_least);
        self.check_vocab_list("body_parts", VocabName::BodyParts, &e.body_parts, at_least);
        self.check_vocab_list("species", VocabName::Species, &e.species, at_least);
        self.check_vocab_list("tasks", VocabName::Tasks, &e.tasks, 0);
        self.check_vocab_list(
            "finding_categories",
            VocabName::FindingCategories,
            &e.finding_categories,
            0,
        );
        self.check_vocab_list(
            "clinical_context",
            VocabName::ClinicalContext,
            &e.clinical_context,
            0,
        );
        self.check_vocab(
            path!["validation_status"],
            VocabName::ValidationStatuses,
            &e.validation_status,
        );
        if let Some(tier) = e.tier {
            self.check_vocab(path!["tier"], VocabName::Tiers, &tier.to_string());
        }
        self.check_vocab(path!["status"], VocabName::Statuses, &e.status);
        if e.status != "active" && e.status_note.is_none() {
            self.report(
                path!["status"],
                format!("status \"{}\" needs a `status_note`", e.status),
                Some("say what moved or closed, and where the data are now".into()),
            );
        }
        self.check_url(path!["homepage"], &e.homepage);
        let known: Vec<&str> = entry_field_names().collect();
        for (i, field) in e.unverified.iter().enumerate() {
            if !known.contains(&field.as_str()) {
                self.report(
                    path!["unverified", i],
                    format!("`unverified` names unknown field \"{field}\""),
                    closest(field, known.iter().copied())
                        .map(|s| format!("did you mean \"{s}\"? accepted: {}", known.join(", "))),
                );
            }
        }
        self.check_no_duplicates(path!["unverified"], &e.unverified);

        for (i, kind) in e.ground_truth.kinds.iter().enumerate() {
            self.check_vocab(
                path!["ground_truth", "kinds", i],
                VocabName::GroundTruthKinds,
                kind,
            );
        }
        self.check_vocab(
            path!["access", "level"],
            VocabName::AccessLevels,
            &e.access.level,
        );
        if let Some(url) = &e.access.url {
            self.check_url(path!["access", "url"], url);
        }
        self.check_licence(&e.licence);
        if let Some(size) = &e.size {
            let counts = [
                size.subjects,
                size.images,
                size.studies,
                size.series,
                size.cases,
            ];
            if counts.iter().all(Option::is_none) && size.volume.is_none() && size.note.is_none() {
                self.report(
                    path!["size"],
                    "empty [size] table",
                    Some("give at least one count or a note, or leave [size] out".into()),
                );
            }
        }

        for (i, link) in e.links.iter().enumerate() {
            self.check_vocab(path!["links", i, "kind"], VocabName::LinkKinds, &link.kind);
            self.check_url(path!["links", i, "url"], &link.url);
            if let Some(status) = &link.status {
                self.check_vocab(path!["links", i, "status"], VocabName::LinkStatuses, status);
            }
        }

        match (e.citations.is_empty(), &e.no_citation) {
            (true, None) => self.report(
                path!["citations"],
                "no citation and no `no_citation` reason",
                Some("add a [[citations]] table, or `no_citation = \"why none is known\"`".into()),
            ),
            (false, Some(_)) => self.report(
                path!["no_citation"],
                "`no_citation` is set but the entry has citations",
                Some("remove `no_citation`".into()),
            ),
            _ => {}
        }
        for (i, citation) in e.citations.iter().enumerate() {
            self.check_citation(i, citation);
        }

        for (i, source) in e.sources.iter().enumerate() {
            self.check_vocab(
                path!["sources", i, "kind"],
                VocabName::SourceKinds,
                &source.kind,
            );
            // A source may be a URL or, where none exists, a precise description; anything that
            // looks like a link must be a safe one.
            if looks_like_link(&source.url) {
                self.check_url(path!["sources", i, "url"], &source.url);
            }
            for (j, field) in source.supports.iter().enumerate() {
                if !known.contains(&field.as_str()) {
                    self.report(
                        path!["sources", i, "supports", j],
                        format!("`supports` names unknown field \"{field}\""),
                        Some(format!("accepted: {}", known.join(", "))),
                    );
                }
            }
        }
        if e.sources.is_empty() {
            self.report(
                path!["sources"],
                "at least one source is required",
                Some("say where the facts come from".into()),
            );
        }
        if let Some(seed) = &e.seed {
            for (i, url) in seed.urls.iter().enumerate() {
                self.check_url(path!["seed", "urls", i], url);
            }
        }
        self.check_provenance(e);
        self.check_facts(e);
        if let Some(terms) = &e.terms {
            self.check_terms(terms);
        }
        self.check_relations_and_releases(e);
    }

    /// Exactly one of `[seed]` and `added`; a checked date; where the tier comes from.
    fn check_provenance(&mut self, e: &Entry) {
        match (&e.seed, &e.added) {
            (Some(_), Some(_)) => self.report(
                path!["added"],
                "an entry from the seed has `[seed]`, not `added`",
                Some("remove `added`, or `[seed]` if the entry did not come from the seed".into()),
            ),
            (None, None) => self.report(
                path!["seed"],
                "missing `[seed]` or `added`: say where the entry came from",
                Some(
                    "add a [seed] table for a seed dataset, or e.g. `added = \"catalogue-expansion\"`"
                        .into(),
                ),
            ),
            (None, Some(added)) => self.check_vocab(path!["added"], VocabName::Additions, added),
            (Some(_), None) => {}
        }
        if let Some(date) = &e.checked
            && !is_date(date, true)
        {
            self.report(
                path!["checked"],
                format!("checked date \"{date}\" is not a YYYY-MM-DD date"),
                Some("write the day the facts were checked, e.g. \"2026-11-28\"".into()),
            );
        }
        // Without a tier, `tier_source` says whose judgement the absence is (the seed gives none).
        if let Some(source) = &e.tier_source {
            self.check_vocab(path!["tier_source"], VocabName::TierSources, source);
        }
    }

    /// Dimensionality, sites and countries.
    fn check_facts(&mut self, e: &Entry) {
        self.check_vocab_list(
            "dimensionality",
            VocabName::Dimensionalities,
            &e.dimensionality,
            0,
        );
        if e.sites == Some(0) {
            self.report(
                path!["sites"],
                "`sites` must be at least 1",
                Some("leave it out when no source gives the number".into()),
            );
        }
        for (i, country) in e.countries.iter().enumerate() {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                self.report(
                    path!["countries", i],
                    format!("country \"{country}\" is not an ISO 3166-1 alpha-2 code"),
                    Some("use two capital letters, e.g. \"US\", \"GB\", \"CN\"".into()),
                );
            }
        }
        self.check_no_duplicates(path!["countries"], &e.countries);
    }

    /// Permissions from the vocabulary, a note wherever a permission is unknown, varies or is
    /// inferred, and obligations with their sources.
    fn check_terms(&mut self, terms: &Terms) {
        let permissions = [
            ("commercial_use", &terms.commercial_use),
            ("redistribution", &terms.redistribution),
        ];
        for (field, value) in permissions {
            self.check_vocab(path!["terms", field], VocabName::UsagePermissions, value);
        }
        for (i, field) in terms.inferred.iter().enumerate() {
            if !permissions.iter().any(|(f, _)| f == field) {
                self.report(
                    path!["terms", "inferred", i],
                    format!("`inferred` names \"{field}\""),
                    Some("accepted: commercial_use, redistribution".into()),
                );
            }
        }
        let needs_note = permissions
            .iter()
            .any(|(_, v)| matches!(v.as_str(), "unknown" | "varies"))
            || !terms.inferred.is_empty();
        if needs_note && terms.note.is_none() {
            self.report(
                path!["terms"],
                "a permission that is unknown, varies or is inferred needs a `note`",
                Some(
                    "say what was checked, where to look, or \"No licence stated; all rights \
                     reserved by default.\""
                        .into(),
                ),
            );
        }
        self.check_source(path!["terms", "source"], &terms.source);
        for (i, o) in terms.obligations.iter().enumerate() {
            self.check_vocab(
                path!["terms", "obligations", i, "kind"],
                VocabName::ObligationKinds,
                &o.kind,
            );
            match (&o.placement, o.kind.as_str()) {
                (Some(place), "acknowledge") => self.check_vocab(
                    path!["terms", "obligations", i, "where"],
                    VocabName::AcknowledgementPlaces,
                    place,
                ),
                (Some(_), _) => self.report(
                    path!["terms", "obligations", i, "where"],
                    "`where` is only for acknowledgements",
                    Some("remove it, or set kind = \"acknowledge\"".into()),
                ),
                (None, _) => {}
            }
            self.check_source(path!["terms", "obligations", i, "source"], &o.source);
        }
    }

    /// Relation kinds and target ids (whether targets exist is checked over the whole catalogue);
    /// release dates and DOIs.
    fn check_relations_and_releases(&mut self, e: &Entry) {
        for (i, r) in e.relations.iter().enumerate() {
            self.check_vocab(
                path!["relations", i, "kind"],
                VocabName::RelationKinds,
                &r.kind,
            );
            if !is_slug(&r.target) || r.target == e.id {
                self.report(
                    path!["relations", i, "target"],
                    format!("relation target \"{}\" is not another entry's id", r.target),
                    Some("name another catalogue entry by its id, e.g. \"ddsm\"".into()),
                );
            }
        }
        for (i, release) in e.releases.iter().enumerate() {
            if let Some(date) = &release.date
                && !is_date(date, false)
            {
                self.report(
                    path!["releases", i, "date"],
                    format!("release date \"{date}\" is not YYYY, YYYY-MM or YYYY-MM-DD"),
                    None,
                );
            }
            if let Some(doi) = &release.doi
                && let Err(why) = check_doi(doi)
            {
                self.report(path!["releases", i, "doi"], why.to_string(), None);
            }
            self.check_source(path!["releases", i, "source"], &release.source);
        }
    }

    /// A source is a safe link or, where none exists, a description that is not empty.
    fn check_source(&mut self, path: &[Seg<'_>], source: &str) {
        if looks_like_link(source) {
            self.check_url(path, source);
        }
    }

    fn check_licence(&mut self, licence: &Licence) {
        let id = licence.id.as_str();
        match (
            &licence.family,
            self.vocab
                .licences
                .get(id)
                .and_then(|t| t.family.as_deref()),
        ) {
            (Some(given), Some(derived)) if given != derived => self.report(
                path!["licence", "family"],
                format!("licence {id} is in the family \"{derived}\", not \"{given}\""),
                Some("leave `family` out for a standard licence: it is derived".into()),
            ),
            (Some(given), _) => self.check_vocab(
                path!["licence", "family"],
                VocabName::LicenceFamilies,
                given,
            ),
            (None, _) if id == Licence::CUSTOM => self.report(
                path!["licence", "family"],
                "a custom licence needs a `family`",
                Some(
                    "e.g. family = \"non-commercial\" for research-only terms, \
                     \"data-use-agreement\" for a DUA"
                        .into(),
                ),
            ),
            (None, _) => {}
        }
        if id == Licence::CUSTOM {
            if licence.name.is_none() {
                self.report(
                    path!["licence", "id"],
                    "a custom licence needs a `name`",
                    Some("add `name = \"…\"` and, where one exists, `url`".into()),
                );
            }
        } else if id != Licence::UNKNOWN && !self.vocab.licences.contains_key(id) {
            let accepted: Vec<&str> = self
                .vocab
                .licences
                .keys()
                .map(String::as_str)
                .chain([Licence::CUSTOM, Licence::UNKNOWN])
                .collect();
            let mut help = format!("accepted: {}", accepted.join(", "));
            if let Some(best) = closest(id, accepted.iter().copied()) {
                help = format!("did you mean \"{best}\"? {help}");
            }
            self.report(
                path!["licence", "id"],
                format!("unknown licence id \"{id}\""),
                Some(help),
            );
        }
        if let Some(url) = &licence.url {
            self.check_url(path!["licence", "url"], url);
        }
    }

    fn check_citation(&mut self, i: usize, c: &Citation) {
        if c.role != "paper" && c.role != "dataset" {
            self.report(
                path!["citations", i, "role"],
                format!("unknown citation role \"{}\"", c.role),
                Some("accepted: paper, dataset".into()),
            );
        }
        self.check_vocab(
            path!["citations", i, "type"],
            VocabName::CitationTypes,
            &c.kind,
        );
        if c.evidence != "primary" && c.evidence != "secondary" {
            self.report(
                path!["citations", i, "evidence"],
                format!("unknown evidence \"{}\"", c.evidence),
                Some("accepted: primary, secondary".into()),
            );
        }
        if c.authors.is_empty() && c.is_publication() {
            self.report(
                path!["citations", i, "authors"],
                format!("a citation of type \"{}\" needs at least one author", c.kind),
                Some("use an organisation name when no person is named; only a resource (a data set or web page) may name none".into()),
            );
        }
        for (j, author) in c.authors.iter().chain(&c.editors).enumerate() {
            if let Err(why) = check_person(author) {
                let (field, k) = if j < c.authors.len() {
                    ("authors", j)
                } else {
                    ("editors", j - c.authors.len())
                };
                self.report(
                    path!["citations", i, field, k],
                    format!("name \"{author}\" is malformed: {why}"),
                    Some("write \"Family, Given\" (\"Jack, C. R., Jr.\"), or an organisation name without commas".into()),
                );
            }
        }
        match c.year {
            Some(year) if !(EARLIEST_YEAR..=LATEST_YEAR).contains(&year) => self.report(
                path!["citations", i, "year"],
                format!("impossible year {year}"),
                Some(format!(
                    "give a year between {EARLIEST_YEAR} and {LATEST_YEAR}"
                )),
            ),
            None if c.is_publication() => self.report(
                path!["citations", i, "year"],
                format!("a citation of type \"{}\" needs a year", c.kind),
                Some("only a resource (a data set or web page) whose source gives no date may leave it out".into()),
            ),
            _ => {}
        }
        if c.month.is_some() && c.year.is_none() {
            self.report(
                path!["citations", i, "month"],
                "a month without a year",
                Some("give the year too, or leave the month out".into()),
            );
        }
        if let Some(month) = c.month
            && !(1..=12).contains(&month)
        {
            self.report(
                path!["citations", i, "month"],
                format!("impossible month {month}"),
                Some("give 1 to 12".into()),
            );
        }
        if let Some(doi) = &c.doi
            && let Err(why) = check_doi(doi)
        {
            self.report(
                path!["citations", i, "doi"],
                format!("malformed DOI \"{doi}\": {why}"),
                Some("write the bare DOI, e.g. \"10.1007/s10278-013-9622-7\"".into()),
            );
        }
        if let Some(url) = &c.url {
            self.check_url(path!["citations", i, "url"], url);
        }
        if let Some(pages) = &c.pages
            && pages.contains(['\u{2013}', '\u{2014}'])
        {
            self.report(
                path!["citations", i, "pages"],
                format!("page range \"{pages}\" uses a dash character"),
                Some(
                    "write ranges with a plain hyphen, e.g. \"201-209\"; styles add the en dash"
                        .into(),
                ),
            );
        }
        if let Some(pmid) = &c.pmid
            && !pmid.chars().all(|ch| ch.is_ascii_digit())
        {
            self.report(
                path!["citations", i, "pmid"],
                format!("PMID \"{pmid}\" is not a number"),
                None,
            );
        }
        if let Some(pmcid) = &c.pmcid
            && !(pmcid.starts_with("PMC")
                && pmcid.len() > 3
                && pmcid[3..].chars().all(|ch| ch.is_ascii_digit()))
        {
            self.report(
                path!["citations", i, "pmcid"],
                format!("PMCID \"{pmcid}\" is malformed"),
                Some("write e.g. \"PMC2927123\"".into()),
            );
        }
        for (j, field) in c.unverified.iter().enumerate() {
            if !CITATION.names().any(|name| name == field) {
                self.report(
                    path!["citations", i, "unverified", j],
                    format!("`unverified` names unknown citation field \"{field}\""),
                    Some(format!(
                        "accepted: {}",
                        CITATION.names().collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The closest candidate to `word` within a small edit distance, compared case-insensitively.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|c| (strsim::damerau_levenshtein(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Lowercase letters and digits in runs joined by single hyphens.
/// `YYYY-MM-DD` (with `full`), or also `YYYY` and `YYYY-MM`, with a plausible year, month and day.
pub fn is_date(text: &str, full: bool) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let year = parts.first().and_then(|y| number(y, 4));
    let month = parts.get(1).map(|m| number(m, 2));
    let day = parts.get(2).map(|d| number(d, 2));
    let year_ok = year.is_some_and(|y| (EARLIEST_YEAR as u32..=LATEST_YEAR as u32).contains(&y));
    let month_ok = month.is_none_or(|m| m.is_some_and(|m| (1..=12).contains(&m)));
    let day_ok = day.is_none_or(|d| d.is_some_and(|d| (1..=31).contains(&d)));
    let shape_ok = if full {
        parts.len() == 3
    } else {
        parts.len() <= 3
    };
    year_ok && month_ok && day_ok && shape_ok
}

pub fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The scheme of a string that looks like a URL (`javascript` for `javascript:alert(1)`), if any.
pub fn url_scheme(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)))
        .then(|| scheme.to_ascii_lowercase())
}

/// True for text meant as a link: a `scheme://` URL, or a scheme browsers execute or open locally.
pub fn looks_like_link(text: &str) -> bool {
    match url_scheme(text) {
        Some(scheme) => {
            text[scheme.len() + 1..].starts_with("//")
                || ["javascript", "data", "vbscript", "file", "http", "https"]
                    .contains(&scheme.as_str())
        }
        None => text.starts_with("www."),
    }
}

/// Why a string is not a link the program may open or list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("it contains white space")]
    WhiteSpace,
    /// The parser's own words are the message, so it is forwarded whole rather than wrapped.
    #[error(transparent)]
    Invalid(#[from] url::ParseError),
    #[error("scheme \"{0}\" is not allowed")]
    Scheme(String),
    #[error("it has no host")]
    NoHost,
}

/// Accepts only absolute http(s) URLs with a host and no whitespace.
pub fn check_http_url(text: &str) -> Result<url::Url, UrlError> {
    if text.chars().any(char::is_whitespace) {
        return Err(UrlError::WhiteSpace);
    }
    let url = url::Url::parse(text)?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(UrlError::Scheme(other.to_owned())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost);
    }
    Ok(url)
}

/// Why a string is not a bare DOI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DoiError {
    #[error("give the bare DOI without a resolver or `doi:` prefix")]
    Prefixed,
    #[error("it has no `/` between prefix and suffix")]
    NoSlash,
    #[error("it does not start with \"10.\"")]
    NoTenPrefix,
    #[error("the registrant code after \"10.\" must be digits")]
    Registrant,
    #[error("the suffix is empty or contains white space")]
    Suffix,
}

/// A DOI is "10.", a registrant code of digits (dotted sub-codes allowed), "/", and a suffix.
pub fn check_doi(doi: &str) -> Result<(), DoiError> {
    if doi.starts_with("http") || doi.to_lowercase().starts_with("doi:") {
        return Err(DoiError::Prefixed);
    }
    let Some((prefix, suffix)) = doi.split_once('/') else {
        return Err(DoiError::NoSlash);
    };
    let Some(registrant) = prefix.strip_prefix("10.") else {
        return Err(DoiError::NoTenPrefix);
    };
    if registrant.is_empty()
        || !registrant
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(DoiError::Registrant);
    }
    if suffix.is_empty() || suffix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DoiError::Suffix);
    }
    Ok(())
}

/// "Family, Given" or "Family, Given, Suffix", or an organisation without commas.
fn check_person(name: &str) -> Result<(), String> {
    if name.trim() != name {
        return Err("leading or trailing space".into());
    }
    let parts: Vec<&str> = name.split(',').collect();
    if parts.len() > 3 {
        return Err("too many commas".into());
    }
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err("an empty name part".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(is_slug("nih-chestxray14"));
        assert!(!is_slug("NIH"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug("a_b"));
    }

    #[test]
    fn dois() {
        assert!(check_doi("10.1007/s10278-013-9622-7").is_ok());
        assert!(check_doi("10.7937/K9/TCIA.2015.NWTESAY1").is_ok());
        assert_eq!(check_doi("https://doi.org/10.1/x"), Err(DoiError::Prefixed));
        assert_eq!(check_doi("11.1000/x"), Err(DoiError::NoTenPrefix));
        assert_eq!(check_doi("10.abc/x"), Err(DoiError::Registrant));
        assert_eq!(check_doi("10.1000"), Err(DoiError::NoSlash));
        assert_eq!(check_doi("10.1000/"), Err(DoiError::Suffix));
        assert_eq!(
            DoiError::NoTenPrefix.to_string(),
            "it does not start with \"10.\""
        );
    }

    #[test]
    fn urls() {
        assert!(check_http_url("https://adni.loni.usc.edu/").is_ok());
        assert_eq!(
            check_http_url("javascript:alert(1)"),
            Err(UrlError::Scheme("javascript".into()))
        );
        assert!(check_http_url("file:///etc/passwd").is_err());
        assert_eq!(check_http_url("a b"), Err(UrlError::WhiteSpace));
        // The parser's error is kept, and its words are the message.
        let err = check_http_url("www.flyexpress.net");
        assert_eq!(
            err,
            Err(UrlError::Invalid(url::ParseError::RelativeUrlWithoutBase))
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("relative URL without a base".to_owned())
        );
        assert_eq!(
            url_scheme("javascript:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(url_scheme("TCIA wiki page, stored copy"), None);
    }

    fn field(fields: &'static [Field], name: &str) -> &'static Field {
        let found = fields.iter().find(|f| f.name == name);
        assert!(found.is_some(), "no field `{name}`");
        found.unwrap()
    }

    fn table(fields: &'static [Field], name: &str) -> &'static [Field] {
        match &field(fields, name).ty {
            Ty::Table(inner) | Ty::TableList(inner) => inner,
            other => panic!("`{name}` is {}", other.describe()),
        }
    }

    /// Every field of every entry struct has a shape the structural walk checks. A failure here
    /// names a field whose Rust type the schema cannot describe: give it a supported type, or teach
    /// `schema::Ty` and `Checker::walk_value` the new shape.
    #[test]
    fn the_schema_is_derived_whole_from_the_entry_structs() {
        assert!(ENTRY.problems.is_empty(), "{:#?}", ENTRY.problems);
        assert!(CITATION.problems.is_empty(), "{:#?}", CITATION.problems);

        let entry: &'static [Field] = &ENTRY.fields;
        // Declaration order, which the "accepted fields here" help lists.
        assert_eq!(
            entry_field_names().take(3).collect::<Vec<_>>(),
            ["id", "name", "short_name"]
        );
        // Set by the loader, never read from a file.
        assert!(!entry.iter().any(|f| f.name == "origin"));
        assert!(field(entry, "homepage").required);
        assert_eq!(field(entry, "tier").ty, Ty::Int);
        assert!(!field(entry, "tier").required);
        assert_eq!(field(entry, "aliases").ty, Ty::StrList);
        assert!(!field(entry, "aliases").required);
        assert!(field(entry, "tasks").required);
        assert!(matches!(field(entry, "seed").ty, Ty::Table(_)));
        assert!(matches!(field(entry, "sources").ty, Ty::TableList(_)));
        assert!(field(entry, "sources").required);
        assert!(!field(entry, "size").required);

        // Renamed fields appear as the file spells them.
        let acknowledgement = table(entry, "acknowledgement");
        assert!(!field(acknowledgement, "where").required);
        let citations = table(entry, "citations");
        assert!(field(citations, "type").required);
        assert_eq!(field(citations, "year").ty, Ty::Int);
        assert!(!field(citations, "editors").required);
        assert_eq!(citations, &CITATION.fields[..]);
    }

    #[test]
    fn closest_word() {
        let fields = ["body_parts", "modalities"];
        assert_eq!(
            closest("body_part", fields.iter().copied()),
            Some("body_parts")
        );
        assert_eq!(closest("zzz", fields.iter().copied()), None);
    }
}
