//! The web apps a platform serves from its three static sites, as the digests of their sources.
//!
//! The model holds what the plan needs to know of the apps, not the apps: each source file's
//! path and SHA-256. A site step's hash covers the digests of the files its build reads, so a
//! change to a site's sources reruns its build and a change to another's does not. Reading the
//! files is the loader's job (`blueprint::load_file`); this module does no IO.

use std::collections::BTreeMap;

/// The three static sites of every platform, by their short names (buckets, distributions and
/// build steps are named after them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Site {
    /// The provider's admin console, `admin.<domain>`.
    Admin,
    /// The tenant application, `<tenant>.app.<domain>`: one build for every tenant.
    App,
    /// The public landing page with the sign-up form, `www.<domain>`.
    Landing,
}

impl Site {
    /// Every site, in name order.
    pub const ALL: [Site; 3] = [Site::Admin, Site::App, Site::Landing];

    /// The short name: `admin`, `app` or `landing`, also the site's directory in the sources.
    pub fn name(self) -> &'static str {
        match self {
            Site::Admin => "admin",
            Site::App => "app",
            Site::Landing => "landing",
        }
    }
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the pipeline builds the apps from: the repository's `web/`, like `services/` for the
/// images. Source paths are relative to it.
pub const WEB_DIR: &str = "web";

/// The directory of code the three sites share; its files are inputs of every site.
pub const SHARED_DIR: &str = "shared";

/// The web apps' sources: every file's path under [`WEB_DIR`] (`/`-separated) and the hex
/// SHA-256 of its bytes.
///
/// Which files a site's build reads: the files at the top of the directory (the build script,
/// the package manifest and lockfile, the compiler settings), everything under [`SHARED_DIR`],
/// and everything under the site's own directory, but documentation (`*.md`, which nothing
/// bundles). Any other directory (the browser tests', say) is no input of a site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSources {
    files: BTreeMap<String, String>,
}

impl WebSources {
    /// The sources from `(path, sha256)` pairs, as the loader found them.
    pub fn new(files: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { files: files.into_iter().collect() }
    }

    /// Every file, by path.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// The files `site`'s build reads (see the type's docs), by path.
    pub fn inputs_of(&self, site: Site) -> impl Iterator<Item = (&str, &str)> {
        let own = format!("{}/", site.name());
        let shared = format!("{SHARED_DIR}/");
        self.files
            .iter()
            .filter(|(path, _)| !is_documentation(path))
            .filter(move |(path, _)| !path.contains('/') || path.starts_with(&own) || path.starts_with(&shared))
            .map(|(path, digest)| (path.as_str(), digest.as_str()))
    }

    /// The sites whose directory holds no `index.html`: a site without a page would deploy
    /// an empty bucket, CloudFront's 403 the review found.
    pub fn missing_pages(&self) -> Vec<Site> {
        Site::ALL.into_iter().filter(|site| !self.files.contains_key(&format!("{}/index.html", site.name()))).collect()
    }
}

/// Whether `path` is documentation, which no site's build reads.
fn is_documentation(path: &str) -> bool {
    path.ends_with(".md")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(paths: &[&str]) -> WebSources {
        WebSources::new(paths.iter().map(|p| ((*p).to_owned(), format!("digest of {p}"))))
    }

    #[test]
    fn a_site_reads_the_top_level_files_the_shared_code_and_its_own_directory_only() {
        let web = sources(&[
            "build.mjs",
            "README.md",
            "package-lock.json",
            "shared/oidc.ts",
            "admin/index.html",
            "admin/main.ts",
            "app/index.html",
            "e2e/scenarios.mjs",
            "administrator/x.ts",
        ]);
        let admin: Vec<&str> = web.inputs_of(Site::Admin).map(|(path, _)| path).collect();
        assert_eq!(admin, ["admin/index.html", "admin/main.ts", "build.mjs", "package-lock.json", "shared/oidc.ts"]);
        let app: Vec<&str> = web.inputs_of(Site::App).map(|(path, _)| path).collect();
        assert_eq!(app, ["app/index.html", "build.mjs", "package-lock.json", "shared/oidc.ts"]);
    }

    #[test]
    fn a_site_without_an_index_page_is_reported() {
        let web = sources(&["admin/index.html", "app/main.ts", "landing/index.html"]);
        assert_eq!(web.missing_pages(), [Site::App]);
    }
}
