//! The one gate every change to a broker passes: `guarded` refuses a read-only environment,
//! times the change and writes its audit record, and hands the change the `WriteToken` that
//! the broker's write calls (`Admin::write`, `amqp::connect_to_write`) require. A write that
//! skips the gate does not compile. Read-only is enforced here, in the core, so no front end
//! can route around it.
//!
//! A read-only environment can be *armed* for a few minutes (the window's "Arm writes"): until
//! then its writes pass the gate, afterwards it is read-only again by itself. Arming lives only
//! in this process's memory — a restart, or another front end, sees the environment read-only —
//! and is audited.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::audit::{self, Action};
use crate::environment::Environment;
use crate::error::{Error, Result};

/// Proof that the gate let a change through. Only `guarded` makes one (its field is private),
/// and it lives only as long as the change.
pub struct WriteToken {
    _private: (),
}

/// Run `change` on `env` through the gate: the audit log gets a `started` record, then the
/// outcome (`ok` with `counts` of the result, `error`, `refused` on a read-only environment).
/// The tag is the change's to say. Modifies state (it is the gate of every change).
pub async fn guarded<T, Fut>(
    env: &Environment,
    action: Action,
    counts: impl FnOnce(&T) -> serde_json::Value,
    change: impl FnOnce(WriteToken) -> Fut,
) -> Result<T>
where
    Fut: std::future::Future<Output = Result<T>>,
{
    let pending = audit::start(env, action);
    let result = match ensure_writable(env) {
        Ok(()) => change(WriteToken { _private: () }).await,
        Err(e) => Err(e),
    };
    pending.finish(&result, counts);
    result
}

/// Arming is for a task, not a shift.
pub const MAX_ARM_MINUTES: u32 = 240;

static ARMED: LazyLock<Mutex<HashMap<String, SystemTime>>> = LazyLock::new(Default::default);

/// Until when `env_id`'s writes are armed (Unix seconds), if they are; an expired arming is
/// forgotten here.
pub fn armed_until(env_id: &str) -> Option<i64> {
    let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
    match armed.get(env_id) {
        Some(until) if *until > SystemTime::now() => until
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs() as i64),
        Some(_) => {
            armed.remove(env_id);
            None
        }
        None => None,
    }
}

/// Let a read-only environment's writes through for `minutes` (1..=240). Audited.
pub fn arm(env: &Environment, minutes: u32) -> Result<i64> {
    let started = std::time::Instant::now();
    let result = (|| {
        if !env.read_only {
            return Err(Error::InvalidArgument(format!(
                "`{}` is not read-only: there is nothing to arm",
                env.id
            )));
        }
        if minutes == 0 || minutes > MAX_ARM_MINUTES {
            return Err(Error::InvalidArgument(format!(
                "arm writes for 1 to {MAX_ARM_MINUTES} minutes, not {minutes}"
            )));
        }
        let until = SystemTime::now() + Duration::from_secs(u64::from(minutes) * 60);
        ARMED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(env.id.clone(), until);
        Ok(armed_until(&env.id).unwrap_or_default())
    })();
    let action = Action::new(
        "environment.arm",
        None,
        vec![env.id.clone()],
        serde_json::json!({ "minutes": minutes }),
    );
    audit::record(
        env,
        action,
        started,
        &result,
        |until| serde_json::json!({ "armed_until": until }),
    );
    result
}

/// End an arming early. Audited when there was one.
pub fn disarm(env: &Environment) {
    let was = ARMED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&env.id)
        .is_some();
    if was {
        let action = Action::new(
            "environment.disarm",
            None,
            vec![env.id.clone()],
            serde_json::Value::Null,
        );
        audit::record(env, action, std::time::Instant::now(), &Ok(()), |_| {
            serde_json::Value::Null
        });
    }
}

/// Refuse to change anything on a read-only environment (unless its writes are armed). The
/// gate asks; a front end may ask first to grey out a button.
pub fn ensure_writable(env: &Environment) -> Result<()> {
    if env.read_only && armed_until(&env.id).is_none() {
        Err(Error::ReadOnly(env.id.clone()))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(id: &str, read_only: bool) -> Environment {
        Environment {
            id: id.into(),
            read_only,
            ..Environment::local_default()
        }
    }

    #[test]
    fn an_armed_read_only_environment_writes_until_the_time_runs_out() {
        let ro = env("guard-test-ro", true);
        assert!(matches!(ensure_writable(&ro), Err(Error::ReadOnly(_))));
        assert!(
            arm(&env("guard-test-rw", false), 5).is_err(),
            "nothing to arm"
        );
        assert!(arm(&ro, 0).is_err() && arm(&ro, MAX_ARM_MINUTES + 1).is_err());
        let until = arm(&ro, 5).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now + 299..=now + 300).contains(&until));
        assert!(ensure_writable(&ro).is_ok());
        // Time runs out (set the clock of this arming back rather than wait).
        ARMED
            .lock()
            .unwrap()
            .insert(ro.id.clone(), SystemTime::now() - Duration::from_secs(1));
        assert!(matches!(ensure_writable(&ro), Err(Error::ReadOnly(_))));
        assert_eq!(armed_until(&ro.id), None);
        arm(&ro, 1).unwrap();
        disarm(&ro);
        assert!(ensure_writable(&ro).is_err());
    }
}
