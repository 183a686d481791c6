//! What both tests of tenant management set up: registered tenants moved through their events.

use tenancy::contract::lifecycle::Event;
use tenancy_registry::{Caller, Registration, Registry, transition};

/// Registers each tenant (`ops@<id>.example`, tier basic) and applies its events, as the
/// onboarding job (`build-1`) would.
pub async fn seed(registry: &dyn Registry, tenants: &[(&str, &[Event])]) {
    let job = Caller { actor: "onboarding-job".into(), request_id: "build-1".into(), at: 1 };
    for (id, events) in tenants {
        let registration = Registration {
            tenant_id: (*id).into(),
            name: (*id).into(),
            email: format!("ops@{id}.example"),
            tier: "basic".into(),
        };
        registry.register(&registration, None, &job).await.unwrap();
        for event in *events {
            transition(registry, id, event, &job).await.unwrap();
        }
    }
}
