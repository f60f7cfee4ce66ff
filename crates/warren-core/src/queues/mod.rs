//! Queues: one row per queue (`row.rs`), the paged inventory of an environment
//! (`inventory.rs`), and the filter language over it (`filter.rs`).

pub mod columns;
pub mod details;
pub mod effective_policy;
pub mod filter;
pub mod index;
pub mod inventory;
pub mod last_known;
pub mod move_messages;
pub mod purge;
pub mod row;

pub use filter::{parse, FilterError, Query};
pub use index::RowIndex;
pub use inventory::{load_inventory, map_rows, rows_in, Inventory};
pub use row::QueueRow;
