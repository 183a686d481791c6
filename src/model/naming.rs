//! Derived names: the one place that says what every AWS and Kubernetes object is called.
//!
//! Names are pure functions of the platform, the services and the tenant id, so later
//! artifacts (manifests, buildspecs, the plan) name things without deploy-time lookups, and a
//! tenant's names never depend on other tenants. Validation checks every derived name against
//! its service's limit and against every other derived name (see `validate`).

use super::{AccountId, DomainName, PlatformName, Region, Service, ServiceName, Storage, TenantId, Tier, TierName};

/// The namespace of the control plane's services (registration, ...), where `verify` looks
/// for their Pod Identity associations.
pub const CONTROL_PLANE_NAMESPACE: &str = "control-plane";
/// The registration service's ServiceAccount in [`CONTROL_PLANE_NAMESPACE`].
pub const REGISTRATION_SERVICE_ACCOUNT: &str = "registration";
/// The tenant management service's ServiceAccount in [`CONTROL_PLANE_NAMESPACE`].
pub const TENANT_MANAGEMENT_SERVICE_ACCOUNT: &str = "tenant-management";
/// The user management service's ServiceAccount in [`CONTROL_PLANE_NAMESPACE`].
pub const USER_MANAGEMENT_SERVICE_ACCOUNT: &str = "user-management";
/// The control plane's services, each the name of its crate in `services/`, its image's
/// repository (`<platform>/<service>`), its Deployment and its ServiceAccount. No service of a
/// blueprint may take one of these names (their repositories would collide).
pub const CONTROL_PLANE_SERVICES: [&str; 3] =
    [REGISTRATION_SERVICE_ACCOUNT, TENANT_MANAGEMENT_SERVICE_ACCOUNT, USER_MANAGEMENT_SERVICE_ACCOUNT];

/// The path, after `/<tenant>`, where a tenant's admins manage its users (user management).
pub const TENANT_USERS_PATH: &str = "/users";

/// User management's Service by its in-cluster DNS name, which each tenant's ExternalName
/// alias names (the one Service outside a tenant's namespace its Ingress may reach).
pub fn user_management_host() -> String {
    format!("{USER_MANAGEMENT_SERVICE_ACCOUNT}.{CONTROL_PLANE_NAMESPACE}.svc.cluster.local")
}

/// The hosted UI of a user pool with the domain prefix `prefix` (Amazon Cognito's prefix
/// domains: `<prefix>.auth.<region>.amazoncognito.com`, Cognito Developer Guide, "Using the
/// Amazon Cognito prefix domain for managed login").
pub fn hosted_ui_domain(prefix: &str, region: &Region) -> String {
    format!("{prefix}.auth.{region}.amazoncognito.com")
}

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
    /// A CloudFormation stack name, at most 128 characters.
    CloudFormationStack,
    /// A Kubernetes namespace, at most 63 characters.
    KubernetesNamespace,
    /// An IAM role name, at most 64 characters; two names that differ only in case collide.
    IamRole,
    /// A Cognito user pool name, at most 128 characters.
    CognitoUserPool,
    /// A Cognito hosted-UI domain prefix, at most 63 characters; one namespace per region shared by every
    /// AWS account.
    CognitoDomainPrefix,
    /// A group name in a Cognito user pool, at most 128 characters.
    CognitoGroup,
    /// A DynamoDB table name, at most 255 characters.
    DynamoDbTable,
    /// A DNS hostname, at most 253 characters.
    Hostname,
    /// An EventBridge rule name, at most 64 characters.
    EventBridgeRule,
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
            NameKind::EventBridgeRule => 64,
        }
    }

    /// IAM role names are unique regardless of case; the others compare exactly.
    pub fn case_insensitive(self) -> bool {
        matches!(self, NameKind::IamRole)
    }

    /// The kind as problems name it, e.g. "IAM role name".
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
            NameKind::EventBridgeRule => "EventBridge rule name",
        }
    }
}

