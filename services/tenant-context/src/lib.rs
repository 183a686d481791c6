//! What every tenant service shares: verified tenant identity ([`identity`]), one error type
//! that answers clients plainly and logs the detail ([`error`]), configuration from the
//! environment the generated Deployments set ([`config`]), money ([`money`]), serving with
//! JSON logs, request ids and graceful shutdown ([`serve`]), and the DynamoDB client a store
//! uses for a tenant's data ([`data`]): the pod's own in dedicated compute, or, in pooled
//! compute (feature `pooled`, [`pooled`]), one with credentials vended for that tenant alone.
//!
//! The reference services parsed JWTs without verifying them, ignored the tenant in the path,
//! and answered errors with 200. Here a request reaches a handler only with a token whose
//! signature, issuer, audience and lifetime are verified and whose tenant is the path's.

pub mod config;
pub mod data;
pub mod error;
pub mod identity;
pub mod money;
#[cfg(feature = "pooled")]
pub mod pooled;
pub mod serve;

pub use config::{Config, PooledConfig, StorageModel, TableName};
pub use data::{PodData, TenantData};
pub use error::{AppError, JsonBody, PathParams, QueryParams};
pub use identity::{
    AdminContext, HasAdminVerifier, HasVerifier, HttpJwks, JwksFetcher, TenantContext, TenantIssuer, Verifier,
    VerifierConfig,
};
#[cfg(feature = "testing")]
pub mod testing;
