//! Cognito pieces shared by the admin pool, the shared tenant pool and dedicated tenant pools.

use std::collections::BTreeMap;

use crate::cfn::Expr;
use crate::cfn::resources::{
    AccountRecoverySetting, AdminCreateUserConfig, AttributeType, PasswordPolicy, RecoveryOption, SchemaAttribute,
    StringAttributeConstraints, Tag, UserPool, UserPoolClient, UserPoolPolicies, UserPoolUser,
};

/// The custom attribute carrying the tenant id in every token (`custom:tenant-id`); immutable.
pub const TENANT_ID_ATTRIBUTE: &str = "tenant-id";

/// A user pool where only admins create users, sign-in is by email, MFA is available, and —
/// for tenant pools — every user carries an immutable `custom:tenant-id`.
pub fn user_pool(name: &str, with_tenant_attribute: bool, tags: &[Tag]) -> UserPool {
    let schema = if with_tenant_attribute {
        vec![SchemaAttribute {
            name: TENANT_ID_ATTRIBUTE,
            attribute_data_type: "String",
            mutable: false,
            required: false,
            string_attribute_constraints: StringAttributeConstraints {
                min_length: "1".into(),
                max_length: "63".into(),
            },
        }]
    } else {
        Vec::new()
    };
    UserPool {
        user_pool_name: Expr::str(name),
        username_attributes: vec!["email"],
        auto_verified_attributes: vec!["email"],
        schema,
        policies: UserPoolPolicies {
            password_policy: PasswordPolicy {
                minimum_length: 12,
                require_lowercase: true,
                require_numbers: true,
                require_symbols: true,
                require_uppercase: true,
                temporary_password_validity_days: 7,
            },
        },
        admin_create_user_config: AdminCreateUserConfig { allow_admin_create_user_only: true },
        mfa_configuration: "OPTIONAL",
        enabled_mfas: vec!["SOFTWARE_TOKEN_MFA"],
        account_recovery_setting: AccountRecoverySetting {
            recovery_mechanisms: vec![RecoveryOption { name: "verified_email", priority: 1 }],
        },
        deletion_protection: Expr::str("ACTIVE"),
        user_pool_tags: tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect::<BTreeMap<_, _>>(),
    }
}

/// An authorization-code client for a browser app at `url`, without a secret. Users can read
/// their tenant id but never write it.
pub fn web_client(name: &str, user_pool_id: Expr, url: &str, with_tenant_attribute: bool) -> UserPoolClient {
    let mut read_attributes = vec!["email", "email_verified", "name"];
    if with_tenant_attribute {
        read_attributes.push("custom:tenant-id");
    }
    UserPoolClient {
        client_name: Expr::str(name),
        user_pool_id,
        generate_secret: false,
        allowed_oauth_flows_user_pool_client: true,
        allowed_oauth_flows: vec!["code"],
        allowed_oauth_scopes: vec!["email", "openid", "profile"],
        callback_urls: vec![Expr::str(format!("{url}/"))],
        logout_urls: vec![Expr::str(format!("{url}/"))],
        supported_identity_providers: vec!["COGNITO"],
        explicit_auth_flows: vec!["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
        prevent_user_existence_errors: "ENABLED",
        enable_token_revocation: true,
        read_attributes,
        write_attributes: vec!["email", "name"],
    }
}

/// A tenant's first administrator in `user_pool_id`: signed in by email, verified, and carrying
/// the tenant's id in the immutable `custom:tenant-id`.
pub fn admin_user(user_pool_id: Expr, tenant: &crate::model::Tenant) -> UserPoolUser {
    let email = tenant.admin_email.as_str();
    UserPoolUser {
        user_pool_id,
        username: Expr::str(email),
        user_attributes: vec![
            AttributeType { name: "email", value: Expr::str(email) },
            AttributeType { name: "email_verified", value: Expr::str("true") },
            AttributeType { name: "custom:tenant-id", value: Expr::str(tenant.id.as_str()) },
        ],
        desired_delivery_mediums: vec!["EMAIL"],
    }
}
