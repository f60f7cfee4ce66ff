pub mod audit;
pub mod deadletters;
pub mod demo;
pub mod environments;
pub mod history;
pub mod messages;
pub mod queues;
pub mod realms;
