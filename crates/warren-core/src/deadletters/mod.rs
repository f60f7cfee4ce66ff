//! Dead letters: which queues are dead-letter queues (`discover`), what their messages say about
//! where and why they died (`xdeath`, `message`), reading them without removing them (`browse`),
//! how many failed per realm and worker (`by_realm`), and sending them back (`filter` picks them,
//! `plan` is the dry run, `replay` the engine that never loses one), and as files (`jsonl`).

pub mod browse;
pub mod by_realm;
pub mod discover;
pub mod edit;
pub mod filter;
pub mod framework;
pub mod jsonl;
pub mod message;
pub mod plan;
pub mod replay;
mod replay_journal;
pub mod xdeath;

pub use browse::{browse, Browse, DeathGroup, RealmCount};
pub use by_realm::{realm_dead_letters, RealmDeadLetters};
pub use discover::{discover, DeadLetterQueue, DeadLetterTopology, Wiring};
pub use framework::{DeadLetterKind, FrameworkFailure};
pub use message::DeadLetter;
pub use plan::{plan, ReplayPlan};
pub use replay::{replay, ReplayOptions, ReplayReport, ReplayRequest, Scope, Target};
