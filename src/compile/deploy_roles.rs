//! The roles that deploy tenants, with least privilege:
//!
//! - the CodeBuild role runs `tenancy apply` for one tenant: it may drive the tenant stacks'
//!   change sets, hand them the CloudFormation role, read its source, write tenant records;
//! - the CloudFormation role creates what a tenant stack holds, and may create IAM roles only
//!   when they carry the tenant boundary, so no stack can mint a role stronger than that;
//! - the tenant boundary allows item actions on the services' tables, nothing else (not the
//!   tenant registry, not provider metadata).

use crate::cfn::resources::{InlinePolicy, ManagedPolicy, Role};
use crate::cfn::{Expr, LogicalId, Output, PolicyDocument, Statement, TemplateBuilder};
use crate::model::{BaselineNames, Platform, Storage};

use super::common::{BucketRef, PLATFORM_TAG, SOURCE_KEY, global_arn, platform_tags, regional_arn};
use super::data_access::{DATA_KEY_ACTIONS, boundary_arn, boundary_name, data_key_statement, item_actions};

pub const CFN_ROLE: &str = "TenantStackRole";
/// Where the pipeline's check stage leaves the tenancy binary it built, per plan digest.
pub const TOOLS_PREFIX: &str = "tools/";
pub const TENANT_BOUNDARY: &str = "TenantRoleBoundary";

/// ARNs of the service tables (silo tables by prefix, pooled tables by name); with indexes if asked.
fn service_tables(platform: &Platform, with_indexes: bool) -> Vec<Expr> {
    let p = platform.name();
    let mut arns = Vec::new();
    for service in platform.services() {
        let mut tables = vec![match service.storage {
            Storage::Silo(_) => format!("table/{p}-{}-*", service.name),
            Storage::Pool(_) => format!("table/{}", BaselineNames::pooled_table(p, &service.name)),
        }];
        // A silo service a pooled tier pools also has a pooled table (the cells' access roles).
        if matches!(service.storage, Storage::Silo(_))
            && platform.pooled_tiers().any(|t| t.storage_model(service) == crate::model::StorageModel::Pool)
        {
            tables.push(format!("table/{}", BaselineNames::pooled_table(p, &service.name)));
        }
        for table in tables {
            arns.push(regional_arn("dynamodb", &table));
            if with_indexes {
                arns.push(regional_arn("dynamodb", &format!("{table}/index/*")));
            }
        }
    }
    arns
}

/// A statement on every silo table (and their backups, with `backups`), or none when no
/// service keeps silo tables (an empty Resource is an invalid statement).
fn silo_statement(platform: &Platform, sid: &str, actions: &[&str], backups: bool) -> Vec<Statement> {
    let mut resources = silo_table_patterns(platform);
    if resources.is_empty() {
        return vec![];
    }
    if backups {
        let p = platform.name();
        resources.extend(
            platform
                .services()
                .iter()
                .filter(|s| matches!(s.storage, Storage::Silo(_)))
                .map(|s| regional_arn("dynamodb", &format!("table/{p}-{}-*/backup/*", s.name))),
        );
    }
    vec![Statement::allow(sid, actions).on(resources)]
}

/// ARNs of every service's silo tables, by prefix (one per tenant).
fn silo_table_patterns(platform: &Platform) -> Vec<Expr> {
    platform
        .services()
        .iter()
        .filter(|s| matches!(s.storage, Storage::Silo(_)))
        .map(|s| regional_arn("dynamodb", &format!("table/{}-{}-*", platform.name(), s.name)))
        .collect()
}

pub(crate) fn trust(service: &str, platform: &Platform) -> PolicyDocument {
    PolicyDocument::new(vec![
        Statement::allow("TrustService", &["sts:AssumeRole"]).principal("Service", Expr::str(service)).when(
            "StringEquals",
            "aws:SourceAccount",
            Expr::str(platform.account_id().as_str()),
        ),
    ])
}

/// Every item action some tenant role may be granted: the union over the platform's services.
fn boundary_item_actions(platform: &Platform) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = platform.services().iter().flat_map(|s| item_actions(platform, s)).collect();
    all.sort_unstable();
    all.dedup();
    all
}