/// One derived name and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedName {
    /// Which service's limit and comparison the name follows.
    pub kind: NameKind,
    /// The name itself, as it is created.
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
    /// `<platform>-baseline`: the stack of the platform-wide resources in its region (tables, user
    /// pools, KMS key, registries, static sites); it exports its outputs as `<stack>-<output>`.
    pub stack: String,
    /// `<platform>-delivery`: the stack of the deploy roles, the CodeBuild projects and the pipeline.
    pub delivery_stack: String,
    /// The add-ons and Pod Identity associations the cluster gets once it exists.
    pub cluster_access_stack: String,
    /// `<platform>-tenant`: the DynamoDB table of tenant records (partition key `TenantId`), written
    /// by each tenant's register step.
    pub tenant_table: String,
    /// `<platform>-provider-metadata`: the platform's DynamoDB metadata table (partition key `MetadataKey`).
    pub metadata_table: String,
    /// `<platform>-registry`: the control plane's registry (`Pk`, `Sk`): each tenant's lifecycle
    /// record, its audit trail and the sign-up claims (`tenancy-registry`).
    pub registry_table: String,
    /// `<platform>-admin`: the Cognito user pool of the platform's administrators.
    pub admin_user_pool: String,
    /// `<platform>-admin-<suffix>`: the admin pool's hosted-UI domain prefix, with the
    /// [`account_suffix`] that keeps it unique among all AWS accounts.
    pub admin_domain_prefix: String,
    /// `<platform>-tenants`: the Cognito user pool shared by pooled-identity tenants, a group each.
    pub tenants_user_pool: String,
    /// `<platform>-tenants-<suffix>`: the shared tenant pool's hosted-UI domain prefix.
    pub tenants_domain_prefix: String,
    /// `<platform>-tenant-lifecycle`: the SNS topic every lifecycle transition is published to
    /// (`tenancy.lifecycle/v1`).
    pub lifecycle_topic: String,
    /// `<platform>-deployer`: the CodeBuild project that deploys one tenant (`TENANT_ID`).
    pub deploy_project: String,
    /// `<platform>-onboarding`: the CodeBuild project, and its IAM role, of the onboarding job
    /// (`tenancy job onboard|offboard`), which the registration and tenant management services
    /// start.
    pub onboarding_project: String,
    /// `<platform>/onboarding-git`: the Secrets Manager secret of the platform repository the
    /// onboarding job commits to, a JSON object with `remote` (the URL git clones and pushes)
    /// and `token` (the password git sends, for HTTPS remotes). The platform team creates it.
    pub onboarding_git_secret: String,
    /// `<platform>-cluster`: the CodeBuild project, and its IAM role, that creates or upgrades the
    /// cluster with eksctl.
    pub cluster_project: String,
    /// `<platform>-addons`: the CodeBuild project, and its IAM role, that installs the cluster add-ons.
    pub addons_project: String,
    /// `<platform>-images`: the CodeBuild project, and its IAM role, that builds the service images
    /// and pushes them to ECR.
    pub images_project: String,
    /// `<platform>-site-<site>`, in [`Site::ALL`](super::Site::ALL)'s order: the CodeBuild
    /// project, and its IAM role, that builds one static site's app and publishes it to that
    /// site's bucket alone ([`site_project`](Self::site_project)).
    pub site_projects: [String; 3],
    /// `<platform>-apply`: the CodeBuild project, and its IAM role, that runs one selection of the plan
    /// for the pipeline.
    pub apply_project: String,
    /// `<platform>-check`: the CodeBuild project, and its IAM role, of the pipeline's first stage,
    /// which builds tenancy and fails when `generated/` is stale.
    pub check_project: String,
    /// `<platform>-platform`: the CodePipeline that runs the plan on AWS, and its IAM role.
    pub pipeline: String,
    /// The role EventBridge assumes to start the pipeline.
    pub pipeline_trigger_role: String,
    /// `<platform>-platform-source-pushed`: the EventBridge rule that starts the pipeline when a
    /// new source bundle lands.
    pub pipeline_trigger_rule: String,
    /// `<platform>-tenant-boundary`: the managed policy bounding every tenant role.
    pub tenant_boundary: String,
    /// `<platform>-edge`: CloudFront's web ACL (managed protections and the rate limit).
    pub web_acl: String,
    /// `<platform>-admin-console`: the admin console's app client in the admin user pool.
    pub admin_console_client: String,
    /// `<platform>-deployer`: the IAM role of the deployer project (the name of `deploy_project`).
    pub deploy_role: String,
    /// `<platform>-cfn-tenant`: the role CloudFormation assumes for tenant stacks, so that they never
    /// run with the deployer's own rights.
    pub cfn_execution_role: String,
    /// The role CloudFormation assumes for the platform's own stacks.
    pub cfn_baseline_role: String,
    /// `<platform>-artifacts-<account>-<region>`: the S3 bucket of the source bundle, the pipeline's
    /// artifacts and the tenancy binary; created by the bootstrap stack.
    pub artifacts_bucket: String,
    /// `<platform>-logs-<account>-<region>`: the S3 bucket of the platform's access logs; created by
    /// the bootstrap stack.
    pub logs_bucket: String,
    /// Where apply journals step states and holds its lock when it runs on AWS.
    pub deploy_state_table: String,
    /// `<platform>-edge`: the us-east-1 stack of CloudFront's certificate and web ACL, deployed when
    /// the platform runs in another region.
    pub edge_stack: String,
    /// `alias/<platform>-data`: the alias of the KMS key that encrypts the platform's data.
    pub data_key_alias: String,
    /// `ingress-nginx`: the namespace of the ingress controller.
    pub ingress_namespace: String,
    /// `external-dns`: the namespace external-dns runs in.
    pub external_dns_namespace: String,
    /// external-dns runs as this ServiceAccount, with this IAM role (IRSA).
    pub external_dns_service_account: String,
    /// `<platform>-external-dns`: external-dns's IAM role, limited to the platform's hosted zone.
    pub external_dns_role: String,
    /// `control-plane`: the namespace of the control plane's services (registration, ...).
    pub control_plane_namespace: String,
    /// `registration`: the registration service's ServiceAccount (and Deployment).
    pub registration_service_account: String,
    /// `<platform>-registration`: the registration service's IAM role (EKS Pod Identity): the
    /// registry, the lifecycle topic and starting the onboarding build, nothing else.
    pub registration_role: String,
    /// `tenant-management`: the tenant management service's ServiceAccount (and Deployment).
    pub tenant_management_service_account: String,
    /// `<platform>-control-tenants`: the tenant management service's IAM role (EKS Pod
    /// Identity): the registry (listing included), the lifecycle topic, starting the onboarding
    /// job and reading the tenant table.
    pub tenant_management_role: String,
    /// `user-management`: the user management service's ServiceAccount (and Deployment).
    pub user_management_service_account: String,
    /// `<platform>-user-management`: the user management service's IAM role (EKS Pod Identity):
    /// reading the tenant table, and managing users in the platform's own user pools.
    pub user_management_role: String,
    /// `kube-system`: where the cluster autoscaler runs, as the ServiceAccount and role below.
    pub cluster_autoscaler_namespace: String,
    /// `cluster-autoscaler`: the autoscaler's ServiceAccount.
    pub cluster_autoscaler_service_account: String,
    /// `<platform>-cluster-autoscaler`: the autoscaler's IAM role, limited to this cluster's node groups.
    pub cluster_autoscaler_role: String,
}

