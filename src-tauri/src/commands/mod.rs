pub mod environments;
