//! The registry on DynamoDB: one table (`Pk`, `Sk`, both strings) holding each tenant's record,
//! its audit trail and the claims that make a sign-up idempotent.
//!
//! | Pk | Sk | what |
//! |---|---|---|
//! | `tenant#<id>` | `record` | the record: `State` (with `FailedDuring`, `FailedCause` when failed), `Version`, the sign-up's fields, `BuildId` once the job started |
//! | `tenant#<id>` | `audit#000001` | the audit trail, one item per version of the record: `Event`, `From`, `To`, `Cause`, `Actor`, `RequestId`, `At`, and `Published` once the topic took it |
//! | `email#<email>` | `claim` | one tenant per admin email |
//! | `idempotency#<key>` | `claim` | one registration per `Idempotency-Key` |
//!
//! A sign-up is one transaction of puts that each require `attribute_not_exists(Pk)`, so two
//! racing sign-ups for one id, email or key cannot both win. A transition is one transaction
//! of an update that requires the version read and a put of the next audit entry that requires
//! its absence, so an entry is never overwritten and the trail has no gaps.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use tenancy::contract::lifecycle::{Event, State, Transition};

use crate::record::resolve;
use crate::{AuditEntry, Caller, Outcome, Page, Record, Registration, Registry, RegistryError};

/// Every DynamoDB action [`DynamoRegistry`] calls: what a role that writes the registry must
/// grant, on the registry table only. Declared in the core, where the compilers of the roles
/// and `verify` read it.
pub use tenancy::contract::calls::LIFECYCLE_IAM_ACTIONS as IAM_ACTIONS;

/// What [`Registry::list`] calls besides, on the registry table: only tenant management lists.
pub use tenancy::contract::calls::LISTING_IAM_ACTIONS;

/// DynamoDB calls one listing makes at most: each reads up to 1 MB, so a page of records is
/// found even among many audit entries and claims.
const LIST_CALLS: usize = 50;

/// The registry table on DynamoDB.
pub struct DynamoRegistry {
    client: Client,
    table: String,
}

impl DynamoRegistry {
    /// The registry in `table`.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    async fn item(&self, pk: String, sk: &str) -> Result<Option<Item>, RegistryError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("Pk", s(pk))
            .key("Sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read the registry", e))?;
        Ok(out.item)
    }
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn tenant_pk(tenant: &str) -> String {
    format!("tenant#{tenant}")
}

fn audit_sk(version: u64) -> String {
    format!("audit#{version:06}")
}

fn unavailable(what: &'static str, err: impl std::error::Error + 'static) -> RegistryError {
    RegistryError::Unavailable { what, message: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string() }
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(item: &Item, name: &str) -> Option<u64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())
}

fn corrupt(what: String, message: impl Into<String>) -> RegistryError {
    RegistryError::Corrupt { what, message: message.into() }
}

/// The state's attributes, from its stored form in the core (`{"state", "during", "cause"}`),
/// so the table and the lifecycle cannot disagree on a name.
const STATE_ATTRIBUTES: [(&str, &str); 3] = [("state", "State"), ("during", "FailedDuring"), ("cause", "FailedCause")];

fn state_attributes(state: &State) -> Vec<(&'static str, String)> {
    let stored = serde_json::to_value(state).unwrap_or_default();
    STATE_ATTRIBUTES
        .iter()
        .filter_map(|(field, attribute)| stored.get(field).and_then(|v| v.as_str()).map(|v| (*attribute, v.to_owned())))
        .collect()
}

fn state_from(item: &Item) -> Result<State, String> {
    let stored: serde_json::Map<String, serde_json::Value> = STATE_ATTRIBUTES
        .iter()
        .filter_map(|(field, attribute)| text(item, attribute).map(|v| ((*field).to_owned(), v.into())))
        .collect();
    serde_json::from_value(stored.into()).map_err(|e| e.to_string())
}

fn record_from(item: &Item) -> Result<Record, RegistryError> {
    let what = || format!("record {}", text(item, "Pk").unwrap_or_default());
    let field = |name: &str| text(item, name).ok_or_else(|| corrupt(what(), format!("no {name}")));
    Ok(Record {
        registration: Registration {
            tenant_id: field("TenantId")?,
            name: field("Name")?,
            email: field("AdminEmail")?,
            tier: field("Tier")?,
        },
        state: state_from(item).map_err(|e| corrupt(what(), e))?,
        version: number(item, "Version").ok_or_else(|| corrupt(what(), "no Version"))?,
        build_id: text(item, "BuildId"),
    })
}

fn audit_from(item: &Item) -> Option<AuditEntry> {
    Some(AuditEntry {
        version: text(item, "Sk")?.strip_prefix("audit#")?.parse().ok()?,
        event: text(item, "Event")?,
        from: text(item, "From"),
        to: text(item, "To")?,
        cause: text(item, "Cause"),
        tier: text(item, "Tier"),
        caller: Caller { actor: text(item, "Actor")?, request_id: text(item, "RequestId")?, at: number(item, "At")? },
        published: item.get("Published").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
    })
}

