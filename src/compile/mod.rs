//! From a validated [`Platform`] to artifacts: CloudFormation templates and the eksctl cluster
//! config, each with the path it takes under `generated/`.
//!
//! Compilation is a pure function of the platform: no IO, no clock, no randomness, ordered
//! maps only. A tenant's artifacts depend on the platform, its tier and itself alone.

mod baseline;
mod bootstrap;
mod buildspec_data;
mod cluster_access;
mod cluster_config;
mod common;
mod customize;
mod delivery;
mod deploy_roles;
mod edge;
mod identity;
mod k8s_baseline;
mod k8s_tenant;
pub(crate) mod parallel;
mod pipeline;
mod pod_identity;
mod static_site;
mod tenant;

pub(crate) use baseline::baseline_stack;
pub use baseline::{SOURCE_KEY, TABLE_ITEM_ACTIONS};
pub mod service_calls;
pub use bootstrap::{TEMPLATE_TAG, bootstrap_stack};
pub(crate) use cluster_config::cluster_config;
pub use common::SOURCE_GENERATED_DIR;
pub(crate) use common::{GENERATED_HEADER, image_digest_variable, in_source, registry_host};
pub use customize::{Customizations, PlatformArtifacts, TenantArtifacts, TenantCx, TypedTenant};
pub(crate) use edge::{CLOUDFRONT_REGION, edge_stack, separate_stack};
pub use k8s_baseline::API_CERTIFICATE_ARN;
pub(crate) use k8s_baseline::{
    baseline_bundle, cluster_autoscaler_values, external_dns_values, ingress_nginx_values, releases,
};
pub(crate) use k8s_tenant::tenant_bundle;
pub use k8s_tenant::{IDENTITY_CONFIG_MAP, stack_binding};
pub use pipeline::{MAX_ACTIONS_PER_STAGE, TENANT_SHARDS, baseline_waves, batches, stages as pipeline_stages};
pub use tenant::{outputs as tenant_outputs, role_arn};

use crate::cfn::{Template, TemplateError};
use crate::model::{Platform, Tenant};

use crate::contract::paths;
pub(crate) use crate::contract::paths::{BOOTSTRAP_TEMPLATE, CLUSTER_ACCESS_TEMPLATE};

/// One generated file: where it goes under the output directory, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path with `/` separators, e.g. `tenants/acme/stack.cfn.yaml`.
    pub path: String,
    pub contents: String,
}

/// Everything compiled for a platform, sorted by path, and notes for the person running synth.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Artifacts {
    pub files: Vec<Artifact>,
    pub notes: Vec<String>,
}

/// Why compilation failed: a compiler bug, since the platform was validated.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("{artifact}: {source}")]
    Template {
        artifact: String,
        #[source]
        source: TemplateError,
    },
    #[error(transparent)]
    Buildspec(#[from] crate::buildspec::RenderError),
    #[error("{artifact}: cannot render YAML")]
    Render {
        artifact: String,
        #[source]
        source: crate::yaml::Error,
    },
}

/// Compiles every artifact of the platform.
pub fn compile(platform: &Platform) -> Result<Artifacts, CompileError> {
    compile_with(platform, &Customizations::new())
}

