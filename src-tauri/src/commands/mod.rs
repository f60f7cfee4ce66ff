pub mod audit;
pub mod deadletters;
pub mod environments;
pub mod queues;
pub mod realms;
