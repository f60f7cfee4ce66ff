//! Passwords in the OS keyring, and nowhere else: service `warren`, account = environment id.
//! Any failure to reach the keyring is an error; there is no file or in-memory fallback.

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

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
        self.entry(account)?
            .set_password(secret.expose_secret())
            .map_err(map_error)
    }

    /// Deleting an entry that does not exist is fine.
    pub fn delete(&self, account: &str) -> Result<()> {
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
