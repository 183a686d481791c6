//! The stack outputs later steps read: the names each template declares and each binding,
//! record field and manifest placeholder asks for. Compile declares them from here, plan binds
//! them from here, so a renamed output is a compile error on both sides.

/// Outputs of the us-east-1 edge stack, bound into the baseline stack's parameters.
pub mod edge {
    /// The ARN of the ACM certificate CloudFront serves: the apex, `*.<domain>` and `*.app.<domain>`.
    pub const CERTIFICATE_ARN: &str = "CertificateArn";
    /// The ARN of the WAF web ACL (managed rules and a rate limit) on the CloudFront distributions.
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
    /// The shared user pool of pooled-identity tenants, whose stacks add a group and a client to it;
    /// declared only when some tier has pooled identity.
    pub const TENANTS_USER_POOL_ID: &str = "TenantsUserPoolId";
    /// The ARN of the KMS key that encrypts the platform's data; the delivery and tenant stacks import it.
    pub const DATA_KEY_ARN: &str = "DataKeyArn";
    /// The control plane's registry table, which the registration service and the onboarding
    /// job write.
    pub const REGISTRY_TABLE: &str = "RegistryTableName";
    /// The SNS topic of lifecycle events.
    pub const LIFECYCLE_TOPIC_ARN: &str = "TenantLifecycleTopicArn";
    /// The provider administrators' user pool, whose users user management manages.
    pub const ADMIN_USER_POOL_ID: &str = "AdminUserPoolId";
    /// The admin console's app client: the audience of every administrator's token.
    pub const ADMIN_CLIENT_ID: &str = "AdminUserPoolClientId";
    /// The admin pool's issuer URL, which the control plane verifies administrators' tokens by.
    pub const ADMIN_ISSUER_URL: &str = "AdminIssuerUrl";

    /// A static site's CloudFront distribution id (`AdminSiteDistributionId`, ...), which its
    /// site step invalidates after an upload; exported, so the delivery stack's sites role is
    /// granted the invalidation of exactly these distributions.
    pub fn site_distribution_id(site: crate::model::Site) -> String {
        format!("{}SiteDistributionId", crate::cfn::pascal_case(site.name()))
    }
}

/// Outputs of a tenant's stack (the tenant record, the Kubernetes bundle, offboarding).
pub mod tenant {
    /// What offboarding does with the tenant's silo tables: `backup` (an on-demand backup,
    /// then the stack deletes them) or `retain` (the stack keeps them).
    pub const DATA_RETENTION: &str = "DataRetention";
    /// The parameter holding a dedicated pool's deletion protection (offboarding turns it off).
    pub const DELETION_PROTECTION: &str = "UserPoolDeletionProtection";
    /// The user pool the tenant signs in to: its own, or the shared tenant pool (record field `userPoolId`).
    pub const USER_POOL_ID: &str = "UserPoolId";
    /// The tenant's app client in that pool (record field `clientId`).
    pub const USER_POOL_CLIENT_ID: &str = "UserPoolClientId";
    /// The token issuer URL the services trust for the tenant (record field `issuer`).
    pub const ISSUER_URL: &str = "IssuerUrl";
    /// The ARN of the IAM role of the tenant's ServiceAccount (record field `roleArn`).
    pub const ROLE_ARN: &str = "RoleArn";
    /// The tenant application's address, `https://<tenant>.app.<domain>`.
    pub const APP_URL: &str = "AppUrl";
}
