//! Owns the config file (`environments.toml`): where it lives, its format, and the only code that
//! reads or writes it. It never holds a password.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::environment::Environment;
use crate::error::{Error, Result};

pub const CONFIG_FILE: &str = "environments.toml";

/// The folder for Warren's config: `WARREN_CONFIG_DIR` if set (tests, portable use), else the
/// platform's config dir (`~/.config/warren` on Linux).
pub fn config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WARREN_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "warren")
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".warren"))
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The environment the app opened last, to reopen it on the next start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_environment: Option<String>,
    #[serde(default)]
    pub environments: Vec<Environment>,
}

impl ConfigFile {
    /// `Ok(None)` when the file does not exist yet (a first start).
    pub fn load(path: &Path) -> Result<Option<ConfigFile>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::ConfigRead {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| Error::ConfigRead {
                path: path.display().to_string(),
                reason: format!("{e}fix or move the file away to start over"),
            })
    }

    /// Writes atomically (temp file + rename) with owner-only permissions.
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |e: std::io::Error| Error::ConfigWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let text = toml::to_string_pretty(self).map_err(|e| Error::ConfigWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(err)?;
        let tmp = path.with_extension("toml.tmp");
        {
            let mut f = open_private(&tmp).map_err(err)?;
            f.write_all(text.as_bytes()).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        std::fs::rename(&tmp, path).map_err(err)
    }
}

/// Create a folder (and its parents) only its owner can enter.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Create (or truncate) a file only its owner can read and write.
pub(crate) fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Open a file for reading and appending, created owner-only if missing.
pub(crate) fn open_private_append(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_a_first_start() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            ConfigFile::load(&dir.path().join(CONFIG_FILE)).unwrap(),
            None
        );
    }

    #[test]
    fn saves_and_loads_the_same_environments_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(CONFIG_FILE);
        let cfg = ConfigFile {
            last_environment: Some("local".into()),
            environments: vec![Environment::local_default()],
        };
        cfg.save(&path).unwrap();
        assert_eq!(ConfigFile::load(&path).unwrap(), Some(cfg));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_broken_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, "environments = 3").unwrap();
        let err = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(err.contains(CONFIG_FILE), "{err}");
    }
}
