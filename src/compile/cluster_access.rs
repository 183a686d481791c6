//! The cluster-access stack: what the cluster needs once it exists and every apply can bring up
//! to date, as CloudFormation resources (created, updated or left alone, never "already
//! exists"): the EKS add-ons tenancy adds to eksctl's (the Pod Identity agent, metrics-server)
//! and the Pod Identity associations of the other add-ons' roles. eksctl creates only what a
//! cluster needs to start (the network add-ons, the node groups, the access entries);
//! `eksctl create podidentityassociation` on an existing cluster fails for associations that
//! exist, and `eksctl update addon` for add-ons that do not.

use crate::cfn::resources::Addon;
use crate::cfn::{Expr, LogicalId, Template, TemplateBuilder, TemplateError};
use crate::model::Platform;

use super::common::platform_tags;

/// The EKS add-ons this stack installs.
pub const ADDONS: [&str; 2] = [super::pod_identity::AGENT_ADDON, "metrics-server"];

pub fn cluster_access_stack(platform: &Platform) -> Result<Template, TemplateError> {
    let cluster = platform.cluster().name.as_str();
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: cluster access (the Pod Identity agent, metrics-server, the add-ons' Pod Identity associations)",
        platform.name()
    ));
    for addon in ADDONS {
        t.resource(
            &LogicalId::derive(addon, "Addon"),
            Addon {
                addon_name: addon.to_owned(),
                cluster_name: Expr::str(cluster),
                resolve_conflicts: "OVERWRITE",
                tags: platform_tags(platform),
            },
        );
    }
    for addon in super::deploy_roles::addon_identities(platform) {
        let role = super::deploy_roles::role_arn_of(platform, &addon.role);
        t.resource(
            &LogicalId::derive(addon.logical.trim_end_matches("Role"), "Association"),
            super::pod_identity::association(
                platform,
                &addon.namespace,
                &addon.service_account,
                Expr::str(role),
                platform_tags(platform),
            ),
        );
    }
    t.build()
}
