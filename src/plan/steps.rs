//! The steps of a platform's deployment and their edges, in named passes:
//!
//! 1. `baseline`: the edge (us-east-1), the baseline stack, the delivery stack, the cluster,
//!    the service images, the cluster add-ons;
//! 2. `tenants`: per tenant its stack, its bundle, its registration — depending only on
//!    baseline steps and its own;
//! 3. `placeholder bindings`: every `${stack:<stack>:<output>}` in an artifact becomes a
//!    binding to the step that deploys that stack.
//!
//! Edges of the reference platform: cluster before add-ons before any tenant bundle; edge
//! (certificate) before the baseline's static sites before tenant alias records; baseline
//! tables and registries before service images before tenant bundles; tenant stack before
//! tenant bundle before tenant registration.

use std::collections::BTreeMap;

use super::facts::ArtifactFacts;
use super::step::{Action, Binding, Step, StepId};
use crate::compile::sites;
use crate::compile::{CLOUDFRONT_REGION, in_source, separate_stack};
use crate::contract::outputs::{self, tenant as tenant_outputs};
use crate::contract::paths::{self, buildspecs};
use crate::contract::placeholder::Producer;
use crate::contract::steps::{self, TenantPart};
pub use crate::contract::steps::{ACCESS, ADDONS, BASELINE, CLUSTER, CONTROL_PLANE, DELIVERY, EDGE, IMAGES};
use crate::contract::{BindingTarget, RecordField};
use crate::model::naming::role_arn;
use crate::model::{Platform, Site, Tenant};

/// The buildspecs the delivery stack's projects run and that no plan step runs itself.
const PIPELINE_BUILDSPECS: [&str; 5] = [
    buildspecs::APPLY,
    buildspecs::CHECK,
    buildspecs::ONBOARDING,
    buildspecs::TENANT_DEPLOY,
    buildspecs::TENANT_OFFBOARD,
];

fn platform_tags(platform: &Platform) -> BTreeMap<String, String> {
    BTreeMap::from([("tenancy:platform".to_owned(), platform.name().to_string())])
}

