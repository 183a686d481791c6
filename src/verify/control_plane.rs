//! The control plane's principals, read off the files: the onboarding job (the role of the
//! project whose buildspec is `buildspecs/onboarding.yml`) and the registration service (the
//! role the baseline's Pod Identity association gives the `registration` ServiceAccount of the
//! control-plane namespace), and the resources they call: the registry table and the lifecycle
//! topic the onboarding project's environment names, and that project.
//!
//! Sufficiency: each may make its declared calls (`contract::calls`) on them. Isolation: no
//! tenant principal may start the onboarding job or publish lifecycle events (the registry
//! table is one of the baseline's shared tables, which isolation checks for every tenant).

use super::iam::Context;
use super::principals::Role;
use super::{Baseline, Location, Property, Report};
use crate::contract::calls;
use crate::contract::paths::buildspecs;
use crate::model::FieldPath;
use crate::model::naming::{CONTROL_PLANE_NAMESPACE, REGISTRATION_SERVICE_ACCOUNT};

/// What the control plane calls, by ARN, and who calls it.
pub(crate) struct Resources {
    pub registry_table: String,
    pub topic: String,
    pub onboarding_project: String,
    /// The onboarding project's role (index into `baseline.roles`) and where the project is.
    job: Option<(usize, Location)>,
    /// The registration service's role and where its association is.
    registration: Option<(usize, Location)>,
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
            let registration = super::isolation::baseline_associations(baseline).iter().find_map(
                |(namespace, account, _, role_arn, at)| {
                    (namespace == CONTROL_PLANE_NAMESPACE && account == REGISTRATION_SERVICE_ACCOUNT)
                        .then(|| role(role_arn).map(|i| (i, at.clone())))
                        .flatten()
                },
            );
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
                registration,
            });
        }
    }
    None
}

/// Sufficiency of the onboarding job's and the registration service's own calls.
pub(crate) fn sufficiency(baseline: &Baseline, report: &mut Report) {
    let Some(r) = resources(baseline) else { return };
    let check = |report: &mut Report, role: &Role, at: &Location, action: &str, resource: &str, why: &str| {
        report.count(Property::Sufficiency, 1);
        let verdict = role.decide(action, resource, &Context::new());
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
    };
    let mut callers = Vec::new();
    if let Some((i, at)) = &r.job {
        callers.push((&baseline.roles[*i], at, false));
    }
    if let Some((i, at)) = &r.registration {
        callers.push((&baseline.roles[*i], at, true));
    }
    for (role, at, starts_builds) in callers {
        for action in calls::LIFECYCLE_IAM_ACTIONS {
            check(report, role, at, action, &r.registry_table, "the registry (tenancy-registry) calls");
        }
        for action in calls::EVENTS_IAM_ACTIONS {
            check(report, role, at, action, &r.topic, "publishing lifecycle events takes");
        }
        if starts_builds {
            for action in calls::ONBOARDING_IAM_ACTIONS {
                check(report, role, at, action, &r.onboarding_project, "starting the onboarding job takes");
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
