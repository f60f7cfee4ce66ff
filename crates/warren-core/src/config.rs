//! Owns the config file (`environments.toml`): where it lives, its format, and the only code that
//! reads or writes it. It never holds a password.
//!
//! The app and any number of `warren` processes share the file: every change is a
//! read-modify-write under an exclusive lock on a sibling lock file, written to a temp file of
//! its own and renamed into place, so concurrent writers never lose each other's environments.
//! Loading refuses what it cannot keep faithfully (unknown keys, duplicate ids, invalid
//! environments), naming the file, the line and the field.

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
        Self::parse(&text)
            .map(Some)
            .map_err(|reason| Error::ConfigRead {
                path: path.display().to_string(),
                reason: format!("{reason}; fix or move the file away to start over"),
            })
    }

    /// Parse and check the file's text: TOML syntax, types, no key Warren would drop on its next
    /// write, no duplicate id, every environment valid. Errors name the line where known.
    pub fn parse(text: &str) -> std::result::Result<ConfigFile, String> {
        let raw: toml::Table =
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let cfg: ConfigFile =
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let lines = environment_lines(text);
        let at = |i: usize, id: &str| match lines.get(i) {
            Some(line) => format!("environment `{id}` (line {line})"),
            None => format!("environment `{id}` (number {})", i + 1),
        };
        // A key this version does not know would be silently dropped by the next save.
        let kept = match toml::Value::try_from(&cfg).map_err(|e| e.to_string())? {
            toml::Value::Table(t) => t,
            _ => toml::Table::new(),
        };
        if let Some(k) = unknown_keys(&raw, &kept).first() {
            let place = match k.env {
                Some(i) => {
                    let id = cfg.environments.get(i).map_or("?", |e| e.id.as_str());
                    format!("{}: ", at(i, id))
                }
                None => String::new(),
            };
            return Err(format!(
                "{place}unknown key `{}`: this version of Warren does not know it and would drop it on the next save; remove it (or use the Warren version that wrote it)",
                k.key
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, env) in cfg.environments.iter().enumerate() {
            if !seen.insert(env.id.as_str()) {
                return Err(format!(
                    "{}: the id `{}` is used twice; ids name keyring entries and `--env` arguments, so each must be unique: rename or remove one",
                    at(i, &env.id),
                    env.id
                ));
            }
            if let Err(e) = env.validate() {
                let fields = e
                    .fields()
                    .iter()
                    .map(|f| format!("field `{}`: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(format!("{}: {fields}", at(i, &env.id)));
            }
        }
        Ok(cfg)
    }

    /// Writes atomically (a temp file of this writer's own + rename) with owner-only permissions.
    /// Callers that change the file go through `ConfigFile::update`, which holds the lock.
    pub fn save(&self, path: &Path) -> Result<()> {
        let err = |e: std::io::Error| Error::ConfigWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let text = toml::to_string_pretty(self).map_err(|e| Error::ConfigWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        write_private_atomic(path, text.as_bytes()).map_err(err)
    }

    /// Read the file, change it with `change`, and write it back, all under an exclusive lock,
    /// so concurrent writers (the app, several `warren` processes) see each other's changes.
    /// `change` sees an empty config when the file does not exist yet; nothing is written when
    /// it fails.
    pub fn update<T>(
        path: &Path,
        change: impl FnOnce(&mut ConfigFile, bool) -> Result<T>,
    ) -> Result<T> {
        let _lock = lock(path)?;
        let existing = ConfigFile::load(path)?;
        let existed = existing.is_some();
        let mut cfg = existing.unwrap_or_default();
        let out = change(&mut cfg, existed)?;
        cfg.save(path)?;
        Ok(out)
    }
}

/// An exclusive lock on `<file>.lock`, held until dropped. The config file itself is replaced by
/// rename, so the lock lives on a sibling that never moves.
fn lock(path: &Path) -> Result<std::fs::File> {
    let err = |e: std::io::Error| Error::ConfigWrite {
        path: path.display().to_string(),
        reason: format!("cannot lock it for writing: {e}"),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(err)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let f = open_private_append(&dir.join(name)).map_err(err)?;
    f.lock().map_err(err)?;
    Ok(f)
}

/// Write `bytes` to `path` atomically (a temp file of this writer's own, synced, then renamed
/// over it), owner-only, creating the directory: a reader sees the old file or the new one,
/// never half of one, whatever kills the writer.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let tmp = unique_temp(path);
    let written = (|| {
        let mut f = open_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `<file>.<pid>.<n>.tmp`: no two writers (processes or threads) share a temp file.
fn unique_temp(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    path.with_file_name(name)
}

/// The line of each `[[environments]]` header, in order (for error messages).
fn environment_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            t.starts_with("[[environments]]")
        })
        .map(|(i, _)| i + 1)
        .collect()
}

struct UnknownKey {
    env: Option<usize>,
    key: String,
}

/// Keys of the file that do not survive a load and save (what Warren does not know).
fn unknown_keys(raw: &toml::Table, kept: &toml::Table) -> Vec<UnknownKey> {
    fn walk(
        raw: &toml::Table,
        kept: Option<&toml::Table>,
        prefix: &str,
        env: Option<usize>,
        out: &mut Vec<UnknownKey>,
    ) {
        for (k, v) in raw {
            let key = format!("{prefix}{k}");
            match kept.and_then(|t| t.get(k)) {
                None => out.push(UnknownKey { env, key }),
                Some(toml::Value::Table(kt)) => {
                    if let toml::Value::Table(rt) = v {
                        walk(rt, Some(kt), &format!("{key}."), env, out);
                    }
                }
                Some(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    for (k, v) in raw {
        if k == "environments" {
            let kept_envs = kept.get(k).and_then(|v| v.as_array());
            for (i, e) in v.as_array().into_iter().flatten().enumerate() {
                if let Some(t) = e.as_table() {
                    let kt = kept_envs.and_then(|a| a.get(i)).and_then(|v| v.as_table());
                    walk(t, kt, "", Some(i), &mut out);
                }
            }
        } else if !kept.contains_key(k) {
            out.push(UnknownKey {
                env: None,
                key: k.clone(),
            });
        }
    }
    out
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

    fn parse_err(text: &str) -> String {
        ConfigFile::parse(text).unwrap_err()
    }

    const ONE: &str = r#"
[[environments]]
id = "a"
name = "A"
management_urls = ["http://127.0.0.1:15672"]
amqp_urls = ["amqp://127.0.0.1:5672"]
username = "guest"
"#;

    #[test]
    fn an_environment_without_management_urls_is_refused_with_its_line_and_field() {
        let text = format!(
            "{ONE}\n[[environments]]\nid = \"b\"\nname = \"B\"\nmanagement_urls = []\namqp_urls = [\"amqp://h:5672\"]\nusername = \"u\"\n"
        );
        let e = parse_err(&text);
        assert!(e.contains("environment `b` (line 9)"), "{e}");
        assert!(e.contains("management_urls"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_refused_at_load() {
        let e = parse_err(&format!("{ONE}{ONE}"));
        assert!(e.contains("`a` is used twice"), "{e}");
        assert!(e.contains("line 9"), "the second one's header: {e}");
    }

    #[test]
    fn unknown_keys_are_refused_rather_than_dropped_on_the_next_save() {
        let e = parse_err(&format!("{ONE}colour = \"red\"\n"));
        assert!(
            e.contains("unknown key `colour`") && e.contains("environment `a`"),
            "{e}"
        );
        let e = parse_err(&format!(
            "{ONE}[environments.tls]\nverify = true\npinned = \"x\"\n"
        ));
        assert!(e.contains("unknown key `tls.pinned`"), "{e}");
        let e = parse_err(&format!("theme = \"dark\"\n{ONE}"));
        assert!(e.contains("unknown key `theme`"), "{e}");
        assert!(ConfigFile::parse(ONE).is_ok());
    }

    #[test]
    fn credentials_in_a_stored_url_are_refused_at_load() {
        let e = parse_err(&format!(
            "{ONE}logs_url = \"http://u:p@kibana/{{realm}}\"\n"
        ));
        assert!(e.contains("logs_url") && !e.contains(":p@"), "{e}");
    }

    #[test]
    fn concurrent_updates_from_many_threads_keep_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    ConfigFile::update(&path, |cfg, _| {
                        let mut e = Environment::local_default();
                        e.id = format!("t{i}");
                        cfg.environments.push(e);
                        Ok(())
                    })
                    .unwrap()
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let cfg = ConfigFile::load(&path).unwrap().unwrap();
        assert_eq!(cfg.environments.len(), 16);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    proptest::proptest! {
        #[test]
        fn the_loader_never_panics_on_hostile_text(text in "(\\[\\[environments\\]\\]\n|[a-z_]{1,16} = (\"[^\"]{0,40}\"|\\[\\]|\\[\"[a-z:/0-9.@{}]{0,30}\"\\]|true|[0-9]{1,3})\n|\\[environments.tls\\]\n){0,20}") {
            let _ = ConfigFile::parse(&text);
        }

        #[test]
        fn the_loader_never_panics_on_arbitrary_bytes(text in "\\PC{0,300}") {
            let _ = ConfigFile::parse(&text);
        }
    }
}
