//! The control plane's principals, read off the files: the onboarding job (the role of the
//! project whose buildspec is `buildspecs/onboarding.yml`), the registration and user
//! management services (the roles the baseline's Pod Identity associations give the
//! `registration` and `user-management` ServiceAccounts of the control-plane namespace), and the
//! resources they call: the registry table and the lifecycle topic the onboarding project's
//! environment names, that project, the tenant table and the platform's user pools.
//!
//! Sufficiency: each may make its declared calls (`contract::calls`) on them; user management
//! may not touch a pool without the platform's tag (least privilege). Isolation: no tenant
//! principal may start the onboarding job or publish lifecycle events (the registry table is one
//! of the baseline's shared tables, and user management's calls are among the pool actions,
//! which isolation checks for every tenant).

use super::iam::Context;
use super::principals::Role;
use super::{Baseline, Location, Property, Report};
use crate::contract::calls;
use crate::contract::paths::buildspecs;
use crate::model::FieldPath;
use crate::model::naming::{
    CONTROL_PLANE_NAMESPACE, REGISTRATION_SERVICE_ACCOUNT, TENANT_MANAGEMENT_SERVICE_ACCOUNT,
    USER_MANAGEMENT_SERVICE_ACCOUNT,
};

/// What the control plane calls, by ARN, and who calls it.
pub(crate) struct Resources {
    pub registry_table: String,
    pub topic: String,
    pub onboarding_project: String,
    /// The onboarding project's role (index into `baseline.roles`) and where the project is.
    job: Option<(usize, Location)>,
    /// The registration service's role and where its association is.
    registration: Option<(usize, Location)>,
    /// The tenant management service's role and where its association is.
    tenant_management: Option<(usize, Location)>,
    /// The user management service's role and where its association is.
    user_management: Option<(usize, Location)>,
    /// The tenant table (the tenant directory), if the baseline has one.
    pub tenant_table: Option<String>,
    /// The baseline's user pools: ARN and the value of their platform tag.
    pub pools: Vec<(String, String)>,
}

/// The control plane's resources, or `None` for a platform without an onboarding project.
pub(crate) fn resources(baseline: &Baseline) -> Option<&Resources> {
    baseline.cache.control_plane.get_or_init(|| find(baseline)).as_ref()
}

fn find(baseline: &Baseline) -> Option<Resources> {
    let s = &baseline.scope;
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    for (file, t) in baseline.templates() {
        for (logical, project) in t.of_type("AWS::CodeBuild::Project") {
            let props = &project["Properties"];
            let spec = props["Source"]["BuildSpec"].as_str().unwrap_or_default();
            if spec.strip_prefix("generated/") != Some(buildspecs::ONBOARDING) {
                continue;
            }
            let variable = |name: &str| {
                props["Environment"]["EnvironmentVariables"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|v| v["Name"] == name)
                    .map(|v| t.string(&v["Value"], scope, exports))
                    .unwrap_or_default()
            };
            let name = t.string(&props["Name"], scope, exports);
            let role_arn = t.string(&props["ServiceRole"], scope, exports);
            let role = |arn: &str| baseline.roles.iter().position(|r| r.arn == arn || r.name == arn);
            let service = |service_account: &str| {
                super::isolation::baseline_associations(baseline).iter().find_map(
                    |(namespace, account, _, role_arn, at)| {
                        (namespace == CONTROL_PLANE_NAMESPACE && account == service_account)
                            .then(|| role(role_arn).map(|i| (i, at.clone())))
                            .flatten()
                    },
                )
            };
            let (tenant_table, pools) = platform_directory(baseline);
            return Some(Resources {
                registry_table: format!(
                    "arn:{}:dynamodb:{}:{}:table/{}",
                    s.partition,
                    s.region,
                    s.account,
                    variable("REGISTRY_TABLE")
                ),
                topic: variable("LIFECYCLE_TOPIC_ARN"),
                onboarding_project: format!("arn:{}:codebuild:{}:{}:project/{name}", s.partition, s.region, s.account),
                job: role(&role_arn).map(|i| (i, baseline.at(&file, &FieldPath::root().key("Resources").key(logical)))),
                registration: service(REGISTRATION_SERVICE_ACCOUNT),
                tenant_management: service(TENANT_MANAGEMENT_SERVICE_ACCOUNT),
                user_management: service(USER_MANAGEMENT_SERVICE_ACCOUNT),
                tenant_table,
                pools,
            });
        }
    }
    None
}

/// The tenant table's ARN and every user pool's ARN and platform tag, off the baseline's files.
fn platform_directory(baseline: &Baseline) -> (Option<String>, Vec<(String, String)>) {
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    let mut table = None;
    for (_, t) in baseline.templates() {
        for (logical, resource) in t.of_type("AWS::DynamoDB::Table") {
            let keys = resource["Properties"]["KeySchema"].as_array().map(Vec::as_slice).unwrap_or_default();
            if logical == "TenantTable" && keys.len() == 1 && keys[0]["AttributeName"] == "TenantId" {
                table = Some(t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports));
            }
        }
    }
    (table, super::isolation::shared_resources(baseline).1.clone())
}

/// `context` for a call on a resource carrying the platform tag `platform` (none if empty: the
/// resource is untagged, and the request has no such key).
pub(crate) fn with_platform_tag(context: Context, platform: &str) -> Context {
    if platform.is_empty() {
        return context;
    }
    context.with(&format!("aws:ResourceTag/{}", crate::compile::PLATFORM_TAG), &[platform])
}

