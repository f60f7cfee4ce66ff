//! One progress type for every long operation, shared by the window's events and the CLI's
//! progress line.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Progress {
    /// Items read (or moved) so far.
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
    /// Items per second since the start.
    pub rate: f64,
    /// For a run over part of what it reads (a replay of one group): what matched, what was
    /// acted on, and how many are in scope when known. `None`: everything read is in scope.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeProgress>,
}

/// The part of a run's progress that counts only what is in scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScopeProgress {
    /// Messages read so far that are in scope.
    #[ts(type = "number")]
    pub matched: u64,
    /// Of those, replayed (or discarded) so far, their copies confirmed.
    #[ts(type = "number")]
    pub acted: u64,
    /// How many are in scope in all, when known (the selection's size, the plan's count, or
    /// everything read for a run without a filter).
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<u64>,
}