impl BaselineNames {
    /// The platform-wide names of `platform` in `account` and `region`. Only the buckets (account and
    /// region) and the Cognito domain prefixes ([`account_suffix`]) depend on more than the platform name.
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
            registry_table: format!("{p}-registry"),
            admin_user_pool: format!("{p}-admin"),
            admin_domain_prefix: format!("{p}-admin-{}", account_suffix(account, region)),
            tenants_user_pool: format!("{p}-tenants"),
            tenants_domain_prefix: format!("{p}-tenants-{}", account_suffix(account, region)),
            lifecycle_topic: format!("{p}-tenant-lifecycle"),
            // Not `<p>-tenant-...`: tenant roles and stacks are granted by that prefix.
            deploy_project: format!("{p}-deployer"),
            onboarding_project: format!("{p}-onboarding"),
            onboarding_git_secret: format!("{p}/onboarding-git"),
            cluster_project: format!("{p}-cluster"),
            addons_project: format!("{p}-addons"),
            images_project: format!("{p}-images"),
            site_projects: super::Site::ALL.map(|site| format!("{p}-site-{site}")),
            apply_project: format!("{p}-apply"),
            check_project: format!("{p}-check"),
            pipeline: format!("{p}-platform"),
            pipeline_trigger_role: format!("{p}-platform-trigger"),
            pipeline_trigger_rule: format!("{p}-platform-source-pushed"),
            tenant_boundary: format!("{p}-tenant-boundary"),
            web_acl: format!("{p}-edge"),
            admin_console_client: format!("{p}-admin-console"),
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
            control_plane_namespace: CONTROL_PLANE_NAMESPACE.to_owned(),
            registration_service_account: REGISTRATION_SERVICE_ACCOUNT.to_owned(),
            registration_role: format!("{p}-registration"),
            tenant_management_service_account: TENANT_MANAGEMENT_SERVICE_ACCOUNT.to_owned(),
            // Not `<platform>-tenant-management`: that is under the tenant roles' prefix (and
            // would be the role of a tenant called `management`).
            tenant_management_role: format!("{p}-control-tenants"),
            user_management_service_account: USER_MANAGEMENT_SERVICE_ACCOUNT.to_owned(),
            user_management_role: format!("{p}-user-management"),
            cluster_autoscaler_namespace: "kube-system".to_owned(),
            cluster_autoscaler_service_account: "cluster-autoscaler".to_owned(),
            cluster_autoscaler_role: format!("{p}-cluster-autoscaler"),
        }
    }

    /// The project that builds and publishes `site` (see [`site_projects`](Self::site_projects)).
    pub fn site_project(&self, site: super::Site) -> &str {
        let index = super::Site::ALL.iter().position(|s| *s == site).expect("every site is in Site::ALL");
        &self.site_projects[index]
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
    pub fn repository(platform: &PlatformName, service: &str) -> String {
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
            DerivedName::new(DynamoDbTable, self.registry_table.clone()),
            DerivedName::new(DynamoDbTable, self.deploy_state_table.clone()),
            DerivedName::new(CognitoUserPool, self.admin_user_pool.clone()),
            DerivedName::new(CognitoUserPool, self.tenants_user_pool.clone()),
            DerivedName::new(CognitoDomainPrefix, self.admin_domain_prefix.clone()),
            DerivedName::new(CognitoDomainPrefix, self.tenants_domain_prefix.clone()),
            DerivedName::new(IamRole, self.deploy_role.clone()),
            DerivedName::new(IamRole, self.cfn_execution_role.clone()),
            DerivedName::new(IamRole, self.external_dns_role.clone()),
            DerivedName::new(IamRole, self.registration_role.clone()),
            DerivedName::new(IamRole, self.tenant_management_role.clone()),
            DerivedName::new(IamRole, self.user_management_role.clone()),
            DerivedName::new(IamRole, self.cluster_autoscaler_role.clone()),
            DerivedName::new(IamRole, self.cfn_baseline_role.clone()),
            DerivedName::new(IamRole, self.cluster_project.clone()),
            DerivedName::new(IamRole, self.addons_project.clone()),
            DerivedName::new(IamRole, self.images_project.clone()),
            DerivedName::new(IamRole, self.apply_project.clone()),
            DerivedName::new(IamRole, self.onboarding_project.clone()),
            DerivedName::new(IamRole, self.check_project.clone()),
            DerivedName::new(IamRole, self.pipeline.clone()),
            DerivedName::new(IamRole, self.pipeline_trigger_role.clone()),
            DerivedName::new(EventBridgeRule, self.pipeline_trigger_rule.clone()),
        ];
        names.extend(self.site_projects.iter().map(|project| DerivedName::new(IamRole, project.clone())));
        for namespace in [
            "default",
            "kube-system",
            "kube-public",
            "kube-node-lease",
            &self.ingress_namespace,
            &self.external_dns_namespace,
            &self.control_plane_namespace,
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

/// `tenant-<tenant>`: the group of `tenant`'s users in the pool shared by pooled-identity
/// tenants. User management adds the users it creates to it.
pub fn tenant_group(tenant: &TenantId) -> String {
    format!("tenant-{tenant}")
}

/// `admins-<tenant>`: the group of `tenant`'s administrators, who manage its users. Its prefix
/// differs from [`tenant_group`]'s, so that no tenant's user group can be named like another
/// tenant's admin group in a shared pool (`tenant-admins-x` would be tenant `admins-x`'s group).
pub fn tenant_admin_group(tenant: &TenantId) -> String {
    format!("admins-{tenant}")
}

/// How a pool's namespace begins: `pool-<tier>`.
pub const POOL_NAMESPACE_PREFIX: &str = "pool-";
/// The ServiceAccount of a pool namespace's shared Deployments.
pub const POOL_SERVICE_ACCOUNT: &str = "pool-services";
/// The session tag a pooled service sets when it assumes its cell's tenant-access role, and
/// that role's policy reads back (`${aws:PrincipalTag/TenantId}`).
pub const TENANT_SESSION_TAG: &str = "TenantId";
/// The partition key of a table a tier pools for a silo service (its sort key is the silo
/// table's partition key).
pub const POOLED_PARTITION_KEY: &str = "TenantId";

/// Names of a pooled tier's shared objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolNames {
    /// `<platform>-pool-<tier>`: the stack holding the pool's role and its association.
    pub stack: String,
    /// `pool-<tier>`: the namespace of the shared Deployments and of its tenants' Ingresses.
    pub namespace: String,
    /// The ServiceAccount of the shared Deployments: [`POOL_SERVICE_ACCOUNT`].
    pub service_account: String,
    /// `<platform>-pool-<tier>`: the pool pods' own role, which reaches no tenant data.
    pub role: String,
    /// `<platform>-cell-<tier>-`: how the names of the tier's cell stacks and access roles begin.
    pub cell_prefix: String,
}

impl PoolNames {
    /// The names of `tier`'s pool on `platform`.
    pub fn derive(platform: &PlatformName, tier: &TierName) -> Self {
        Self {
            stack: format!("{platform}-pool-{tier}"),
            namespace: format!("{POOL_NAMESPACE_PREFIX}{tier}"),
            service_account: POOL_SERVICE_ACCOUNT.to_owned(),
            role: format!("{platform}-pool-{tier}"),
            cell_prefix: format!("{platform}-cell-{tier}-"),
        }
    }

    /// Every name that must be unique, with its kind.
    pub fn all(&self) -> Vec<DerivedName> {
        use NameKind::*;
        vec![
            DerivedName::new(CloudFormationStack, self.stack.clone()),
            DerivedName::new(KubernetesNamespace, self.namespace.clone()),
            DerivedName::new(IamRole, self.role.clone()),
        ]
    }
}

/// Names of one cell of a pooled tier: the stack holding its tenants' per-tenant resources,
/// the user pool they sign in to, and the role their sessions are vended from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellNames {
    /// The cell's number, from 0.
    pub index: u32,
    /// `<platform>-cell-<tier>-<n>`: the cell's stack.
    pub stack: String,
    /// `<platform>-cell-<tier>-<n>`: the user pool its tenants' users sign in to.
    pub user_pool: String,
    /// `<platform>-<tier>-c<n>-<suffix>`: the pool's hosted-UI domain prefix.
    pub domain_prefix: String,
    /// `<platform>-cell-<tier>-<n>`: the tenant-access role the pool's pods assume, tagged with
    /// the request's tenant, for every data call.
    pub access_role: String,
}