/// The context of a call on a resource tagged with `platform`.
fn tagged(platform: &str) -> Context {
    with_platform_tag(Context::new(), platform)
}

/// One declared call of `role`: allowed, or a finding.
fn check(report: &mut Report, (role, at): (&Role, &Location), call: (&str, &str, &Context), why: &str) {
    let (action, resource, context) = call;
    report.count(Property::Sufficiency, 1);
    let verdict = role.decide(action, resource, context);
    if !verdict.decision.is_allowed() {
        report.findings.push(super::sufficiency::missing(
            role,
            action,
            resource,
            at.clone(),
            format!("{} cannot {action} on {resource}, which {why}", role.name),
            &verdict.decision,
        ));
    }
}

/// Sufficiency of the onboarding job's, the registration service's and the user management
/// service's own calls, and user management's bounds.
pub(crate) fn sufficiency(baseline: &Baseline, report: &mut Report) {
    let Some(r) = resources(baseline) else { return };
    let none = Context::new();
    // (caller, lists the registry, starts the onboarding job, reads the tenant directory)
    let mut callers = Vec::new();
    if let Some((i, at)) = &r.job {
        callers.push((&baseline.roles[*i], at, false, false, false));
    }
    if let Some((i, at)) = &r.registration {
        callers.push((&baseline.roles[*i], at, false, true, false));
    }
    if let Some((i, at)) = &r.tenant_management {
        callers.push((&baseline.roles[*i], at, true, true, true));
    }
    for (role, at, lists, starts_builds, reads_directory) in callers {
        let listing: &[&str] = if lists { &calls::LISTING_IAM_ACTIONS } else { &[] };
        for action in calls::LIFECYCLE_IAM_ACTIONS.iter().chain(listing) {
            let why = "the registry (tenancy-registry) calls";
            check(report, (role, at), (action, &r.registry_table, &none), why);
        }
        for action in calls::EVENTS_IAM_ACTIONS {
            check(report, (role, at), (action, &r.topic, &none), "publishing lifecycle events takes");
        }
        if starts_builds {
            for action in calls::ONBOARDING_IAM_ACTIONS {
                let why = "starting the onboarding job takes";
                check(report, (role, at), (action, &r.onboarding_project, &none), why);
            }
        }
        if let Some(table) = r.tenant_table.as_ref().filter(|_| reads_directory) {
            for action in calls::DIRECTORY_IAM_ACTIONS {
                check(report, (role, at), (action, table, &none), "the tenant directory (auth-info) takes");
            }
        }
    }
    // Offboarding purges a pooled tenant's users from the shared pool.
    if let Some((i, at)) = &r.job {
        for (pool, tag) in &r.pools {
            for action in calls::PURGE_IAM_ACTIONS {
                let why = "offboarding purges a pooled tenant's users in";
                check(report, (&baseline.roles[*i], at), (action, pool, &tagged(tag)), why);
            }
        }
    }
    let Some((i, at)) = &r.user_management else { return };
    let role = &baseline.roles[*i];
    if let Some(table) = &r.tenant_table {
        for action in calls::DIRECTORY_IAM_ACTIONS {
            let why = "user management reads each tenant's sign-in from";
            check(report, (role, at), (action, table, &none), why);
        }
    }
    // The baseline's pools (the admin pool, the shared tenant pool) as they are tagged, and a
    // tenant's own pool, which carries the same platform tag; then a pool of no platform's.
    let platform = r.pools.first().map(|(_, tag)| tag.clone()).unwrap_or_default();
    let sc = &baseline.scope;
    let tenant_pool =
        format!("arn:{}:cognito-idp:{}:{}:userpool/{}_TenantPool", sc.partition, sc.region, sc.account, sc.region);
    let mut pools: Vec<(&str, &str)> = r.pools.iter().map(|(arn, tag)| (arn.as_str(), tag.as_str())).collect();
    pools.push((&tenant_pool, &platform));
    for (pool, tag) in pools {
        for action in calls::USERS_IAM_ACTIONS {
            let why = "user management manages users in";
            check(report, (role, at), (action, pool, &tagged(tag)), why);
        }
    }
    // One role serves every tenant of this platform, and no other platform's.
    for action in calls::USERS_IAM_ACTIONS {
        for context in [Context::new(), tagged("another-platform")] {
            report.count(Property::Isolation, 1);
            if role.decide(action, &tenant_pool, &context).decision.is_allowed() {
                report.findings.push(super::Finding {
                    property: Property::Isolation,
                    principal: role.arn.clone(),
                    action: action.to_owned(),
                    resource: tenant_pool.clone(),
                    at: at.clone(),
                    message: format!("{} can {action} in a user pool that is not this platform's", role.name),
                    accepted: None,
                });
            }
        }
    }
}

/// What no tenant principal may do to the control plane: start the onboarding job (which
/// commits to the platform repository and applies with the job's role) or publish lifecycle
/// events in the platform's name. Each as (action, resource ARN, what it would mean).
pub(crate) fn forbidden(baseline: &Baseline) -> Vec<(&'static str, String, &'static str)> {
    let Some(r) = resources(baseline) else { return Vec::new() };
    let mut out = Vec::new();
    for action in calls::ONBOARDING_IAM_ACTIONS {
        out.push((action, r.onboarding_project.clone(), "start the onboarding job"));
    }
    for action in calls::EVENTS_IAM_ACTIONS {
        out.push((action, r.topic.clone(), "publish lifecycle events"));
    }
    out
}
