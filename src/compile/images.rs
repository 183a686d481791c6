//! The platform's container images: one per service of the blueprint (run in tenants'
//! namespaces) and one per control-plane service (run in the control-plane namespace). The
//! baseline holds their repositories, the images build makes and pushes them, the apply role
//! looks them up, and Deployments pin them by digest: all of them read this one list.

use crate::model::naming::CONTROL_PLANE_SERVICES;
use crate::model::{BaselineNames, Platform};

use super::common::{regional_arn, registry_host};
use crate::cfn::Expr;

/// The name of every image, which is its service's and its crate's under `services/`: the
/// blueprint's services in their order, then the control plane's.
pub fn images(platform: &Platform) -> Vec<String> {
    platform
        .services()
        .iter()
        .map(|s| s.name.to_string())
        .chain(CONTROL_PLANE_SERVICES.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// The ARN of every image's repository.
pub fn repository_arns(platform: &Platform) -> Vec<Expr> {
    images(platform)
        .iter()
        .map(|image| regional_arn("ecr", &format!("repository/{}", BaselineNames::repository(platform.name(), image))))
        .collect()
}

/// The variable the images build exports with the digest it pushed for `image`:
/// `IMAGE_DIGEST_<IMAGE>`, upper case, `-` as `_`.
pub fn digest_variable(image: &str) -> String {
    format!("IMAGE_DIGEST_{}", image.to_ascii_uppercase().replace('-', "_"))
}

/// The reference a Deployment runs `image` by: its ECR repository, pinned to the digest the
/// images build pushed (a binding the plan resolves from that build's exported variables). The
/// reviewed manifest names the repository and the build; apply checks the digest is in ECR
/// before it applies.
pub fn reference(platform: &Platform, image: &str) -> String {
    let repository = BaselineNames::repository(platform.name(), image);
    let digest =
        crate::contract::Placeholder::build(&platform.baseline_names().images_project, &digest_variable(image));
    format!("{}/{repository}@{digest}", registry_host(platform))
}
