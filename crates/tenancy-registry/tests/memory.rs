//! The lifecycle's rules on the in-memory registry (the same scenarios run on DynamoDB in
//! `dynamodb.rs`), and the sign-up's idempotency.

use std::sync::Arc;

use tenancy_registry::{MemoryRegistry, Outcome, Registry, RegistryError};

mod support;
use support::scenario::{self, caller, sign_up};

#[tokio::test]
async fn a_tenant_lives_its_whole_life_with_one_audit_entry_and_one_event_per_transition() {
    scenario::whole_life(&MemoryRegistry::default(), "acme").await;
}

#[tokio::test]
async fn a_topic_outage_delays_events_and_loses_none() {
    scenario::a_topic_outage_delays_events_and_loses_none(&MemoryRegistry::default(), "acme").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_make_one_transition() {
    scenario::racing_writers_make_one_transition(Arc::new(MemoryRegistry::default()), "acme").await;
}

#[tokio::test]
async fn a_listing_walks_every_record_once() {
    scenario::a_listing_walks_every_record_once(&MemoryRegistry::default()).await;
}

#[tokio::test]
async fn a_sign_up_is_idempotent_by_key_and_by_email_and_conflicts_name_the_field() {
    let registry = MemoryRegistry::default();
    let who = caller("registration", "req-1");
    assert!(matches!(registry.register(&sign_up("acme"), Some("k1"), &who).await.unwrap(), Outcome::Created(_)));
    assert!(matches!(registry.register(&sign_up("acme"), Some("k1"), &who).await.unwrap(), Outcome::Existing(_)));
    assert!(matches!(registry.register(&sign_up("acme"), None, &who).await.unwrap(), Outcome::Existing(_)));
    let field = |err: RegistryError| match err {
        RegistryError::Conflict { field, .. } => field,
        other => panic!("a conflict: {other}"),
    };
    assert_eq!(field(registry.register(&sign_up("other"), Some("k1"), &who).await.unwrap_err()), "Idempotency-Key");
    let mut same_email = sign_up("acme-eu");
    same_email.email = "ops@acme.example".into();
    assert_eq!(field(registry.register(&same_email, None, &who).await.unwrap_err()), "email");
    let mut same_id = sign_up("acme");
    same_id.email = "new@acme.example".into();
    assert_eq!(field(registry.register(&same_id, None, &who).await.unwrap_err()), "tenantId");
    assert_eq!(registry.audit("acme").await.unwrap().len(), 1);
}
