//! AWS::Cognito::UserPool and its client, domain, users and groups.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cfn::Expr;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPool {
    pub user_pool_name: Expr,
    pub username_attributes: Vec<&'static str>,
    pub auto_verified_attributes: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<SchemaAttribute>,
    pub policies: UserPoolPolicies,
    pub admin_create_user_config: AdminCreateUserConfig,
    pub mfa_configuration: &'static str,
    pub enabled_mfas: Vec<&'static str>,
    pub account_recovery_setting: AccountRecoverySetting,
    /// `ACTIVE` or `INACTIVE`; tenant pools take it from a parameter, which offboarding sets
    /// `INACTIVE` before it deletes the stack.
    pub deletion_protection: Expr,
    /// User pools take tags as a map, unlike most resources.
    pub user_pool_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchemaAttribute {
    pub name: &'static str,
    pub attribute_data_type: &'static str,
    pub mutable: bool,
    pub required: bool,
    pub string_attribute_constraints: StringAttributeConstraints,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringAttributeConstraints {
    pub min_length: String,
    pub max_length: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolPolicies {
    pub password_policy: PasswordPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub require_uppercase: bool,
    pub temporary_password_validity_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserConfig {
    pub allow_admin_create_user_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountRecoverySetting {
    pub recovery_mechanisms: Vec<RecoveryOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryOption {
    pub name: &'static str,
    pub priority: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClient {
    pub client_name: Expr,
    pub user_pool_id: Expr,
    pub generate_secret: bool,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: bool,
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Vec<&'static str>,
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Vec<&'static str>,
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Vec<Expr>,
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Vec<Expr>,
    pub supported_identity_providers: Vec<&'static str>,
    pub explicit_auth_flows: Vec<&'static str>,
    pub prevent_user_existence_errors: &'static str,
    pub enable_token_revocation: bool,
    pub read_attributes: Vec<&'static str>,
    /// Attributes users may change themselves; never `custom:tenant-id`.
    pub write_attributes: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolDomain {
    pub domain: Expr,
    pub user_pool_id: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolUser {
    pub user_pool_id: Expr,
    pub username: Expr,
    pub user_attributes: Vec<AttributeType>,
    pub desired_delivery_mediums: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: &'static str,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolGroup {
    pub group_name: Expr,
    pub user_pool_id: Expr,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolUserToGroupAttachment {
    pub group_name: Expr,
    pub username: Expr,
    pub user_pool_id: Expr,
}
