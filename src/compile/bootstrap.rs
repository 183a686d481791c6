//! The bootstrap stack: what must exist before the first `tenancy apply`, deployed once by an
//! administrator with `tenancy bootstrap` (the way `cdk bootstrap` prepares an account):
//!
//! - the journal and lock table, so the very first apply journals where every later one,
//!   local or in the pipeline, reads (one journal, never a local one to migrate);
//! - the artifacts bucket, so the source bundle can be pushed before any build runs, with
//!   versions (the pipeline's S3 source needs them) and events to EventBridge (which start
//!   the pipeline);
//! - the logs bucket every bucket and distribution logs to;
//! - the role CloudFormation assumes for the platform's own stacks (edge, baseline, delivery),
//!   so no apply ever deploys them with its caller's rights.
//!
//! Apply checks that the deployed bootstrap stack is this template (by its digest, a stack
//! tag) and asks for `tenancy bootstrap` when it is not.

use crate::cfn::resources::{Bucket, BucketPolicy, EventBridgeConfiguration, NotificationConfiguration, Table};
use crate::cfn::{
    Expr, LogicalId, Output, Policy, PolicyDocument, Statement, Template, TemplateBuilder, TemplateError,
};
use crate::model::Platform;

use super::common::{global_arn, platform_tags};

/// The stack tag holding the SHA-256 of the template it was deployed from.
pub const TEMPLATE_TAG: &str = "tenancy:template-sha256";

/// The bootstrap stack's template, deployed by `tenancy bootstrap` as the platform's
/// `<platform>-bootstrap` stack; apply compares its digest with the [`TEMPLATE_TAG`] tag.
pub fn bootstrap_stack(platform: &Platform) -> Result<Template, TemplateError> {
    let names = platform.baseline_names();
    let p = platform.name();
    let mut t = TemplateBuilder::new(format!(
        "tenancy {p}: bootstrap (journal, artifacts and logs buckets, the platform stacks' CloudFormation role)"
    ));
    let tags = platform_tags(platform);

    let logs_bucket = add_logs_bucket(&mut t, platform);

    let artifacts = LogicalId::fixed("ArtifactsBucket");
    let mut bucket = Bucket::private_logged(
        Expr::str(&names.artifacts_bucket),
        Expr::reference(&logs_bucket),
        "s3/artifacts/".into(),
        tags.clone(),
    );
    bucket.notification_configuration = Some(NotificationConfiguration {
        event_bridge_configuration: EventBridgeConfiguration { event_bridge_enabled: true },
    });
    t.resource(&artifacts, bucket).keep(Policy::Retain);
    t.output(
        &LogicalId::fixed("ArtifactsBucketName"),
        Output::new("Bucket of source bundles, pipeline artifacts and large templates", Expr::reference(&artifacts)),
    );

    // Journal items are step hashes, statuses and stack outputs (ids, ARNs), no tenant data:
    // the AWS managed key, so the table exists before the platform's own key does.
    let mut table = Table::on_demand(Expr::str(&names.deploy_state_table), "Key", None, Expr::str(""), true, tags);
    table.sse_specification.kms_master_key_id = None;
    let state = LogicalId::fixed("DeployStateTable");
    t.resource(&state, table).keep(Policy::Retain);
    t.output(
        &LogicalId::fixed("DeployStateTableName"),
        Output::new("Journal and lock of tenancy apply (--state dynamodb:<name>)", Expr::reference(&state)),
    );

    // The platform's own stacks create every kind of resource the platform has, so the role
    // holds PowerUserAccess, and IAM rights only over the platform's own roles and policies.
    let baseline_cfn = LogicalId::fixed("BaselineStackRole");
    let mut baseline_role = super::deploy_roles::service_role(
        platform,
        &names.cfn_baseline_role,
        format!("Assumed by CloudFormation for {p}'s edge, baseline and delivery stacks"),
        "cloudformation.amazonaws.com",
        "platform-iam",
        vec![
            Statement::allow(
                "PlatformRoles",
                &[
                    "iam:AttachRolePolicy",
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:DeleteRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:GetRole",
                    "iam:GetRolePolicy",
                    "iam:ListAttachedRolePolicies",
                    "iam:ListRolePolicies",
                    "iam:PassRole",
                    "iam:PutRolePolicy",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:UpdateRole",
                    // The AWS::IAM::Role update handler sets a changed Description with it.
                    "iam:UpdateRoleDescription",
                ],
            )
            .on([global_arn("iam", &format!("role/{p}-*"))]),
            Statement::allow(
                "PlatformPolicies",
                &[
                    "iam:CreatePolicy",
                    "iam:CreatePolicyVersion",
                    "iam:DeletePolicy",
                    "iam:DeletePolicyVersion",
                    "iam:GetPolicy",
                    "iam:GetPolicyVersion",
                    "iam:ListPolicyVersions",
                    "iam:TagPolicy",
                ],
            )
            .on([global_arn("iam", &format!("policy/{p}-*"))]),
        ],
    );
    baseline_role.managed_policy_arns = vec![Expr::sub("arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess")];
    t.resource(&baseline_cfn, baseline_role);
    t.output(
        &LogicalId::fixed("BaselineStackRoleArn"),
        Output::new(
            "Role CloudFormation assumes for the edge, baseline and delivery stacks",
            Expr::get_att(&baseline_cfn, "Arn"),
        ),
    );
    t.build()
}

/// The bucket every access log goes to. It does not log itself (that would loop).
fn add_logs_bucket(t: &mut TemplateBuilder, platform: &Platform) -> LogicalId {
    let names = platform.baseline_names();
    let bucket = LogicalId::fixed("LogsBucket");
    t.resource(&bucket, Bucket::log_store(Expr::str(&names.logs_bucket), 365, platform_tags(platform)))
        .keep(Policy::Retain);
    let objects = Expr::sub(format!("${{{bucket}.Arn}}/*"));
    t.resource(
        &LogicalId::fixed("LogsBucketPolicy"),
        BucketPolicy {
            bucket: Expr::reference(&bucket),
            policy_document: PolicyDocument::new(vec![
                Statement::allow("S3ServerAccessLogs", &["s3:PutObject"])
                    .principal("Service", Expr::str("logging.s3.amazonaws.com"))
                    .on([Expr::sub(format!("${{{bucket}.Arn}}/s3/*"))])
                    .when("StringEquals", "aws:SourceAccount", Expr::pseudo("AWS::AccountId")),
                Statement::deny("DenyInsecureTransport", &["s3:*"])
                    .principal("AWS", Expr::str("*"))
                    .on([Expr::get_att(&bucket, "Arn"), objects])
                    .when("Bool", "aws:SecureTransport", Expr::str("false")),
            ]),
        },
    );
    bucket
}
