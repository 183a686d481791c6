//! Where a tenant's orders live, in one of two layouts, or in memory for tests:
//!
//! - silo ([`DynamoOrders`]): a table per tenant, partition key OrderId. A dedicated Deployment
//!   holds one (TABLE_NAME); a pooled one fills a pattern (`saas-order-{tenant}`) per request.
//!   The table is the tenant's alone, so a listing may Scan it.
//! - pool ([`DynamoPoolOrders`]): one table for the tier's tenants, partition key TenantId, sort
//!   key OrderId. Every call names the tenant's partition; a listing is a Query, never a Scan (a
//!   Scan carries no partition key, so `dynamodb:LeadingKeys` could not confine it).
//!
//! Each operation asks [`TenantData`] for the client of the tenant it names (the pod's own when
//! dedicated, the tenant's vended session when pooled): the stores do not know the mode.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use tenant_context::{AppError, PodData, TableName, TenantData};

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
    /// Up to `limit` orders of `tenant` after `after`, and the last id when more may follow.
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredOrder>, Option<String>), AppError>;
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredOrder>, AppError>;
    /// Stores a new order (an id already taken is refused, never overwritten).
    async fn put(&self, tenant: &str, order: &StoredOrder) -> Result<(), AppError>;
    async fn ready(&self) -> Result<(), AppError>;
}

/// Orders in memory, kept apart by tenant.
#[derive(Default)]
pub struct MemoryOrders {
    items: Mutex<BTreeMap<(String, String), StoredOrder>>,
}

#[async_trait]
impl Orders for MemoryOrders {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredOrder>, Option<String>), AppError> {
        let items = self.items.lock().expect("lock");
        let lower = match after {
            Some(after) => Bound::Excluded((tenant.to_owned(), after)),
            None => Bound::Included((tenant.to_owned(), String::new())),
        };
        let mut page: Vec<StoredOrder> = Vec::new();
        for ((owner, _), order) in items.range((lower, Bound::Unbounded)) {
            if owner != tenant {
                break;
            }
            if page.len() == limit {
                let last = page.last().map(|o| o.id.clone());
                return Ok((page, last));
            }
            page.push(order.clone());
        }
        Ok((page, None))
    }
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredOrder>, AppError> {
        Ok(self.items.lock().expect("lock").get(&(tenant.to_owned(), id.to_owned())).cloned())
    }
    async fn put(&self, tenant: &str, order: &StoredOrder) -> Result<(), AppError> {
        self.items.lock().expect("lock").insert((tenant.to_owned(), order.id.clone()), order.clone());
        Ok(())
    }
    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

/// Every DynamoDB action `DynamoOrders` calls, on the tenant's silo table: what the tenant
/// role and its boundary must grant (checked against the generated templates).
pub const IAM_ACTIONS: [&str; 4] = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"];

/// Pooled compute, silo layout: what `DynamoOrders` calls with a tenant's vended credentials, on
/// `saas-order-<tenant>` (the access role's resource holds `${aws:PrincipalTag/TenantId}`, which
/// confines the Scan). No DescribeTable: a pooled pod's readiness names no tenant's table.
pub const SILO_ACCESS_IAM_ACTIONS: [&str; 3] = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"];

/// The pool layout: what `DynamoPoolOrders` calls with a tenant's vended credentials, on the
/// shared order table, each with the tenant's id as the only partition key (the access role keys
/// `dynamodb:LeadingKeys` to `${aws:PrincipalTag/TenantId}`). No Scan, ever.
pub const POOL_IAM_ACTIONS: [&str; 3] = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"];

/// Pooled compute: what the stores' `ready` calls with the pod's own role, on the shared order
/// table (pool layout; a silo pattern has no one table to describe): metadata, never items.
pub const READY_IAM_ACTIONS: [&str; 1] = ["dynamodb:DescribeTable"];

/// What the service calls on the pooled product table to price lines (through
/// `product::DynamoProducts::get`), with the tenant's id as the partition key. The tenant role
/// grants it (the product service needs the same, see `product::store::IAM_ACTIONS`); in pooled
/// compute the tenant-access role does, with the tenant's vended credentials.
pub const PRODUCT_IAM_ACTIONS: [&str; 1] = ["dynamodb:GetItem"];

/// The silo layout: a table per tenant, partition key OrderId.
pub struct DynamoOrders {
    data: Arc<dyn TenantData>,
    table: TableName,
}

impl DynamoOrders {
    /// The silo table `table` through the pod's own `client` (dedicated compute).
    pub fn new(client: Client, table: String) -> Self {
        Self::on(Arc::new(PodData::new(client)), TableName::Fixed(table))
    }

