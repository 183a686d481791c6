//! Where every artifact lives under the output directory (`generated/`): the paths compile
//! writes, the plan's steps name, apply reads and verify checks. One place to spell each.

use crate::model::TenantId;

/// The bootstrap stack's template (no plan step applies it: `tenancy bootstrap` does).
pub const BOOTSTRAP_TEMPLATE: &str = "baseline/bootstrap.cfn.yaml";
/// The baseline stack: network, tables, registries, certificates, the static sites.
pub const BASELINE_TEMPLATE: &str = "baseline/baseline.cfn.yaml";
/// The delivery stack: deploy roles, build projects, the pipeline.
pub const DELIVERY_TEMPLATE: &str = "baseline/delivery.cfn.yaml";
/// The us-east-1 stack of CloudFront's certificate and web ACL, when the platform is elsewhere.
pub const EDGE_TEMPLATE: &str = "baseline/edge.cfn.yaml";
/// The cluster-access stack's template (add-ons and their Pod Identity associations).
pub const CLUSTER_ACCESS_TEMPLATE: &str = "baseline/cluster-access.cfn.yaml";
/// eksctl's ClusterConfig.
pub const CLUSTER_CONFIG: &str = "baseline/eksctl-cluster.yaml";
/// The platform's own Kubernetes objects (namespaces, PriorityClasses, ...).
pub const BASELINE_BUNDLE: &str = "baseline/k8s.yaml";
/// The Helm releases the add-ons build installs, and each release's values.
pub const HELM_RELEASES: &str = "baseline/helm/releases.yaml";
pub const INGRESS_NGINX_VALUES: &str = "baseline/helm/ingress-nginx.values.yaml";
pub const EXTERNAL_DNS_VALUES: &str = "baseline/helm/external-dns.values.yaml";
pub const CLUSTER_AUTOSCALER_VALUES: &str = "baseline/helm/cluster-autoscaler.values.yaml";

/// The plan, its Mermaid rendering.
pub const PLAN: &str = "plan.json";
pub const PLAN_MERMAID: &str = "plan.mmd";

/// The directory of every tenant's artifacts: `tenants/<id>/`.
pub const TENANTS_DIR: &str = "tenants/";
/// The file names inside a tenant's directory.
pub const TENANT_STACK_FILE: &str = "stack.cfn.yaml";
pub const TENANT_BUNDLE_FILE: &str = "k8s.yaml";

/// `tenants/<id>/stack.cfn.yaml`: the tenant's stack.
pub fn tenant_stack(tenant: &TenantId) -> String {
    format!("{TENANTS_DIR}{tenant}/{TENANT_STACK_FILE}")
}

/// `tenants/<id>/k8s.yaml`: the tenant's Kubernetes bundle.
pub fn tenant_bundle(tenant: &TenantId) -> String {
    format!("{TENANTS_DIR}{tenant}/{TENANT_BUNDLE_FILE}")
}

/// The rendered buildspecs. Also the paths CodeBuild resolves in the unpacked source bundle
/// (relative to the repository root's `generated/`).
pub mod buildspecs {
    pub const ADDONS: &str = "buildspecs/addons.yml";
    pub const APPLY: &str = "buildspecs/apply.yml";
    pub const CLUSTER: &str = "buildspecs/cluster.yml";
    pub const IMAGES: &str = "buildspecs/service-images.yml";
    pub const CHECK: &str = "buildspecs/synth-check.yml";
    pub const TENANT_DEPLOY: &str = "buildspecs/tenant-deploy.yml";
    pub const TENANT_OFFBOARD: &str = "buildspecs/tenant-offboard.yml";
}
