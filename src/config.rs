//! The user's settings that are not window state: the contact address MedAtlas gives metadata
//! services (Crossref asks polite clients for a `mailto:`), kept in `config.toml` in the platform's
//! configuration folder and written atomically. A file that cannot be read is reported, not
//! overwritten.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::shortlist::{FileError, write_atomically};

pub const FILE_NAME: &str = "config.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Given to metadata services with each request (`User-Agent: MedAtlas/… (mailto:…)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("\"{0}\" is not an e-mail address (expected something like name@example.org)")]
    NotAnEmail(String),
    #[error("unknown setting \"{0}\"; settings: contact-email")]
    UnknownSetting(String),
}

impl UserConfig {
    /// Sets a setting by its command-line name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ConfigError> {
        match key {
            "contact-email" => {
                let value = value.trim();
                let ok = value
                    .split_once('@')
                    .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
                    && !value.contains(char::is_whitespace);
                if !ok {
                    return Err(ConfigError::NotAnEmail(value.to_owned()));
                }
                self.contact_email = Some(value.to_owned());
                Ok(())
            }
            other => Err(ConfigError::UnknownSetting(other.to_owned())),
        }
    }

    pub fn unset(&mut self, key: &str) -> Result<(), ConfigError> {
        match key {
            "contact-email" => {
                self.contact_email = None;
                Ok(())
            }
            other => Err(ConfigError::UnknownSetting(other.to_owned())),
        }
    }
}

/// The file holding a user's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
}

impl ConfigFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ConfigFile { path: path.into() }
    }

    /// `<config dir>/config.toml`, e.g. `~/.config/medatlas/config.toml` on Linux.
    pub fn default_location() -> Option<Self> {
        crate::project_dirs().map(|d| ConfigFile::new(d.config_dir().join(FILE_NAME)))
    }

    /// The settings on file; the defaults when there is no file yet.
    pub fn load(&self) -> Result<UserConfig, FileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UserConfig::default()),
            Err(e) => {
                return Err(FileError::Io {
                    path: self.path.display().to_string(),
                    source: e,
                });
            }
        };
        toml::from_str(&text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start).min(text.len());
            let before = &text[..offset];
            FileError::Parse {
                path: self.path.display().to_string(),
                line: before.matches('\n').count() + 1,
                column: before
                    .rfind('\n')
                    .map_or(before.len(), |n| before.len() - n - 1)
                    + 1,
                message: e.message().to_owned(),
            }
        })
    }

    /// Writes the settings (a file that cannot be read is never replaced).
    pub fn save(&self, config: &UserConfig) -> Result<(), FileError> {
        if self.path.exists() {
            self.load()?;
        }
        let text = toml::to_string_pretty(config).map_err(|e| FileError::Invalid {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        write_atomically(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_saved_and_a_broken_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = ConfigFile::new(dir.path().join("medatlas/config.toml"));
        let mut c = file.load().unwrap();
        assert_eq!(c, UserConfig::default());
        assert_eq!(
            c.set("contact-email", "not an address"),
            Err(ConfigError::NotAnEmail("not an address".into()))
        );
        assert!(matches!(
            c.set("colour", "x"),
            Err(ConfigError::UnknownSetting(_))
        ));
        c.set("contact-email", " researcher@example.org ").unwrap();
        file.save(&c).unwrap();
        assert_eq!(
            file.load().unwrap().contact_email.as_deref(),
            Some("researcher@example.org")
        );
        std::fs::write(&file.path, "contact_email = ").unwrap();
        assert!(
            file.load()
                .unwrap_err()
                .to_string()
                .contains("config.toml:1:")
        );
        assert!(file.save(&c).is_err());
        assert_eq!(
            std::fs::read_to_string(&file.path).unwrap(),
            "contact_email = "
        );
    }
}