    /// Each tenant's silo table (`table` filled with its id when it is a pattern), through the
    /// client `data` gives for that tenant.
    pub fn on(data: Arc<dyn TenantData>, table: TableName) -> Self {
        Self { data, table }
    }
}

fn internal(what: &str, err: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {err}"))
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Option<StoredOrder> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(StoredOrder { id: s("OrderId")?, name: s("Name")?, lines: serde_json::from_str(&s("Lines")?).ok()? })
}

fn lines(order: &StoredOrder) -> AttributeValue {
    AttributeValue::S(serde_json::to_string(&order.lines).expect("serializes"))
}

/// DescribeTable of `table` with the pod's own client.
async fn describe(data: &dyn TenantData, table: &str) -> Result<(), AppError> {
    data.pod_dynamodb().describe_table().table_name(table).send().await.map_err(|e| {
        AppError::Unavailable(format!("table {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))
    })?;
    Ok(())
}

#[async_trait]
impl Orders for DynamoOrders {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredOrder>, Option<String>), AppError> {
        // The silo table is the tenant's alone, so a Scan reads only its orders.
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .scan()
            .table_name(self.table.of(tenant))
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(after.map(|id| HashMap::from([("OrderId".to_owned(), AttributeValue::S(id))])))
            .send()
            .await
            .map_err(|e| internal("list orders", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let items = out.items().iter().filter_map(from_item).collect();
        let next = out.last_evaluated_key().and_then(|k| k.get("OrderId")).and_then(|v| v.as_s().ok()).cloned();
        Ok((items, next))
    }

    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredOrder>, AppError> {
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .get_item()
            .table_name(self.table.of(tenant))
            .key("OrderId", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|e| internal("get order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(out.item().and_then(from_item))
    }

    async fn put(&self, tenant: &str, order: &StoredOrder) -> Result<(), AppError> {
        self.data
            .dynamodb(tenant)
            .await?
            .put_item()
            .table_name(self.table.of(tenant))
            .item("OrderId", AttributeValue::S(order.id.clone()))
            .item("Name", AttributeValue::S(order.name.clone()))
            .item("Lines", lines(order))
            .condition_expression("attribute_not_exists(OrderId)")
            .send()
            .await
            .map_err(|e| internal("put order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), AppError> {
        match self.table.single() {
            Some(table) => describe(self.data.as_ref(), table).await,
            // A table per tenant: none to describe without a tenant, and readiness vends nothing.
            None => Ok(()),
        }
    }
}

/// The pool layout: one table, partition key TenantId, sort key OrderId.
pub struct DynamoPoolOrders {
    data: Arc<dyn TenantData>,
    table: String,
}

impl DynamoPoolOrders {
    /// The shared order table `table`, each tenant's partition through the client `data` gives
    /// for that tenant.
    pub fn on(data: Arc<dyn TenantData>, table: String) -> Self {
        Self { data, table }
    }
}

fn pool_key(tenant: &str, id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("TenantId".to_owned(), AttributeValue::S(tenant.to_owned())),
        ("OrderId".to_owned(), AttributeValue::S(id.to_owned())),
    ])
}

#[async_trait]
impl Orders for DynamoPoolOrders {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredOrder>, Option<String>), AppError> {
        // The cursor's id is resumed inside the caller's own partition: a cursor from another
        // tenant can only skip part of this tenant's orders, never reach that tenant's.
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .query()
            .table_name(&self.table)
            .key_condition_expression("TenantId = :tenant")
            .expression_attribute_values(":tenant", AttributeValue::S(tenant.to_owned()))
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(after.map(|id| pool_key(tenant, &id)))
            .send()
            .await
            .map_err(|e| internal("query orders", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let items = out.items().iter().filter_map(from_item).collect();
        let next = out.last_evaluated_key().and_then(|k| k.get("OrderId")).and_then(|v| v.as_s().ok()).cloned();
        Ok((items, next))
    }

    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredOrder>, AppError> {
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .get_item()
            .table_name(&self.table)
            .set_key(Some(pool_key(tenant, id)))
            .send()
            .await
            .map_err(|e| internal("get order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(out.item().and_then(from_item))
    }

    async fn put(&self, tenant: &str, order: &StoredOrder) -> Result<(), AppError> {
        let mut item = pool_key(tenant, &order.id);
        item.insert("Name".into(), AttributeValue::S(order.name.clone()));
        item.insert("Lines".into(), lines(order));
        self.data
            .dynamodb(tenant)
            .await?
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(OrderId)")
            .send()
            .await
            .map_err(|e| internal("put order", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), AppError> {
        describe(self.data.as_ref(), &self.table).await
    }
}
