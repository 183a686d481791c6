//! The CodeBuild projects that run the buildspecs, their roles, and the CodePipeline that runs
//! the plan on AWS: check, then the baseline steps wave by wave, then the tenants in a fixed
//! number of shards. Shards keep the pipeline independent of the tenant count (adding a tenant
//! changes no baseline byte) and far below CodePipeline's 50 actions per stage; any stage is
//! batched into stages of at most 50 actions all the same.

use std::collections::BTreeMap;

use crate::cfn::resources::{
    ActionTypeId, ArtifactName, ArtifactStore, CloudWatchLogs, EncryptionKey, EnvironmentVariable, LogGroup,
    LogsConfig, Pipeline, PipelineAction, Project, ProjectArtifacts, ProjectEnvironment, ProjectSource, Rule,
    RuleTarget, Stage,
};
use crate::cfn::{Expr, LogicalId, Statement, TemplateBuilder};
use crate::contract::steps;
use crate::model::{BaselineNames, Platform, Site};

use super::common::{
    BucketRef, CODEBUILD_IMAGE, SOURCE_KEY, buildspecs, global_arn, in_source, platform_tags, regional_arn,
};
use super::edge::{CLOUDFRONT_REGION, separate_stack};

/// CodePipeline's limit of actions in one stage.
pub const MAX_ACTIONS_PER_STAGE: usize = 50;
/// The selection of the pipeline's pools stage: every pool and cell step.
pub const POOLS_SELECTION: &str = "pools";
/// The tenant steps run in this many parallel shards (`shard:<i>/<n>`).
pub const TENANT_SHARDS: usize = 8;
/// Where CodePipeline keeps the artifacts it passes between stages: under the first 20
/// characters of the pipeline's name, in the artifact store bucket.
pub fn pipeline_prefix(pipeline: &str) -> &str {
    &pipeline[..pipeline.len().min(20)]
}

/// The baseline steps, wave by wave, as the plan orders them (`plan` tests that it agrees).
pub fn baseline_waves(platform: &Platform) -> Vec<Vec<String>> {
    let wave = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
    let mut waves = Vec::new();
    if separate_stack(platform) {
        waves.push(wave(&[steps::EDGE]));
    }
    waves.push(wave(&[steps::BASELINE]));
    waves.push(wave(&[steps::DELIVERY]));
    // The sites need their buckets (baseline) and their project (delivery), nothing else.
    let mut builds = wave(&[steps::CLUSTER, steps::IMAGES]);
    if platform.sites().is_some() {
        builds.extend(Site::ALL.into_iter().map(|site| steps::site(site).as_str().to_owned()));
    }
    waves.push(builds);
    waves.push(wave(&[steps::ACCESS]));
    waves.push(wave(&[steps::ADDONS]));
    waves.push(wave(&[steps::CONTROL_PLANE]));
    waves
}

/// Splits `items` into stages of at most [`MAX_ACTIONS_PER_STAGE`], keeping their order.
pub fn batches<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    items.chunks(MAX_ACTIONS_PER_STAGE).map(<[T]>::to_vec).collect()
}

/// The IAM actions of eksctl's documented minimum policy (IamLimitedAccess) that act on roles,
/// instance profiles and policies, for eksctl's own resources. No OIDC provider actions: the
/// cluster has none (EKS Pod Identity).
/// `iam:ListRolePolicies` is added: CloudFormation lists inline policies to delete a role.
const EKSCTL_IAM_ACTIONS: [&str; 24] = [
    "iam:AddRoleToInstanceProfile",
    "iam:AttachRolePolicy",
    "iam:CreateInstanceProfile",
    "iam:CreatePolicy",
    "iam:CreateRole",
    "iam:DeleteInstanceProfile",
    "iam:DeletePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetInstanceProfile",
    "iam:GetPolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
];

