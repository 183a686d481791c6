//! What each static site's build step reads besides the web apps' sources: the app's runtime
//! configuration (`/config.json`) and the digests of the sources the build must find.
//!
//! The configuration reaches the apps as a file beside the page, not baked into the bundle, so
//! one build serves every tenant and a new admin client id needs no rebuild. Values known only
//! after deploy (the admin pool's issuer and client) are `${NAME}` placeholders that the build
//! fills from the environment the plan binds from the baseline stack's outputs
//! ([`bound_variables`]); the reviewed file says which.

use serde_json::{Value, json};

use crate::contract::outputs::baseline as outputs;
use crate::model::{Platform, Site, WebSources, naming::api_host};

/// The build's environment variable holding the site's distribution id (bound from the
/// baseline stack's output).
pub const DISTRIBUTION_VARIABLE: &str = "DISTRIBUTION_ID";

/// `(variable, baseline output)` of every deploy-time value a site's configuration holds.
pub fn bound_variables(site: Site) -> &'static [(&'static str, &'static str)] {
    match site {
        Site::Admin => &[("ADMIN_CLIENT_ID", outputs::ADMIN_CLIENT_ID), ("ADMIN_ISSUER", outputs::ADMIN_ISSUER_URL)],
        Site::App | Site::Landing => &[],
    }
}

/// The site's `config.json`, as the app's `config.ts` reads it.
pub fn config(platform: &Platform, site: Site) -> Value {
    let domain = platform.domain();
    let api_url = format!("https://{}", api_host(domain));
    let placeholder = |variable: &str| format!("${{{variable}}}");
    // The tiers a sign-up may choose, and an administrator may move a tenant to.
    let tiers: Vec<&str> = platform.tiers().iter().map(|tier| tier.name.as_str()).collect();
    match site {
        Site::Landing => json!({ "apiUrl": api_url, "tiers": tiers }),
        Site::Admin => json!({
            "apiUrl": api_url,
            "tiers": tiers,
            // The admin console client's one callback URL (`compile::identity::web_client`).
            "redirectUri": format!("https://admin.{domain}/"),
            "issuer": placeholder("ADMIN_ISSUER"),
            "clientId": placeholder("ADMIN_CLIENT_ID"),
        }),
        // The tenant is the host's first label; `/auth-info` says where it signs in.
        Site::App => json!({ "apiUrl": api_url, "appDomain": format!("app.{domain}") }),
    }
}

/// The site's inputs in `sha256sum`'s format (`<hex>  <path>`, paths relative to the web apps'
/// directory), which its build checks with `sha256sum --check --strict` before building.
pub fn sources(web: &WebSources, site: Site) -> String {
    web.inputs_of(site).map(|(path, digest)| format!("{digest}  {path}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_of_a_config_is_a_bound_variable_and_every_bound_variable_is_used() {
        let platform = crate::blueprint::load_reference().unwrap();
        for site in Site::ALL {
            let text = config(&platform, site).to_string();
            let mut used: Vec<&str> = text.match_indices("${").map(|(at, _)| &text[at + 2..]).collect();
            used.iter_mut().for_each(|rest| *rest = &rest[..rest.find('}').unwrap()]);
            used.sort_unstable();
            let bound: Vec<&str> = bound_variables(site).iter().map(|(variable, _)| *variable).collect();
            assert_eq!(used, bound, "{site}: {text}");
        }
    }

    #[test]
    fn sources_are_in_sha256sums_format() {
        let web = WebSources::new([
            ("admin/index.html".to_owned(), "ab".repeat(32)),
            ("app/index.html".to_owned(), "cd".repeat(32)),
        ]);
        assert_eq!(sources(&web, Site::Admin), format!("{}  admin/index.html\n", "ab".repeat(32)));
    }
}
