//! The registry: one DynamoDB table (`Pk`, `Sk`) that holds each tenant's lifecycle record, its
//! audit trail and the claims that make a sign-up idempotent. A registration is one transaction
//! of conditional puts, so either all of it is written or none:
//!
//! | Pk | Sk | what |
//! |---|---|---|
//! | `tenant#<id>` | `record` | the lifecycle record: `State` (`requested` ...), `Version`, the sign-up's fields, `BuildId` once the job started |
//! | `tenant#<id>` | `audit#000001` | the audit trail, one item per transition, numbered by the record's version: who, what, when, the request id |
//! | `email#<email>` | `claim` | one tenant per admin email |
//! | `idempotency#<key>` | `claim` | one registration per `Idempotency-Key` |
//!
//! Every put requires `attribute_not_exists(Pk)`, so two racing sign-ups for one id, one email
//! or one key cannot both win, and an audit entry can never be overwritten. A losing or repeated
//! sign-up reads the claims back to tell a retry of the same sign-up (answered with the existing
//! record) from a conflict (answered 409, naming the field).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tenancy::contract::lifecycle::State;
use tenant_context::AppError;

/// A validated sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The tenant id asked for (a DNS label, checked by the core's `TenantId`).
    pub tenant_id: String,
    /// The display name.
    pub name: String,
    /// The admin's email, lower-cased: the tenant's first user.
    pub email: String,
    /// One of the platform's tiers.
    pub tier: String,
}

/// A tenant's lifecycle record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The sign-up it was made from.
    pub registration: Registration,
    /// The lifecycle state's name (`requested`, `provisioning`, ...; see `contract::lifecycle`).
    pub state: String,
    /// Incremented by every transition; the number of the last audit entry.
    pub version: u64,
    /// The onboarding build, once started.
    pub build_id: Option<String>,
}

impl Record {
    /// The record a new sign-up starts with: `requested`, version 1, no build yet.
    pub fn requested(registration: &Registration) -> Self {
        Self { registration: registration.clone(), state: State::Requested.name().into(), version: 1, build_id: None }
    }
}

/// Who asked, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The principal: `registration` for a public sign-up.
    pub actor: String,
    /// The request id ([`tenant_context::serve::RequestId`]).
    pub request_id: String,
    /// Seconds since the epoch.
    pub at: u64,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The record's version this entry made.
    pub version: u64,
    /// The event (`register`, then the lifecycle's events).
    pub event: String,
    /// The state it moved the tenant to.
    pub to: String,
    /// Who did it, with which request, when.
    pub caller: Caller,
}

/// What a sign-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new record, in state `requested`.
    Created(Record),
    /// The same sign-up was made before (same key, or same email and id): its record.
    Existing(Record),
}

/// Where registrations are kept.
#[async_trait]
pub trait Registrations: Send + Sync {
    /// Records `registration` as `requested`, with its first audit entry and its claims, or
    /// finds the same sign-up made before. A conflict is `AppError::Conflict` naming the field.
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, AppError>;
    /// Notes the onboarding build of `tenant`, unless one is noted already; returns the record.
    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, AppError>;
    /// The audit trail of `tenant`, oldest first.
    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, AppError>;
    /// Whether the store answers.
    async fn ready(&self) -> Result<(), AppError>;
}

fn conflict(field: &str, problem: &str) -> AppError {
    AppError::Conflict(format!("{field}: {problem}"))
}

/// Decides a sign-up that lost its conditional write, from what the claims hold: the same
/// sign-up again (idempotent), or a conflict naming the field. `None` when nothing is claimed
/// (the write that won was itself cancelled): the client should retry.
fn resolve(
    registration: &Registration,
    key_owner: Option<String>,
    email_owner: Option<String>,
    record: Option<Record>,
) -> Result<Option<Record>, AppError> {
    if let Some(owner) = key_owner {
        return match record {
            Some(r) if owner == registration.tenant_id && r.registration == *registration => Ok(Some(r)),
            _ => Err(conflict("Idempotency-Key", "this key was used for another registration; send a new key")),
        };
    }
    match (email_owner, record) {
        (Some(owner), Some(r)) if owner == registration.tenant_id => Ok(Some(r)),
        (Some(_), _) => Err(conflict("email", "this email has registered another tenant; sign in instead")),
        (None, Some(_)) => Err(conflict("tenantId", "this tenant id is taken; choose another")),
        (None, None) => Ok(None),
    }
}

