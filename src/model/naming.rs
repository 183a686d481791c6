//! Derived names: the one place that says what every AWS and Kubernetes object is called.
//!
//! Names are pure functions of the platform, the services and the tenant id, so later
//! artifacts (manifests, buildspecs, the plan) name things without deploy-time lookups, and a
//! tenant's names never depend on other tenants. Validation checks every derived name against
//! its service's limit and against every other derived name (see `validate`).

use super::{AccountId, DomainName, PlatformName, Region, Service, ServiceName, Storage, TenantId, TierName};

/// The host of the platform's container registry (ECR, in its account and region).
pub fn registry_host(account: &AccountId, region: &Region) -> String {
    format!("{account}.dkr.ecr.{region}.{}", region.dns_suffix())
}

/// The hostname tenant APIs are served on: `api.<domain>`.
pub fn api_host(domain: &DomainName) -> String {
    format!("api.{domain}")
}

/// The PriorityClass of a tier: `<platform>-<tier>`.
pub fn priority_class(platform: &PlatformName, tier: &TierName) -> String {
    format!("{platform}-{tier}")
}

/// The ARN of an IAM role of the account.
pub fn role_arn(region: &Region, account: &AccountId, role: &str) -> String {
    format!("arn:{}:iam::{account}:role/{role}", region.partition())
}

/// What kind of name a derived name is: its limit, and whether it is compared case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameKind {
    CloudFormationStack,
    KubernetesNamespace,
    IamRole,
    CognitoUserPool,
    CognitoDomainPrefix,
    CognitoGroup,
    DynamoDbTable,
    Hostname,
}

impl NameKind {
    /// The service's length limit for this kind of name.
    pub fn max_len(self) -> usize {
        match self {
            NameKind::CloudFormationStack => 128,
            NameKind::KubernetesNamespace => 63,
            NameKind::IamRole => 64,
            NameKind::CognitoUserPool => 128,
            NameKind::CognitoDomainPrefix => 63,
            NameKind::CognitoGroup => 128,
            NameKind::DynamoDbTable => 255,
            // A hostname's labels are at most 63; the tenant's label is checked as a tenant id.
            NameKind::Hostname => 253,
        }
    }

    /// IAM role names are unique regardless of case; the others compare exactly.
    pub fn case_insensitive(self) -> bool {
        matches!(self, NameKind::IamRole)
    }

    pub fn describe(self) -> &'static str {
        match self {
            NameKind::CloudFormationStack => "CloudFormation stack name",
            NameKind::KubernetesNamespace => "Kubernetes namespace",
            NameKind::IamRole => "IAM role name",
            NameKind::CognitoUserPool => "Cognito user pool name",
            NameKind::CognitoDomainPrefix => "Cognito domain prefix",
            NameKind::CognitoGroup => "Cognito group name",
            NameKind::DynamoDbTable => "DynamoDB table name",
            NameKind::Hostname => "hostname",
        }
    }
}

/// One derived name and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedName {
    pub kind: NameKind,
    pub value: String,
}

impl DerivedName {
    fn new(kind: NameKind, value: String) -> Self {
        Self { kind, value }
    }

    /// The key two names collide on.
    pub fn collision_key(&self) -> (NameKind, String) {
        let value = if self.kind.case_insensitive() { self.value.to_ascii_lowercase() } else { self.value.clone() };
        (self.kind, value)
    }
}

/// A short, stable part derived from the account and region, for names that must be unique
/// across every AWS customer: Cognito's hosted-UI domain prefixes are one namespace per region
/// for all accounts, so `saas-admin` alone is likely taken. Eight hex digits of SHA-256 of
/// `<account>:<region>`: the same names on every synth, different ones in every account.
pub fn account_suffix(account: &AccountId, region: &Region) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{account}:{region}").as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Words Cognito refuses inside a hosted-UI domain prefix.
pub const COGNITO_RESERVED_WORDS: [&str; 3] = ["aws", "amazon", "cognito"];

