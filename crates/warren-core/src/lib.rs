//! warren-core: everything Warren knows how to do, without Tauri. The desktop app
//! (`src-tauri`) and the `warren` CLI are thin front ends over this crate.

pub mod alerts;
pub mod audit;
pub mod broker;
pub mod config;
pub mod connection_test;
pub mod deadletters;
pub mod demo;
pub mod deprecations;
pub mod drift;
pub mod environment;
pub mod error;
pub mod fleet;
pub mod guard;
pub mod history;
pub mod lines;
pub mod logging;
pub mod logs;
pub mod messages;
pub mod progress;
pub mod queues;
pub mod rabbitmqadmin_import;
pub mod realms;
pub mod secrets;
pub mod session;
pub mod store;
pub mod template;

pub use environment::{Environment, EnvironmentView, Tier, TlsSettings};
pub use error::{Error, ErrorReport, FieldError, Result};
pub use session::Session;
pub use store::EnvironmentStore;