/// Registrations in memory, with the same semantics, for tests and benchmarks.
#[derive(Default)]
pub struct MemoryRegistrations {
    inner: Mutex<Memory>,
}

#[derive(Default)]
struct Memory {
    records: HashMap<String, Record>,
    audit: HashMap<String, Vec<AuditEntry>>,
    emails: HashMap<String, String>,
    keys: HashMap<String, String>,
}

fn register_entry(caller: &Caller) -> AuditEntry {
    AuditEntry { version: 1, event: "register".into(), to: State::Requested.name().into(), caller: caller.clone() }
}

#[async_trait]
impl Registrations for MemoryRegistrations {
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, AppError> {
        let mut m = self.inner.lock().expect("lock");
        let taken = key.is_some_and(|k| m.keys.contains_key(k))
            || m.emails.contains_key(&registration.email)
            || m.records.contains_key(&registration.tenant_id);
        if taken {
            let key_owner = key.and_then(|k| m.keys.get(k).cloned());
            let email_owner = m.emails.get(&registration.email).cloned();
            let record = m.records.get(&registration.tenant_id).cloned();
            return resolve(registration, key_owner, email_owner, record)?
                .map(Outcome::Existing)
                .ok_or_else(|| AppError::Unavailable("a concurrent registration; retry".into()));
        }
        let record = Record::requested(registration);
        let id = registration.tenant_id.clone();
        m.records.insert(id.clone(), record.clone());
        m.audit.insert(id.clone(), vec![register_entry(caller)]);
        m.emails.insert(registration.email.clone(), id.clone());
        if let Some(key) = key {
            m.keys.insert(key.to_owned(), id);
        }
        Ok(Outcome::Created(record))
    }

    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, AppError> {
        let mut m = self.inner.lock().expect("lock");
        let record = m.records.get_mut(tenant).ok_or_else(|| AppError::NotFound("no such tenant".into()))?;
        record.build_id.get_or_insert_with(|| build_id.to_owned());
        Ok(record.clone())
    }

    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, AppError> {
        Ok(self.inner.lock().expect("lock").audit.get(tenant).cloned().unwrap_or_default())
    }

    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

/// Every DynamoDB action [`DynamoRegistrations`] calls: what the registration service's role
/// must grant, on the registry table only. A TransactWriteItems call is authorized per item, as
/// the PutItem it holds (there is no IAM action of its own).
pub const IAM_ACTIONS: [&str; 5] =
    ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"];

/// The registry table on DynamoDB.
pub struct DynamoRegistrations {
    client: Client,
    table: String,
}

impl DynamoRegistrations {
    /// The registry in `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn item(&self, pk: String, sk: &str) -> Result<Option<HashMap<String, AttributeValue>>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Pk", s(pk))
            .key("Sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| internal("read the registry", e))?;
        Ok(out.item)
    }

