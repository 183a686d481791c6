//! Every call the code makes is granted to the principal that makes it, read off the generated
//! templates: the journal and lock for whoever applies (B6 of the deployability review), the
//! services' table actions for each tenant's role and its boundary (B9), the pipeline's input
//! artifact for every project the pipeline runs (B5), the builds and stacks apply drives.
//! The actions come from the code's own lists (`IAM_ACTIONS` next to each caller).

use crate::common::iam::{Context, role_allows, role_named};
use crate::common::*;
use serde_json::Value;
use tenancy::model::{Platform, Site};

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "123456789012";

fn at() -> (&'static str, &'static str) {
    (REGION, ACCOUNT)
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
}

struct Generated {
    platform: Platform,
    delivery: Value,
    files: std::collections::BTreeMap<String, String>,
}

fn generated() -> Generated {
    let platform = reference();
    let files = files(&platform);
    let delivery = template_json(&files["baseline/delivery.cfn.yaml"]);
    Generated { platform, delivery, files }
}

/// The roles that run `tenancy apply`: the pipeline's apply project, the tenant deployer and the
/// onboarding job.
fn applying_roles(g: &Generated) -> Vec<String> {
    let names = g.platform.baseline_names();
    [&names.apply_project, &names.deploy_project, &names.onboarding_project]
        .into_iter()
        .map(|name| role_named(&g.delivery, name))
        .collect()
}

fn all_granted(checks: impl IntoIterator<Item = Result<(), String>>) {
    let problems: Vec<String> = checks.into_iter().filter_map(Result::err).collect();
    assert!(problems.is_empty(), "missing grants:\n  {}", problems.join("\n  "));
}

#[test]
fn whoever_applies_can_read_and_write_the_journal_and_lock() {
    let g = generated();
    let table = arn("dynamodb", &format!("table/{}", g.platform.baseline_names().deploy_state_table));
    all_granted(applying_roles(&g).iter().flat_map(|role| {
        tenancy_apply::aws::state::IAM_ACTIONS
            .iter()
            .map(|action| role_allows(&g.delivery, role, action, &table, &Context::new(), at()))
            .collect::<Vec<_>>()
    }));
}

/// A control-plane role: granted every `(actions, resource)` of `granted`, refused each
/// `(action, resource)` of `refused`.
fn grants_exactly(g: &Generated, role_name: &str, granted: &[(&[&str], String)], refused: &[(&str, String)]) {
    let role = role_named(&g.delivery, role_name);
    let allowed =
        |action: &str, resource: &str| role_allows(&g.delivery, &role, action, resource, &Context::new(), at());
    all_granted(granted.iter().flat_map(|(actions, resource)| actions.iter().map(|a| allowed(a, resource))));
    for (action, resource) in refused {
        assert!(allowed(action, resource).is_err(), "{role_name} may {action} on {resource}");
    }
}

/// The onboarding job's own calls, beside its apply's: the registry (`tenancy-registry`'s
/// tables), the lifecycle topic, and the git credential CodeBuild reads for it; on those
/// resources only.
#[test]
fn the_onboarding_job_can_write_the_registry_publish_and_read_its_git_credential_and_no_more() {
    let g = generated();
    let names = g.platform.baseline_names();
    grants_exactly(
        &g,
        &names.onboarding_project,
        &[
            (&tenancy_registry::dynamo::IAM_ACTIONS, arn("dynamodb", &format!("table/{}", names.registry_table))),
            (&tenancy_registry::events::IAM_ACTIONS, arn("sns", &names.lifecycle_topic)),
            (
                &["secretsmanager:GetSecretValue"],
                arn("secretsmanager", &format!("secret:{}-AbC123", names.onboarding_git_secret)),
            ),
        ],
        // Not another table's items, not another secret, not another topic.
        &[
            ("dynamodb:PutItem", arn("dynamodb", "table/saas-product")),
            ("dynamodb:Query", arn("dynamodb", "table/saas-order-acme")),
            ("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:saas/other-AbC123")),
            ("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:saas/onboarding-git-extra-AbC123")),
            ("sns:Publish", arn("sns", "saas-other-topic")),
        ],
    );
    // Offboarding's purge, in pools tagged with the platform only.
    let role = role_named(&g.delivery, &names.onboarding_project);
    let pool = arn("cognito-idp", "userpool/eu-west-1_AbC123xyZ");
    for action in tenancy::contract::calls::PURGE_IAM_ACTIONS {
        let tagged = |p: &str| Context::from([("aws:ResourceTag/tenancy:platform", vec![p.to_owned()])]);
        role_allows(&g.delivery, &role, action, &pool, &tagged("saas"), at()).unwrap();
        assert!(role_allows(&g.delivery, &role, action, &pool, &tagged("other"), at()).is_err(), "{action}");
    }
}