pub fn add(t: &mut TemplateBuilder, platform: &Platform, key: &Expr) {
    let names = platform.baseline_names();
    let p = platform.name();
    let tenant_roles = global_arn("iam", &format!("role/{p}-tenant-*"));

    let boundary = LogicalId::fixed(TENANT_BOUNDARY);
    t.resource(
        &boundary,
        ManagedPolicy {
            managed_policy_name: Expr::str(boundary_name(platform)),
            description: format!("Upper bound of every {p} tenant role: item actions on the services' tables"),
            policy_document: PolicyDocument::new(
                [
                    vec![
                        Statement::allow("TenantData", &boundary_item_actions(platform))
                            .on(service_tables(platform, true)),
                    ],
                    // A Scan carries no partition key, so it is bounded to silo tables, which
                    // each hold one tenant's items; never the pooled tables.
                    silo_statement(platform, "TenantSiloScan", &["dynamodb:Scan"], false),
                    vec![
                        Statement::allow("DescribeTables", &["dynamodb:DescribeTable"])
                            .on(service_tables(platform, false)),
                        data_key_statement("TenantDataKey", &DATA_KEY_ACTIONS, key.clone()),
                    ],
                ]
                .concat(),
            ),
        },
    );
    t.output(
        &LogicalId::fixed("TenantRoleBoundaryArn"),
        Output::new("Permissions boundary of tenant roles", Expr::reference(&boundary)),
    );

    let silo_tables = silo_table_patterns(platform);
    // Route 53 ARNs carry neither region nor account.
    let zone = Expr::sub(format!(
        "arn:${{AWS::Partition}}:route53:::hostedzone/{}",
        platform.hosted_zone_id().map_or("*", |id| id.as_str())
    ));
    let cfn_role = LogicalId::fixed(CFN_ROLE);
    let mut statements = vec![
        Statement::allow("CreateUserPools", &["cognito-idp:CreateUserPool"]).on([Expr::str("*")]).when(
            "StringEquals",
            format!("aws:RequestTag/{PLATFORM_TAG}"),
            Expr::str(p.as_str()),
        ),
        Statement::allow(
            "ManageUserPools",
            &[
                "cognito-idp:AddCustomAttributes",
                "cognito-idp:AdminAddUserToGroup",
                "cognito-idp:AdminCreateUser",
                "cognito-idp:AdminDeleteUser",
                "cognito-idp:AdminGetUser",
                "cognito-idp:AdminListGroupsForUser",
                "cognito-idp:AdminRemoveUserFromGroup",
                "cognito-idp:CreateGroup",
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:CreateUserPoolDomain",
                "cognito-idp:DeleteGroup",
                "cognito-idp:DeleteUserPool",
                "cognito-idp:DeleteUserPoolClient",
                "cognito-idp:DeleteUserPoolDomain",
                "cognito-idp:DescribeUserPool",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:DescribeUserPoolDomain",
                "cognito-idp:GetGroup",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:ListTagsForResource",
                "cognito-idp:SetUserPoolMfaConfig",
                "cognito-idp:TagResource",
                "cognito-idp:UntagResource",
                "cognito-idp:UpdateGroup",
                "cognito-idp:UpdateUserPool",
                "cognito-idp:UpdateUserPoolClient",
                "cognito-idp:UpdateUserPoolDomain",
            ],
        )
        .on([regional_arn("cognito-idp", "userpool/*")]),
        Statement::allow(
            "CreateBoundedTenantRoles",
            &["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"],
        )
        .on([tenant_roles.clone()])
        .when("StringEquals", "iam:PermissionsBoundary", boundary_arn(platform)),
        Statement::allow(
            "ManageTenantRoles",
            &[
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                // The AWS::IAM::Role update handler sets a changed Description with it.
                "iam:UpdateRoleDescription",
            ],
        )
        .on([tenant_roles.clone()]),
        // Each tenant stack gives its role to its pods: an EKS Pod Identity association.
        Statement::allow("AssociateTenantRoles", &super::pod_identity::ASSOCIATION_ACTIONS)
            .on(super::pod_identity::association_resources(platform)),
        Statement::allow("ListTenantAssociations", &["eks:ListPodIdentityAssociations"])
            .on([super::pod_identity::cluster_arn(platform)]),
        Statement::allow("PassTenantRoles", &["iam:GetRole", "iam:PassRole"]).on([tenant_roles.clone()]),
        // The AWS::Route53::RecordSet handlers read the zone (handler permissions, vendored in
        // src/verify/data/handler-permissions.json).
        Statement::allow(
            "ReadRecordChanges",
            &["route53:GetChange", "route53:GetHostedZone", "route53:ListHostedZones", "route53:ListHostedZonesByName"],
        )
        .on([Expr::str("*")]),
        Statement::allow(
            "ManageTenantRecords",
            &["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        )
        .on([zone]),
    ];
    if !silo_tables.is_empty() {
        // Creating a table under a customer managed key grants DynamoDB the use of the key.
        statements.push(data_key_statement(
            "EncryptSiloTables",
            &["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            key.clone(),
        ));
        statements.push(
            Statement::allow(
                "ManageSiloTables",
                &[
                    "dynamodb:CreateBackup",
                    "dynamodb:CreateTable",
                    "dynamodb:DeleteTable",
                    "dynamodb:DescribeContinuousBackups",
                    "dynamodb:DescribeContributorInsights",
                    "dynamodb:DescribeKinesisStreamingDestination",
                    "dynamodb:DescribeTable",
                    "dynamodb:DescribeTimeToLive",
                    "dynamodb:GetResourcePolicy",
                    "dynamodb:ListTagsOfResource",
                    "dynamodb:TagResource",
                    "dynamodb:UntagResource",
                    "dynamodb:UpdateContinuousBackups",
                    "dynamodb:UpdateTable",
                    "dynamodb:UpdateTimeToLive",
                ],
            )
            .on(silo_tables),
        );
    }
    let description = format!("Assumed by CloudFormation to create {p} tenant stacks");
    t.resource(
        &cfn_role,
        service_role(
            platform,
            &names.cfn_execution_role,
            description,
            "cloudformation.amazonaws.com",
            "tenant-stack",
            statements,
        ),
    );
}

/// What running `tenancy apply` for tenants takes: drive the tenant stacks' change sets with the
/// tenant stack role, read the source, stage large templates, reach the cluster, write tenant
/// records, journal and lock, notify. The deployer and apply projects both hold these.
pub fn deployer_statements(platform: &Platform, artifacts: &BucketRef, key: &Expr) -> Vec<Statement> {
    let names = platform.baseline_names();
    let p = platform.name();
    let mut statements = vec![
        Statement::allow("ReadSource", &["s3:GetObject", "s3:GetObjectVersion"]).on([artifacts.objects(SOURCE_KEY)]),
        // Builds start on the source version that carries the plan applied: found by listing.
        Statement::allow("FindSourceVersions", &["s3:ListBucketVersions"]).on([artifacts.arn()]),
        // The tenancy binary the pipeline's check stage built.
        Statement::allow("ReadTools", &["s3:GetObject"]).on([artifacts.objects(&format!("{TOOLS_PREFIX}*"))]),
        // Every apply checks the bootstrap stack is the reviewed one.
        Statement::allow("CheckBootstrap", &["cloudformation:DescribeStacks"])
            .on([regional_arn("cloudformation", &format!("stack/{}/*", names.bootstrap_stack))]),
        // Every image a bundle runs is looked up in ECR before the bundle is applied.
        Statement::allow("CheckImages", &["ecr:DescribeImages"]).on(super::images::repository_arns(platform)),
        Statement::allow("StageLargeTemplates", &["s3:GetObject", "s3:PutObject"])
            .on([artifacts.objects("templates/*")]),
        // What apply's CloudFormation provider calls (`contract::calls`), and GetTemplate.
        Statement::allow(
            "DriveTenantStacks",
            &[&crate::contract::calls::STACK_IAM_ACTIONS[..], &["cloudformation:GetTemplate"]].concat(),
        )
        .on([regional_arn("cloudformation", &format!("stack/{p}-tenant-*/*"))]),
        Statement::allow("PassStackRole", &["iam:PassRole"])
            .on([Expr::get_att(&LogicalId::fixed(CFN_ROLE), "Arn")])
            .when("StringEquals", "iam:PassedToService", Expr::str("cloudformation.amazonaws.com")),
        Statement::allow("ReachCluster", &["eks:DescribeCluster"])
            .on([regional_arn("eks", &format!("cluster/{}", platform.cluster().name))]),
        Statement::allow("WriteTenantRecords", &["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
            .on([regional_arn("dynamodb", &format!("table/{}", names.tenant_table))]),
        // The journal is read whole with a consistent Scan (the table holds only journal and
        // lock items); a journal write is a transaction with condition checks on the lock.
        Statement::allow(
            "JournalAndLock",
            &[
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
        )
        .on([regional_arn("dynamodb", &format!("table/{}", names.deploy_state_table))]),
        data_key_statement("DataKeyThroughDynamoDb", &DATA_KEY_ACTIONS, key.clone()),
        Statement::allow("NotifyLifecycle", &["sns:Publish"]).on([regional_arn("sns", &names.lifecycle_topic)]),
    ];
    // Offboarding takes the on-demand backup a `backup` tier promises before the stack goes.
    statements.extend(silo_statement(
        platform,
        "BackUpOffboardedTables",
        &["dynamodb:CreateBackup", "dynamodb:DescribeBackup"],
        true,
    ));
    statements
}

/// A platform role assumed by an AWS service of this account, with one inline policy (add
/// managed policies to the result where a role needs them).
pub(crate) fn service_role(
    platform: &Platform,
    name: &str,
    description: String,
    service: &str,
    policy_name: &str,
    statements: Vec<Statement>,
) -> Role {
    Role {
        role_name: Expr::str(name),
        description,
        assume_role_policy_document: trust(service, platform),
        policies: vec![InlinePolicy {
            policy_name: policy_name.into(),
            policy_document: PolicyDocument::new(statements),
        }],
        managed_policy_arns: vec![],
        permissions_boundary: None,
        max_session_duration: 3600,
        tags: platform_tags(platform),
    }
}

/// `actions` on every user pool carrying the platform's tag: Cognito picks pool ids, so a role
/// cannot name a tenant's pool before it exists.
pub(crate) fn platform_pools(platform: &Platform, sid: &str, actions: &[&str]) -> Statement {
    Statement::allow(sid, actions).on([regional_arn("cognito-idp", "userpool/*")]).when(
        "StringEquals",
        format!("aws:ResourceTag/{PLATFORM_TAG}"),
        Expr::str(platform.name().as_str()),
    )
}

fn publish_lifecycle(names: &BaselineNames) -> Statement {
    Statement::allow("PublishLifecycle", &crate::contract::calls::EVENTS_IAM_ACTIONS)
        .on([regional_arn("sns", &names.lifecycle_topic)])
}

fn start_onboarding(names: &BaselineNames) -> Statement {
    Statement::allow("StartOnboarding", &crate::contract::calls::ONBOARDING_IAM_ACTIONS)
        .on([regional_arn("codebuild", &format!("project/{}", names.onboarding_project))])
}

/// A cluster add-on or a control-plane service that runs with an AWS role of its own, through
/// EKS Pod Identity (the cluster-access stack associates the role with its ServiceAccount).
pub struct AddonIdentity {
    pub logical: &'static str,
    pub namespace: String,
    pub service_account: String,
    pub role: String,
    pub description: String,
    pub statements: Vec<Statement>,
}

/// The pods of the platform (not of a tenant) that call AWS, each with its own role: the
/// add-ons external-dns (records in the platform's zone only) and the cluster autoscaler (the
/// node groups of this cluster only), and the control plane's registration service (the
/// registry, the lifecycle topic, starting the onboarding build).
pub fn addon_identities(platform: &Platform) -> Vec<AddonIdentity> {
    let names = platform.baseline_names();
    let zone = platform.hosted_zone_id().map_or("*", |id| id.as_str());
    let cluster = platform.cluster().name.as_str();
    let key = Expr::import(super::common::baseline_export(platform, crate::contract::outputs::baseline::DATA_KEY_ARN));
    let mut registry_and_listing =
        [&crate::contract::calls::LIFECYCLE_IAM_ACTIONS[..], &crate::contract::calls::LISTING_IAM_ACTIONS[..]].concat();
    registry_and_listing.sort_unstable();
    vec![
        AddonIdentity {
            logical: "RegistrationRole",
            namespace: names.control_plane_namespace.clone(),
            service_account: names.registration_service_account.clone(),
            role: names.registration_role.clone(),
            description: format!("{}'s registration service (public sign-up)", platform.name()),
            // What services/registration calls (`contract::calls::REGISTRATION`), on the
            // platform's own registry, topic and onboarding project only.
            statements: vec![
                Statement::allow("WriteRegistry", &crate::contract::calls::LIFECYCLE_IAM_ACTIONS)
                    .on([regional_arn("dynamodb", &format!("table/{}", names.registry_table))]),
                data_key_statement("RegistryDataKey", &DATA_KEY_ACTIONS, key.clone()),
                publish_lifecycle(&names),
                start_onboarding(&names),
            ],
        },
        AddonIdentity {
            logical: "TenantManagementRole",
            namespace: names.control_plane_namespace.clone(),
            service_account: names.tenant_management_service_account.clone(),
            role: names.tenant_management_role.clone(),
            description: format!(
                "{}'s tenant management service (provider administrators, auth-info)",
                platform.name()
            ),
            // What services/tenant-management calls: the registry as registration does, and its
            // listing; the lifecycle topic; starting the onboarding job; the tenant directory.
            statements: vec![
                Statement::allow("ReadAndWriteRegistry", &registry_and_listing)
                    .on([regional_arn("dynamodb", &format!("table/{}", names.registry_table))]),
                Statement::allow("ReadTenantDirectory", &crate::contract::calls::DIRECTORY_IAM_ACTIONS)
                    .on([regional_arn("dynamodb", &format!("table/{}", names.tenant_table))]),
                data_key_statement("RegistryDataKey", &DATA_KEY_ACTIONS, key.clone()),
                publish_lifecycle(&names),
                start_onboarding(&names),
            ],
        },
        AddonIdentity {
            logical: "UserManagementRole",
            namespace: names.control_plane_namespace.clone(),
            service_account: names.user_management_service_account.clone(),
            role: names.user_management_role.clone(),
            description: format!(
                "{}'s user management service (tenant and provider administrators' users)",
                platform.name()
            ),
            // What services/user-management calls: the tenant directory, and users in this
            // platform's pools only. Pool ids are made by Cognito, so the pools are told apart by
            // the platform tag every generated pool carries ("In an IAM policy, you can constrain
            // permissions for user pools based on specific tags": Cognito's TagResource API
            // reference). Which tenant's users a request may touch is the service's check: it
            // holds one role for every tenant.
            statements: vec![
                Statement::allow("ReadTenantDirectory", &crate::contract::calls::DIRECTORY_IAM_ACTIONS)
                    .on([regional_arn("dynamodb", &format!("table/{}", names.tenant_table))]),
                data_key_statement("TenantDirectoryDataKey", &DATA_KEY_ACTIONS, key.clone()),
                platform_pools(platform, "ManagePlatformUsers", &crate::contract::calls::USERS_IAM_ACTIONS),
            ],
        },
        AddonIdentity {
            logical: "ExternalDnsRole",
            namespace: names.external_dns_namespace.clone(),
            service_account: names.external_dns_service_account.clone(),
            role: names.external_dns_role.clone(),
            description: format!("external-dns in {cluster}'s cluster"),
            statements: vec![
                Statement::allow(
                    "ChangeRecords",
                    &["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                )
                .on([Expr::sub(format!("arn:${{AWS::Partition}}:route53:::hostedzone/{zone}"))]),
                Statement::allow("FindZones", &["route53:ListHostedZones", "route53:ListTagsForResource"])
                    .on([Expr::str("*")]),
            ],
        },
        AddonIdentity {
            logical: "ClusterAutoscalerRole",
            namespace: names.cluster_autoscaler_namespace.clone(),
            service_account: names.cluster_autoscaler_service_account.clone(),
            role: names.cluster_autoscaler_role.clone(),
            description: format!("The cluster autoscaler of {cluster}'s node groups"),
            // The cluster autoscaler's documented policy (kubernetes/autoscaler,
            // cluster-autoscaler/cloudprovider/aws/README.md): reads on everything, and changes
            // only to the Auto Scaling groups EKS tags as this cluster's node groups.
            statements: vec![
                Statement::allow(
                    "ReadNodeGroups",
                    &[
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                )
                .on([Expr::str("*")]),
                Statement::allow(
                    "ScaleThisClustersNodeGroups",
                    &["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                )
                .on([Expr::str("*")])
                .when(
                    "StringEquals",
                    format!("aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}"),
                    Expr::str("owned"),
                ),
            ],
        },
    ]
}

/// The add-ons' roles (delivery stack).
pub fn add_addon_roles(t: &mut TemplateBuilder, platform: &Platform) {
    for addon in addon_identities(platform) {
        t.resource(
            &LogicalId::fixed(addon.logical),
            Role {
                role_name: Expr::str(&addon.role),
                description: addon.description,
                assume_role_policy_document: super::pod_identity::trust(
                    platform,
                    &addon.namespace,
                    &addon.service_account,
                ),
                policies: vec![InlinePolicy {
                    policy_name: "addon".into(),
                    policy_document: PolicyDocument::new(addon.statements),
                }],
                managed_policy_arns: vec![],
                permissions_boundary: None,
                max_session_duration: 3600,
                tags: platform_tags(platform),
            },
        );
    }
}

/// The ARN of role `name` of the platform's account, known before deploy.
pub fn role_arn_of(platform: &Platform, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{name}", platform.region().partition(), platform.account_id())
}
