//! AWS's default quotas as a design input: what a platform's plan makes of each quota-bound
//! resource, against the default quota, with the way out when it would not fit.
//!
//! The counts are read from what the compiler emits, not estimated: the platform's own
//! templates (baseline, delivery, cluster access, pools) are compiled without their tenants and
//! counted by resource type; each cell adds a stack, a role and a user pool; and each tenant
//! adds what its tier gives it (a dedicated tenant's stack, role, tables, pool and records; a
//! pooled tenant's tables, client and groups in its cell). `tests/quotas.rs` holds the counts
//! equal to the compiled files.
//!
//! Defaults and sources (read 2026-12; each is per account, and per region where it says so):
//!
//! - AWS CloudFormation User Guide, "CloudFormation quotas": 2,000 stacks per region.
//! - AWS IAM User Guide, "IAM and AWS STS quotas": 1,000 roles per account.
//! - Amazon DynamoDB Developer Guide, "Service, account, and table quotas": 2,500 tables per
//!   region (raised from 256 in March 2022).
//! - Amazon Cognito Developer Guide, "Quotas in Amazon Cognito": 1,000 user pools per region,
//!   1,000 app clients per user pool, 10,000 groups per user pool (not adjustable).
//! - Amazon ECR User Guide, "Amazon ECR service quotas": 100,000 repositories per region.
//! - Amazon EKS User Guide, "Amazon EKS service quotas": 1,000 Pod Identity associations per
//!   cluster (not adjustable).
//! - Amazon Route 53 Developer Guide, "Quotas": 10,000 records per hosted zone.
//! - AWS CodePipeline User Guide, "Quotas in AWS CodePipeline": 500 actions per pipeline, 50
//!   stages (not adjustable).

use std::collections::BTreeMap;

use crate::compile::Artifact;
use crate::model::{Identity, Platform, Storage};

/// One quota: what it bounds, AWS's default, where that is written, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// What it bounds, as a sentence fragment: "IAM roles per account".
    pub what: &'static str,
    /// AWS's default.
    pub default: usize,
    /// The documentation page that states it.
    pub source: &'static str,
    /// What to do when the plan would exceed it.
    pub way_out: &'static str,
}

/// CloudFormation stacks per region.
pub const STACKS: Quota = Quota {
    what: "CloudFormation stacks per region",
    default: 2_000,
    source: "AWS CloudFormation User Guide, CloudFormation quotas",
    way_out: "pool more tiers (a cell stack holds up to 82 tenants), raise the quota (Service Quotas, AWS CloudFormation, Stack count) or split the fleet across accounts",
};
/// IAM roles per account.
pub const ROLES: Quota = Quota {
    what: "IAM roles per account",
    default: 1_000,
    source: "AWS IAM User Guide, IAM and AWS STS quotas",
    way_out: "pool more tiers (a cell's access role serves all its tenants) or raise the quota (Service Quotas, IAM, Roles per account; up to 5,000)",
};
/// DynamoDB tables per region.
pub const TABLES: Quota = Quota {
    what: "DynamoDB tables per region",
    default: 2_500,
    source: "Amazon DynamoDB Developer Guide, Service, account, and table quotas",
    way_out: "pool the silo services of more tiers (`storage: { <service>: pool }`) or raise the quota (up to 10,000)",
};
/// Cognito user pools per region.
pub const USER_POOLS: Quota = Quota {
    what: "Cognito user pools per region",
    default: 1_000,
    source: "Amazon Cognito Developer Guide, Quotas in Amazon Cognito",
    way_out: "give more tiers pooled identity, or raise the quota (Service Quotas, Amazon Cognito User Pools, User pools)",
};
/// App clients per user pool.
pub const CLIENTS_PER_POOL: Quota = Quota {
    what: "app clients per user pool",
    default: 1_000,
    source: "Amazon Cognito Developer Guide, Quotas in Amazon Cognito",
    way_out: "pool the tier's compute (its tenants then sign in through their cells' pools) or raise the quota",
};
/// Groups per user pool (not adjustable).
pub const GROUPS_PER_POOL: Quota = Quota {
    what: "groups per user pool (not adjustable)",
    default: 10_000,
    source: "Amazon Cognito Developer Guide, Quotas in Amazon Cognito",
    way_out: "pool the tier's compute, so that its tenants' groups are spread over their cells' pools",
};
/// ECR repositories per region.
pub const REPOSITORIES: Quota = Quota {
    what: "ECR repositories per region",
    default: 100_000,
    source: "Amazon ECR User Guide, Amazon ECR service quotas",
    way_out: "raise the quota",
};
/// Pod Identity associations per cluster (not adjustable).
pub const ASSOCIATIONS: Quota = Quota {
    what: "EKS Pod Identity associations per cluster (not adjustable)",
    default: 1_000,
    source: "Amazon EKS User Guide, Amazon EKS service quotas",
    way_out: "pool more tiers (a pool's pods share one association) or split the fleet across clusters",
};
/// Route 53 records per hosted zone.
pub const RECORDS: Quota = Quota {
    what: "Route 53 records per hosted zone",
    default: 10_000,
    source: "Amazon Route 53 Developer Guide, Quotas",
    way_out: "pool more tiers (one wildcard record answers for every pooled tenant) or raise the quota",
};
/// Actions per pipeline (not adjustable).
pub const PIPELINE_ACTIONS: Quota = Quota {
    what: "CodePipeline actions per pipeline (not adjustable)",
    default: 500,
    source: "AWS CodePipeline User Guide, Quotas in AWS CodePipeline",
    way_out: "fewer baseline waves or tenant shards",
};

