pub mod environments;
pub mod queues;
