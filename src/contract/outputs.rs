//! The stack outputs later steps read: the names each template declares and each binding,
//! record field and manifest placeholder asks for. Compile declares them from here, plan binds
//! them from here, so a renamed output is a compile error on both sides.

/// Outputs of the us-east-1 edge stack, bound into the baseline stack's parameters.
pub mod edge {
    pub const CERTIFICATE_ARN: &str = "CertificateArn";
    pub const WEB_ACL_ARN: &str = "WebAclArn";
    /// Both, in the order the baseline takes them.
    pub const ALL: [&str; 2] = [CERTIFICATE_ARN, WEB_ACL_ARN];
}

/// Outputs of the baseline stack.
pub mod baseline {
    /// The API's regional certificate (for the NLB), bound into the add-ons build.
    pub const API_CERTIFICATE_ARN: &str = "ApiCertificateArn";
    /// Exported; tenant stacks import them.
    pub const APP_DISTRIBUTION_DOMAIN: &str = "AppDistributionDomain";
    pub const TENANTS_USER_POOL_ID: &str = "TenantsUserPoolId";
    pub const DATA_KEY_ARN: &str = "DataKeyArn";
}

/// Outputs of a tenant's stack (the tenant record, the Kubernetes bundle, offboarding).
pub mod tenant {
    /// What offboarding does with the tenant's silo tables: `backup` (an on-demand backup,
    /// then the stack deletes them) or `retain` (the stack keeps them).
    pub const DATA_RETENTION: &str = "DataRetention";
    /// The parameter holding a dedicated pool's deletion protection (offboarding turns it off).
    pub const DELETION_PROTECTION: &str = "UserPoolDeletionProtection";
    pub const USER_POOL_ID: &str = "UserPoolId";
    pub const USER_POOL_CLIENT_ID: &str = "UserPoolClientId";
    pub const ISSUER_URL: &str = "IssuerUrl";
    pub const ROLE_ARN: &str = "RoleArn";
    pub const APP_URL: &str = "AppUrl";
}