/// The registration service's role (Pod Identity, control-plane namespace): what the service
/// calls, from its crates' own tables, on the platform's registry, topic and onboarding project.
#[test]
fn the_registration_role_grants_what_the_service_calls_and_no_more() {
    let g = generated();
    let names = g.platform.baseline_names();
    grants_exactly(
        &g,
        &names.registration_role,
        &[
            (&tenancy_registry::dynamo::IAM_ACTIONS, arn("dynamodb", &format!("table/{}", names.registry_table))),
            (&tenancy_registry::events::IAM_ACTIONS, arn("sns", &names.lifecycle_topic)),
            (&tenancy_registry::jobs::IAM_ACTIONS, arn("codebuild", &format!("project/{}", names.onboarding_project))),
        ],
        &[
            ("codebuild:StartBuild", arn("codebuild", &format!("project/{}", names.apply_project))),
            ("dynamodb:PutItem", arn("dynamodb", &format!("table/{}", names.tenant_table))),
            ("dynamodb:PutItem", arn("dynamodb", &format!("table/{}", names.deploy_state_table))),
        ],
    );
}

/// The tenant management service's role: the registry with its listing, the topic, starting
/// the onboarding job, reading the tenant table; nothing that writes the tenant table or
/// starts another project.
#[test]
fn the_tenant_management_role_grants_what_the_service_calls_and_no_more() {
    let g = generated();
    let names = g.platform.baseline_names();
    let registry = arn("dynamodb", &format!("table/{}", names.registry_table));
    grants_exactly(
        &g,
        &names.tenant_management_role,
        &[
            (&tenancy_registry::dynamo::IAM_ACTIONS, registry.clone()),
            (&tenancy_registry::dynamo::LISTING_IAM_ACTIONS, registry),
            (&tenancy_registry::directory::IAM_ACTIONS, arn("dynamodb", &format!("table/{}", names.tenant_table))),
            (&tenancy_registry::events::IAM_ACTIONS, arn("sns", &names.lifecycle_topic)),
            (&tenancy_registry::jobs::IAM_ACTIONS, arn("codebuild", &format!("project/{}", names.onboarding_project))),
        ],
        &[
            ("dynamodb:PutItem", arn("dynamodb", &format!("table/{}", names.tenant_table))),
            ("dynamodb:Scan", arn("dynamodb", &format!("table/{}", names.tenant_table))),
            ("codebuild:StartBuild", arn("codebuild", &format!("project/{}", names.apply_project))),
            ("cognito-idp:AdminCreateUser", arn("cognito-idp", "userpool/eu-west-1_AbC123xyZ")),
        ],
    );
}