    async fn record(&self, tenant: &str) -> Result<Option<Record>, AppError> {
        Ok(self.item(format!("tenant#{tenant}"), "record").await?.as_ref().and_then(record_from))
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn internal(what: &str, err: impl std::error::Error + 'static) -> AppError {
    AppError::Internal(format!("{what}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(err)))
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

fn record_from(item: &HashMap<String, AttributeValue>) -> Option<Record> {
    Some(Record {
        registration: Registration {
            tenant_id: text(item, "TenantId")?,
            name: text(item, "Name")?,
            email: text(item, "AdminEmail")?,
            tier: text(item, "Tier")?,
        },
        state: text(item, "State")?,
        version: number(item, "Version")?,
        build_id: text(item, "BuildId"),
    })
}

/// A put that fails if its item exists.
fn put_new(table: &str, item: HashMap<String, AttributeValue>) -> Result<TransactWriteItem, AppError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(Pk)")
        .build()
        .map_err(|e| AppError::Internal(format!("a registry put: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn audit_item(tenant: &str, entry: &AuditEntry) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("Pk".to_owned(), s(format!("tenant#{tenant}"))),
        ("Sk".to_owned(), s(format!("audit#{:06}", entry.version))),
        ("Event".to_owned(), s(&entry.event)),
        ("To".to_owned(), s(&entry.to)),
        ("Actor".to_owned(), s(&entry.caller.actor)),
        ("RequestId".to_owned(), s(&entry.caller.request_id)),
        ("At".to_owned(), AttributeValue::N(entry.caller.at.to_string())),
    ])
}

fn claim(pk: String, tenant: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("Pk".to_owned(), s(pk)), ("Sk".to_owned(), s("claim")), ("TenantId".to_owned(), s(tenant))])
}

#[async_trait]
impl Registrations for DynamoRegistrations {
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, AppError> {
        let tenant = &registration.tenant_id;
        let record = HashMap::from([
            ("Pk".to_owned(), s(format!("tenant#{tenant}"))),
            ("Sk".to_owned(), s("record")),
            ("TenantId".to_owned(), s(tenant)),
            ("Name".to_owned(), s(&registration.name)),
            ("AdminEmail".to_owned(), s(&registration.email)),
            ("Tier".to_owned(), s(&registration.tier)),
            ("State".to_owned(), s(State::Requested.name())),
            ("Version".to_owned(), AttributeValue::N("1".into())),
        ]);
        let mut items = vec![
            put_new(&self.table, record)?,
            put_new(&self.table, audit_item(tenant, &register_entry(caller)))?,
            put_new(&self.table, claim(format!("email#{}", registration.email), tenant))?,
        ];
        if let Some(key) = key {
            items.push(put_new(&self.table, claim(format!("idempotency#{key}"), tenant))?);
        }
        let written = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match written {
            Ok(_) => Ok(Outcome::Created(Record::requested(registration))),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception()) => {
                let owner =
                    |item: Option<HashMap<String, AttributeValue>>| item.as_ref().and_then(|i| text(i, "TenantId"));
                let key_owner = match key {
                    Some(key) => owner(self.item(format!("idempotency#{key}"), "claim").await?),
                    None => None,
                };
                let email_owner = owner(self.item(format!("email#{}", registration.email), "claim").await?);
                let record = self.record(tenant).await?;
                resolve(registration, key_owner, email_owner, record)?
                    .map(Outcome::Existing)
                    .ok_or_else(|| AppError::Unavailable("a concurrent registration; retry".into()))
            }
            Err(err) => Err(internal("write the registration", err)),
        }
    }

    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, AppError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Pk", s(format!("tenant#{tenant}")))
            .key("Sk", s("record"))
            .update_expression("SET BuildId = :build")
            .condition_expression("attribute_exists(Pk) AND attribute_not_exists(BuildId)")
            .expression_attribute_values(":build", s(build_id))
            .send()
            .await;
        match updated {
            Ok(_) => {}
            // Another request noted its build first: keep that one.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(err) => return Err(internal("note the onboarding build", err)),
        }
        self.record(tenant).await?.ok_or_else(|| AppError::NotFound("no such tenant".into()))
    }

    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, AppError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("Pk = :pk AND begins_with(Sk, :audit)")
            .expression_attribute_values(":pk", s(format!("tenant#{tenant}")))
            .expression_attribute_values(":audit", s("audit#"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| internal("read the audit trail", e))?;
        Ok(out
            .items()
            .iter()
            .filter_map(|item| {
                Some(AuditEntry {
                    version: text(item, "Sk")?.strip_prefix("audit#")?.parse().ok()?,
                    event: text(item, "Event")?,
                    to: text(item, "To")?,
                    caller: Caller {
                        actor: text(item, "Actor")?,
                        request_id: text(item, "RequestId")?,
                        at: number(item, "At")?,
                    },
                })
            })
            .collect())
    }

    async fn ready(&self) -> Result<(), AppError> {
        self.client.describe_table().table_name(&self.table).send().await.map_err(|e| {
            AppError::Unavailable(format!("table {}: {}", self.table, aws_sdk_dynamodb::error::DisplayErrorContext(e)))
        })?;
        Ok(())
    }
}
