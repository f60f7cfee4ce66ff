pub mod audit;
pub mod deadletters;
pub mod environments;
pub mod jobs;
pub mod queues;
pub mod realms;
