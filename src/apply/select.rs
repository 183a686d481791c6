//! Which part of the plan an apply runs: everything, one tenant, one step, or one shard of the
//! tenants (for the pipeline's parallel actions).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::plan::{DeployPlan, StepId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Tenant(String),
    Step(StepId),
    /// A step and every step it depends on, directly or not: `through:baseline/delivery` is the
    /// first deploy's local part (the pipeline the delivery stack creates does the rest).
    Through(StepId),
    /// Tenants whose id hashes to shard `index` of `count` (1-based), with their steps.
    Shard {
        index: usize,
        count: usize,
    },
}

impl FromStr for Selection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let help = "use all, tenant:<id>, step:<id>, through:<step id> or shard:<i>/<n>";
        match text.split_once(':') {
            None if text == "all" => Ok(Selection::All),
            Some(("tenant", id)) if crate::model::TenantId::parse(id).is_ok() => Ok(Selection::Tenant(id.to_owned())),
            Some(("step", id)) if !id.is_empty() => Ok(Selection::Step(StepId::new(id))),
            Some(("through", id)) if !id.is_empty() => Ok(Selection::Through(StepId::new(id))),
            Some(("shard", spec)) => {
                let parsed =
                    spec.split_once('/').and_then(|(i, n)| Some((i.parse::<usize>().ok()?, n.parse::<usize>().ok()?)));
                match parsed {
                    Some((index, count)) if count > 0 && (1..=count).contains(&index) => {
                        Ok(Selection::Shard { index, count })
                    }
                    _ => Err(format!("`{text}` is not a shard: {help}")),
                }
            }
            _ => Err(format!("`{text}` is not a selection: {help}")),
        }
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::All => f.write_str("all"),
            Selection::Tenant(id) => write!(f, "tenant:{id}"),
            Selection::Step(id) => write!(f, "step:{id}"),
            Selection::Through(id) => write!(f, "through:{id}"),
            Selection::Shard { index, count } => write!(f, "shard:{index}/{count}"),
        }
    }
}

/// The shard (1-based) of `count` a tenant belongs to: by a hash of its id, so adding tenants
/// never moves another tenant to another shard.
pub fn shard_of(tenant: &str, count: usize) -> usize {
    let digest = Sha256::digest(tenant.as_bytes());
    let value = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (value % count as u64) as usize + 1
}

impl Selection {
    /// Whether this selection covers tenant `tenant`'s steps.
    pub fn covers_tenant(&self, tenant: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Tenant(id) => id == tenant,
            Selection::Step(_) | Selection::Through(_) => false,
            Selection::Shard { index, count } => shard_of(tenant, *count) == *index,
        }
    }

    /// The steps of `plan` this selection runs.
    pub fn steps(&self, plan: &DeployPlan) -> Result<BTreeSet<StepId>, String> {
        let all = plan.steps();
        let chosen: BTreeSet<StepId> = match self {
            Selection::All => all.iter().map(|s| s.id.clone()).collect(),
            Selection::Step(id) => {
                if plan.step(id).is_none() {
                    return Err(format!("step {id} is not in the plan; `tenancy plan` lists the steps"));
                }
                BTreeSet::from([id.clone()])
            }
            Selection::Through(id) => {
                if plan.step(id).is_none() {
                    return Err(format!("step {id} is not in the plan; `tenancy plan` lists the steps"));
                }
                all.iter().filter(|s| s.id == *id || plan.depends(id, &s.id)).map(|s| s.id.clone()).collect()
            }
            Selection::Tenant(_) | Selection::Shard { .. } => all
                .iter()
                .filter(|s| s.id.tenant().is_some_and(|t| self.covers_tenant(t)))
                .map(|s| s.id.clone())
                .collect(),
        };
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_selections() {
        for text in ["all", "tenant:acme", "step:baseline/stack", "through:baseline/delivery", "shard:3/8"] {
            assert_eq!(text.parse::<Selection>().unwrap().to_string(), text);
        }
        for bad in [
            "",
            "tenant:",
            "tenant:Acme",
            "shard:0/8",
            "shard:9/8",
            "shard:1/0",
            "shard:x",
            "nope:1",
            "step:",
            "through:",
        ] {
            assert!(bad.parse::<Selection>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_every_tenant_once() {
        for tenant in ["a", "acme", "globex", "t-1", "zeta"] {
            let shards: Vec<usize> =
                (1..=8).filter(|i| Selection::Shard { index: *i, count: 8 }.covers_tenant(tenant)).collect();
            assert_eq!(shards.len(), 1, "{tenant}");
            assert_eq!(shards[0], shard_of(tenant, 8));
        }
    }
}