/// The plan's count against one quota; `of` names the largest user pool for the per-pool ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The quota.
    pub quota: Quota,
    /// What the plan makes of it.
    pub count: usize,
    /// Where the count is taken, when the quota is per pool or per another region.
    pub of: Option<String>,
}

impl Use {
    /// Whether the count is over the default.
    pub fn exceeds(&self) -> bool {
        self.count > self.quota.default
    }

    /// The warning synth prints when it does.
    pub fn warning(&self) -> String {
        let of = self.of.as_ref().map(|o| format!(" (in {o})")).unwrap_or_default();
        format!(
            "the plan makes {} {}{of}, over AWS's default quota of {} ({}): {}",
            self.count, self.quota.what, self.quota.default, self.quota.source, self.quota.way_out
        )
    }
}

/// Occurrences of resources of CloudFormation type `kind` in `files`' templates.
fn resources_of(files: &[Artifact], kind: &str) -> usize {
    let line = format!("    Type: {kind}\n");
    files.iter().filter(|f| f.path.ends_with(".cfn.yaml")).map(|f| f.contents.matches(&line).count()).sum()
}

/// What `platform`'s plan makes of each quota-bound resource. `pipeline_actions` is the number
/// of actions the generated pipeline has (`compile::pipeline_stages`).
pub fn usage(platform: &Platform, pipeline_actions: usize) -> Vec<Use> {
    // The platform's own templates, compiled without tenants: what any fleet has. Cells are
    // compiled empty (their count is the tier's, not the fleet's).
    let bare = platform.to_builder().without_tenants().build().expect("a valid platform without its tenants is valid");
    // Cells are counted, not compiled: each is a stack with a role and a user pool (the rest of
    // a cell is its tenants', counted below), and compiling hundreds of them on every synth
    // would cost more than the rest of this count.
    let files = crate::compile::compile_shared_with(&bare, &crate::compile::Customizations::new())
        .expect("the platform compiles")
        .files;
    let cells = crate::compile::cells(platform).len();
    let baseline = platform.baseline_names();

    let mut stacks: BTreeMap<String, usize> = BTreeMap::new();
    for file in
        files.iter().filter(|f| f.path.ends_with(".cfn.yaml") && f.path != crate::contract::paths::BOOTSTRAP_TEMPLATE)
    {
        let region = if file.path == crate::contract::paths::EDGE_TEMPLATE {
            crate::compile::CLOUDFRONT_REGION.to_owned()
        } else {
            platform.region().to_string()
        };
        *stacks.entry(region).or_default() += 1;
    }
    // The bootstrap stack, which `tenancy bootstrap` deploys in the platform's region, and the
    // cells.
    *stacks.entry(platform.region().to_string()).or_default() += 1 + cells;
    // eksctl's own stacks: the cluster's and one per node group.
    let node_groups = 1 + platform.tiers().iter().filter(|t| t.placement == crate::model::Placement::Dedicated).count();
    *stacks.entry(platform.region().to_string()).or_default() += 1 + node_groups;

    // eksctl's: the cluster's role, and each node group's.
    let mut roles = resources_of(&files, "AWS::IAM::Role") + cells + 1 + node_groups;
    let mut tables = resources_of(&files, "AWS::DynamoDB::Table");
    let mut pools = resources_of(&files, "AWS::Cognito::UserPool") + cells;
    let mut associations = resources_of(&files, "AWS::EKS::PodIdentityAssociation");
    let mut records = resources_of(&files, "AWS::Route53::RecordSet");
    // App clients and groups of the shared tenant pool, and of each cell's pool.
    let mut shared_clients = 0;
    let mut per_cell: BTreeMap<String, usize> = BTreeMap::new();
    for tenant in platform.tenants() {
        let tier = platform.tier_of(tenant);
        let silo =
            platform.services().iter().filter(|s| matches!(platform.storage_of(tier, s), Storage::Silo(_))).count();
        tables += silo;
        match platform.cell_of(tenant) {
            Some(cell) => *per_cell.entry(cell.user_pool).or_default() += 1,
            None => {
                *stacks.entry(platform.region().to_string()).or_default() += 1;
                roles += 1;
                associations += 1;
                records += 2;
                match tier.identity {
                    Identity::Dedicated => pools += 1,
                    Identity::Pooled => shared_clients += 1,
                }
            }
        }
    }
    let (cell_pool, cell_tenants) =
        per_cell.iter().max_by_key(|(_, n)| **n).map(|(p, n)| (p.clone(), *n)).unwrap_or_default();
    let (clients, groups, largest) = if shared_clients >= cell_tenants {
        (shared_clients, 2 * shared_clients, baseline.tenants_user_pool.clone())
    } else {
        (cell_tenants, 2 * cell_tenants, cell_pool)
    };
    let region = platform.region().to_string();
    let mut out: Vec<Use> = stacks
        .into_iter()
        .map(|(r, count)| Use { quota: STACKS, count, of: (r != region).then(|| r.clone()) })
        .collect();
    out.extend([
        Use { quota: ROLES, count: roles, of: None },
        Use { quota: TABLES, count: tables, of: None },
        Use { quota: USER_POOLS, count: pools, of: None },
        Use { quota: CLIENTS_PER_POOL, count: clients, of: Some(largest.clone()) },
        Use { quota: GROUPS_PER_POOL, count: groups, of: Some(largest) },
        Use { quota: REPOSITORIES, count: resources_of(&files, "AWS::ECR::Repository"), of: None },
        Use { quota: ASSOCIATIONS, count: associations, of: None },
        Use { quota: RECORDS, count: records, of: None },
        Use { quota: PIPELINE_ACTIONS, count: pipeline_actions, of: None },
    ]);
    out
}

/// The usage as a table, for `tenancy quotas` and the README.
pub fn table(usage: &[Use]) -> String {
    let mut out = format!("{:<60} {:>8} {:>8}  source\n", "quota (AWS default)", "default", "plan");
    for u in usage {
        let of = u.of.as_ref().map(|o| format!(" ({o})")).unwrap_or_default();
        out.push_str(&format!(
            "{:<60} {:>8} {:>8}  {}{}\n",
            format!("{}{of}", u.quota.what),
            u.quota.default,
            u.count,
            u.quota.source,
            if u.exceeds() { "  OVER" } else { "" }
        ));
    }
    out
}