/// The name of the ServiceAccount every tenant workload runs as (one per tenant namespace).
pub const TENANT_SERVICE_ACCOUNT: &str = "tenant-services";

/// Names of the platform-wide (baseline) objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineNames {
    /// The stack `tenancy bootstrap` deploys before the first apply.
    pub bootstrap_stack: String,
    pub stack: String,
    pub delivery_stack: String,
    /// The add-ons and Pod Identity associations the cluster gets once it exists.
    pub cluster_access_stack: String,
    pub tenant_table: String,
    pub metadata_table: String,
    pub admin_user_pool: String,
    pub admin_domain_prefix: String,
    pub tenants_user_pool: String,
    pub tenants_domain_prefix: String,
    pub lifecycle_topic: String,
    pub deploy_project: String,
    pub cluster_project: String,
    pub addons_project: String,
    pub images_project: String,
    pub apply_project: String,
    pub check_project: String,
    pub pipeline: String,
    /// The role EventBridge assumes to start the pipeline.
    pub pipeline_trigger_role: String,
    pub deploy_role: String,
    pub cfn_execution_role: String,
    /// The role CloudFormation assumes for the platform's own stacks.
    pub cfn_baseline_role: String,
    pub artifacts_bucket: String,
    pub logs_bucket: String,
    /// Where apply journals step states and holds its lock when it runs on AWS.
    pub deploy_state_table: String,
    pub edge_stack: String,
    pub data_key_alias: String,
    pub ingress_namespace: String,
    pub external_dns_namespace: String,
    /// external-dns runs as this ServiceAccount, with this IAM role (IRSA).
    pub external_dns_service_account: String,
    pub external_dns_role: String,
    /// The cluster autoscaler runs as this ServiceAccount in kube-system, with this role.
    pub cluster_autoscaler_namespace: String,
    pub cluster_autoscaler_service_account: String,
    pub cluster_autoscaler_role: String,
}

impl BaselineNames {
    pub fn derive(platform: &PlatformName, account: &AccountId, region: &Region) -> Self {
        let p = platform.as_str();
        Self {
            bootstrap_stack: format!("{p}-bootstrap"),
            stack: format!("{p}-baseline"),
            delivery_stack: format!("{p}-delivery"),
            cluster_access_stack: format!("{p}-cluster-access"),
            edge_stack: format!("{p}-edge"),
            tenant_table: format!("{p}-tenant"),
            metadata_table: format!("{p}-provider-metadata"),
            admin_user_pool: format!("{p}-admin"),
            admin_domain_prefix: format!("{p}-admin-{}", account_suffix(account, region)),
            tenants_user_pool: format!("{p}-tenants"),
            tenants_domain_prefix: format!("{p}-tenants-{}", account_suffix(account, region)),
            lifecycle_topic: format!("{p}-tenant-lifecycle"),
            // Not `<p>-tenant-...`: tenant roles and stacks are granted by that prefix.
            deploy_project: format!("{p}-deployer"),
            cluster_project: format!("{p}-cluster"),
            addons_project: format!("{p}-addons"),
            images_project: format!("{p}-images"),
            apply_project: format!("{p}-apply"),
            check_project: format!("{p}-check"),
            pipeline: format!("{p}-platform"),
            pipeline_trigger_role: format!("{p}-platform-trigger"),
            deploy_role: format!("{p}-deployer"),
            cfn_execution_role: format!("{p}-cfn-tenant"),
            cfn_baseline_role: format!("{p}-cfn-baseline"),
            artifacts_bucket: format!("{p}-artifacts-{account}-{region}"),
            logs_bucket: format!("{p}-logs-{account}-{region}"),
            deploy_state_table: format!("{p}-deploy-state"),
            data_key_alias: format!("alias/{p}-data"),
            ingress_namespace: "ingress-nginx".to_owned(),
            external_dns_namespace: "external-dns".to_owned(),
            external_dns_service_account: "external-dns".to_owned(),
            external_dns_role: format!("{p}-external-dns"),
            cluster_autoscaler_namespace: "kube-system".to_owned(),
            cluster_autoscaler_service_account: "cluster-autoscaler".to_owned(),
            cluster_autoscaler_role: format!("{p}-cluster-autoscaler"),
        }
    }

