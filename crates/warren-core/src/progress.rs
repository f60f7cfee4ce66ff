//! One progress type for every long operation, shared by the window's events and the CLI's
//! progress line.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Progress {
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
    /// Items per second since the start.
    pub rate: f64,
}
