//! AWS::DynamoDB::Table.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// An on-demand, encrypted table with point-in-time recovery: the only kind we emit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    /// The table name: 3 to 255 characters, letters, digits, `_`, `-` and `.`.
    pub table_name: Expr,
    /// `PROVISIONED` (AWS default) or `PAY_PER_REQUEST`; always `PAY_PER_REQUEST` (on demand) here.
    pub billing_mode: &'static str,
    /// The types of the key attributes, and only those: DynamoDB rejects definitions no key uses.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key: a `HASH` (partition) element, then optionally a `RANGE` (sort) element.
    pub key_schema: Vec<KeySchemaElement>,
    /// Continuous backups.
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
    /// Encryption at rest (`SSESpecification`).
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseSpecification,
    /// Whether the table refuses deletion, by CloudFormation as by anyone, until this is turned off.
    pub deletion_protection_enabled: bool,
    /// Tags on the table.
    pub tags: Vec<Tag>,
}

impl Table {
    /// An on-demand table keyed by string attributes, encrypted with the customer managed key
    /// `key`, with point-in-time recovery.
    pub fn on_demand(
        name: Expr,
        partition_key: &str,
        sort_key: Option<&str>,
        key: Expr,
        deletion_protection: bool,
        tags: Vec<Tag>,
    ) -> Self {
        let mut attribute_definitions = vec![AttributeDefinition::string(partition_key)];
        let mut key_schema = vec![KeySchemaElement { attribute_name: partition_key.to_owned(), key_type: "HASH" }];
        if let Some(sort_key) = sort_key {
            attribute_definitions.push(AttributeDefinition::string(sort_key));
            key_schema.push(KeySchemaElement { attribute_name: sort_key.to_owned(), key_type: "RANGE" });
        }
        Self {
            table_name: name,
            billing_mode: "PAY_PER_REQUEST",
            attribute_definitions,
            key_schema,
            point_in_time_recovery_specification: PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: true,
            },
            sse_specification: SseSpecification { sse_enabled: true, sse_type: "KMS", kms_master_key_id: Some(key) },
            deletion_protection_enabled: deletion_protection,
            tags,
        }
    }
}

/// The type of one key attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// The attribute name.
    pub attribute_name: String,
    /// `S` (string), `N` (number) or `B` (binary); tenancy's keys are all `S`.
    pub attribute_type: &'static str,
}

impl AttributeDefinition {
    fn string(name: &str) -> Self {
        Self { attribute_name: name.to_owned(), attribute_type: "S" }
    }
}

/// One element of a table's primary key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// The key attribute's name, as in `AttributeDefinitions`.
    pub attribute_name: String,
    /// `HASH` (the partition key) or `RANGE` (the sort key).
    pub key_type: &'static str,
}

/// The point-in-time recovery setting of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// Whether the table can be restored to any second of the recovery period (35 days by default).
    pub point_in_time_recovery_enabled: bool,
}

/// The server-side encryption of a table (`SSESpecification`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseSpecification {
    /// `true`: a KMS key (`KMSMasterKeyId`, else the AWS managed key); `false`: a key DynamoDB owns
    /// (`SSEEnabled`).
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
    /// `KMS`, the only value (`SSEType`).
    #[serde(rename = "SSEType")]
    pub sse_type: &'static str,
    /// A customer managed key; none: the AWS managed key for DynamoDB.
    #[serde(rename = "KMSMasterKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
}
