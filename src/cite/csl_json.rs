//! CSL-JSON items (the Citation Style Language input format that Zotero, Pandoc and citeproc read).

use serde_json::{Map, Value, json};

use super::Date;
use super::names::Name;
use crate::catalogue::Citation;

fn names(list: &[String]) -> Value {
    Value::Array(
        list.iter()
            .map(|n| match Name::parse(n) {
                Name::Person {
                    family,
                    given,
                    suffix,
                } => {
                    let mut person = Map::new();
                    person.insert("family".into(), family.into());
                    person.insert("given".into(), given.into());
                    if let Some(suffix) = suffix {
                        person.insert("suffix".into(), suffix.into());
                    }
                    Value::Object(person)
                }
                Name::Organisation(org) => json!({ "literal": org }),
            })
            .collect(),
    )
}

pub fn item(key: &str, c: &Citation, accessed: Option<Date>) -> Value {
    let mut item = Map::new();
    let mut put = |k: &str, v: Value| {
        item.insert(k.to_owned(), v);
    };
    put("id", key.into());
    put("type", c.kind.clone().into());
    put("title", c.title.clone().into());
    if !c.authors.is_empty() {
        put("author", names(&c.authors));
    }
    if !c.editors.is_empty() {
        put("editor", names(&c.editors));
    }
    if let Some(container) = &c.container {
        // A dataset's repository is its publisher in CSL terms.
        let field = if c.kind == "dataset" {
            "publisher"
        } else {
            "container-title"
        };
        put(field, container.clone().into());
    }
    if let Some(year) = c.year {
        let date_parts = match c.month {
            Some(m) => json!([[year, m]]),
            None => json!([[year]]),
        };
        put("issued", json!({ "date-parts": date_parts }));
    }
    if let Some(d) = accessed {
        put(
            "accessed",
            json!({ "date-parts": [[d.year, d.month, d.day]] }),
        );
    }
    for (field, value) in [
        ("volume", &c.volume),
        ("issue", &c.issue),
        ("page", &c.pages),
        ("DOI", &c.doi),
        ("URL", &c.url),
        ("PMID", &c.pmid),
        ("PMCID", &c.pmcid),
        ("ISBN", &c.isbn),
        ("note", &c.note),
    ] {
        if let Some(v) = value {
            put(field, v.clone().into());
        }
    }
    if let Some(publisher) = &c.publisher {
        put("publisher", publisher.clone().into());
    }
    if let Some(arxiv) = &c.arxiv {
        put("number", format!("arXiv:{arxiv}").into());
        if c.url.is_none() {
            put("URL", format!("https://arxiv.org/abs/{arxiv}").into());
        }
    }
    Value::Object(item)
}
