//! The registry's one error type: what went wrong, in terms a service maps to a status and the
//! job to an exit.

use tenancy::contract::lifecycle::IllegalTransition;

/// Why a registry operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Another sign-up holds the id, the email or the idempotency key.
    #[error("{field}: {problem}")]
    Conflict {
        /// The field at fault, as the client sent it (`tenantId`, `email`, `Idempotency-Key`).
        field: &'static str,
        /// What to do.
        problem: &'static str,
    },
    /// No record for the tenant.
    #[error("no tenant `{tenant}` is registered")]
    NotFound {
        /// The tenant asked for.
        tenant: String,
    },
    /// The lifecycle refuses the event in the tenant's state; nothing was written.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// Other writers kept moving the record: nothing was written; the caller may retry.
    #[error("tenant `{tenant}` changed {attempts} times while this change was being written; retry")]
    Contended {
        /// The tenant.
        tenant: String,
        /// How many times the write was tried.
        attempts: u32,
    },
    /// The store or the topic did not answer, or answered with an error.
    #[error("the registry could not {what}: {message}")]
    Unavailable {
        /// What was being done.
        what: &'static str,
        /// The service's answer.
        message: String,
    },
    /// A stored item the registry cannot read (written by something else, or damaged).
    #[error("the registry holds an unreadable {what}: {message}")]
    Corrupt {
        /// Which item.
        what: String,
        /// What is wrong with it.
        message: String,
    },
}
