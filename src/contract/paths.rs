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
/// The control plane's Kubernetes objects: its namespace, services, policies and routes.
pub const CONTROL_PLANE_BUNDLE: &str = "baseline/control-plane.k8s.yaml";
/// The Helm releases the add-ons build installs, and each release's values.
pub const HELM_RELEASES: &str = "baseline/helm/releases.yaml";
/// Helm values of the ingress-nginx release.
pub const INGRESS_NGINX_VALUES: &str = "baseline/helm/ingress-nginx.values.yaml";
/// Helm values of the external-dns release.
pub const EXTERNAL_DNS_VALUES: &str = "baseline/helm/external-dns.values.yaml";
/// Helm values of the cluster-autoscaler release.
pub const CLUSTER_AUTOSCALER_VALUES: &str = "baseline/helm/cluster-autoscaler.values.yaml";

/// The plan, its Mermaid rendering.
pub const PLAN: &str = "plan.json";
/// The plan's steps and their dependencies as a Mermaid diagram.
pub const PLAN_MERMAID: &str = "plan.mmd";

/// The directory of every tenant's artifacts: `tenants/<id>/`.
pub const TENANTS_DIR: &str = "tenants/";
/// The file names inside a tenant's directory.
pub const TENANT_STACK_FILE: &str = "stack.cfn.yaml";
/// The tenant's Kubernetes bundle, applied in its namespace.
pub const TENANT_BUNDLE_FILE: &str = "k8s.yaml";

/// The directory of the platform's artifacts (templates, cluster config, bundle, Helm values).
pub const BASELINE_DIR: &str = "baseline/";
/// How every CloudFormation template's file name ends.
pub const TEMPLATE_SUFFIX: &str = ".cfn.yaml";

/// Whether `path` is a CloudFormation template (by its suffix, as every template path here has).
pub fn is_template(path: &str) -> bool {
    path.ends_with(TEMPLATE_SUFFIX)
}

/// `tenants/<id>/`: the directory of one tenant's artifacts.
pub fn tenant_dir(tenant: &str) -> String {
    format!("{TENANTS_DIR}{tenant}/")
}

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
    /// The addons project's: installs the cluster add-ons' Helm releases and the baseline bundle.
    pub const ADDONS: &str = "buildspecs/addons.yml";
    /// The apply project's: runs one selection of the plan (a step, or a shard of the tenants).
    pub const APPLY: &str = "buildspecs/apply.yml";
    /// The cluster project's: creates the cluster from the eksctl ClusterConfig or upgrades it.
    pub const CLUSTER: &str = "buildspecs/cluster.yml";
    /// The images project's: builds the service images and pushes those ECR does not have yet.
    pub const IMAGES: &str = "buildspecs/service-images.yml";
    /// The check project's, the pipeline's first stage: builds tenancy, fails when `generated/` is stale.
    pub const CHECK: &str = "buildspecs/synth-check.yml";
    /// The deployer project's: deploys one tenant, `TENANT_ID`, by the committed plan's steps.
    pub const TENANT_DEPLOY: &str = "buildspecs/tenant-deploy.yml";
    /// The onboarding project's: `tenancy job $JOB` for one registration (a commit of the
    /// platform repository, then an apply of that tenant alone).
    pub const ONBOARDING: &str = "buildspecs/onboarding.yml";
    /// Offboards one tenant, `TENANT_ID`, that the blueprint no longer lists: removes its bundle, then
    /// its stack, and marks its record deleted.
    pub const TENANT_OFFBOARD: &str = "buildspecs/tenant-offboard.yml";

    /// The sites project's, one per site: checks the web apps' sources against the plan's
    /// digests, builds the site once, uploads it and invalidates its distribution.
    pub fn site(site: crate::model::Site) -> &'static str {
        match site {
            crate::model::Site::Admin => "buildspecs/site-admin.yml",
            crate::model::Site::App => "buildspecs/site-app.yml",
            crate::model::Site::Landing => "buildspecs/site-landing.yml",
        }
    }
}

/// Where the static sites' files are: `sites/<site>/...`.
pub const SITES_DIR: &str = "sites";

/// `sites/<site>/config.json`: what the site's app reads at start (`/config.json`): the API's
/// address and, for the admin console, its sign-in settings, some bound at deploy time.
pub fn site_config(site: crate::model::Site) -> String {
    format!("{SITES_DIR}/{site}/config.json")
}

/// `sites/<site>/sources.sha256`: the digest of every source file the site's build reads, in
/// `sha256sum`'s format (paths relative to the web apps' directory), which the build checks.
pub fn site_sources(site: crate::model::Site) -> String {
    format!("{SITES_DIR}/{site}/sources.sha256")
}

/// Where the pooled tiers' files are: `pools/<tier>/...`.
pub const POOLS_DIR: &str = "pools";

/// `pools/<tier>/stack.cfn.yaml`: a pooled tier's pool stack.
pub fn pool_stack(tier: &crate::model::TierName) -> String {
    format!("pools/{tier}/stack.cfn.yaml")
}

/// `pools/<tier>/k8s.yaml`: a pooled tier's pool bundle (namespace and shared Deployments).
pub fn pool_bundle(tier: &crate::model::TierName) -> String {
    pool_bundle_file(tier.as_str())
}

/// [`pool_bundle`] of a tier named as text (verify reads it from a namespace).
pub fn pool_bundle_file(tier: &str) -> String {
    format!("pools/{tier}/k8s.yaml")
}

/// `pools/<tier>/cell-<nnn>.cfn.yaml`: one cell stack of a pooled tier (numbered from 000, so
/// that cells sort in order).
pub fn cell_stack(tier: &crate::model::TierName, cell: u32) -> String {
    format!("pools/{tier}/cell-{cell:03}.cfn.yaml")
}