    /// The bucket holding one static site; globally unique through account and region.
    pub fn site_bucket(platform: &PlatformName, account: &AccountId, region: &Region, site: &str) -> String {
        format!("{platform}-{site}-{account}-{region}")
    }

    /// The pooled table of a `pool` service.
    pub fn pooled_table(platform: &PlatformName, service: &ServiceName) -> String {
        format!("{platform}-{service}")
    }

    /// The ECR repository of a service.
    pub fn repository(platform: &PlatformName, service: &ServiceName) -> String {
        format!("{platform}/{service}")
    }

    /// Every name a tenant's names must not collide with.
    pub fn reserved(&self, platform: &PlatformName, services: &[Service]) -> Vec<DerivedName> {
        use NameKind::*;
        let mut names = vec![
            DerivedName::new(CloudFormationStack, self.bootstrap_stack.clone()),
            DerivedName::new(CloudFormationStack, self.stack.clone()),
            DerivedName::new(CloudFormationStack, self.edge_stack.clone()),
            DerivedName::new(CloudFormationStack, self.delivery_stack.clone()),
            DerivedName::new(CloudFormationStack, self.cluster_access_stack.clone()),
            DerivedName::new(DynamoDbTable, self.tenant_table.clone()),
            DerivedName::new(DynamoDbTable, self.metadata_table.clone()),
            DerivedName::new(DynamoDbTable, self.deploy_state_table.clone()),
            DerivedName::new(CognitoUserPool, self.admin_user_pool.clone()),
            DerivedName::new(CognitoUserPool, self.tenants_user_pool.clone()),
            DerivedName::new(CognitoDomainPrefix, self.admin_domain_prefix.clone()),
            DerivedName::new(CognitoDomainPrefix, self.tenants_domain_prefix.clone()),
            DerivedName::new(IamRole, self.deploy_role.clone()),
            DerivedName::new(IamRole, self.cfn_execution_role.clone()),
            DerivedName::new(IamRole, self.external_dns_role.clone()),
            DerivedName::new(IamRole, self.cluster_autoscaler_role.clone()),
            DerivedName::new(IamRole, self.cfn_baseline_role.clone()),
            DerivedName::new(IamRole, self.cluster_project.clone()),
            DerivedName::new(IamRole, self.addons_project.clone()),
            DerivedName::new(IamRole, self.images_project.clone()),
            DerivedName::new(IamRole, self.apply_project.clone()),
            DerivedName::new(IamRole, self.check_project.clone()),
            DerivedName::new(IamRole, self.pipeline.clone()),
            DerivedName::new(IamRole, self.pipeline_trigger_role.clone()),
        ];
        for namespace in [
            "default",
            "kube-system",
            "kube-public",
            "kube-node-lease",
            &self.ingress_namespace,
            &self.external_dns_namespace,
        ] {
            names.push(DerivedName::new(KubernetesNamespace, namespace.to_owned()));
        }
        for service in services {
            if let Storage::Pool(_) = service.storage {
                names.push(DerivedName::new(DynamoDbTable, Self::pooled_table(platform, &service.name)));
            }
        }
        names
    }
}

/// Names of one tenant's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantNames {
    pub stack: String,
    pub namespace: String,
    pub service_account: String,
    pub role: String,
    pub user_pool: String,
    pub domain_prefix: String,
    /// The tenant's group in the shared tenant user pool (pooled identity).
    pub group: String,
    /// `<tenant>.app.<domain>`: the tenant application's address.
    pub app_host: String,
    /// The table of each `silo` service, in service order.
    pub silo_tables: Vec<(ServiceName, String)>,
}

