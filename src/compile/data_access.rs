//! What tenant roles may do with tenant data, shared by the tenant stacks (each role's own grant)
//! and the delivery stack (the boundary over every tenant role): the item actions on the
//! services' tables and the data key's use through DynamoDB only.

use crate::cfn::{Expr, Statement};
use crate::model::Platform;

use super::common::global_arn;

/// Actions a tenant workload may take on items of its tables. No Scan: a Scan carries no
/// partition key, so `dynamodb:LeadingKeys` could not confine it to the tenant.
pub const TABLE_ITEM_ACTIONS: [&str; 8] = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
];

/// The item actions the tenant role grants on `service`'s table: its declared calls.
pub(crate) fn item_actions(platform: &Platform, service: &crate::model::Service) -> Vec<&'static str> {
    let names: Vec<&str> = platform.services().iter().map(|s| s.name.as_str()).collect();
    super::service_calls::item_actions(service.name.as_str(), &names, &TABLE_ITEM_ACTIONS)
}

/// The name of the managed policy bounding every tenant role (`model::naming`).
pub fn boundary_name(platform: &Platform) -> String {
    platform.baseline_names().tenant_boundary
}

/// The boundary's ARN, known before deploy from its name.
pub fn boundary_arn(platform: &Platform) -> Expr {
    global_arn("iam", &format!("policy/{}", boundary_name(platform)))
}

/// KMS actions that reading and writing a table encrypted with the data key takes.
pub const DATA_KEY_ACTIONS: [&str; 4] = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"];

/// Use of the data key, only through DynamoDB.
pub fn data_key_statement(sid: &str, actions: &[&str], key: Expr) -> Statement {
    Statement::allow(sid, actions).on([key]).when(
        "StringEquals",
        "kms:ViaService",
        Expr::sub("dynamodb.${AWS::Region}.amazonaws.com"),
    )
}
