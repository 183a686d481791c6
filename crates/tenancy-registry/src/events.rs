//! The lifecycle topic: every audit entry is published as one JSON event to the platform's SNS
//! topic (`<platform>-tenant-lifecycle`, made by the baseline stack), for subscribers such as a
//! billing system, the provider's alerting or a CRM.
//!
//! The message (`format` `tenancy.lifecycle/v1`):
//!
//! ```json
//! {"format": "tenancy.lifecycle/v1", "tenantId": "acme", "version": 3, "event": "provisioned",
//!  "from": "provisioning", "to": "active", "actor": "onboarding-job", "requestId": "...", "at": 1764750000}
//! ```
//!
//! `from` is absent for the sign-up (`event` `register`), `cause` is present for a failure. Two
//! message attributes, `event` and `state` (the state reached), let a subscription filter
//! without reading the body (an SNS filter policy such as `{"state": ["failed"]}`).
//!
//! Delivery is at least once and in order per tenant as written, never lost by a crash: the
//! audit entry is the outbox. It is written unpublished together with the transition, and
//! [`publish_pending`] publishes a tenant's unpublished entries in version order, marking each
//! after SNS accepted it. A crash between the two publishes that entry again on the next call,
//! so subscribers drop repeats by `(tenantId, version)`.

use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use serde::{Deserialize, Serialize};

use crate::{AuditEntry, Registry, RegistryError};

/// The format of every message on the lifecycle topic.
pub const FORMAT: &str = "tenancy.lifecycle/v1";

/// Every SNS action [`SnsEvents`] calls: what a role that publishes must grant, on the
/// lifecycle topic only. Declared in the core, where the compilers of the roles read it.
pub use tenancy::contract::calls::EVENTS_IAM_ACTIONS as IAM_ACTIONS;

/// One event on the lifecycle topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleEvent {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tenant.
    pub tenant_id: String,
    /// The record's version this event made: per tenant, events are numbered without gaps.
    pub version: u64,
    /// `register`, or the lifecycle's event.
    pub event: String,
    /// The state left; absent for the sign-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The state reached.
    pub to: String,
    /// Why, for a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The tier reached, for a tier change (`event` `change-tier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Who did it.
    pub actor: String,
    /// The request (or build) that did it.
    pub request_id: String,
    /// When, in seconds since the epoch.
    pub at: u64,
}

impl LifecycleEvent {
    /// The event of one audit entry of `tenant`.
    pub fn of(tenant: &str, entry: &AuditEntry) -> Self {
        Self {
            format: FORMAT.into(),
            tenant_id: tenant.into(),
            version: entry.version,
            event: entry.event.clone(),
            from: entry.from.clone(),
            to: entry.to.clone(),
            cause: entry.cause.clone(),
            tier: entry.tier.clone(),
            actor: entry.caller.actor.clone(),
            request_id: entry.caller.request_id.clone(),
            at: entry.caller.at,
        }
    }
}

/// Where events go.
#[async_trait]
pub trait Events: Send + Sync {
    /// Publishes one event; `Ok` once the topic has taken it.
    async fn publish(&self, event: &LifecycleEvent) -> Result<(), RegistryError>;
}

/// The platform's lifecycle topic on SNS.
pub struct SnsEvents {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsEvents {
    /// Events to the topic `topic_arn`.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, RegistryError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| RegistryError::Corrupt { what: "message attribute".into(), message: e.to_string() })
}

#[async_trait]
impl Events for SnsEvents {
    async fn publish(&self, event: &LifecycleEvent) -> Result<(), RegistryError> {
        let message = serde_json::to_string(event)
            .map_err(|e| RegistryError::Corrupt { what: "event".into(), message: e.to_string() })?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(format!("tenant {}: {}", event.tenant_id, event.to))
            .message(message)
            .message_attributes("event", attribute(&event.event)?)
            .message_attributes("state", attribute(&event.to)?)
            .send()
            .await
            .map_err(|e| RegistryError::Unavailable {
                what: "publish to the lifecycle topic",
                message: aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
            })?;
        Ok(())
    }
}

/// Events kept in memory, for tests; [`RecordedEvents::fail`] makes the next publishes fail,
/// as an unreachable topic would.
#[derive(Default)]
pub struct RecordedEvents {
    published: Mutex<Vec<LifecycleEvent>>,
    failing: std::sync::atomic::AtomicBool,
}

impl RecordedEvents {
    /// What was published, in order.
    pub fn published(&self) -> Vec<LifecycleEvent> {
        self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Makes publishing fail (`true`) or succeed again (`false`).
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait]
impl Events for RecordedEvents {
    async fn publish(&self, event: &LifecycleEvent) -> Result<(), RegistryError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(RegistryError::Unavailable { what: "publish to the lifecycle topic", message: "down".into() });
        }
        self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(event.clone());
        Ok(())
    }
}

/// Publishes the unpublished audit entries of `tenant`, oldest first, marking each once the
/// topic took it; returns how many it published. It stops at the first failure, so a later
/// event is never published before an earlier one.
pub async fn publish_pending(
    registry: &dyn Registry,
    events: &dyn Events,
    tenant: &str,
) -> Result<usize, RegistryError> {
    let mut sent = 0;
    for entry in registry.audit(tenant).await?.iter().filter(|e| !e.published) {
        events.publish(&LifecycleEvent::of(tenant, entry)).await?;
        registry.mark_published(tenant, entry.version).await?;
        sent += 1;
    }
    Ok(sent)
}