fn audit_item(tenant: &str, entry: &AuditEntry) -> Item {
    let mut item = HashMap::from([
        ("Pk".to_owned(), s(tenant_pk(tenant))),
        ("Sk".to_owned(), s(audit_sk(entry.version))),
        ("Event".to_owned(), s(&entry.event)),
        ("To".to_owned(), s(&entry.to)),
        ("Actor".to_owned(), s(&entry.caller.actor)),
        ("RequestId".to_owned(), s(&entry.caller.request_id)),
        ("At".to_owned(), n(entry.caller.at)),
    ]);
    for (name, value) in [("From", &entry.from), ("Cause", &entry.cause), ("Tier", &entry.tier)] {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
}

fn claim(pk: String, tenant: &str) -> Item {
    HashMap::from([("Pk".to_owned(), s(pk)), ("Sk".to_owned(), s("claim")), ("TenantId".to_owned(), s(tenant))])
}

/// A put that fails if its item exists.
fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, RegistryError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(Pk)")
        .build()
        .map_err(|e| corrupt("put".into(), e.to_string()))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The update of a record to `to` as `version`, only if it is still at `version - 1`. Every
/// attribute goes through a name placeholder: `State` is one of DynamoDB's reserved words.
fn update_state(
    table: &str,
    tenant: &str,
    to: &State,
    version: u64,
    tier: Option<&str>,
) -> Result<TransactWriteItem, RegistryError> {
    let mut names = HashMap::from([("#Version".to_owned(), "Version".to_owned())]);
    let mut values = HashMap::from([(":next".to_owned(), n(version)), (":read".to_owned(), n(version - 1))]);
    let mut set = vec!["#Version = :next".to_owned()];
    if let Some(tier) = tier {
        names.insert("#Tier".to_owned(), "Tier".to_owned());
        values.insert(":tier".to_owned(), s(tier));
        set.push("#Tier = :tier".to_owned());
    }
    let mut removed = Vec::new();
    let attributes = state_attributes(to);
    for (_, attribute) in STATE_ATTRIBUTES {
        names.insert(format!("#{attribute}"), attribute.to_owned());
        match attributes.iter().find(|(a, _)| *a == attribute) {
            Some((_, value)) => {
                set.push(format!("#{attribute} = :{attribute}"));
                values.insert(format!(":{attribute}"), s(value));
            }
            None => removed.push(format!("#{attribute}")),
        }
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !removed.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removed.join(", ")));
    }
    let update = Update::builder()
        .table_name(table)
        .key("Pk", s(tenant_pk(tenant)))
        .key("Sk", s("record"))
        .update_expression(expression)
        .condition_expression("#Version = :read")
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(|e| corrupt("update".into(), e.to_string()))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

