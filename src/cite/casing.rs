//! Sentence case for APA and Vancouver titles.
//!
//! The catalogue stores titles as published; APA 7 and NLM want article titles in sentence case.
//! No citation library can do this reliably (CSL itself leaves it to the data), because proper nouns
//! must keep their capitals. We lower-case only title-cased words that are not protected: the first
//! word and the first word after a colon, acronyms and mixed-case words (TCIA, fastMRI), words with
//! digits, single letters before a hyphen (X-ray), dataset names from the catalogue, and a short list of
//! proper nouns seen in catalogue titles. A title already in sentence case is left as it is.

/// Proper nouns that appear in catalogue titles and must keep their capital.
const PROPER_NOUNS: &[&str] = &[
    "Alzheimer",
    "Alzheimer's",
    "American",
    "Chinese",
    "Digital Mammography",
    "Drosophila",
    "English",
    "European",
    "Java",
    "National Cancer Institute",
    "Pap",
    "Visible Human",
];

/// A phrase to keep as written, as a list of words.
pub type Phrase = Vec<String>;

pub fn phrase(text: &str) -> Phrase {
    text.split_whitespace().map(str::to_owned).collect()
}

pub fn builtin_phrases() -> Vec<Phrase> {
    PROPER_NOUNS.iter().map(|p| phrase(p)).collect()
}

/// Converts a title-cased title to sentence case, keeping `protected` phrases.
pub fn sentence_case(title: &str, protected: &[Phrase]) -> String {
    let words: Vec<&str> = title.split(' ').collect();
    let mut keep = vec![false; words.len()];
    for phrase in protected {
        mark_phrase(&words, phrase, &mut keep);
    }
    // Positions that start a sentence keep their capital.
    let mut starts = vec![false; words.len()];
    let mut next_starts = true;
    for (i, w) in words.iter().enumerate() {
        starts[i] = next_starts && !w.is_empty();
        if !w.is_empty() {
            next_starts =
                w.ends_with(':') || w.ends_with('?') || w.ends_with('.') || w.ends_with('!');
        }
    }

    // Only convert titles that really are title-cased.
    let significant: Vec<usize> = (0..words.len())
        .filter(|&i| {
            !keep[i] && !starts[i] && is_plain_word(words[i]) && core(words[i]).chars().count() >= 4
        })
        .collect();
    let capitalised = significant
        .iter()
        .filter(|&&i| {
            core(words[i])
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
        })
        .count();
    if significant.is_empty() || capitalised * 10 < significant.len() * 6 {
        return title.to_owned();
    }

    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if keep[i] || starts[i] {
                (*w).to_owned()
            } else {
                lower_word(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The word without surrounding punctuation.
fn core(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

fn is_plain_word(word: &str) -> bool {
    let c = core(word);
    !c.is_empty()
        && c.chars()
            .all(|ch| ch.is_alphabetic() || ch == '-' || ch == '\'')
}

fn mark_phrase(words: &[&str], phrase: &[String], keep: &mut [bool]) {
    if phrase.is_empty() || phrase.len() > words.len() {
        return;
    }
    for start in 0..=words.len() - phrase.len() {
        let matches = phrase
            .iter()
            .zip(&words[start..start + phrase.len()])
            .all(|(p, w)| core(w) == core(p));
        if matches {
            keep[start..start + phrase.len()]
                .iter_mut()
                .for_each(|k| *k = true);
        }
    }
}

/// Lower-cases each hyphen-separated part that is simply capitalised ("Weakly-Supervised" →
/// "weakly-supervised"), leaving acronyms, mixed case, digits and single letters ("X-ray").
fn lower_word(word: &str) -> String {
    word.split('-')
        .map(|part| {
            let letters: Vec<char> = part.chars().filter(|c| c.is_alphabetic()).collect();
            let simple_capital = letters.len() >= 2
                && letters[0].is_uppercase()
                && letters[1..].iter().all(|c| c.is_lowercase())
                && !part.chars().any(|c| c.is_ascii_digit());
            if simple_capital {
                let mut out = String::with_capacity(part.len());
                let mut done = false;
                for c in part.chars() {
                    if !done && c.is_uppercase() {
                        out.extend(c.to_lowercase());
                        done = true;
                    } else {
                        out.push(c);
                    }
                }
                out
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(title: &str, names: &[&str]) -> String {
        let mut protected = builtin_phrases();
        protected.extend(names.iter().map(|n| phrase(n)));
        sentence_case(title, &protected)
    }

    #[test]
    fn converts_title_case_and_keeps_names() {
        assert_eq!(
            sc(
                "The Cancer Imaging Archive (TCIA): Maintaining and Operating a Public Information Repository",
                &["The Cancer Imaging Archive"]
            ),
            "The Cancer Imaging Archive (TCIA): Maintaining and operating a public information repository"
        );
        assert_eq!(
            sc("Mulan: A Java Library for Multi-Label Learning", &[]),
            "Mulan: A Java library for multi-label learning"
        );
        assert_eq!(
            sc(
                "ChestX-ray8: Hospital-scale Chest X-ray Database and Benchmarks on Weakly-Supervised Classification",
                &[]
            ),
            "ChestX-ray8: Hospital-scale chest X-ray database and benchmarks on weakly-supervised classification"
        );
        assert_eq!(
            sc(
                "fastMRI: A Publicly Available Raw k-Space and DICOM Dataset",
                &[]
            ),
            "fastMRI: A publicly available raw k-space and DICOM dataset"
        );
    }

    #[test]
    fn leaves_sentence_case_alone() {
        let t = "Alzheimer's Disease Neuroimaging Initiative (ADNI): clinical characterization";
        assert_eq!(sc(t, &["Alzheimer's Disease Neuroimaging Initiative"]), t);
        let t = "The Cancer Genome Atlas Pan-Cancer analysis project";
        assert_eq!(sc(t, &["The Cancer Genome Atlas"]), t);
    }
}
