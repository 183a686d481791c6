//! The delivery stack: how the platform deploys itself. The tenant role boundary and the role
//! CloudFormation uses for tenant stacks, the external-dns role, the CodeBuild projects with
//! their roles, and the pipeline. Apart from the baseline so that each stays small enough to
//! send inline (51,200 bytes) and a reviewer sees every permission of the delivery in one file.

use crate::cfn::{Expr, TemplateBuilder};
use crate::model::Platform;

use super::common::{BucketRef, baseline_export, exports};

/// The delivery stack, before its references and limits are checked (hooks change it).
pub fn delivery_stack_builder(platform: &Platform) -> TemplateBuilder {
    let names = platform.baseline_names();
    let mut t = TemplateBuilder::new(format!(
        "tenancy {}: delivery (tenant stack role and boundary, build projects, pipeline)",
        platform.name()
    ));
    let key = Expr::import(baseline_export(platform, exports::DATA_KEY_ARN));
    let artifacts = BucketRef { name: names.artifacts_bucket };
    super::deploy_roles::add(&mut t, platform, &key);
    super::deploy_roles::add_addon_roles(&mut t, platform);
    super::pipeline::add(&mut t, platform, &artifacts, &key);
    t
}