/// A project and the role it runs as.
struct ProjectSpec {
    logical: &'static str,
    name: String,
    /// The buildspec's artifact path (under the output directory).
    buildspec: &'static str,
    description: String,
    privileged: bool,
    statements: Vec<Statement>,
    managed_policies: Vec<Expr>,
    variables: Vec<(&'static str, Expr)>,
}

pub fn add(t: &mut TemplateBuilder, platform: &Platform, artifacts: &BucketRef, key: &Expr) {
    let names = platform.baseline_names();
    let p = platform.name();
    let projects = |name: &str| regional_arn("codebuild", &format!("project/{name}"));
    let source = artifacts.objects(SOURCE_KEY);
    let cluster_arn = regional_arn("eks", &format!("cluster/{}", platform.cluster().name));
    let stacks = |pattern: &str, region: Option<&str>| match region {
        Some(region) => {
            Expr::sub(format!("arn:${{AWS::Partition}}:cloudformation:{region}:${{AWS::AccountId}}:stack/{pattern}/*"))
        }
        None => regional_arn("cloudformation", &format!("stack/{pattern}/*")),
    };
    let change_sets = [
        "cloudformation:CreateChangeSet",
        "cloudformation:DeleteChangeSet",
        "cloudformation:DescribeChangeSet",
        "cloudformation:DescribeStackEvents",
        "cloudformation:DescribeStacks",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:GetTemplate",
        "cloudformation:TagResource",
    ];
    let power_user = Expr::sub("arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess");

    let read_source = || Statement::allow("ReadSource", &["s3:GetObject", "s3:GetObjectVersion"]).on([source.clone()]);
    // CodeBuild downloads a pipeline action's input artifacts with the project's own role, from
    // the artifact store, decrypting them with the store's key through S3.
    let pipeline_artifacts = artifacts.objects(&format!("{}/*", pipeline_prefix(&names.pipeline)));
    let read_pipeline_artifacts = || {
        vec![
            Statement::allow("ReadPipelineArtifacts", &["s3:GetObject", "s3:GetObjectVersion"])
                .on([pipeline_artifacts.clone()]),
            Statement::allow("DecryptPipelineArtifacts", &["kms:Decrypt"]).on([key.clone()]).when(
                "StringEquals",
                "kms:ViaService",
                Expr::sub("s3.${AWS::Region}.amazonaws.com"),
            ),
        ]
    };
    let mut specs = vec![
        ProjectSpec {
            logical: "Deployer",
            name: names.deploy_project.clone(),
            buildspec: buildspecs::TENANT_DEPLOY,
            description: format!("Deploys one {p} tenant (tenancy apply --select tenant:$TENANT_ID)"),
            privileged: false,
            statements: super::deploy_roles::deployer_statements(platform, artifacts, key),
            managed_policies: vec![],
            variables: vec![("TENANT_ID", Expr::str(""))],
        },
        ProjectSpec {
            logical: "Onboarding",
            name: names.onboarding_project.clone(),
            buildspec: buildspecs::ONBOARDING,
            description: format!("Onboards or offboards one {p} tenant (tenancy job $JOB): a commit, then its apply"),
            privileged: false,
            statements: {
                let mut statements = super::deploy_roles::deployer_statements(platform, artifacts, key);
                statements.push(
                    Statement::allow("WriteRegistry", &crate::contract::calls::LIFECYCLE_IAM_ACTIONS)
                        .on([regional_arn("dynamodb", &format!("table/{}", names.registry_table))]),
                );
                // Offboarding purges a pooled tenant's users from the shared pool, which the
                // stack cannot (they are not its resources): pools carrying the platform's tag.
                statements.push(super::deploy_roles::platform_pools(
                    platform,
                    "PurgeTenantUsers",
                    &crate::contract::calls::PURGE_IAM_ACTIONS,
                ));
                // Secrets Manager appends six random characters to a secret's name in its ARN.
                statements.push(
                    Statement::allow("ReadGitCredential", &["secretsmanager:GetSecretValue"]).on([regional_arn(
                        "secretsmanager",
                        &format!("secret:{}-??????", names.onboarding_git_secret),
                    )]),
                );
                statements
            },
            managed_policies: vec![],
            variables: vec![
                ("JOB", Expr::str("onboard")),
                ("TENANT_ID", Expr::str("")),
                ("REGISTRY_TABLE", Expr::str(&names.registry_table)),
                ("LIFECYCLE_TOPIC_ARN", regional_arn("sns", &names.lifecycle_topic)),
                ("TENANT_TABLE", Expr::str(&names.tenant_table)),
            ],
        },
        ProjectSpec {
            logical: "Check",
            name: names.check_project.clone(),
            buildspec: buildspecs::CHECK,
            description: format!("Builds tenancy once per pipeline run and fails when {p}'s generated/ is stale"),
            privileged: false,
            statements: [
                vec![read_source()],
                read_pipeline_artifacts(),
                vec![
                    // The Tools output artifact, which every later action takes as input.
                    Statement::allow("WritePipelineArtifacts", &["s3:PutObject"]).on([pipeline_artifacts.clone()]),
                    Statement::allow("EncryptPipelineArtifacts", &["kms:GenerateDataKey"]).on([key.clone()]).when(
                        "StringEquals",
                        "kms:ViaService",
                        Expr::sub("s3.${AWS::Region}.amazonaws.com"),
                    ),
                    // The same binary for builds the pipeline does not run (tenant deploys).
                    Statement::allow("PublishTools", &["s3:PutObject"])
                        .on([artifacts.objects(&format!("{}*", super::deploy_roles::TOOLS_PREFIX))]),
                ],
            ]
            .concat(),
            managed_policies: vec![],
            variables: vec![],
        },
        ProjectSpec {
            logical: "Cluster",
            name: names.cluster_project.clone(),
            buildspec: buildspecs::CLUSTER,
            description: format!("Creates or upgrades {p}'s cluster with eksctl"),
            privileged: false,
            // eksctl builds the VPC, the cluster and node groups through its own CloudFormation
            // stacks: PowerUserAccess, and IAM over eksctl's own roles and policies only, with
            // every action of eksctl's documented minimum (userdocs "Minimum IAM policies",
            // IamLimitedAccess), which rollbacks and deletes of its stacks need too.
            statements: {
                let cluster = platform.cluster().name.as_str();
                vec![
                    read_source(),
                    Statement::allow("EksctlRoles", &EKSCTL_IAM_ACTIONS).on([
                        global_arn("iam", &format!("role/eksctl-{cluster}-*")),
                        global_arn("iam", &format!("instance-profile/eksctl-{cluster}-*")),
                        global_arn("iam", &format!("policy/eksctl-{cluster}-*")),
                    ]),
                    // Access entries name principals, which eksctl looks up.
                    Statement::allow("ReadPrincipals", &["iam:GetRole", "iam:GetUser"])
                        .on([global_arn("iam", "role/*"), global_arn("iam", "user/*")]),
                    Statement::allow("EksServiceLinkedRoles", &["iam:CreateServiceLinkedRole"])
                        .on([Expr::str("*")])
                        .when(
                            "StringEquals",
                            "iam:AWSServiceName",
                            Expr::list([Expr::str("eks.amazonaws.com"), Expr::str("eks-nodegroup.amazonaws.com")]),
                        ),
                ]
            },
            managed_policies: vec![power_user],
            variables: vec![],
        },
        ProjectSpec {
            logical: "Images",
            name: names.images_project.clone(),
            buildspec: buildspecs::IMAGES,
            description: format!("Builds and pushes {p}'s service images"),
            privileged: true,
            statements: vec![
                read_source(),
                Statement::allow("RegistryLogin", &["ecr:GetAuthorizationToken"]).on([Expr::str("*")]),
                Statement::allow(
                    "PushImages",
                    &[
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:CompleteLayerUpload",
                        "ecr:DescribeImageScanFindings",
                        "ecr:DescribeImages",
                        "ecr:InitiateLayerUpload",
                        "ecr:PutImage",
                        "ecr:UploadLayerPart",
                    ],
                )
                .on(super::images::repository_arns(platform)),
                Statement::allow("EncryptImages", &["kms:Decrypt", "kms:GenerateDataKey"]).on([key.clone()]),
            ],
            managed_policies: vec![],
            variables: vec![],
        },
        ProjectSpec {
            logical: "Addons",
            name: names.addons_project.clone(),
            buildspec: buildspecs::ADDONS,
            description: format!("Installs {p}'s cluster add-ons at pinned chart versions"),
            privileged: false,
            statements: vec![
                read_source(),
                Statement::allow("ReachCluster", &["eks:DescribeCluster"]).on([cluster_arn.clone()]),
            ],
            managed_policies: vec![],
            variables: vec![("API_CERTIFICATE_ARN", Expr::str(""))],
        },
        ProjectSpec {
            logical: "Apply",
            name: names.apply_project.clone(),
            buildspec: buildspecs::APPLY,
            description: format!("Runs one selection of {p}'s deploy plan (tenancy apply --select $SELECTION)"),
            privileged: false,
            statements: {
                let mut statements = super::deploy_roles::deployer_statements(platform, artifacts, key);
                statements.extend(read_pipeline_artifacts());
                statements.push(Statement::allow("DrivePlatformStacks", &change_sets).on([
                    stacks(&names.stack, None),
                    stacks(&names.delivery_stack, None),
                    stacks(&names.cluster_access_stack, None),
                    stacks(&names.edge_stack, Some(CLOUDFRONT_REGION)),
                ]));
                statements.push(
                    Statement::allow("PassBaselineStackRole", &["iam:PassRole"])
                        .on([global_arn("iam", &format!("role/{}", names.cfn_baseline_role))])
                        .when("StringEquals", "iam:PassedToService", Expr::str("cloudformation.amazonaws.com")),
                );
                statements.push(
                    Statement::allow(
                        "RunPlanBuilds",
                        &["codebuild:BatchGetBuilds", "codebuild:ListBuildsForProject", "codebuild:StartBuild"],
                    )
                    .on([
                        projects(&names.addons_project),
                        projects(&names.cluster_project),
                        projects(&names.images_project),
                    ]
                    .into_iter()
                    .chain(
                        Site::ALL
                            .into_iter()
                            .filter(|_| platform.sites().is_some())
                            .map(|site| projects(names.site_project(site))),
                    )),
                );
                statements
            },
            managed_policies: vec![],
            variables: vec![("SELECTION", Expr::str(""))],
        },
    ];
    if platform.sites().is_some() {
        specs.extend(Site::ALL.map(|site| site_project(platform, site, read_source())));
    }
    for spec in &specs {
        add_project(t, platform, artifacts, key, spec);
    }
    add_pipeline(t, platform, artifacts, key);
}

/// The project that builds and publishes one static site: it reads the source bundle, writes
/// its site's bucket's objects and invalidates its site's distribution (by the id the baseline
/// exports), nothing else: no listing, no delete (a visitor mid-load still fetches the previous
/// build's assets), no other site. One project per site, so the landing page's build cannot
/// touch the admin console.
fn site_project(platform: &Platform, site: Site, read_source: Statement) -> ProjectSpec {
    let names = platform.baseline_names();
    let bucket = BaselineNames::site_bucket(platform.name(), platform.account_id(), platform.region(), site.name());
    // CloudFront's ARNs have no region (Service Authorization Reference, "Resource types defined
    // by Amazon CloudFront": `arn:${Partition}:cloudfront::${Account}:distribution/${DistributionId}`).
    let export = super::common::baseline_export(platform, &super::common::exports::site_distribution_id(site));
    let distribution = Expr::Join(
        String::new(),
        vec![Expr::sub("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"), Expr::import(export)],
    );
    ProjectSpec {
        logical: match site {
            Site::Admin => "AdminSite",
            Site::App => "AppSite",
            Site::Landing => "LandingSite",
        },
        name: names.site_project(site).to_owned(),
        buildspec: buildspecs::site(site),
        description: format!("Builds {}'s {site} app and publishes it to the {site} site", platform.name()),
        privileged: false,
        statements: vec![
            read_source,
            Statement::allow("PublishSite", &["s3:PutObject"]).on([BucketRef { name: bucket }.objects("*")]),
            Statement::allow("InvalidateSite", &["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"])
                .on([distribution]),
        ],
        managed_policies: vec![],
        variables: vec![],
    }
}

/// A project, its log group, and its role (least privilege: the spec's statements, its logs).
fn add_project(t: &mut TemplateBuilder, platform: &Platform, artifacts: &BucketRef, key: &Expr, spec: &ProjectSpec) {
    let id = |suffix: &str| LogicalId::derive(spec.logical, suffix);
    let log_group_name = format!("/aws/codebuild/{}", spec.name);
    t.resource(
        &id("Logs"),
        LogGroup {
            log_group_name: Expr::str(&log_group_name),
            retention_in_days: 365,
            kms_key_id: key.clone(),
            tags: platform_tags(platform),
        },
    );
    let mut statements = vec![
        Statement::allow("WriteBuildLogs", &["logs:CreateLogStream", "logs:PutLogEvents"])
            .on([regional_arn("logs", &format!("log-group:{log_group_name}:*"))]),
    ];
    statements.extend(spec.statements.iter().cloned());
    let role = id("Role");
    let mut project_role = super::deploy_roles::service_role(
        platform,
        &spec.name,
        spec.description.clone(),
        "codebuild.amazonaws.com",
        "project",
        statements,
    );
    project_role.managed_policy_arns = spec.managed_policies.clone();
    t.resource(&role, project_role);
    add_codebuild_project(
        t,
        platform,
        &id("Project"),
        ProjectParts {
            name: &spec.name,
            description: &spec.description,
            role: Expr::get_att(&role, "Arn"),
            artifacts,
            buildspec: spec.buildspec,
            log_group: &log_group_name,
            key,
            privileged: spec.privileged,
            variables: &spec.variables,
        },
    );
}

/// What a CodeBuild project is made of.
pub struct ProjectParts<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub role: Expr,
    pub artifacts: &'a BucketRef,
    /// The buildspec's artifact path; the project names it in the source bundle.
    pub buildspec: &'a str,
    pub log_group: &'a str,
    pub key: &'a Expr,
    pub privileged: bool,
    pub variables: &'a [(&'static str, Expr)],
}