/// The user management service's role: the tenant directory, and users in the platform's pools
/// (told apart by the platform tag, as pool ids are Cognito's), not in another platform's pool,
/// and nothing of the registry's.
#[test]
fn the_user_management_role_manages_users_of_the_platforms_pools_only() {
    use tenancy::contract::calls::{DIRECTORY_IAM_ACTIONS, USERS_IAM_ACTIONS};
    let g = generated();
    let names = g.platform.baseline_names();
    let role = role_named(&g.delivery, &names.user_management_role);
    let pool = arn("cognito-idp", "userpool/eu-west-1_AbC123xyZ");
    let tagged = |platform: &str| Context::from([("aws:ResourceTag/tenancy:platform", vec![platform.to_owned()])]);
    let allowed = |action: &str, resource: &str, context: &Context| {
        role_allows(&g.delivery, &role, action, resource, context, at())
    };
    let directory = arn("dynamodb", &format!("table/{}", names.tenant_table));
    all_granted(
        DIRECTORY_IAM_ACTIONS
            .iter()
            .map(|a| allowed(a, &directory, &Context::new()))
            .chain(USERS_IAM_ACTIONS.iter().map(|a| allowed(a, &pool, &tagged("saas")))),
    );
    for action in USERS_IAM_ACTIONS {
        for context in [Context::new(), tagged("other")] {
            assert!(allowed(action, &pool, &context).is_err(), "{action} on a pool not tagged saas: {context:?}");
        }
    }
    for (action, resource) in [
        ("cognito-idp:AdminSetUserPassword", pool.clone()),
        ("cognito-idp:DeleteUserPool", pool.clone()),
        ("dynamodb:PutItem", directory.clone()),
        ("dynamodb:GetItem", arn("dynamodb", &format!("table/{}", names.registry_table))),
    ] {
        assert!(allowed(action, &resource, &tagged("saas")).is_err(), "user management may {action} on {resource}");
    }
}

#[test]
fn whoever_applies_can_drive_tenant_stacks_and_write_tenant_records() {
    let g = generated();
    let names = g.platform.baseline_names();
    let stack = arn("cloudformation", "stack/saas-tenant-acme/0b0e2c40-0000-0000-0000-000000000000");
    let records = arn("dynamodb", &format!("table/{}", names.tenant_table));
    all_granted(applying_roles(&g).iter().flat_map(|role| {
        let stacks = tenancy_apply::aws::cloudformation::IAM_ACTIONS
            .iter()
            .map(|a| role_allows(&g.delivery, role, a, &stack, &Context::new(), at()));
        let register = tenancy_apply::aws::register::IAM_ACTIONS
            .iter()
            .map(|a| role_allows(&g.delivery, role, a, &records, &Context::new(), at()));
        stacks.chain(register).collect::<Vec<_>>()
    }));
}

/// M8 of the deployability review: offboarding a `backup` tier's tenant takes its backups.
#[test]
fn whoever_applies_can_back_up_an_offboarded_tenants_tables() {
    let g = generated();
    let table = arn("dynamodb", "table/saas-order-globex");
    let backup = arn("dynamodb", "table/saas-order-globex/backup/01700000000000-abcdef12");
    all_granted(applying_roles(&g).iter().flat_map(|role| {
        let create = role_allows(&g.delivery, role, "dynamodb:CreateBackup", &table, &Context::new(), at());
        let describe = role_allows(&g.delivery, role, "dynamodb:DescribeBackup", &backup, &Context::new(), at());
        assert!(tenancy_apply::aws::cloudformation::BACKUP_IAM_ACTIONS.contains(&"dynamodb:CreateBackup"));
        [create, describe]
    }));
}

#[test]
fn the_apply_project_can_run_every_build_of_the_plan() {
    let g = generated();
    let names = g.platform.baseline_names();
    let role = role_named(&g.delivery, &names.apply_project);
    let plan = tenancy::plan::plan_for(&g.platform, &tenancy::plan::facts_of(&g.files)).unwrap();
    let mut checks = Vec::new();
    for step in plan.steps() {
        if let tenancy::plan::Action::Codebuild { project, .. } = &step.action {
            for action in tenancy_apply::aws::codebuild::IAM_ACTIONS {
                checks.push(role_allows(
                    &g.delivery,
                    &role,
                    action,
                    &arn("codebuild", &format!("project/{project}")),
                    &Context::new(),
                    at(),
                ));
            }
        }
    }
    assert!(checks.len() >= 6);
    all_granted(checks);
}

