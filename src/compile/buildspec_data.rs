//! What the buildspec templates are rendered with: validated platform values and pinned tool
//! versions, nothing else. The compiler's part of buildspecs: `buildspec` is the format (the
//! typed spec, rendering, the templates) and depends on nothing above it.

use serde::Serialize;

use crate::buildspec::{Buildspec, PARTIALS, RenderError, SITE_TEMPLATE, TEMPLATES, render_with};
use crate::contract::paths;
use crate::model::{BaselineNames, Platform, Site};

/// Pinned versions of every tool a buildspec installs. Each download is checked against the
/// checksum its publisher ships, where one is published.
#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    pub eksctl: &'static str,
    pub kubectl: String,
    pub helm: &'static str,
    pub rust: &'static str,
    /// rustup-init, checked like every tool against the checksum its publisher ships:
    /// `https://static.rust-lang.org/rustup/archive/<version>/x86_64-unknown-linux-gnu/rustup-init.sha256`
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
pub struct OnboardingGit {
    pub remote: String,
    pub token: String,
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
    /// The platform repository the onboarding job pushes to, and its credential: Secrets Manager
    /// references, `<secret>:<json key>`.
    pub onboarding_git: OnboardingGit,
    pub tools: Tools,
    pub releases: Vec<ReleaseData>,
    pub images: Vec<ImageData>,
}

impl BuildspecData {
    pub fn new(platform: &Platform) -> Self {
        let names = platform.baseline_names();
        let registry = super::common::registry_host(platform);
        Self {
            platform: platform.name().to_string(),
            region: platform.region().to_string(),
            cluster: platform.cluster().name.to_string(),
            state: format!("dynamodb:{}", names.deploy_state_table),
            artifacts_bucket: names.artifacts_bucket.clone(),
            onboarding_git: OnboardingGit {
                remote: format!("{}:remote", names.onboarding_git_secret),
                token: format!("{}:token", names.onboarding_git_secret),
            },
            tools: Tools {
                eksctl: "v0.210.0",
                // kubectl at the cluster's own minor version: always within the skew policy.
                kubectl: format!("v{}.0", platform.cluster().kubernetes_version),
                helm: "v3.18.4",
                rust: "1.95.0",
                rustup: "1.28.2",
            },
            releases: super::k8s_baseline::releases(platform)
                .releases
                .into_iter()
                .map(|r| ReleaseData {
                    takes_api_certificate: r.takes_api_certificate,
                    name: r.name.to_owned(),
                    chart: r.chart.to_owned(),
                    repository: r.repository.to_owned(),
                    version: r.version.to_owned(),
                    namespace: r.namespace,
                    values: super::common::in_source(&r.values),
                })
                .collect(),
            images: super::images::images(platform)
                .into_iter()
                .map(|image| {
                    let name = BaselineNames::repository(platform.name(), &image);
                    ImageData {
                        repository: format!("{registry}/{name}"),
                        name,
                        variable: super::images::digest_variable(&image),
                        service: image,
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

/// The Node.js major version the site builds run on: a `runtime-versions` value of the
/// CodeBuild image the projects use (`amazonlinux-x86_64-standard:5.0` offers 18, 20 and 22),
/// and the version `web/package.json` declares in `engines`.
pub const SITE_NODE_VERSION: &str = "20";

/// What one site's buildspec is rendered with.
#[derive(Debug, Clone, Serialize)]
pub struct SiteBuildData {
    /// The site's short name: the app's directory under `web/` and `build.mjs --site`.
    pub site: &'static str,
    /// The site's bucket.
    pub bucket: String,
    pub node: &'static str,
    /// The site's `sources.sha256` and `config.json`, as paths in the source bundle.
    pub sources: String,
    pub config: String,
}

/// Renders the buildspec of every site (`buildspecs/site-<site>.yml`): (output file name, text,
/// parsed buildspec). A platform without sites has none.
pub fn render_sites(platform: &Platform) -> Result<Vec<(String, String, Buildspec)>, RenderError> {
    if platform.sites().is_none() {
        return Ok(Vec::new());
    }
    Site::ALL
        .into_iter()
        .map(|site| {
            let data = SiteBuildData {
                site: site.name(),
                bucket: BaselineNames::site_bucket(
                    platform.name(),
                    platform.account_id(),
                    platform.region(),
                    site.name(),
                ),
                node: SITE_NODE_VERSION,
                sources: super::common::in_source(&paths::site_sources(site)),
                config: super::common::in_source(&paths::site_config(site)),
            };
            let (text, spec) = render_with(SITE_TEMPLATE.0, SITE_TEMPLATE.1, &PARTIALS, &data)?;
            let name = paths::buildspecs::site(site).trim_start_matches("buildspecs/").to_owned();
            Ok((name, text, spec))
        })
        .collect()
}
