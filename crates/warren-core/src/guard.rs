//! The one gate every mutating core function passes: read-only environments are refused here,
//! in the core, so no front end can route around it. (The audit log joins this path later.)

use crate::environment::Environment;
use crate::error::{Error, Result};

/// Refuse to change anything on a read-only environment.
pub fn ensure_writable(env: &Environment) -> Result<()> {
    if env.read_only {
        Err(Error::ReadOnly(env.id.clone()))
    } else {
        Ok(())
    }
}
