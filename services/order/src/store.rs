//! Where a tenant's orders live: its silo DynamoDB table (partition key OrderId), or memory for
//! tests. The table belongs to one tenant, so no operation needs a tenant key.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use tenant_context::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub product_id: String,
    pub price_cents: u64,
    pub quantity: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrder {
    pub id: String,
    pub name: String,
    pub lines: Vec<LineItem>,
}

#[async_trait]
pub trait Orders: Send + Sync {
    async fn list(&self, limit: usize, after: Option<String>) -> Result<(Vec<StoredOrder>, Option<String>), AppError>;
    async fn get(&self, id: &str) -> Result<Option<StoredOrder>, AppError>;
    async fn put(&self, order: &StoredOrder) -> Result<(), AppError>;
    async fn ready(&self) -> Result<(), AppError>;
}

#[derive(Default)]
pub struct MemoryOrders {
    items: Mutex<BTreeMap<String, StoredOrder>>,
}

#[async_trait]
impl Orders for MemoryOrders {
    async fn list(&self, limit: usize, after: Option<String>) -> Result<(Vec<StoredOrder>, Option<String>), AppError> {
        let items = self.items.lock().expect("lock");
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut page: Vec<StoredOrder> = Vec::new();
        for (_, order) in items.range((lower, Bound::Unbounded)) {
            if page.len() == limit {
                let last = page.last().map(|o| o.id.clone());
                return Ok((page, last));
            }
            page.push(order.clone());
        }
        Ok((page, None))
    }
    async fn get(&self, id: &str) -> Result<Option<StoredOrder>, AppError> {
        Ok(self.items.lock().expect("lock").get(id).cloned())
    }
    async fn put(&self, order: &StoredOrder) -> Result<(), AppError> {
        self.items.lock().expect("lock").insert(order.id.clone(), order.clone());
        Ok(())
    }
    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

/// Every DynamoDB action `DynamoOrders` calls, on the tenant's silo table: what the tenant
/// role and its boundary must grant (checked against the generated templates).
pub const IAM_ACTIONS: [&str; 4] = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"];

/// What the service calls on the pooled product table to price lines (through
/// `product::DynamoProducts::get`), with the tenant's id as the partition key. The tenant role
/// grants it (the product service needs the same, see `product::store::IAM_ACTIONS`).
pub const PRODUCT_IAM_ACTIONS: [&str; 1] = ["dynamodb:GetItem"];

pub struct DynamoOrders {
    client: Client,
    table: String,
}

impl DynamoOrders {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

fn internal(what: &str, err: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {err}"))
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Option<StoredOrder> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(StoredOrder { id: s("OrderId")?, name: s("Name")?, lines: serde_json::from_str(&s("Lines")?).ok()? })
}

#[async_trait]
impl Orders for DynamoOrders {
    async fn list(&self, limit: usize, after: Option<String>) -> Result<(Vec<StoredOrder>, Option<String>), AppError> {
        // The silo table is the tenant's alone, so a Scan reads only its orders.
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(after.map(|id| HashMap::from([("OrderId".to_owned(), AttributeValue::S(id))])))
            .send()
            .await
            .map_err(|e| internal("list orders", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let items = out.items().iter().filter_map(from_item).collect();
        let next = out.last_evaluated_key().and_then(|k| k.get("OrderId")).and_then(|v| v.as_s().ok()).cloned();
        Ok((items, next))
    }

    async fn get(&self, id: &str) -> Result<Option<StoredOrder>, AppError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("OrderId", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|e| internal("get order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(out.item().and_then(from_item))
    }

    async fn put(&self, order: &StoredOrder) -> Result<(), AppError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("OrderId", AttributeValue::S(order.id.clone()))
            .item("Name", AttributeValue::S(order.name.clone()))
            .item("Lines", AttributeValue::S(serde_json::to_string(&order.lines).expect("serializes")))
            .condition_expression("attribute_not_exists(OrderId)")
            .send()
            .await
            .map_err(|e| internal("put order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), AppError> {
        self.client.describe_table().table_name(&self.table).send().await.map_err(|e| {
            AppError::Unavailable(format!("table {}: {}", self.table, aws_sdk_dynamodb::error::DisplayErrorContext(e)))
        })?;
        Ok(())
    }
}
