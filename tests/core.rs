//! The core's integration tests, in one binary: everything here runs on the pure core (no tokio,
//! no AWS SDK, no kube), so it builds and links without them. Each module is one feature.

mod architecture;
mod common;
mod customize;
mod diagnostics;
mod incremental;
mod kubernetes;
mod plan;
mod quotas;
mod reference;
mod schema;
mod tenant_files;
mod verify;
mod yaml;
