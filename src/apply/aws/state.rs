//! The journal and lock in DynamoDB, for applies that run on AWS (CodeBuild, the pipeline),
//! where no local directory survives between builds. One item per step (`step#<id>`, the
//! record as JSON) and one lock item (`lock`) taken by a conditional write with a lease, so a
//! build that dies cannot hold the lock forever.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::Configs;
use crate::apply::state::{Journal, LockGuard, STATE_FORMAT, StateError, StateStore, StepRecord};
use crate::plan::StepId;

/// How long a lock holds without being released: longer than any apply.
pub const LEASE: Duration = Duration::from_secs(6 * 3600);

pub struct DynamoState {
    configs: Configs,
    region: String,
    table: String,
    holder: String,
}

impl DynamoState {
    pub fn new(configs: Configs, region: String, table: String) -> Self {
        let holder = format!(
            "{}:{}",
            std::env::var("CODEBUILD_BUILD_ID").unwrap_or_else(|_| "local".into()),
            std::process::id()
        );
        Self { configs, region, table, holder }
    }

    async fn client(&self) -> Client {
        Client::new(&self.configs.get(&self.region).await)
    }

    fn remote(&self, message: impl std::fmt::Display) -> StateError {
        StateError::Remote { table: self.table.clone(), message: message.to_string() }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Releases the lock when dropped (best effort: the lease ends it anyway).
struct DynamoLock {
    client: Client,
    table: String,
    holder: String,
}

impl LockGuard for DynamoLock {}

impl Drop for DynamoLock {
    fn drop(&mut self) {
        let (client, table, holder) = (self.client.clone(), self.table.clone(), self.holder.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = client
                    .delete_item()
                    .table_name(table)
                    .key("Key", AttributeValue::S("lock".into()))
                    .condition_expression("Holder = :me")
                    .expression_attribute_values(":me", AttributeValue::S(holder))
                    .send()
                    .await;
            });
        }
    }
}

#[async_trait]
impl StateStore for DynamoState {
    async fn lock(&self) -> Result<Box<dyn LockGuard>, StateError> {
        let client = self.client().await;
        let now = now();
        let put = client
            .put_item()
            .table_name(&self.table)
            .item("Key", AttributeValue::S("lock".into()))
            .item("Holder", AttributeValue::S(self.holder.clone()))
            .item("Expires", AttributeValue::N((now + LEASE.as_secs()).to_string()))
            .condition_expression("attribute_not_exists(#k) OR Expires < :now")
            .expression_attribute_names("#k", "Key")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Box::new(DynamoLock { client, table: self.table.clone(), holder: self.holder.clone() })),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                let holder = client
                    .get_item()
                    .table_name(&self.table)
                    .key("Key", AttributeValue::S("lock".into()))
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.item().and_then(|i| i.get("Holder")).and_then(|h| h.as_s().ok()).cloned())
                    .unwrap_or_else(|| "unknown".into());
                Err(StateError::Locked { store: format!("dynamodb:{}", self.table), holder })
            }
            Err(err) => Err(self.remote(format!("take the lock: {}", super::sdk_error("put", err)))),
        }
    }

    async fn load(&self) -> Result<Journal, StateError> {
        let client = self.client().await;
        let mut steps = BTreeMap::new();
        let mut start = None;
        // Bounded: a page per request, and a journal has one item per step.
        for _ in 0..10_000 {
            let page = client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.remote(format!("read the journal: {}", super::sdk_error("scan", e))))?;
            for item in page.items() {
                let Some(key) = item.get("Key").and_then(|k| k.as_s().ok()) else { continue };
                let Some(id) = key.strip_prefix("step#") else { continue };
                let record = item
                    .get("Record")
                    .and_then(|r| r.as_s().ok())
                    .ok_or_else(|| self.remote(format!("{key} has no record")))?;
                let record: StepRecord =
                    serde_json::from_str(record).map_err(|e| self.remote(format!("{key}: {e}")))?;
                steps.insert(StepId::new(id), record);
            }
            match page.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => return Ok(Journal { format: STATE_FORMAT.into(), steps }),
            }
        }
        Err(self.remote("the journal did not end after 10000 pages"))
    }

    async fn record(&self, id: &StepId, record: &StepRecord) -> Result<(), StateError> {
        self.client()
            .await
            .put_item()
            .table_name(&self.table)
            .item("Key", AttributeValue::S(format!("step#{id}")))
            .item("Record", AttributeValue::S(serde_json::to_string(record).expect("a record serializes")))
            .send()
            .await
            .map_err(|e| self.remote(format!("record {id}: {}", super::sdk_error("put", e))))?;
        Ok(())
    }
}
