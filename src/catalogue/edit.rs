//! Edits of a user's catalogue file that keep everything else as the user wrote it: comments,
//! field order and formatting stay, only the fields changed are rewritten (`toml_edit`). The result
//! is checked by the validator before anything is written, by the caller.

use toml_edit::{Array, DocumentMut, value};

/// A change to one top-level field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A text field (`name`, `summary` ...).
    Text(&'static str, String),
    /// A list of vocabulary keys (`modalities`, `body_parts` ...).
    List(&'static str, Vec<String>),
    /// The entry is confirmed: `draft` is removed.
    Confirm,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("the file is not valid TOML: {0}")]
    Syntax(String),
}

/// `text` with `changes` applied; everything else as it was.
pub fn apply(text: &str, changes: &[Change]) -> Result<String, EditError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| EditError::Syntax(e.message().to_owned()))?;
    for change in changes {
        match change {
            Change::Text(key, text) => {
                // Keep the comment that decorates an existing key.
                match doc.get_mut(key).and_then(|item| item.as_value_mut()) {
                    Some(existing) => {
                        let decor = existing.decor().clone();
                        *existing = text.as_str().into();
                        *existing.decor_mut() = decor;
                    }
                    None => doc[*key] = value(text.as_str()),
                }
            }
            Change::List(key, values) => {
                let array: Array = values.iter().map(String::as_str).collect();
                match doc.get_mut(key).and_then(|item| item.as_value_mut()) {
                    Some(existing) => {
                        let decor = existing.decor().clone();
                        *existing = array.into();
                        *existing.decor_mut() = decor;
                    }
                    None => doc[*key] = value(array),
                }
            }
            Change::Confirm => {
                doc.remove("draft");
            }
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_comments_order_and_the_rest() {
        let text = "# my notes about this set\nid = \"x\"\nname = \"Old\"  # the paper's name\nmodalities = [\"CT\"]\ndraft = true\n\n[access]\nlevel = \"open\" # checked in May\n";
        let edited = apply(
            text,
            &[
                Change::Text("name", "New name".into()),
                Change::List("modalities", vec!["CT".into(), "MR".into()]),
                Change::Text("summary", "A summary.".into()),
                Change::Confirm,
            ],
        )
        .unwrap();
        assert!(
            edited.starts_with("# my notes about this set\nid = \"x\"\n"),
            "{edited}"
        );
        assert!(
            edited.contains("name = \"New name\"  # the paper's name"),
            "{edited}"
        );
        assert!(edited.contains("modalities = [\"CT\", \"MR\"]"), "{edited}");
        assert!(
            edited.contains("level = \"open\" # checked in May"),
            "{edited}"
        );
        assert!(!edited.contains("draft"), "{edited}");
        assert!(edited.contains("summary = \"A summary.\""), "{edited}");
        assert!(apply("id = ", &[]).is_err());
    }
}
