//! What every tenant service shares: verified tenant identity ([`identity`]), one error type
//! that answers clients plainly and logs the detail ([`error`]), configuration from the
//! environment the generated Deployments set ([`config`]), money ([`money`]), and serving with
//! JSON logs, request ids and graceful shutdown ([`serve`]).
//!
//! The reference services parsed JWTs without verifying them, ignored the tenant in the path,
//! and answered errors with 200. Here a request reaches a handler only with a token whose
//! signature, issuer, audience and lifetime are verified and whose tenant is the path's.

pub mod config;
pub mod error;
pub mod identity;
pub mod money;
pub mod serve;

pub use config::{Config, StorageModel};
pub use error::{AppError, JsonBody, PathParams, QueryParams};
pub use identity::{
    AdminContext, HasAdminVerifier, HasVerifier, HttpJwks, JwksFetcher, TenantContext, TenantIssuer, Verifier,
    VerifierConfig,
};
#[cfg(feature = "testing")]
pub mod testing;
