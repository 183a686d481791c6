//! AWS::DynamoDB::Table.

use serde::Serialize;

use super::Tag;
use crate::cfn::Expr;

/// An on-demand, encrypted table with point-in-time recovery: the only kind we emit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    pub table_name: Expr,
    pub billing_mode: &'static str,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeySchemaElement>,
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseSpecification,
    pub deletion_protection_enabled: bool,
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: &'static str,
}

impl AttributeDefinition {
    fn string(name: &str) -> Self {
        Self { attribute_name: name.to_owned(), attribute_type: "S" }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    pub point_in_time_recovery_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseSpecification {
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
    #[serde(rename = "SSEType")]
    pub sse_type: &'static str,
    /// A customer managed key; none: the AWS managed key for DynamoDB.
    #[serde(rename = "KMSMasterKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
}
