pub mod environments;
pub mod queues;
pub mod realms;