impl CellNames {
    /// The names of cell `index` of `tier`.
    pub fn derive(
        platform: &PlatformName,
        (account, region): (&AccountId, &Region),
        tier: &TierName,
        index: u32,
    ) -> Self {
        let stack = format!("{platform}-cell-{tier}-{index}");
        Self {
            index,
            user_pool: stack.clone(),
            domain_prefix: format!("{platform}-{tier}-c{index}-{}", account_suffix(account, region)),
            access_role: stack.clone(),
            stack,
        }
    }

    /// Every name that must be unique, with its kind.
    pub fn all(&self) -> Vec<DerivedName> {
        use NameKind::*;
        vec![
            DerivedName::new(CloudFormationStack, self.stack.clone()),
            DerivedName::new(CognitoUserPool, self.user_pool.clone()),
            DerivedName::new(CognitoDomainPrefix, self.domain_prefix.clone()),
            DerivedName::new(IamRole, self.access_role.clone()),
        ]
    }
}

/// The cell of a pooled tier with `cells` cells that `tenant` belongs to: a jump consistent
/// hash (Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014) of the
/// FNV-1a hash of its id. It depends on the tenant and the count alone, so adding a tenant
/// changes one cell, and growing the count from n to n + 1 moves only the tenants that land in
/// the new cell (about one in n + 1).
pub fn cell_of(tenant: &TenantId, cells: u32) -> u32 {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut key = tenant.as_str().bytes().fold(FNV_OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME));
    let (mut bucket, mut next) = (-1_i64, 0_i64);
    while next < i64::from(cells.max(1)) {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        next = ((bucket + 1) as f64 * ((1_u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    u32::try_from(bucket).expect("a bucket below the count")
}

/// Names of one tenant's objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantNames {
    /// `<platform>-tenant-<tenant>`: the tenant's CloudFormation stack.
    pub stack: String,
    /// `tenant-<tenant>`: the tenant's Kubernetes namespace.
    pub namespace: String,
    /// The ServiceAccount the tenant's workloads run as: always [`TENANT_SERVICE_ACCOUNT`].
    pub service_account: String,
    /// `<platform>-tenant-<tenant>`: the IAM role of the tenant's ServiceAccount (EKS Pod Identity).
    pub role: String,
    /// `<platform>-tenant-<tenant>`: the tenant's own Cognito user pool (dedicated identity).
    pub user_pool: String,
    /// `<platform>-<tenant>-<suffix>`: the hosted-UI domain prefix of the tenant's own user pool, with
    /// the [`account_suffix`] that keeps it unique among all AWS accounts.
    pub domain_prefix: String,
    /// The tenant's group in the shared tenant user pool (pooled identity): [`tenant_group`].
    pub group: String,
    /// The group of the tenant's administrators, in whichever pool its users are:
    /// [`tenant_admin_group`].
    pub admin_group: String,
    /// `<tenant>.app.<domain>`: the tenant application's address.
    pub app_host: String,
    /// `<tenant>-app`: the tenant application's app client in its user pool.
    pub app_client: String,
    /// The table of each `silo` service, in service order.
    pub silo_tables: Vec<(ServiceName, String)>,
}

impl TenantNames {
    /// The names of tenant `tenant` of `platform`, deployed in `account` and `region`, with the
    /// platform's `domain` and `services` (one silo table for each silo service).
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
            group: tenant_group(tenant),
            admin_group: tenant_admin_group(tenant),
            app_host: format!("{t}.app.{domain}"),
            app_client: format!("{t}-app"),
            silo_tables: services
                .iter()
                .filter(|s| matches!(s.storage, Storage::Silo(_)))
                .map(|s| (s.name.clone(), format!("{p}-{}-{t}", s.name)))
                .collect(),
        }
    }

    /// These names for a tenant of `tier`: the silo tables of the services the tier pools are
    /// dropped (their data lives in the pooled table).
    pub fn for_tier(mut self, tier: &Tier, services: &[Service]) -> Self {
        self.silo_tables.retain(|(name, _)| {
            services.iter().find(|s| &s.name == name).is_none_or(|s| tier.storage_model(s) == super::StorageModel::Silo)
        });
        self
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
            DerivedName::new(CognitoGroup, self.admin_group.clone()),
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
    fn cells_are_stable_spread_and_move_little_when_they_grow() {
        let ids: Vec<TenantId> = (0..6000).map(|i| TenantId::parse(&format!("t{i:05}")).unwrap()).collect();
        // Stable: the same cell on every call, a pure function of the id and the count.
        assert_eq!(cell_of(&ids[42], 64), cell_of(&ids[42], 64));
        assert_eq!(cell_of(&ids[42], 1), 0);
        let mut sizes = [0_u32; 64];
        for id in &ids {
            sizes[cell_of(id, 64) as usize] += 1;
        }
        // 6000 / 64 is 93.75 on average, with a binomial spread of 9.6: a fair hash keeps every
        // cell within four of those (55 to 132), and the cell capacity check is sized for it.
        let (least, most) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(*least >= 55 && *most <= 132, "cells from {least} to {most} tenants");
        // Growing to 65 moves only tenants into the new cell, about 1 in 65 of them.
        let moved: Vec<&TenantId> = ids.iter().filter(|id| cell_of(id, 64) != cell_of(id, 65)).collect();
        assert!(moved.iter().all(|id| cell_of(id, 65) == 64), "a tenant moved between old cells");
        assert!((50..140).contains(&moved.len()), "{} of 6000 moved", moved.len());
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