/// A project reading this repository's source bundle from the artifacts bucket.
pub fn add_codebuild_project(t: &mut TemplateBuilder, platform: &Platform, id: &LogicalId, parts: ProjectParts) {
    let mut variables = vec![
        EnvironmentVariable {
            name: "TENANCY_PLATFORM".into(),
            value: Expr::str(platform.name().as_str()),
            variable_type: "PLAINTEXT",
        },
        EnvironmentVariable {
            name: "TENANCY_CLUSTER".into(),
            value: Expr::str(platform.cluster().name.as_str()),
            variable_type: "PLAINTEXT",
        },
    ];
    variables.extend(parts.variables.iter().map(|(name, value)| EnvironmentVariable {
        name: (*name).to_owned(),
        value: value.clone(),
        variable_type: "PLAINTEXT",
    }));
    t.resource(
        id,
        Project {
            name: Expr::str(parts.name),
            description: parts.description.to_owned(),
            service_role: parts.role,
            source: ProjectSource {
                source_type: "S3",
                location: Expr::str(format!("{}/{SOURCE_KEY}", parts.artifacts.name)),
                build_spec: in_source(parts.buildspec),
            },
            artifacts: ProjectArtifacts { artifacts_type: "NO_ARTIFACTS" },
            environment: ProjectEnvironment {
                environment_type: "LINUX_CONTAINER",
                compute_type: "BUILD_GENERAL1_MEDIUM",
                image: CODEBUILD_IMAGE,
                image_pull_credentials_type: "CODEBUILD",
                privileged_mode: parts.privileged,
                environment_variables: variables,
            },
            timeout_in_minutes: 120,
            encryption_key: parts.key.clone(),
            logs_config: LogsConfig {
                cloud_watch_logs: CloudWatchLogs { status: "ENABLED", group_name: Expr::str(parts.log_group) },
            },
            tags: platform_tags(platform),
        },
    );
}

