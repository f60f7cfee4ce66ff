//! Alerts: rules stored with each environment (`rules`), evaluated on every sample of its
//! queues (`eval`, with the history for growth over time and the health checks for nodes and
//! alarms), de-duplicated in the environment's history store (`state`) so that a condition is
//! told once when it starts, not on every sample, and resolves when it clears.

pub mod eval;
pub mod rules;
pub mod state;

pub use eval::Firing;
pub use rules::AlertRule;
pub use state::Alert;
