//! vaultscope: secret-injection health for Kubernetes workloads that get their
//! secrets from Vault or OpenBao (Vault Agent Injector, Secrets Store CSI).
//!
//! Data flows one way: `sources` (all I/O) produce [`model::Observation`]s,
//! the pure `model` folds them into a [`model::World`], `diagnose` turns the
//! world into findings, and `report` / `ui` present them. Nothing points back:
//! tests/layers.rs fails on an import against the flow.

pub mod app;
pub mod bounded;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod diagnose;
pub mod model;
pub mod preflight;
pub mod report;
pub mod safe;
pub mod session;
pub mod sources;
pub mod theme;
pub mod ui;