#[async_trait]
impl Registry for DynamoRegistry {
    async fn register(
        &self,
        registration: &Registration,
        key: Option<&str>,
        caller: &Caller,
    ) -> Result<Outcome, RegistryError> {
        let tenant = &registration.tenant_id;
        let mut record = HashMap::from([
            ("Pk".to_owned(), s(tenant_pk(tenant))),
            ("Sk".to_owned(), s("record")),
            ("TenantId".to_owned(), s(tenant)),
            ("Name".to_owned(), s(&registration.name)),
            ("AdminEmail".to_owned(), s(&registration.email)),
            ("Tier".to_owned(), s(&registration.tier)),
            ("Version".to_owned(), n(1)),
        ]);
        for (attribute, value) in state_attributes(&State::Requested) {
            record.insert(attribute.to_owned(), s(value));
        }
        let mut items = vec![
            put_new(&self.table, record)?,
            put_new(&self.table, audit_item(tenant, &AuditEntry::register(caller)))?,
            put_new(&self.table, claim(format!("email#{}", registration.email), tenant))?,
        ];
        if let Some(key) = key {
            items.push(put_new(&self.table, claim(format!("idempotency#{key}"), tenant))?);
        }
        let written = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match written {
            Ok(_) => Ok(Outcome::Created(Record::requested(registration))),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception()) => {
                let owner = |item: Option<Item>| item.as_ref().and_then(|i| text(i, "TenantId"));
                let key_owner = match key {
                    Some(key) => owner(self.item(format!("idempotency#{key}"), "claim").await?),
                    None => None,
                };
                let email_owner = owner(self.item(format!("email#{}", registration.email), "claim").await?);
                let record = self.record(tenant).await?;
                resolve(registration, key_owner, email_owner, record)?
                    .map(Outcome::Existing)
                    .ok_or_else(|| RegistryError::Contended { tenant: tenant.clone(), attempts: 1 })
            }
            Err(err) => Err(unavailable("write the registration", err)),
        }
    }

    async fn record(&self, tenant: &str) -> Result<Option<Record>, RegistryError> {
        self.item(tenant_pk(tenant), "record").await?.as_ref().map(record_from).transpose()
    }

    async fn write(
        &self,
        record: &Record,
        transition: &Transition,
        event: &Event,
        caller: &Caller,
    ) -> Result<Option<Record>, RegistryError> {
        let tenant = &record.registration.tenant_id;
        let version = record.version + 1;
        let entry = AuditEntry::transition(version, &transition.from, &transition.to, event, caller);
        let items = vec![
            update_state(&self.table, tenant, &transition.to, version, crate::new_tier(event))?,
            put_new(&self.table, audit_item(tenant, &entry))?,
        ];
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => {
                let mut written = Record { state: transition.to.clone(), version, ..record.clone() };
                if let Some(tier) = crate::new_tier(event) {
                    written.registration.tier = tier.to_owned();
                }
                Ok(Some(written))
            }
            // The version moved (or a transaction on the item was in flight): read again.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception()) => Ok(None),
            Err(err) => Err(unavailable("write the transition", err)),
        }
    }

    async fn set_build(&self, tenant: &str, build_id: &str) -> Result<Record, RegistryError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("Pk", s(tenant_pk(tenant)))
            .key("Sk", s("record"))
            .update_expression("SET BuildId = :build")
            .condition_expression("attribute_exists(Pk) AND attribute_not_exists(BuildId)")
            .expression_attribute_values(":build", s(build_id))
            .send()
            .await;
        match updated {
            Ok(_) => {}
            // Another request noted its build first (or there is no record, found below).
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(err) => return Err(unavailable("note the onboarding build", err)),
        }
        self.record(tenant).await?.ok_or_else(|| RegistryError::NotFound { tenant: tenant.into() })
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Page, RegistryError> {
        // A Scan of the records only (`Sk = record`); a walk resumes at the last record returned,
        // whose key is a valid start key however the pages of the Scan fell.
        let mut start = after
            .map(|tenant| HashMap::from([("Pk".to_owned(), s(tenant_pk(tenant))), ("Sk".to_owned(), s("record"))]));
        let mut records = Vec::new();
        for _ in 0..LIST_CALLS {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("Sk = :record")
                .expression_attribute_values(":record", s("record"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("list the registry", e))?;
            for item in out.items() {
                records.push(record_from(item)?);
                if records.len() == limit {
                    let next = records.last().map(|r| r.registration.tenant_id.clone());
                    return Ok(Page { records, next });
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(Page { records, next: None }),
            }
        }
        // Fewer records than asked for, but more to read: the next page goes on from here.
        let next = records.last().map(|r| r.registration.tenant_id.clone());
        match next {
            Some(_) => Ok(Page { records, next }),
            None => Err(corrupt("the registry".into(), format!("no record in {LIST_CALLS} pages of its table"))),
        }
    }

    async fn audit(&self, tenant: &str) -> Result<Vec<AuditEntry>, RegistryError> {
        let mut entries = Vec::new();
        let mut start = None;
        // A trail is a few items; the bound only stops a damaged table from looping forever.
        for _ in 0..100 {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("Pk = :pk AND begins_with(Sk, :audit)")
                .expression_attribute_values(":pk", s(tenant_pk(tenant)))
                .expression_attribute_values(":audit", s("audit#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("read the audit trail", e))?;
            for item in out.items() {
                entries.push(audit_from(item).ok_or_else(|| {
                    corrupt(
                        format!("audit entry {} of {tenant}", text(item, "Sk").unwrap_or_default()),
                        "missing fields",
                    )
                })?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(entries),
            }
        }
        Err(corrupt(format!("audit trail of {tenant}"), "more than 100 pages"))
    }

    async fn mark_published(&self, tenant: &str, version: u64) -> Result<(), RegistryError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("Pk", s(tenant_pk(tenant)))
            .key("Sk", s(audit_sk(version)))
            .update_expression("SET Published = :yes")
            .condition_expression("attribute_exists(Pk)")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| unavailable("mark an event published", e))?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), RegistryError> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| unavailable("reach its table", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenancy::contract::lifecycle::Phase;

    fn item(attributes: Vec<(&'static str, String)>) -> Item {
        attributes.into_iter().map(|(k, v)| (k.to_owned(), s(v))).collect()
    }

    #[test]
    fn a_state_round_trips_through_its_attributes() {
        for state in [
            State::Requested,
            State::Active,
            State::Failed { during: Phase::Offboarding, cause: "namespace stuck".into() },
        ] {
            assert_eq!(state_from(&item(state_attributes(&state))), Ok(state));
        }
        let failed = state_attributes(&State::Failed { during: Phase::Provisioning, cause: "boom".into() });
        assert_eq!(
            failed,
            [
                ("State", "failed".to_owned()),
                ("FailedDuring", "provisioning".to_owned()),
                ("FailedCause", "boom".to_owned())
            ]
        );
    }

    #[test]
    fn an_unknown_or_incomplete_state_is_unreadable_not_guessed() {
        let unknown = state_from(&item(vec![("State", "paused".into())])).unwrap_err();
        assert!(unknown.contains("paused"), "{unknown}");
        let no_cause = state_from(&item(vec![("State", "failed".into()), ("FailedDuring", "provisioning".into())]));
        assert!(no_cause.unwrap_err().contains("cause"));
    }
}
