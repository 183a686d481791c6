//! The AWS actions `tenancy apply` calls, per caller in `tenancy-apply` (its `aws` providers).
//! They live here, in the core, because two sides read them: the providers that make the calls,
//! and `verify` (with the compilers of the deploy roles) that proves the generated IAM grants
//! them. `tests/declared_calls.rs` reads every SDK call of the named file and fails when one
//! needs an action its table here does not hold (`FOREIGN_TABLES`).

/// The journal and lock (`tenancy-apply` `aws/state.rs`), on the state table. A fenced write is
/// a transaction of a Put and ConditionChecks: what every principal that applies must be granted.
pub const STATE_IAM_ACTIONS: [&str; 6] = [
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
];

/// The bootstrap check every apply makes (`aws/bootstrap.rs`), on the bootstrap stack.
pub const BOOTSTRAP_IAM_ACTIONS: [&str; 1] = ["cloudformation:DescribeStacks"];

/// The CloudFormation provider (`aws/cloudformation.rs`), on the step's stack.
pub const STACK_IAM_ACTIONS: [&str; 7] = [
    "cloudformation:CreateChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
];

/// What a step whose template is over the inline limit calls (`aws/cloudformation.rs`), on the
/// artifacts bucket's `templates/<stack>/<hash>.yaml` (CloudFormation then reads that object as
/// the caller).
pub const TEMPLATE_IAM_ACTIONS: [&str; 1] = ["s3:PutObject"];

/// What offboarding calls (`aws/cloudformation.rs`) on a tenant's silo tables (and their
/// backups) when its tier's retention is `backup`.
pub const BACKUP_IAM_ACTIONS: [&str; 2] = ["dynamodb:CreateBackup", "dynamodb:DescribeBackup"];

/// The CodeBuild provider (`aws/codebuild.rs`), on the step's project.
pub const BUILD_IAM_ACTIONS: [&str; 3] =
    ["codebuild:BatchGetBuilds", "codebuild:ListBuildsForProject", "codebuild:StartBuild"];

/// The control plane's registry (`tenancy-registry`'s `dynamo.rs`), on the registry table: what
/// the registration service and the onboarding job call. A TransactWriteItems is authorized as
/// the PutItem and UpdateItem it holds.
pub const LIFECYCLE_IAM_ACTIONS: [&str; 5] =
    ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"];

/// Listing the registry (`tenancy-registry`'s `dynamo.rs`, `Registry::list`), on the registry
/// table: what tenant management calls besides [`LIFECYCLE_IAM_ACTIONS`].
pub const LISTING_IAM_ACTIONS: [&str; 1] = ["dynamodb:Scan"];

/// The lifecycle topic (`tenancy-registry`'s `events.rs`), on the platform's topic.
pub const EVENTS_IAM_ACTIONS: [&str; 1] = ["sns:Publish"];

/// Starting the onboarding job (`services/registration`'s `onboarding.rs`), on the onboarding
/// project.
pub const ONBOARDING_IAM_ACTIONS: [&str; 1] = ["codebuild:StartBuild"];

/// The tenant directory (`tenancy-registry`'s `directory.rs`), on the tenant table: where
/// tenant management and user management read how each tenant signs in.
pub const DIRECTORY_IAM_ACTIONS: [&str; 1] = ["dynamodb:GetItem"];

/// User management (`tenancy-registry`'s `users.rs`), on the platform's user pools.
pub const USERS_IAM_ACTIONS: [&str; 6] = [
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
];

/// What the offboarding job calls to purge a pooled tenant's users (`tenancy-registry`'s
/// `users.rs`, `Users::purge`), on the shared tenant pool.
pub const PURGE_IAM_ACTIONS: [&str; 3] =
    ["cognito-idp:AdminDeleteUser", "cognito-idp:AdminGetUser", "cognito-idp:ListUsersInGroup"];

/// The register provider (`aws/register.rs`), on the tenant table.
pub const REGISTER_IAM_ACTIONS: [&str; 2] = ["dynamodb:GetItem", "dynamodb:PutItem"];

/// The image check before Kubernetes steps (`aws/registry.rs`), on the platform's repositories.
pub const REGISTRY_IAM_ACTIONS: [&str; 1] = ["ecr:DescribeImages"];

/// The source bundle (`aws/source.rs`), on the bundle's object (and ListBucketVersions on the
/// bucket).
pub const SOURCE_IAM_ACTIONS: [&str; 4] =
    ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucketVersions", "s3:PutObject"];