impl TenantNames {
    pub fn derive(
        platform: &PlatformName,
        (account, region): (&AccountId, &Region),
        domain: &DomainName,
        services: &[Service],
        tenant: &TenantId,
    ) -> Self {
        let (p, t) = (platform.as_str(), tenant.as_str());
        Self {
            stack: format!("{p}-tenant-{t}"),
            namespace: format!("tenant-{t}"),
            service_account: TENANT_SERVICE_ACCOUNT.to_owned(),
            role: format!("{p}-tenant-{t}"),
            user_pool: format!("{p}-tenant-{t}"),
            domain_prefix: format!("{p}-{t}-{}", account_suffix(account, region)),
            group: format!("tenant-{t}"),
            app_host: format!("{t}.app.{domain}"),
            silo_tables: services
                .iter()
                .filter(|s| matches!(s.storage, Storage::Silo(_)))
                .map(|s| (s.name.clone(), format!("{p}-{}-{t}", s.name)))
                .collect(),
        }
    }

    /// The silo table of `service`, if it is a silo service.
    pub fn silo_table(&self, service: &ServiceName) -> Option<&str> {
        self.silo_tables.iter().find(|(s, _)| s == service).map(|(_, table)| table.as_str())
    }

    /// Every name that must be unique, with its kind. The ServiceAccount is left out: it is
    /// namespace-scoped and the namespace is unique.
    pub fn all(&self) -> Vec<DerivedName> {
        use NameKind::*;
        let mut names = vec![
            DerivedName::new(CloudFormationStack, self.stack.clone()),
            DerivedName::new(KubernetesNamespace, self.namespace.clone()),
            DerivedName::new(IamRole, self.role.clone()),
            DerivedName::new(CognitoUserPool, self.user_pool.clone()),
            DerivedName::new(CognitoDomainPrefix, self.domain_prefix.clone()),
            DerivedName::new(CognitoGroup, self.group.clone()),
            DerivedName::new(Hostname, self.app_host.clone()),
        ];
        names.extend(self.silo_tables.iter().map(|(_, table)| DerivedName::new(DynamoDbTable, table.clone())));
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::service;

    #[test]
    fn tenant_names_follow_one_pattern() {
        let (account, region) = (AccountId::parse("123456789012").unwrap(), Region::parse("eu-west-1").unwrap());
        let names = TenantNames::derive(
            &PlatformName::parse("saas").unwrap(),
            (&account, &region),
            &DomainName::parse("example.com").unwrap(),
            &[service("product", false), service("order", true)],
            &TenantId::parse("acme").unwrap(),
        );
        assert_eq!(names.stack, "saas-tenant-acme");
        assert_eq!(names.namespace, "tenant-acme");
        assert_eq!(names.role, "saas-tenant-acme");
        // Unique per account and region: Cognito prefixes are shared by every AWS customer.
        let suffix = account_suffix(&account, &region);
        assert_eq!(names.domain_prefix, format!("saas-acme-{suffix}"));
        assert_eq!(suffix.len(), 8);
        assert_ne!(suffix, account_suffix(&AccountId::parse("210987654321").unwrap(), &region));
        assert_ne!(suffix, account_suffix(&account, &Region::parse("us-east-1").unwrap()));
        assert_eq!(names.app_host, "acme.app.example.com");
        assert_eq!(names.silo_table(&ServiceName::parse("order").unwrap()), Some("saas-order-acme"));
        assert_eq!(names.silo_table(&ServiceName::parse("product").unwrap()), None);
    }

    #[test]
    fn iam_role_names_collide_regardless_of_case() {
        let a = DerivedName::new(NameKind::IamRole, "Saas-X".into());
        let b = DerivedName::new(NameKind::IamRole, "saas-x".into());
        assert_eq!(a.collision_key(), b.collision_key());
        let c = DerivedName::new(NameKind::DynamoDbTable, "Saas-X".into());
        let d = DerivedName::new(NameKind::DynamoDbTable, "saas-x".into());
        assert_ne!(c.collision_key(), d.collision_key());
    }
}
