//! Where products live: the pooled DynamoDB table (partition key TenantId, sort key
//! ProductId), or memory for tests and benchmarks. Every operation names the tenant's
//! partition; nothing reads across partitions.
//!
//! Each operation asks [`TenantData`] for the client of the tenant it names: the pod's own in
//! dedicated compute, one with that tenant's vended credentials in pooled compute, so that the
//! access role's `dynamodb:LeadingKeys` condition confines the call as well as the key does.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Mutex;

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use tenant_context::{AppError, PodData, TenantData};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProduct {
    pub id: String,
    pub name: String,
    pub price_cents: u64,
    pub picture_url: Option<String>,
}

#[async_trait]
pub trait Products: Send + Sync {
    /// Up to `limit` products of `tenant` after `after`, and the last id when more may follow.
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredProduct>, Option<String>), AppError>;
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredProduct>, AppError>;
    async fn put(&self, tenant: &str, product: &StoredProduct) -> Result<(), AppError>;
    /// Whether it existed.
    async fn delete(&self, tenant: &str, id: &str) -> Result<bool, AppError>;
    async fn ready(&self) -> Result<(), AppError>;
}

#[derive(Default)]
pub struct MemoryProducts {
    items: Mutex<BTreeMap<(String, String), StoredProduct>>,
}

#[async_trait]
impl Products for MemoryProducts {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredProduct>, Option<String>), AppError> {
        let items = self.items.lock().expect("lock");
        let lower = match after {
            Some(after) => Bound::Excluded((tenant.to_owned(), after)),
            None => Bound::Included((tenant.to_owned(), String::new())),
        };
        let mut page: Vec<StoredProduct> = Vec::new();
        for ((owner, _), product) in items.range((lower, Bound::Unbounded)) {
            if owner != tenant {
                break;
            }
            if page.len() == limit {
                let last = page.last().map(|p| p.id.clone());
                return Ok((page, last));
            }
            page.push(product.clone());
        }
        Ok((page, None))
    }
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredProduct>, AppError> {
        Ok(self.items.lock().expect("lock").get(&(tenant.to_owned(), id.to_owned())).cloned())
    }
    async fn put(&self, tenant: &str, product: &StoredProduct) -> Result<(), AppError> {
        self.items.lock().expect("lock").insert((tenant.to_owned(), product.id.clone()), product.clone());
        Ok(())
    }
    async fn delete(&self, tenant: &str, id: &str) -> Result<bool, AppError> {
        Ok(self.items.lock().expect("lock").remove(&(tenant.to_owned(), id.to_owned())).is_some())
    }
    async fn ready(&self) -> Result<(), AppError> {
        Ok(())
    }
}

/// Every DynamoDB action `DynamoProducts` calls, on the pooled table, each with the tenant's
/// id as the only partition key (DescribeTable aside): what the tenant role and its boundary
/// must grant (checked against the generated templates).
pub const IAM_ACTIONS: [&str; 5] =
    ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"];

/// Pooled compute: what `DynamoProducts` calls with a tenant's vended credentials, on the pooled
/// table, each with the tenant's id as the only partition key. What the tenant-access role must
/// grant (keyed by `dynamodb:LeadingKeys` to `${aws:PrincipalTag/TenantId}`): `IAM_ACTIONS`
/// without DescribeTable, which the pod calls with its own role.
pub const ACCESS_IAM_ACTIONS: [&str; 4] =
    ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"];

/// Pooled compute: what `DynamoProducts::ready` calls with the pod's own role, on the pooled
/// table (its metadata, never its items).
pub const READY_IAM_ACTIONS: [&str; 1] = ["dynamodb:DescribeTable"];

pub struct DynamoProducts {
    data: Arc<dyn TenantData>,
    table: String,
}

impl DynamoProducts {
    /// The pooled table `table` through the pod's own `client` (dedicated compute).
    pub fn new(client: Client, table: String) -> Self {
        Self::on(Arc::new(PodData::new(client)), table)
    }

    /// The pooled table `table`, each tenant's items through the client `data` gives for it.
    pub fn on(data: Arc<dyn TenantData>, table: String) -> Self {
        Self { data, table }
    }
}

fn internal(what: &str, err: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what}: {err}"))
}

fn key(tenant: &str, id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("TenantId".to_owned(), AttributeValue::S(tenant.to_owned())),
        ("ProductId".to_owned(), AttributeValue::S(id.to_owned())),
    ])
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Option<StoredProduct> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(StoredProduct {
        id: s("ProductId")?,
        name: s("Name")?,
        price_cents: item.get("PriceCents").and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())?,
        picture_url: s("PictureUrl"),
    })
}

#[async_trait]
impl Products for DynamoProducts {
    async fn list(
        &self,
        tenant: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<(Vec<StoredProduct>, Option<String>), AppError> {
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .query()
            .table_name(&self.table)
            .key_condition_expression("TenantId = :tenant")
            .expression_attribute_values(":tenant", AttributeValue::S(tenant.to_owned()))
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(after.map(|id| key(tenant, &id)))
            .send()
            .await
            .map_err(|e| internal("query products", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let items: Vec<StoredProduct> = out.items().iter().filter_map(from_item).collect();
        let next = out.last_evaluated_key().and_then(|k| k.get("ProductId")).and_then(|v| v.as_s().ok()).cloned();
        Ok((items, next))
    }

    async fn get(&self, tenant: &str, id: &str) -> Result<Option<StoredProduct>, AppError> {
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant, id)))
            .send()
            .await
            .map_err(|e| internal("get product", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(out.item().and_then(from_item))
    }

    async fn put(&self, tenant: &str, product: &StoredProduct) -> Result<(), AppError> {
        let mut item = key(tenant, &product.id);
        item.insert("Name".into(), AttributeValue::S(product.name.clone()));
        item.insert("PriceCents".into(), AttributeValue::N(product.price_cents.to_string()));
        if let Some(url) = &product.picture_url {
            item.insert("PictureUrl".into(), AttributeValue::S(url.clone()));
        }
        self.data
            .dynamodb(tenant)
            .await?
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| internal("put product", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn delete(&self, tenant: &str, id: &str) -> Result<bool, AppError> {
        let out = self
            .data
            .dynamodb(tenant)
            .await?
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant, id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| internal("delete product", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }

    async fn ready(&self) -> Result<(), AppError> {
        // The pod's own client: a table's metadata, never a tenant's items.
        self.data.pod_dynamodb().describe_table().table_name(&self.table).send().await.map_err(|e| {
            AppError::Unavailable(format!("table {}: {}", self.table, aws_sdk_dynamodb::error::DisplayErrorContext(e)))
        })?;
        Ok(())
    }
}