/// Compiles every artifact of the platform, with the platform team's hooks run over the typed
/// artifacts before they are checked and rendered.
pub fn compile_with(platform: &Platform, custom: &Customizations) -> Result<Artifacts, CompileError> {
    let mut out = compile_platform_with(platform, custom)?;
    // Tenants share nothing but the platform: compile them on every core; results come back in
    // tenant order, so the output is byte-identical to compiling them one by one.
    for compiled in parallel::map(platform.tenants(), |t| compile_tenant_with(platform, t, custom)) {
        let (files, notes) = compiled?;
        out.files.extend(files);
        out.notes.extend(notes);
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Compiles the artifacts that belong to no tenant: the baseline, the delivery stack, the
/// cluster config, the Helm values and the buildspecs.
pub fn compile_platform(platform: &Platform) -> Result<Artifacts, CompileError> {
    compile_platform_with(platform, &Customizations::new())
}

/// [`compile_platform`], with the platform hooks of `custom` run over the delivery stack.
pub fn compile_platform_with(platform: &Platform, custom: &Customizations) -> Result<Artifacts, CompileError> {
    let mut out = Artifacts::default();
    template(&mut out, BOOTSTRAP_TEMPLATE, bootstrap_stack(platform))?;
    template(&mut out, paths::BASELINE_TEMPLATE, baseline_stack(platform))?;
    let mut typed = PlatformArtifacts { delivery: delivery::delivery_stack_builder(platform) };
    custom.apply_platform(platform, &mut typed);
    template(&mut out, paths::DELIVERY_TEMPLATE, typed.delivery.build())?;
    if separate_stack(platform) {
        template(&mut out, paths::EDGE_TEMPLATE, edge_stack(platform))?;
    }
    yaml(&mut out, paths::CLUSTER_CONFIG, &cluster_config(platform))?;
    template(&mut out, CLUSTER_ACCESS_TEMPLATE, cluster_access::cluster_access_stack(platform))?;
    manifests(&mut out, paths::BASELINE_BUNDLE, &baseline_bundle(platform))?;
    yaml(&mut out, paths::HELM_RELEASES, &releases(platform))?;
    yaml(&mut out, paths::INGRESS_NGINX_VALUES, &ingress_nginx_values(platform))?;
    yaml(&mut out, paths::EXTERNAL_DNS_VALUES, &external_dns_values(platform))?;
    yaml(&mut out, paths::CLUSTER_AUTOSCALER_VALUES, &cluster_autoscaler_values(platform))?;
    for (name, text, _) in buildspec_data::render_all(platform)? {
        out.files.push(Artifact { path: format!("buildspecs/{name}"), contents: format!("{GENERATED_HEADER}{text}") });
    }
    Ok(out)
}

/// One tenant's artifacts and the notes about them.
pub type TenantOutput = (Vec<Artifact>, Vec<String>);

/// Compiles one tenant's artifacts.
pub fn compile_tenant(platform: &Platform, tenant: &Tenant) -> Result<TenantOutput, CompileError> {
    compile_tenant_with(platform, tenant, &Customizations::new())
}

/// Compiles one tenant's artifacts with the hooks of `custom`, rendered.
pub fn compile_tenant_with(
    platform: &Platform,
    tenant: &Tenant,
    custom: &Customizations,
) -> Result<TenantOutput, CompileError> {
    tenant_artifacts(platform, tenant, custom)?.render(tenant)
}

/// One tenant's artifacts as typed values: built, changed by the hooks of `custom` (tenant-wide
/// ones first, then its tier's, each in the order added), then checked.
pub fn tenant_artifacts(
    platform: &Platform,
    tenant: &Tenant,
    custom: &Customizations,
) -> Result<TypedTenant, CompileError> {
    let mut typed = TenantArtifacts {
        stack: tenant::tenant_stack_builder(platform, tenant),
        bundle: tenant_bundle(platform, tenant),
    };
    let cx = TenantCx { platform, tenant, tier: platform.tier_of(tenant), names: platform.tenant_names(tenant) };
    custom.apply_tenant(&cx, &mut typed);
    let path = paths::tenant_stack(&tenant.id);
    let stack = typed.stack.build().map_err(|source| CompileError::Template { artifact: path, source })?;
    Ok(TypedTenant { stack, bundle: typed.bundle })
}

impl TypedTenant {
    /// The tenant's files, rendered: the edge where typed values become text.
    pub fn render(self, tenant: &Tenant) -> Result<TenantOutput, CompileError> {
        let mut out = Artifacts::default();
        template(&mut out, &paths::tenant_stack(&tenant.id), Ok(self.stack))?;
        manifests(&mut out, &paths::tenant_bundle(&tenant.id), &self.bundle)?;
        Ok((out.files, out.notes))
    }
}

/// A typed value rendered as one YAML document.
fn yaml(out: &mut Artifacts, path: &str, value: &impl serde::Serialize) -> Result<(), CompileError> {
    let yaml =
        crate::yaml::to_string(value).map_err(|source| CompileError::Render { artifact: path.into(), source })?;
    out.files.push(Artifact { path: path.into(), contents: format!("{GENERATED_HEADER}{yaml}") });
    Ok(())
}

fn manifests(out: &mut Artifacts, path: &str, bundle: &crate::k8s::Bundle) -> Result<(), CompileError> {
    let yaml = bundle.render().map_err(|source| CompileError::Render { artifact: path.into(), source })?;
    out.files.push(Artifact { path: path.into(), contents: format!("{GENERATED_HEADER}{yaml}") });
    Ok(())
}

fn template(out: &mut Artifacts, path: &str, template: Result<Template, TemplateError>) -> Result<(), CompileError> {
    let template = template.map_err(|source| CompileError::Template { artifact: path.into(), source })?;
    if template.needs_upload() {
        out.notes.push(format!(
            "{path} is {} bytes, over the 51,200 bytes CloudFormation takes inline: apply uploads it to the artifacts bucket",
            template.yaml().len()
        ));
    }
    out.files.push(Artifact { path: path.into(), contents: format!("{GENERATED_HEADER}{}", template.yaml()) });
    Ok(())
}

/// Our YAML emitter against yaml_serde on every typed artifact the compiler builds, for the
/// reference and every fixture platform: each value reaches the serializer through the same
/// path it takes in synth (struct field order, `Option`s skipped, newtypes, k8s-openapi's own
/// impls), not through a `serde_json::Value` first. Equal bytes is the oracle; parsing our
/// output back to the same value (round trip) is the invariant our emitter keeps.
#[cfg(test)]
mod yaml_oracle {
    use super::*;

    fn platforms() -> Vec<(String, Platform)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = vec![root.join("blueprints/reference.yaml")];
        let mut good: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/good"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        good.sort();
        paths.extend(good);
        paths
            .into_iter()
            .map(|p| {
                let name = p.display().to_string();
                let platform = crate::blueprint::load_file(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
                (name, platform)
            })
            .collect()
    }

    fn same<T: serde::Serialize + ?Sized>(what: &str, value: &T, compared: &mut usize) {
        let ours = crate::yaml::to_string(value).unwrap();
        let theirs = serde_yaml::to_string(value).unwrap();
        assert_eq!(ours, theirs, "{what}: our emitter and yaml_serde differ");
        let back: serde_json::Value = serde_yaml::from_str(&ours).unwrap();
        assert_eq!(back, serde_json::to_value(value).unwrap(), "{what}: does not read back as the value");
        *compared += 1;
    }

    #[test]
    fn every_typed_artifact_renders_as_yaml_serde_renders_it() {
        let mut compared = 0;
        for (name, platform) in platforms() {
            let mut templates = vec![
                ("bootstrap", bootstrap_stack(&platform).unwrap()),
                ("baseline", baseline_stack(&platform).unwrap()),
                ("delivery", delivery::delivery_stack_builder(&platform).build().unwrap()),
                ("cluster-access", cluster_access::cluster_access_stack(&platform).unwrap()),
            ];
            if separate_stack(&platform) {
                templates.push(("edge", edge_stack(&platform).unwrap()));
            }
            for (what, template) in &templates {
                same(&format!("{name}: {what} stack"), template.body(), &mut compared);
            }
            same(&format!("{name}: cluster config"), &cluster_config(&platform), &mut compared);
            same(&format!("{name}: releases"), &releases(&platform), &mut compared);
            same(&format!("{name}: ingress-nginx values"), &ingress_nginx_values(&platform), &mut compared);
            same(&format!("{name}: external-dns values"), &external_dns_values(&platform), &mut compared);
            same(&format!("{name}: cluster-autoscaler values"), &cluster_autoscaler_values(&platform), &mut compared);
            for object in baseline_bundle(&platform).objects() {
                same(&format!("{name}: baseline {} {}", object.kind(), object.name()), object, &mut compared);
            }
            for tenant in platform.tenants() {
                let typed = tenant_artifacts(&platform, tenant, &Customizations::new()).unwrap();
                same(&format!("{name}: tenant {} stack", tenant.id), typed.stack.body(), &mut compared);
                for object in typed.bundle.objects() {
                    let what = format!("{name}: tenant {} {} {}", tenant.id, object.kind(), object.name());
                    same(&what, object, &mut compared);
                }
            }
        }
        assert!(compared > 100, "only {compared} artifacts compared");
    }
}
