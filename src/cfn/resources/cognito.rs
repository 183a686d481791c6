//! AWS::Cognito::UserPool and its client, domain, users and groups.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cfn::Expr;

/// A user pool: email sign-in, administrator-created users, optional TOTP MFA. `Ref` gives its id.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPool {
    /// The pool name, 1 to 128 characters.
    pub user_pool_name: Expr,
    /// What users sign in with in place of a username: `email` and/or `phone_number`; tenancy uses `email`.
    pub username_attributes: Vec<&'static str>,
    /// Attributes Cognito verifies by sending a code: `email` and/or `phone_number`.
    pub auto_verified_attributes: Vec<&'static str>,
    /// Custom attributes (Cognito prefixes their names with `custom:`); tenancy adds `tenant-id` to the
    /// shared tenant pool.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<SchemaAttribute>,
    /// The pool's policies.
    pub policies: UserPoolPolicies,
    /// Who may create users.
    pub admin_create_user_config: AdminCreateUserConfig,
    /// `OFF`, `ON` or `OPTIONAL`; tenancy uses `OPTIONAL`, so users may add an authenticator.
    pub mfa_configuration: &'static str,
    /// The MFA methods users may set up: `SMS_MFA`, `SOFTWARE_TOKEN_MFA` or `EMAIL_OTP`.
    pub enabled_mfas: Vec<&'static str>,
    /// How users recover a forgotten password.
    pub account_recovery_setting: AccountRecoverySetting,
    /// `ACTIVE` or `INACTIVE`; tenant pools take it from a parameter, which offboarding sets
    /// `INACTIVE` before it deletes the stack.
    pub deletion_protection: Expr,
    /// User pools take tags as a map, unlike most resources.
    pub user_pool_tags: BTreeMap<String, String>,
}

/// A custom attribute of a user pool (`Schema` entry), which cannot be removed once created.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SchemaAttribute {
    /// The attribute name without `custom:`, such as `tenant-id`.
    pub name: &'static str,
    /// `String`, `Number`, `DateTime` or `Boolean`.
    pub attribute_data_type: &'static str,
    /// Whether the value may change after the user is created; `false` for the tenant id.
    pub mutable: bool,
    /// Whether every user must have it; only standard attributes can be required, so `false` here.
    pub required: bool,
    /// Its length bounds; tenancy's tenant id is 1 to 63 characters.
    pub string_attribute_constraints: StringAttributeConstraints,
}

/// The length bounds of a string attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringAttributeConstraints {
    /// The shortest value, in characters, as a string (Cognito's type).
    pub min_length: String,
    /// The longest value, in characters, as a string (at most 2048).
    pub max_length: String,
}

/// The policies of a user pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolPolicies {
    /// The password rules.
    pub password_policy: PasswordPolicy,
}

/// The password rules of a user pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicy {
    /// The shortest password, 6 to 99 characters (AWS default 8); tenancy requires 12.
    pub minimum_length: u32,
    /// Whether a password needs a lowercase letter.
    pub require_lowercase: bool,
    /// Whether a password needs a digit.
    pub require_numbers: bool,
    /// Whether a password needs a symbol.
    pub require_symbols: bool,
    /// Whether a password needs an uppercase letter.
    pub require_uppercase: bool,
    /// How long an administrator-set temporary password works, in days (0 to 365; AWS default 7).
    pub temporary_password_validity_days: u32,
}

/// Who may create users in a user pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserConfig {
    /// `true`: users cannot sign up; an administrator (or a stack) creates them.
    pub allow_admin_create_user_only: bool,
}

/// How users of a pool recover their account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountRecoverySetting {
    /// The recovery options, at most two, tried by priority.
    pub recovery_mechanisms: Vec<RecoveryOption>,
}

/// One way to recover an account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryOption {
    /// `verified_email`, `verified_phone_number` or `admin_only`.
    pub name: &'static str,
    /// The order in which options are offered, 1 first.
    pub priority: u32,
}

/// An app client of a user pool: a public client (no secret) using the authorization code flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolClient {
    /// The client name, 1 to 128 characters.
    pub client_name: Expr,
    /// The id of the user pool the client belongs to.
    pub user_pool_id: Expr,
    /// Whether the client has a secret; `false`, since the browser app cannot keep one.
    pub generate_secret: bool,
    /// Whether the client may use the OAuth flows and hosted sign-in (`AllowedOAuthFlowsUserPoolClient`).
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: bool,
    /// `code`, `implicit` or `client_credentials` (`AllowedOAuthFlows`); tenancy uses `code`.
    #[serde(rename = "AllowedOAuthFlows")]
    pub allowed_oauth_flows: Vec<&'static str>,
    /// The OAuth scopes the client may request (`AllowedOAuthScopes`), such as `openid`, `email`, `profile`.
    #[serde(rename = "AllowedOAuthScopes")]
    pub allowed_oauth_scopes: Vec<&'static str>,
    /// Where Cognito may send users after sign-in (`CallbackURLs`); HTTPS, except for `localhost`.
    #[serde(rename = "CallbackURLs")]
    pub callback_urls: Vec<Expr>,
    /// Where Cognito may send users after sign-out (`LogoutURLs`).
    #[serde(rename = "LogoutURLs")]
    pub logout_urls: Vec<Expr>,
    /// The identity providers users may sign in with; `COGNITO` is the pool's own users.
    pub supported_identity_providers: Vec<&'static str>,
    /// The authentication flows the client may use, such as `ALLOW_USER_SRP_AUTH` and `ALLOW_REFRESH_TOKEN_AUTH`.
    pub explicit_auth_flows: Vec<&'static str>,
    /// `ENABLED`: sign-in and recovery errors do not reveal whether a user exists (`LEGACY` would).
    pub prevent_user_existence_errors: &'static str,
    /// Whether refresh tokens can be revoked.
    pub enable_token_revocation: bool,
    /// The user attributes the client may read from tokens and the user API.
    pub read_attributes: Vec<&'static str>,
    /// Attributes users may change themselves; never `custom:tenant-id`.
    pub write_attributes: Vec<&'static str>,
}

/// The hosted sign-in domain of a user pool, `<prefix>.auth.<region>.amazoncognito.com`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolDomain {
    /// The domain prefix: lowercase letters, digits and hyphens, without `aws`, `amazon` or `cognito`.
    pub domain: Expr,
    /// The id of the user pool.
    pub user_pool_id: Expr,
}

/// A user created by the stack: the tenant's administrator, who receives a temporary password.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolUser {
    /// The id of the user pool.
    pub user_pool_id: Expr,
    /// The user name; the pool signs in by email, so the email address.
    pub username: Expr,
    /// The user's attributes, such as `email`, `email_verified` and `custom:tenant-id`.
    pub user_attributes: Vec<AttributeType>,
    /// How the temporary password is sent: `EMAIL` and/or `SMS`.
    pub desired_delivery_mediums: Vec<&'static str>,
}

/// One attribute of a user.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    /// The attribute name, such as `email` or `custom:tenant-id`.
    pub name: &'static str,
    /// The value, always a string (`"true"` for a boolean).
    pub value: Expr,
}

/// A group of a user pool: a pooled tenant's users.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolGroup {
    /// The group name, unique in the pool (at most 128 characters).
    pub group_name: Expr,
    /// The id of the user pool.
    pub user_pool_id: Expr,
    /// What the group is, at most 2048 characters.
    pub description: String,
}

/// Puts a user into a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolUserToGroupAttachment {
    /// The group's name.
    pub group_name: Expr,
    /// The user's name.
    pub username: Expr,
    /// The id of the user pool holding both.
    pub user_pool_id: Expr,
}