fn id(s: &str) -> StepId {
    StepId::new(s)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The id of `tenant`'s step `part`: `tenant/<id>/stack`, `tenant/<id>/k8s` or
/// `tenant/<id>/register`.
pub fn tenant_step(tenant: &Tenant, part: TenantPart) -> StepId {
    steps::tenant(&tenant.id, part)
}

/// Every step of `platform`, whose artifacts are `files`.
pub fn platform_steps(platform: &Platform, files: &BTreeMap<String, ArtifactFacts>) -> Vec<Step> {
    let mut steps = Vec::new();
    baseline_steps(platform, &mut steps);
    // Tenant stacks run as the tenant stack role: never with the deployer's own rights.
    let role = role_arn(platform.region(), platform.account_id(), &platform.baseline_names().cfn_execution_role);
    pool_steps(platform, &mut steps);
    for tenant in platform.tenants() {
        tenant_steps(platform, tenant, &role, &mut steps);
    }
    placeholder_bindings(&mut steps, files);
    steps
}

fn baseline_steps(platform: &Platform, steps: &mut Vec<Step>) {
    let names = platform.baseline_names();
    // The platform's own stacks run as the bootstrap stack's CloudFormation role, never with
    // the rights of whoever applies (the pipeline's apply role cannot create them itself).
    let platform_role = Some(role_arn(platform.region(), platform.account_id(), &names.cfn_baseline_role));
    let region = platform.region().to_string();
    let mut baseline_deps = Vec::new();
    let mut baseline_bindings = Vec::new();
    if separate_stack(platform) {
        steps.push(Step {
            id: id(EDGE),
            action: Action::Cloudformation {
                stack: names.edge_stack.clone(),
                region: CLOUDFRONT_REGION.into(),
                template: paths::EDGE_TEMPLATE.into(),
                role: platform_role.clone(),
                tags: platform_tags(platform),
            },
            artifacts: strings(&[paths::EDGE_TEMPLATE]),
            depends_on: vec![],
            bindings: vec![],
            estimate_seconds: 300,
        });
        baseline_deps.push(id(EDGE));
        for output in outputs::edge::ALL {
            baseline_bindings.push(Binding {
                input: BindingTarget::Parameter(output.into()),
                from: id(EDGE),
                output: output.into(),
            });
        }
    }
    steps.push(Step {
        id: id(BASELINE),
        action: Action::Cloudformation {
            stack: names.stack.clone(),
            region: region.clone(),
            template: paths::BASELINE_TEMPLATE.into(),
            role: platform_role.clone(),
            tags: platform_tags(platform),
        },
        artifacts: strings(&[paths::BASELINE_TEMPLATE]),
        depends_on: baseline_deps,
        bindings: baseline_bindings,
        estimate_seconds: 900,
    });
    let mut delivery_artifacts = strings(&[paths::DELIVERY_TEMPLATE]);
    delivery_artifacts.extend(strings(&PIPELINE_BUILDSPECS));
    steps.push(Step {
        id: id(DELIVERY),
        action: Action::Cloudformation {
            stack: names.delivery_stack.clone(),
            region: region.clone(),
            template: paths::DELIVERY_TEMPLATE.into(),
            role: platform_role.clone(),
            tags: platform_tags(platform),
        },
        artifacts: delivery_artifacts,
        depends_on: vec![id(BASELINE)],
        bindings: vec![],
        estimate_seconds: 300,
    });
    let build =
        |step: &str, project: &str, buildspec: &str, artifacts: &[&str], depends: &[&str], estimate: u32| Step {
            id: id(step),
            // The build reads its buildspec from the source bundle, where generated/ sits.
            action: Action::Codebuild {
                project: project.to_owned(),
                buildspec: in_source(buildspec),
                rerun: step == IMAGES,
            },
            artifacts: strings(artifacts),
            depends_on: depends.iter().map(|d| id(d)).collect(),
            bindings: vec![],
            estimate_seconds: estimate,
        };
    // Every CodeBuild project lives in the delivery stack.
    steps.push(build(
        CLUSTER,
        &names.cluster_project,
        buildspecs::CLUSTER,
        &[paths::CLUSTER_CONFIG, buildspecs::CLUSTER],
        &[DELIVERY],
        1500,
    ));
    steps.push(build(
        IMAGES,
        &names.images_project,
        buildspecs::IMAGES,
        &[buildspecs::IMAGES],
        &[BASELINE, DELIVERY],
        900,
    ));
    site_steps(platform, steps);
    steps.push(Step {
        id: id(ACCESS),
        action: Action::Cloudformation {
            stack: names.cluster_access_stack.clone(),
            region: region.clone(),
            template: paths::CLUSTER_ACCESS_TEMPLATE.into(),
            role: platform_role.clone(),
            tags: platform_tags(platform),
        },
        artifacts: strings(&[paths::CLUSTER_ACCESS_TEMPLATE]),
        // The add-ons' roles are the delivery stack's; the cluster must exist.
        depends_on: vec![id(CLUSTER), id(DELIVERY)],
        bindings: vec![],
        estimate_seconds: 300,
    });
    let mut addons = build(
        ADDONS,
        &names.addons_project,
        buildspecs::ADDONS,
        &[
            paths::CLUSTER_AUTOSCALER_VALUES,
            paths::EXTERNAL_DNS_VALUES,
            paths::INGRESS_NGINX_VALUES,
            paths::HELM_RELEASES,
            paths::BASELINE_BUNDLE,
            buildspecs::ADDONS,
        ],
        &[ACCESS, BASELINE, CLUSTER, DELIVERY],
        600,
    );
    addons.bindings.push(Binding {
        input: BindingTarget::Env("API_CERTIFICATE_ARN".into()),
        from: id(BASELINE),
        output: outputs::baseline::API_CERTIFICATE_ARN.into(),
    });
    steps.push(addons);
    // The control plane's services run as their Pod Identity associations' roles (access),
    // behind the ingress controller (add-ons), from the images build's digests, reading the
    // baseline's outputs and starting the delivery stack's onboarding project.
    steps.push(Step {
        id: id(CONTROL_PLANE),
        action: Action::Kubernetes {
            bundle: paths::CONTROL_PLANE_BUNDLE.into(),
            namespace: Some(names.control_plane_namespace.clone()),
        },
        artifacts: vec![paths::CONTROL_PLANE_BUNDLE.into()],
        depends_on: vec![id(ACCESS), id(ADDONS), id(BASELINE), id(DELIVERY), id(IMAGES)],
        bindings: vec![],
        estimate_seconds: 120,
    });
}

/// Each static site's build, once the baseline made its bucket and distribution and the
/// delivery stack its project. Its artifacts are its buildspec, its configuration and the
/// digests of its sources, so the step's hash changes with the app's sources and with nothing
/// else's. A platform without sites has none.
fn site_steps(platform: &Platform, steps: &mut Vec<Step>) {
    if platform.sites().is_none() {
        return;
    }
    let names = platform.baseline_names();
    for site in Site::ALL {
        let buildspec = buildspecs::site(site);
        let mut bindings = vec![Binding {
            input: BindingTarget::Env(sites::DISTRIBUTION_VARIABLE.into()),
            from: id(BASELINE),
            output: outputs::baseline::site_distribution_id(site),
        }];
        bindings.extend(sites::bound_variables(site).iter().map(|(variable, output)| Binding {
            input: BindingTarget::Env((*variable).into()),
            from: id(BASELINE),
            output: (*output).into(),
        }));
        steps.push(Step {
            id: steps::site(site),
            action: Action::Codebuild {
                project: names.site_project(site).to_owned(),
                buildspec: in_source(buildspec),
                rerun: false,
            },
            artifacts: vec![buildspec.to_owned(), paths::site_config(site), paths::site_sources(site)],
            depends_on: vec![id(BASELINE), id(DELIVERY)],
            bindings,
            estimate_seconds: 240,
        });
    }
}

/// Each pooled tier's pool stack, pool bundle and cell stacks. They are platform stacks (the
/// baseline role deploys them: the pool role has no tenant boundary, and the access roles
/// trust it by name, so the pool stack comes first).
fn pool_steps(platform: &Platform, steps: &mut Vec<Step>) {
    let names = platform.baseline_names();
    let platform_role = Some(role_arn(platform.region(), platform.account_id(), &names.cfn_baseline_role));
    for tier in platform.pooled_tiers() {
        let pool = platform.pool_names(tier);
        let stack_step = steps::pool(&tier.name, steps::PoolPart::Stack);
        let mut tags = platform_tags(platform);
        tags.insert("tenancy:tier".into(), tier.name.to_string());
        steps.push(Step {
            id: stack_step.clone(),
            action: Action::Cloudformation {
                stack: pool.stack.clone(),
                region: platform.region().to_string(),
                template: paths::pool_stack(&tier.name),
                role: platform_role.clone(),
                tags: tags.clone(),
            },
            artifacts: vec![paths::pool_stack(&tier.name)],
            // The association needs the cluster; the role reads the baseline's tenant table.
            depends_on: vec![id(BASELINE), id(CLUSTER), id(DELIVERY)],
            bindings: vec![],
            estimate_seconds: 120,
        });
        steps.push(Step {
            id: steps::pool(&tier.name, steps::PoolPart::Bundle),
            action: Action::Kubernetes {
                bundle: paths::pool_bundle(&tier.name),
                namespace: Some(pool.namespace.clone()),
            },
            artifacts: vec![paths::pool_bundle(&tier.name)],
            depends_on: vec![stack_step.clone(), id(ADDONS), id(IMAGES)],
            bindings: vec![],
            estimate_seconds: 120,
        });
        for index in 0..tier.cells {
            let cell = platform.cell_names(tier, index);
            steps.push(Step {
                id: steps::pool(&tier.name, steps::PoolPart::Cell(index)),
                action: Action::Cloudformation {
                    stack: cell.stack.clone(),
                    region: platform.region().to_string(),
                    template: paths::cell_stack(&tier.name, index),
                    role: platform_role.clone(),
                    tags: tags.clone(),
                },
                artifacts: vec![paths::cell_stack(&tier.name, index)],
                // The access role trusts the pool role, which must exist first.
                depends_on: vec![stack_step.clone(), id(BASELINE), id(DELIVERY)],
                bindings: vec![],
                estimate_seconds: 180,
            });
        }
    }
}

fn tenant_steps(platform: &Platform, tenant: &Tenant, role: &str, steps: &mut Vec<Step>) {
    if let Some(cell) = platform.cell_of(tenant) {
        return pooled_tenant_steps(platform, tenant, cell.index, steps);
    }
    let names = platform.tenant_names(tenant);
    let stack = tenant_step(tenant, TenantPart::Stack);
    let bundle = tenant_step(tenant, TenantPart::Bundle);
    steps.push(Step {
        id: stack.clone(),
        action: Action::Cloudformation {
            stack: names.stack.clone(),
            region: platform.region().to_string(),
            template: paths::tenant_stack(&tenant.id),
            role: Some(role.to_owned()),
            tags: {
                let mut tags = platform_tags(platform);
                tags.insert("tenancy:tenant".into(), tenant.id.to_string());
                tags.insert("tenancy:tier".into(), tenant.tier.to_string());
                tags
            },
        },
        artifacts: vec![paths::tenant_stack(&tenant.id)],
        // The baseline exports what the stack imports; delivery holds the role it runs as; the
        // cluster must exist for the stack's Pod Identity association.
        depends_on: vec![id(BASELINE), id(CLUSTER), id(DELIVERY)],
        bindings: vec![],
        estimate_seconds: 240,
    });
    steps.push(Step {
        id: bundle.clone(),
        action: Action::Kubernetes {
            bundle: paths::tenant_bundle(&tenant.id),
            namespace: Some(names.namespace.clone()),
        },
        artifacts: vec![paths::tenant_bundle(&tenant.id)],
        depends_on: vec![stack.clone(), id(ADDONS), id(IMAGES)],
        bindings: vec![],
        estimate_seconds: 120,
    });
    let fields = [
        (RecordField::ClientId, tenant_outputs::USER_POOL_CLIENT_ID.to_owned()),
        (RecordField::Issuer, tenant_outputs::ISSUER_URL.to_owned()),
        (RecordField::RoleArn, tenant_outputs::ROLE_ARN.to_owned()),
        (RecordField::UserPoolId, tenant_outputs::USER_POOL_ID.to_owned()),
    ];
    steps.push(register_step(platform, tenant, bundle, &stack, fields));
}

/// `tenant`'s register step, after its bundle: its record, each field bound to an output of
/// the stack `from` deploys (its own stack, or its cell's).
fn register_step<const N: usize>(
    platform: &Platform,
    tenant: &Tenant,
    bundle: StepId,
    from: &StepId,
    fields: [(RecordField, String); N],
) -> Step {
    Step {
        id: tenant_step(tenant, TenantPart::Register),
        action: Action::Register {
            table: platform.baseline_names().tenant_table,
            tenant: tenant.id.to_string(),
            tier: tenant.tier.to_string(),
            domain: platform.sign_in_domain(tenant),
        },
        artifacts: vec![],
        depends_on: vec![bundle],
        bindings: fields
            .into_iter()
            .map(|(field, output)| Binding { input: BindingTarget::Record(field), from: from.clone(), output })
            .collect(),
        estimate_seconds: 2,
    }
}

/// A tenant of a pooled tier: its Ingress in the pool namespace, then its record, whose
/// sign-in settings and access role come from its cell's stack.
fn pooled_tenant_steps(platform: &Platform, tenant: &Tenant, cell: u32, steps: &mut Vec<Step>) {
    let tier = platform.tier_of(tenant);
    let cell_step = steps::pool(&tier.name, steps::PoolPart::Cell(cell));
    let bundle = tenant_step(tenant, TenantPart::Bundle);
    steps.push(Step {
        id: bundle.clone(),
        action: Action::Kubernetes {
            bundle: paths::tenant_bundle(&tenant.id),
            namespace: Some(platform.pool_names(tier).namespace),
        },
        artifacts: vec![paths::tenant_bundle(&tenant.id)],
        depends_on: vec![cell_step.clone(), steps::pool(&tier.name, steps::PoolPart::Bundle), id(ADDONS)],
        bindings: vec![],
        estimate_seconds: 30,
    });
    use crate::compile::pool::outputs as cell_outputs;
    let fields = [
        (RecordField::AccessRoleArn, cell_outputs::ACCESS_ROLE_ARN.to_owned()),
        (RecordField::ClientId, cell_outputs::client_id(&tenant.id)),
        (RecordField::Issuer, cell_outputs::ISSUER_URL.to_owned()),
        (RecordField::UserPoolId, cell_outputs::USER_POOL_ID.to_owned()),
    ];
    steps.push(register_step(platform, tenant, bundle, &cell_step, fields));
}

/// Finds every placeholder in a step's artifacts and binds it to the step that produces it:
/// the step deploying the named stack, or the step running the named build project. A
/// placeholder naming a producer no step runs binds to a missing step, which plan validation
/// reports (as it reports a producer the step does not depend on).
fn placeholder_bindings(steps: &mut [Step], files: &BTreeMap<String, ArtifactFacts>) {
    let producers: BTreeMap<(Producer, String), StepId> = steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Cloudformation { stack, .. } => Some(((Producer::Stack, stack.clone()), s.id.clone())),
            Action::Codebuild { project, .. } => Some(((Producer::Build, project.clone()), s.id.clone())),
            _ => None,
        })
        .collect();
    for step in steps.iter_mut() {
        for path in &step.artifacts {
            let Some(facts) = files.get(path) else { continue };
            for placeholder in &facts.placeholders {
                let binding = Binding {
                    input: BindingTarget::Placeholder(placeholder.clone()),
                    from: producers
                        .get(&(placeholder.producer, placeholder.name.clone()))
                        .cloned()
                        .unwrap_or_else(|| StepId::new(format!("(no step produces {placeholder})"))),
                    output: placeholder.output.clone(),
                };
                if !step.bindings.contains(&binding) {
                    step.bindings.push(binding);
                }
            }
        }
    }
}
