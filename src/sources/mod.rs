//! Sources: all I/O. Each turns what it reads into model observations.
pub mod bundle;
pub mod demo;
pub mod kube;
pub mod vault;
