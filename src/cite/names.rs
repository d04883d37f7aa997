//! Personal and corporate names as the catalogue writes them ("Family, Given[, Suffix]", or an
//! organisation without commas), split into the parts citation styles need.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    Person {
        family: String,
        given: String,
        suffix: Option<String>,
    },
    Organisation(String),
}

impl Name {
    pub fn parse(text: &str) -> Name {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        match parts.as_slice() {
            [family, given] => Name::Person {
                family: (*family).to_owned(),
                given: (*given).to_owned(),
                suffix: None,
            },
            [family, given, suffix, ..] => Name::Person {
                family: (*family).to_owned(),
                given: (*given).to_owned(),
                suffix: Some((*suffix).to_owned()),
            },
            _ => Name::Organisation(text.trim().to_owned()),
        }
    }

    /// APA: "Jack, C. R., Jr." / organisation as is.
    pub fn apa(&self) -> String {
        match self {
            Name::Person {
                family,
                given,
                suffix,
            } => {
                let initials = initials(given, true);
                match suffix {
                    Some(s) => format!("{family}, {initials}, {s}"),
                    None if initials.is_empty() => family.clone(),
                    None => format!("{family}, {initials}"),
                }
            }
            Name::Organisation(o) => o.clone(),
        }
    }

    /// APA editors come given-name first: "M. J. Yaffe".
    pub fn apa_given_first(&self) -> String {
        match self {
            Name::Person {
                family,
                given,
                suffix,
            } => {
                let initials = initials(given, true);
                let mut s = if initials.is_empty() {
                    family.clone()
                } else {
                    format!("{initials} {family}")
                };
                if let Some(suffix) = suffix {
                    s.push_str(&format!(", {suffix}"));
                }
                s
            }
            Name::Organisation(o) => o.clone(),
        }
    }

    /// Vancouver (NLM): "Jack CR Jr" / organisation as is.
    pub fn vancouver(&self) -> String {
        match self {
            Name::Person {
                family,
                given,
                suffix,
            } => {
                let mut s = family.clone();
                let initials = initials(given, false);
                if !initials.is_empty() {
                    s.push(' ');
                    s.push_str(&initials);
                }
                if let Some(suffix) = suffix {
                    s.push(' ');
                    s.push_str(suffix.trim_end_matches('.'));
                }
                s
            }
            Name::Organisation(o) => o.clone(),
        }
    }
}

/// Initials of given names. Dotted ("R. C.", APA) or run together ("RC", Vancouver); hyphenated
/// names keep their hyphen in APA ("Jean-Pierre" → "J.-P.").
pub fn initials(given: &str, dotted: bool) -> String {
    let mut words = Vec::new();
    for word in given.split_whitespace() {
        // "R.C." written without a space holds two initials.
        let pieces: Vec<&str> = if word.contains('-') {
            vec![word]
        } else {
            word.split('.').filter(|p| !p.is_empty()).collect()
        };
        for piece in pieces {
            let parts: Vec<String> = piece
                .split('-')
                .filter_map(|p| p.chars().find(|c| c.is_alphabetic()))
                .map(|c| c.to_uppercase().collect())
                .collect();
            if parts.is_empty() {
                continue;
            }
            words.push(if dotted {
                parts
                    .iter()
                    .map(|p| format!("{p}."))
                    .collect::<Vec<_>>()
                    .join("-")
            } else {
                parts.concat()
            });
        }
    }
    if dotted {
        words.join(" ")
    } else {
        words.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_catalogue_forms() {
        assert_eq!(
            Name::parse("Jack, C. R., Jr."),
            Name::Person {
                family: "Jack".into(),
                given: "C. R.".into(),
                suffix: Some("Jr.".into())
            }
        );
        assert_eq!(
            Name::parse("The Cancer Genome Atlas Research Network"),
            Name::Organisation("The Cancer Genome Atlas Research Network".into())
        );
    }

    #[test]
    fn style_forms() {
        let jack = Name::parse("Jack, C. R., Jr.");
        assert_eq!(jack.apa(), "Jack, C. R., Jr.");
        assert_eq!(jack.vancouver(), "Jack CR Jr");
        let jp = Name::parse("de la Garza, Jean-Pierre");
        assert_eq!(jp.apa(), "de la Garza, J.-P.");
        assert_eq!(jp.vancouver(), "de la Garza JP");
        assert_eq!(Name::parse("Yaffe, M. J.").apa_given_first(), "M. J. Yaffe");
        assert_eq!(initials("R.C.", false), "RC");
        assert_eq!(initials("Ronald M.", true), "R. M.");
    }
}