/// The pipeline's artifacts: the source bundle, and the tenancy binary the check stage built.
pub const SOURCE_ARTIFACT: &str = "Source";
pub const TOOLS_ARTIFACT: &str = "Tools";

/// The pipeline's stages: check, the baseline waves, then the tenant shards, each batched.
pub fn stages(platform: &Platform) -> Vec<(String, Vec<String>)> {
    let mut stages = vec![("Check".to_owned(), vec!["check".to_owned()])];
    for (i, wave) in baseline_waves(platform).into_iter().enumerate() {
        let selections: Vec<String> = wave.iter().map(|step| format!("step:{step}")).collect();
        for (j, batch) in batches(&selections).into_iter().enumerate() {
            stages.push((
                format!("Baseline{}{}", i + 1, if j == 0 { String::new() } else { format!("Part{}", j + 1) }),
                batch,
            ));
        }
    }
    // The pooled tiers' pools and cells, in one action: its apply runs them in parallel, in the
    // plan's order, and the shards after it find every tenant's cell deployed.
    if platform.pooled_tiers().next().is_some() {
        stages.push(("Pools".to_owned(), vec![POOLS_SELECTION.to_owned()]));
    }
    let shards: Vec<String> = (1..=TENANT_SHARDS).map(|i| format!("shard:{i}/{TENANT_SHARDS}")).collect();
    for (j, batch) in batches(&shards).into_iter().enumerate() {
        stages.push((format!("Tenants{}", if j == 0 { String::new() } else { format!("Part{}", j + 1) }), batch));
    }
    stages
}

