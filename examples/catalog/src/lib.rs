//! The catalog service's store, shared by its binaries.

pub mod store;
