//! Passwords in the OS keyring, and nowhere else: service `warren`, account = environment id.
//! Any failure to reach the keyring is an error; there is no file or in-memory fallback.

use std::sync::{Mutex, MutexGuard};

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// One Secret Service operation at a time in this process. gnome-keyring aborts when several
/// encrypted sessions are negotiated at once (an upstream race: "gkd_secret_service_get_pkcs11_session:
/// assertion 'client' failed"), and comes back with the keyring locked: every later lookup fails.
/// The keyring crate opens a session per operation, and Warren looks passwords up from several
/// tasks at once (the fleet probes eight environments together), so they queue here. CI saw
/// it as "Message recipient disconnected from message bus without replying".
/// Other Warren processes (the CLI beside the window, a script's parallel calls) queue on a
/// lock file in the user's private runtime directory, when there is one.
static SECRET_SERVICE: Mutex<()> = Mutex::new(());

struct OneAtATime {
    _here: MutexGuard<'static, ()>,
    /// Held with an exclusive `flock`; closing it releases the other processes.
    _across: Option<std::fs::File>,
}

fn one_at_a_time() -> OneAtATime {
    // A panic while holding the lock leaves nothing half-done to protect.
    let here = SECRET_SERVICE.lock().unwrap_or_else(|e| e.into_inner());
    let across = std::env::var_os("XDG_RUNTIME_DIR").and_then(|dir| {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(std::path::Path::new(&dir).join("warren-secret-service.lock"))
            .ok()?;
        file.lock().ok()?;
        Some(file)
    });
    OneAtATime {
        _here: here,
        _across: across,
    }
}

pub const SERVICE: &str = "warren";

#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring {
            service: SERVICE.to_string(),
        }
    }
}

impl Keyring {
    /// A keyring under another service name (tests use one of their own to stay isolated).
    pub fn with_service(service: impl Into<String>) -> Self {
        Keyring {
            service: service.into(),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, account).map_err(map_error)
    }

    pub fn get(&self, account: &str) -> Result<Option<SecretString>> {
        let _one = one_at_a_time();
        match self.entry(account)?.get_password() {
            Ok(p) => Ok(Some(SecretString::from(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    pub fn has(&self, account: &str) -> Result<bool> {
        Ok(self.get(account)?.is_some())
    }

    pub fn set(&self, account: &str, secret: &SecretString) -> Result<()> {
        let _one = one_at_a_time();
        self.entry(account)?
            .set_password(secret.expose_secret())
            .map_err(map_error)
    }

    /// Deleting an entry that does not exist is fine.
    pub fn delete(&self, account: &str) -> Result<()> {
        let _one = one_at_a_time();
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}

/// keyring's errors never contain the secret, but their wording is for developers: say what the
/// operator can do.
fn map_error(e: keyring::Error) -> Error {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            let raw = inner.to_string();
            let detail = if raw.contains("autolaunch") || raw.contains("DISPLAY") {
                "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)".to_string()
            } else if raw.contains("ServiceUnknown") || raw.contains("org.freedesktop.secrets") {
                "no Secret Service (gnome-keyring, KeePassXC, KWallet) answers on the D-Bus session bus".to_string()
            } else if raw.to_lowercase().contains("locked") {
                "the keyring is locked: unlock it and try again".to_string()
            } else {
                raw
            };
            Error::KeyringUnavailable { detail }
        }
        other => Error::Keyring(other.to_string()),
    }
}
