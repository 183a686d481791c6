//! What the buildspec templates are rendered with: validated platform values and pinned tool
//! versions, nothing else.

use serde::Serialize;

use super::{Buildspec, RenderError, render::render_with};
use crate::model::{BaselineNames, Platform};

/// The templates, compiled into the binary: (file name, text).
pub const TEMPLATES: [(&str, &str); 7] = [
    ("addons.yml.hbs", include_str!("../../buildspecs/addons.yml.hbs")),
    ("apply.yml.hbs", include_str!("../../buildspecs/apply.yml.hbs")),
    ("cluster.yml.hbs", include_str!("../../buildspecs/cluster.yml.hbs")),
    ("service-images.yml.hbs", include_str!("../../buildspecs/service-images.yml.hbs")),
    ("synth-check.yml.hbs", include_str!("../../buildspecs/synth-check.yml.hbs")),
    ("tenant-deploy.yml.hbs", include_str!("../../buildspecs/tenant-deploy.yml.hbs")),
    ("tenant-offboard.yml.hbs", include_str!("../../buildspecs/tenant-offboard.yml.hbs")),
];

/// Partials the templates include with `{{> name}}`.
pub const PARTIALS: [(&str, &str); 4] = [
    ("install-kubectl", include_str!("../../buildspecs/partials/install-kubectl.hbs")),
    ("install-rust", include_str!("../../buildspecs/partials/install-rust.hbs")),
    ("install-tenancy", include_str!("../../buildspecs/partials/install-tenancy.hbs")),
    ("kubeconfig", include_str!("../../buildspecs/partials/kubeconfig.hbs")),
];

/// Pinned versions of every tool a buildspec installs. Each download is checked against the
/// checksum its publisher ships, where one is published.
#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    pub eksctl: &'static str,
    pub kubectl: String,
    pub helm: &'static str,
    pub rust: &'static str,
    /// rustup-init, checked like every tool against the checksum its publisher ships:
    /// https://static.rust-lang.org/rustup/archive/<version>/x86_64-unknown-linux-gnu/rustup-init.sha256
    pub rustup: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseData {
    pub name: String,
    pub chart: String,
    pub repository: String,
    pub version: String,
    pub namespace: String,
    pub values: String,
    /// ingress-nginx's NLB takes the API certificate, bound at deploy time.
    pub takes_api_certificate: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageData {
    pub service: String,
    /// The ECR repository name, e.g. `saas/product`.
    pub name: String,
    /// The full repository URI.
    pub repository: String,
    /// The variable the build exports with the digest it pushed.
    pub variable: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildspecData {
    pub platform: String,
    pub region: String,
    pub cluster: String,
    pub registry: String,
    /// Where apply journals its state and takes its lock: `dynamodb:<table>`.
    pub state: String,
    /// The artifacts bucket (source bundle, tools).
    pub artifacts_bucket: String,
    pub tools: Tools,
    pub releases: Vec<ReleaseData>,
    pub images: Vec<ImageData>,
}

impl BuildspecData {
    pub fn new(platform: &Platform) -> Self {
        let names = platform.baseline_names();
        let registry = crate::compile::registry_host(platform);
        Self {
            platform: platform.name().to_string(),
            region: platform.region().to_string(),
            cluster: platform.cluster().name.to_string(),
            state: format!("dynamodb:{}", names.deploy_state_table),
            artifacts_bucket: names.artifacts_bucket.clone(),
            tools: Tools {
                eksctl: "v0.210.0",
                // kubectl at the cluster's own minor version: always within the skew policy.
                kubectl: format!("v{}.0", platform.cluster().kubernetes_version),
                helm: "v3.18.4",
                rust: "1.95.0",
                rustup: "1.28.2",
            },
            releases: crate::compile::releases(platform)
                .releases
                .into_iter()
                .map(|r| ReleaseData {
                    takes_api_certificate: r.name == "ingress-nginx",
                    name: r.name.to_owned(),
                    chart: r.chart.to_owned(),
                    repository: r.repository.to_owned(),
                    version: r.version.to_owned(),
                    namespace: r.namespace,
                    values: crate::compile::in_source(&r.values),
                })
                .collect(),
            images: platform
                .services()
                .iter()
                .map(|s| {
                    let name = BaselineNames::repository(platform.name(), &s.name);
                    ImageData {
                        service: s.name.to_string(),
                        repository: format!("{registry}/{name}"),
                        name,
                        variable: crate::compile::image_digest_variable(&s.name),
                    }
                })
                .collect(),
            registry,
        }
    }
}

/// Renders every template for `platform`: (output file name, text, parsed buildspec).
pub fn render_all(platform: &Platform) -> Result<Vec<(String, String, Buildspec)>, RenderError> {
    let data = BuildspecData::new(platform);
    TEMPLATES
        .iter()
        .map(|(name, template)| {
            let (text, spec) = render_with(name, template, &PARTIALS, &data)?;
            Ok((name.trim_end_matches(".hbs").to_owned(), text, spec))
        })
        .collect()
}