fn add_pipeline(t: &mut TemplateBuilder, platform: &Platform, artifacts: &BucketRef, key: &Expr) {
    let names = platform.baseline_names();
    let p = platform.name();
    let action_name = |selection: &str| selection.replace([':', '/'], "-");
    let codebuild = |project: &str, variables: Option<String>| {
        let mut configuration = BTreeMap::from([("ProjectName".to_owned(), Expr::str(project))]);
        if let Some(variables) = variables {
            configuration.insert("EnvironmentVariables".into(), Expr::str(variables));
        }
        configuration
    };
    let mut pipeline_stages = vec![Stage {
        name: "Source".into(),
        actions: vec![PipelineAction {
            name: "Source".into(),
            action_type_id: ActionTypeId { category: "Source", owner: "AWS", provider: "S3", version: "1" },
            configuration: BTreeMap::from([
                ("PollForSourceChanges".to_owned(), Expr::str("false")),
                ("S3Bucket".to_owned(), artifacts.name()),
                ("S3ObjectKey".to_owned(), Expr::str(SOURCE_KEY)),
            ]),
            input_artifacts: vec![],
            output_artifacts: vec![ArtifactName { name: SOURCE_ARTIFACT.into() }],
            run_order: 1,
        }],
    }];
    for (stage, selections) in stages(platform) {
        let actions = selections
            .iter()
            .map(|selection| {
                // The check action builds tenancy once and hands it on (the Tools artifact);
                // every apply action takes the source and those tools.
                let check = selection == "check";
                let mut configuration = if check {
                    codebuild(&names.check_project, None)
                } else {
                    let variables = serde_json::json!([{"name": "SELECTION", "value": selection, "type": "PLAINTEXT"}]);
                    codebuild(&names.apply_project, Some(variables.to_string()))
                };
                if !check {
                    configuration.insert("PrimarySource".into(), Expr::str(SOURCE_ARTIFACT));
                }
                let artifact = |name: &str| ArtifactName { name: name.into() };
                PipelineAction {
                    name: action_name(selection),
                    action_type_id: ActionTypeId {
                        category: "Build",
                        owner: "AWS",
                        provider: "CodeBuild",
                        version: "1",
                    },
                    configuration,
                    input_artifacts: if check {
                        vec![artifact(SOURCE_ARTIFACT)]
                    } else {
                        vec![artifact(SOURCE_ARTIFACT), artifact(TOOLS_ARTIFACT)]
                    },
                    output_artifacts: if check { vec![artifact(TOOLS_ARTIFACT)] } else { vec![] },
                    run_order: 1,
                }
            })
            .collect();
        pipeline_stages.push(Stage { name: stage, actions });
    }

    let role = LogicalId::fixed("PipelineRole");
    let project_arns: Vec<Expr> = [&names.apply_project, &names.check_project]
        .into_iter()
        .map(|name| regional_arn("codebuild", &format!("project/{name}")))
        .collect();
    t.resource(
        &role,
        super::deploy_roles::service_role(
            platform,
            &names.pipeline,
            format!("Runs {p}'s platform pipeline"),
            "codepipeline.amazonaws.com",
            "pipeline",
            vec![
                Statement::allow("ReadSource", &["s3:GetBucketVersioning", "s3:GetObject", "s3:GetObjectVersion"])
                    .on([artifacts.arn(), artifacts.objects(SOURCE_KEY)]),
                Statement::allow("StageArtifacts", &["s3:GetObject", "s3:PutObject"])
                    .on([artifacts.objects(&format!("{}/*", pipeline_prefix(&names.pipeline)))]),
                Statement::allow("EncryptArtifacts", &["kms:Decrypt", "kms:GenerateDataKey"]).on([key.clone()]),
                Statement::allow("RunBuilds", &["codebuild:BatchGetBuilds", "codebuild:StartBuild"]).on(project_arns),
            ],
        ),
    );
    t.resource(
        &LogicalId::fixed("PlatformPipeline"),
        Pipeline {
            name: Expr::str(&names.pipeline),
            role_arn: Expr::get_att(&role, "Arn"),
            pipeline_type: "V2",
            execution_mode: "QUEUED",
            restart_execution_on_update: false,
            artifact_store: ArtifactStore {
                store_type: "S3",
                location: artifacts.name(),
                encryption_key: EncryptionKey { id: key.clone(), key_type: "KMS" },
            },
            stages: pipeline_stages,
            tags: platform_tags(platform),
        },
    );
    add_trigger(t, platform, artifacts);
}