/// CodeBuild downloads a pipeline's input artifact with the project's own role, from the
/// artifact store (`<first 20 characters of the pipeline name>/...`), decrypting it with the
/// store's key through S3.
#[test]
fn every_project_the_pipeline_runs_can_read_its_input_artifacts() {
    let g = generated();
    let pipeline = &g.delivery["Resources"]["PlatformPipeline"]["Properties"];
    let store = pipeline["ArtifactStore"]["Location"].as_str().unwrap();
    let prefix: String = pipeline["Name"].as_str().unwrap().chars().take(20).collect();
    let key = "import:saas-baseline-DataKeyArn";
    let s3 = Context::from([("kms:ViaService", vec![format!("s3.{REGION}.amazonaws.com")])]);
    let projects: std::collections::BTreeSet<String> = pipeline["Stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|stage| stage["Actions"].as_array().unwrap())
        .filter(|action| action["ActionTypeId"]["Provider"] == "CodeBuild")
        .map(|action| action["Configuration"]["ProjectName"].as_str().unwrap().to_owned())
        .collect();
    assert!(projects.len() >= 2, "{projects:?}");
    let object = format!("arn:aws:s3:::{store}/{prefix}/Source/AbCdEf1");
    all_granted(projects.iter().flat_map(|project| {
        let role = role_named(&g.delivery, project);
        ["s3:GetObject", "s3:GetObjectVersion"]
            .into_iter()
            .map(|action| role_allows(&g.delivery, &role, action, &object, &Context::new(), at()))
            .chain([role_allows(&g.delivery, &role, "kms:Decrypt", key, &s3, at())])
            .collect::<Vec<_>>()
    }));
}

/// The tenant role (and its permissions boundary) grants what the services call: the order
/// service's listing Scans its own silo table, which must be granted there and nowhere else.
#[test]
fn each_tenants_role_and_boundary_grant_what_its_services_call_on_its_own_tables_only() {
    let g = generated();
    let boundary = &g.delivery["Resources"]["TenantRoleBoundary"]["Properties"]["PolicyDocument"];
    let mut checks = Vec::new();
    for tenant in g.platform.tenants() {
        let stack = template_json(&g.files[&format!("tenants/{}/stack.cfn.yaml", tenant.id)]);
        let own = arn("dynamodb", &format!("table/saas-order-{}", tenant.id));
        let pool = arn("dynamodb", "table/saas-product");
        let mine = Context::from([("dynamodb:LeadingKeys", vec![tenant.id.to_string()])]);
        let grants = |action: &str, resource: &str, context: &Context| {
            let role = role_allows(&stack, "ServiceRole", action, resource, context, at());
            let bounded =
                crate::common::iam::document_allows(&g.delivery, boundary, action, resource, context, REGION, ACCOUNT);
            role.and_then(|()| match bounded {
                Some(true) => Ok(()),
                _ => Err(format!("the tenant boundary does not allow {action} on {resource}")),
            })
        };
        for action in order::store::IAM_ACTIONS {
            checks.push(grants(action, &own, &Context::new()).map_err(|e| format!("{}: order: {e}", tenant.id)));
        }
        for action in product::store::IAM_ACTIONS {
            let context = if action == "dynamodb:DescribeTable" { Context::new() } else { mine.clone() };
            checks.push(grants(action, &pool, &context).map_err(|e| format!("{}: product: {e}", tenant.id)));
        }
        // Never another tenant's table, never a Scan of the pooled table.
        let other = arn("dynamodb", "table/saas-order-someone-else");
        assert!(role_allows(&stack, "ServiceRole", "dynamodb:Scan", &other, &Context::new(), at()).is_err());
        assert!(role_allows(&stack, "ServiceRole", "dynamodb:GetItem", &other, &Context::new(), at()).is_err());
        assert!(role_allows(&stack, "ServiceRole", "dynamodb:Scan", &pool, &mine, at()).is_err(), "Scan on the pool");
        assert!(role_allows(&stack, "ServiceRole", "dynamodb:Scan", &pool, &Context::new(), at()).is_err());
        let theirs = Context::from([("dynamodb:LeadingKeys", vec!["someone-else".to_owned()])]);
        assert!(role_allows(&stack, "ServiceRole", "dynamodb:Query", &pool, &theirs, at()).is_err());
    }
    all_granted(checks);
}

/// m11 of the deployability review: the role CloudFormation assumes for tenant stacks must
/// hold what each resource type's handlers call (the handler permissions of the resource
/// provider schemas, read from hashicorp/terraform-provider-awscc v1.96.0
/// `internal/service/cloudformation/schemas/`; cfn-lint's bundled schemas strip them). Only the
/// actions for what the tenant stacks use: no KMS-encrypted pools, no Kinesis streams, no
/// table imports or replicas.
#[test]
fn the_tenant_stack_role_holds_every_handler_permission_its_resources_need() {
    let g = generated();
    let role = "TenantStackRole";
    let pool = arn("cognito-idp", "userpool/eu-west-1_AbCdEf123");
    let table = arn("dynamodb", "table/saas-order-acme");
    let tenant_role = "arn:aws:iam::123456789012:role/saas-tenant-acme";
    let association = arn("eks", "podidentityassociation/saas/a-123");
    let cluster = arn("eks", "cluster/saas");
    let handlers: &[(&str, &[&str], &str)] = &[
        (
            "AWS::Cognito::UserPool",
            &[
                "cognito-idp:SetUserPoolMfaConfig",
                "cognito-idp:DescribeUserPool",
                "cognito-idp:TagResource",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:UpdateUserPool",
                "cognito-idp:ListTagsForResource",
                "cognito-idp:UntagResource",
                "cognito-idp:AddCustomAttributes",
                "cognito-idp:DeleteUserPool",
            ],
            &pool,
        ),
        (
            "AWS::Cognito::UserPoolClient",
            &[
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:UpdateUserPoolClient",
                "cognito-idp:DeleteUserPoolClient",
            ],
            &pool,
        ),
        (
            "AWS::Cognito::UserPoolDomain",
            &[
                "cognito-idp:CreateUserPoolDomain",
                "cognito-idp:DescribeUserPoolDomain",
                "cognito-idp:DeleteUserPoolDomain",
            ],
            &pool,
        ),
        (
            "AWS::Cognito::UserPoolUser",
            &["cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminDeleteUser"],
            &pool,
        ),
        (
            "AWS::Cognito::UserPoolGroup",
            &["cognito-idp:CreateGroup", "cognito-idp:GetGroup", "cognito-idp:UpdateGroup", "cognito-idp:DeleteGroup"],
            &pool,
        ),
        (
            "AWS::Cognito::UserPoolUserToGroupAttachment",
            &[
                "cognito-idp:AdminAddUserToGroup",
                "cognito-idp:AdminListGroupsForUser",
                "cognito-idp:AdminRemoveUserFromGroup",
            ],
            &pool,
        ),
        (
            "AWS::DynamoDB::Table",
            &[
                "dynamodb:CreateTable",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                "dynamodb:UpdateTable",
                "dynamodb:GetResourcePolicy",
                "dynamodb:DeleteTable",
            ],
            &table,
        ),
        (
            "AWS::IAM::Role",
            &[
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ],
            tenant_role,
        ),
        (
            "AWS::EKS::PodIdentityAssociation",
            &[
                "eks:DescribePodIdentityAssociation",
                "eks:UpdatePodIdentityAssociation",
                "eks:DeletePodIdentityAssociation",
                "eks:TagResource",
                "eks:UntagResource",
            ],
            &association,
        ),
        ("AWS::EKS::PodIdentityAssociation", &["eks:CreatePodIdentityAssociation"], &cluster),
        ("AWS::EKS::PodIdentityAssociation", &["iam:GetRole", "iam:PassRole"], tenant_role),
    ];
    let used: std::collections::BTreeSet<String> = g
        .platform
        .tenants()
        .iter()
        .flat_map(|t| {
            let stack = template_json(&g.files[&format!("tenants/{}/stack.cfn.yaml", t.id)]);
            stack["Resources"]
                .as_object()
                .unwrap()
                .values()
                .map(|r| r["Type"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    for resource_type in &used {
        assert!(
            resource_type == "AWS::Route53::RecordSet" || handlers.iter().any(|(t, ..)| t == resource_type),
            "{resource_type}: no handler permissions listed for it here"
        );
    }
    // The boundary-guarded actions (iam:CreateRole, PutRolePolicy) need their condition: checked
    // by tenant_roles_reach_only_their_own_data; here, everything else.
    all_granted(handlers.iter().flat_map(|(_, actions, resource)| {
        actions.iter().map(|a| role_allows(&g.delivery, role, a, resource, &Context::new(), at())).collect::<Vec<_>>()
    }));
    let bounded = Context::from([(
        "iam:PermissionsBoundary",
        vec!["arn:aws:iam::123456789012:policy/saas-tenant-boundary".to_owned()],
    )]);
    // A pool is created only tagged as the platform's (CreateUserPool has no pool ARN yet).
    let tagged = Context::from([("aws:RequestTag/tenancy:platform", vec!["saas".to_owned()])]);
    role_allows(&g.delivery, role, "cognito-idp:CreateUserPool", "*", &tagged, at()).unwrap();
    assert!(role_allows(&g.delivery, role, "cognito-idp:CreateUserPool", "*", &Context::new(), at()).is_err());
    for action in ["iam:CreateRole", "iam:PutRolePolicy"] {
        role_allows(&g.delivery, role, action, tenant_role, &bounded, at()).unwrap();
        assert!(
            role_allows(&g.delivery, role, action, tenant_role, &Context::new(), at()).is_err(),
            "{action} unbounded"
        );
    }
}

/// M1 of the deployability review: the pipeline's apply drives the platform's own stacks, each
/// under the bootstrap stack's CloudFormation role, which it may pass to CloudFormation only.
#[test]
fn the_apply_project_can_drive_every_platform_stack_under_its_role() {
    let g = generated();
    let names = g.platform.baseline_names();
    let role = role_named(&g.delivery, &names.apply_project);
    let plan = tenancy::plan::plan_for(&g.platform, &tenancy::plan::facts_of(&g.files)).unwrap();
    let mut checks = Vec::new();
    for step in plan.steps() {
        let tenancy::plan::Action::Cloudformation { stack, region, role: stack_role, .. } = &step.action else {
            continue;
        };
        if step.id.tenant().is_some() {
            continue;
        }
        assert_eq!(stack_role.as_deref(), Some("arn:aws:iam::123456789012:role/saas-cfn-baseline"), "{}", step.id);
        let arn = format!("arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/0b0e2c40");
        for action in
            tenancy_apply::aws::cloudformation::IAM_ACTIONS.iter().filter(|a| **a != "cloudformation:DeleteStack")
        {
            checks.push(role_allows(&g.delivery, &role, action, &arn, &Context::new(), at()));
        }
        let to_cloudformation =
            Context::from([("iam:PassedToService", vec!["cloudformation.amazonaws.com".to_owned()])]);
        checks.push(role_allows(
            &g.delivery,
            &role,
            "iam:PassRole",
            stack_role.as_deref().unwrap(),
            &to_cloudformation,
            at(),
        ));
    }
    assert!(checks.len() >= 4 * 7, "edge, baseline, delivery and cluster access");
    all_granted(checks);
}

/// M9 of the deployability review: the eksctl project's role holds eksctl's documented minimum
/// (userdocs "Minimum IAM policies", IamLimitedAccess) for eksctl's own roles, instance profiles
/// and policies, which rollbacks and deletes of its stacks call too.
#[test]
fn the_cluster_project_holds_eksctls_documented_minimum_for_its_own_roles() {
    let g = generated();
    let role = role_named(&g.delivery, &g.platform.baseline_names().cluster_project);
    let documented = [
        "iam:CreateInstanceProfile",
        "iam:DeleteInstanceProfile",
        "iam:GetInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:GetRole",
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:AddRoleToInstanceProfile",
        "iam:ListInstanceProfilesForRole",
        "iam:PassRole",
        "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:GetPolicy",
        "iam:CreatePolicy",
        "iam:DeletePolicy",
        "iam:ListPolicyVersions",
    ];
    let resources = [
        "arn:aws:iam::123456789012:role/eksctl-saas-cluster-ServiceRole-ABC",
        "arn:aws:iam::123456789012:instance-profile/eksctl-saas-nodegroup-shared-NodeInstanceProfile",
        "arn:aws:iam::123456789012:policy/eksctl-saas-cluster-PolicyELB",
    ];
    all_granted(documented.iter().map(|action| {
        let resource = match action {
            a if a.contains("InstanceProfile") && !a.contains("ForRole") => resources[1],
            a if a.contains("Policy") && !a.contains("Role") => resources[2],
            _ => resources[0],
        };
        role_allows(&g.delivery, &role, action, resource, &Context::new(), at())
    }));
    let linked = Context::from([("iam:AWSServiceName", vec!["eks-nodegroup.amazonaws.com".to_owned()])]);
    role_allows(&g.delivery, &role, "iam:CreateServiceLinkedRole", "*", &linked, at()).unwrap();
    // Nothing beyond eksctl's own: not the platform's roles.
    assert!(
        role_allows(
            &g.delivery,
            &role,
            "iam:CreateRole",
            "arn:aws:iam::123456789012:role/saas-apply",
            &Context::new(),
            at()
        )
        .is_err()
    );
}

/// Each site's build (`buildspecs/site-<site>.yml`): it writes its own site's bucket and
/// invalidates its own site's distribution (the id the baseline exports), and nothing of
/// another site's: the landing page's build cannot replace the admin console.
#[test]
fn each_site_role_publishes_its_own_site_only() {
    let g = generated();
    let names = g.platform.baseline_names();
    let bucket = |site: Site| format!("arn:aws:s3:::saas-{site}-{ACCOUNT}-{REGION}");
    let distribution = |site: Site| {
        format!(
            "arn:aws:cloudfront::{ACCOUNT}:distribution/import:saas-baseline-{}",
            tenancy::contract::outputs::baseline::site_distribution_id(site)
        )
    };
    for site in Site::ALL {
        let mut refused = vec![
            ("s3:DeleteObject", format!("{}/index.html", bucket(site))),
            ("s3:ListBucket", bucket(site)),
            ("s3:PutObject", format!("arn:aws:s3:::saas-artifacts-{ACCOUNT}-{REGION}/source/tenancy.zip")),
            ("cloudfront:UpdateDistribution", distribution(site)),
        ];
        for other in Site::ALL.into_iter().filter(|other| *other != site) {
            refused.push(("s3:PutObject", format!("{}/index.html", bucket(other))));
            refused.push(("cloudfront:CreateInvalidation", distribution(other)));
        }
        let refused: Vec<(&str, String)> = refused;
        grants_exactly(
            &g,
            names.site_project(site),
            &[
                (&["s3:PutObject"], format!("{}/index.html", bucket(site))),
                (&["s3:PutObject"], format!("{}/assets/app-0123abcd.js", bucket(site))),
                (&["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"], distribution(site)),
            ],
            &refused,
        );
    }
}
