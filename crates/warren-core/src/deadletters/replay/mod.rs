//! Replaying dead letters without ever losing one (the engine under the window's "Retry" and
//! `warren dlq replay`).
//!
//! The DLQ is consumed with manual acks and a bounded prefetch; each message goes out on a
//! second channel with publisher confirms and `mandatory`, and its DLQ delivery is acked only
//! after the broker confirmed the copy. Confirms are pipelined (up to the window) and acks are
//! batched with `multiple`, up to the lowest delivery still waiting.
//!
//! Messages that must stay — outside the scope, over the replay limit, returned as unroutable,
//! or nacked — stay in the DLQ by the same rule: an unchanged copy is published to the DLQ's own
//! tail (confirmed), then the delivery is acked. So at every instant each message is either
//! unacked in the DLQ or confirmed somewhere; a connection that dies loses nothing, and at most
//! the confirmed-but-not-yet-acked window is duplicated. Order: messages kept go to the tail in
//! their original relative order. The run reads only the messages present when it started (the
//! depth then), so kept copies are never read twice; a selection by message keys stops as soon
//! as all selected messages were seen, leaving the rest untouched. (Holding kept messages
//! unacked until the end would keep their positions but stall the prefetch window once it is
//! full of them, so the rotation is the safe general rule.)
//!
//! Requires read and write permission on the vhost. Modifies state.

mod broker_side;
mod engine;
mod request;
mod run;

pub use broker_side::{
    refusal as broker_path_refusal, shovel_replays, ReplayPath, BROKER_GUARD_NOTE, TEMP_PREFIX,
};
pub use request::*;
pub use run::*;

use crate::broker::{BrokerError, BrokerErrorKind};
use crate::error::Error;

fn broker(what: &str, e: impl std::fmt::Display) -> Error {
    BrokerError::new(BrokerErrorKind::Other, format!("{what}: {e}")).into()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
