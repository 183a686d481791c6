//! The buildspec templates, compiled into the binary (`buildspecs/*.yml.hbs` and their
//! partials). What they are rendered with is the compiler's (`compile::buildspec_data`).

/// The templates, compiled into the binary: (file name, text).
pub const TEMPLATES: [(&str, &str); 8] = [
    ("addons.yml.hbs", include_str!("../../buildspecs/addons.yml.hbs")),
    ("apply.yml.hbs", include_str!("../../buildspecs/apply.yml.hbs")),
    ("cluster.yml.hbs", include_str!("../../buildspecs/cluster.yml.hbs")),
    ("onboarding.yml.hbs", include_str!("../../buildspecs/onboarding.yml.hbs")),
    ("service-images.yml.hbs", include_str!("../../buildspecs/service-images.yml.hbs")),
    ("synth-check.yml.hbs", include_str!("../../buildspecs/synth-check.yml.hbs")),
    ("tenant-deploy.yml.hbs", include_str!("../../buildspecs/tenant-deploy.yml.hbs")),
    ("tenant-offboard.yml.hbs", include_str!("../../buildspecs/tenant-offboard.yml.hbs")),
];

/// The template of every static site's buildspec, rendered once per site
/// (`compile::buildspec_data::render_sites`) when the platform builds its sites.
pub const SITE_TEMPLATE: (&str, &str) = ("site.yml.hbs", include_str!("../../buildspecs/site.yml.hbs"));

/// Partials the templates include with `{{> name}}`.
pub const PARTIALS: [(&str, &str); 4] = [
    ("install-kubectl", include_str!("../../buildspecs/partials/install-kubectl.hbs")),
    ("install-rust", include_str!("../../buildspecs/partials/install-rust.hbs")),
    ("install-tenancy", include_str!("../../buildspecs/partials/install-tenancy.hbs")),
    ("kubeconfig", include_str!("../../buildspecs/partials/kubeconfig.hbs")),
];
