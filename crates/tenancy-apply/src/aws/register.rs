//! The tenant registry: one item per tenant in the `Tenant` table, written with a version
//! condition so two writers never overwrite each other's record.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{Configs, sdk_error};
use crate::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use tenancy::contract::RecordField;
use tenancy::plan::Action;

/// Declared in the core, where `verify` reads it too.
pub use tenancy::contract::calls::REGISTER_IAM_ACTIONS as IAM_ACTIONS;

pub struct Register {
    configs: Configs,
    region: String,
    /// The records this apply has sent a write for: a retry that finds the record already as
    /// wanted (the write went through, its reply was lost) reports it written, not unchanged.
    written: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Register {
    pub fn new(configs: Configs, region: String) -> Self {
        Self { configs, region, written: std::sync::Mutex::default() }
    }

    async fn client(&self) -> Client {
        Client::new(&self.configs.get(&self.region).await)
    }
}

/// The record's fields besides its key and version.
fn fields(tier: &str, domain: &str, status: &str, record: &BTreeMap<RecordField, String>) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::from([
        ("Tier".to_owned(), tier.to_owned()),
        ("SignInDomain".to_owned(), domain.to_owned()),
        ("Status".to_owned(), status.to_owned()),
    ]);
    for (field, value) in record {
        fields.insert(attribute(*field).to_owned(), value.clone());
    }
    fields
}

/// The table attribute of a record field.
fn attribute(field: RecordField) -> &'static str {
    match field {
        RecordField::AccessRoleArn => "AccessRoleArn",
        RecordField::ClientId => "ClientId",
        RecordField::Issuer => "Issuer",
        RecordField::RoleArn => "RoleArn",
        RecordField::UserPoolId => "UserPoolId",
    }
}

/// The current item: its fields and version, if it exists.
async fn current(
    client: &Client,
    table: &str,
    tenant: &str,
) -> Result<Option<(BTreeMap<String, String>, u64)>, StepError> {
    let out = client
        .get_item()
        .table_name(table)
        .key("TenantId", AttributeValue::S(tenant.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| sdk_error(&format!("read tenant record {tenant}"), e))?;
    Ok(out.item().map(|item| {
        let version = item.get("Version").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).unwrap_or(0);
        let fields = item
            .iter()
            .filter(|(k, _)| k.as_str() != "TenantId" && k.as_str() != "Version")
            .filter_map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone())))
            .collect();
        (fields, version)
    }))
}

/// Writes `fields` as version `version + 1`, only if the stored version is still `version`.
async fn put(
    client: &Client,
    table: &str,
    tenant: &str,
    fields: &BTreeMap<String, String>,
    version: Option<u64>,
) -> Result<u64, StepError> {
    let next = version.map_or(1, |v| v + 1);
    let mut item: HashMap<String, AttributeValue> =
        fields.iter().map(|(k, v)| (k.clone(), AttributeValue::S(v.clone()))).collect();
    item.insert("TenantId".into(), AttributeValue::S(tenant.to_owned()));
    item.insert("Version".into(), AttributeValue::N(next.to_string()));
    let request = client.put_item().table_name(table).set_item(Some(item));
    let request = match version {
        None => request.condition_expression("attribute_not_exists(TenantId)"),
        Some(v) => request
            .condition_expression("Version = :expected")
            .expression_attribute_values(":expected", AttributeValue::N(v.to_string())),
    };
    match request.send().await {
        Ok(_) => Ok(next),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
            // Someone else wrote the record meanwhile: read it again and retry.
            Err(StepError::transient(format!("tenant record {tenant} changed while it was being written")))
        }
        Err(err) => Err(sdk_error(&format!("write tenant record {tenant}"), err)),
    }
}

#[async_trait]
impl Provider for Register {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let Action::Register { table, tenant, tier, domain } = &run.step.action else {
            return Err(StepError::fatal("not a registration step"));
        };
        let wanted = fields(tier, domain, "active", &run.record());
        if run.dry_run {
            return Ok(StepOutcome {
                state: None,
                changed: true,
                outputs: BTreeMap::new(),
                summary: vec![format!("write tenant record {tenant}")],
            });
        }
        let client = self.client().await;
        let existing = current(&client, table, tenant).await?;
        if let Some((fields, version)) = &existing
            && *fields == wanted
        {
            let ours = self.written.lock().expect("not poisoned").contains(tenant.as_str());
            return Ok(StepOutcome {
                state: None,
                changed: ours,
                outputs: BTreeMap::from([("Version".to_owned(), version.to_string())]),
                summary: if ours { vec![format!("tenant record {tenant} at version {version}")] } else { vec![] },
            });
        }
        self.written.lock().expect("not poisoned").insert(tenant.to_string());
        let version = put(&client, table, tenant, &wanted, existing.map(|(_, v)| v)).await?;
        Ok(StepOutcome {
            state: None,
            changed: true,
            outputs: BTreeMap::from([("Version".to_owned(), version.to_string())]),
            summary: vec![format!("tenant record {tenant} at version {version}")],
        })
    }

    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError> {
        let Action::Register { table, tenant, .. } = &removal.action else {
            return Err(StepError::fatal("not a registration step"));
        };
        let client = self.client().await;
        let Some((mut fields, version)) = current(&client, table, tenant).await? else {
            return Ok(StepOutcome {
                state: None,
                changed: false,
                outputs: BTreeMap::new(),
                summary: vec![format!("no record for {tenant}")],
            });
        };
        fields.insert("Status".into(), "deleted".into());
        let version = put(&client, table, tenant, &fields, Some(version)).await?;
        Ok(StepOutcome {
            state: None,
            changed: true,
            outputs: BTreeMap::new(),
            summary: vec![format!("tenant record {tenant} marked deleted (version {version})")],
        })
    }
}
