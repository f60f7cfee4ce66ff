//! Fixtures shared by the integration tests of warren-core and warren-cli and by warren-core's
//! benches: which broker is under test, its management API and AMQP as seen from outside Warren,
//! and the `warren` binary in a config dir of its own. Dev-only; takes plain URLs and names,
//! never warren-core's types (the code under test stays out of its own fixtures).

pub mod amqp;
pub mod broker;
pub mod cli;
pub mod management;

pub use amqp::*;
pub use broker::*;
pub use cli::*;
pub use management::*;