/// The rule that starts the pipeline when a source bundle is pushed (the S3 source action does
/// not poll): the artifacts bucket sends its events to EventBridge (bootstrap stack), and an
/// "Object Created" event for the bundle's key starts an execution.
fn add_trigger(t: &mut TemplateBuilder, platform: &Platform, artifacts: &BucketRef) {
    let names = platform.baseline_names();
    let pipeline_arn = regional_arn("codepipeline", &names.pipeline);
    let role = LogicalId::fixed("PipelineTriggerRole");
    t.resource(
        &role,
        super::deploy_roles::service_role(
            platform,
            &names.pipeline_trigger_role,
            format!("Starts {}'s pipeline when a source bundle is pushed", platform.name()),
            "events.amazonaws.com",
            "start-pipeline",
            vec![
                Statement::allow("StartPipeline", &["codepipeline:StartPipelineExecution"]).on([pipeline_arn.clone()]),
            ],
        ),
    );
    t.resource(
        &LogicalId::fixed("PipelineTrigger"),
        Rule {
            name: Expr::str(&names.pipeline_trigger_rule),
            description: format!("A new version of s3://{}/{SOURCE_KEY} starts the pipeline", artifacts.name),
            event_pattern: serde_json::json!({
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [artifacts.name]}, "object": {"key": [SOURCE_KEY]}},
            }),
            state: "ENABLED",
            targets: vec![RuleTarget {
                arn: pipeline_arn,
                id: "pipeline".into(),
                role_arn: Expr::get_att(&role, "Arn"),
            }],
        },
    );
}
