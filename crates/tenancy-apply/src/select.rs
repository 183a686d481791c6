//! Which part of the plan an apply runs: everything, one tenant, one step, or one shard of the
//! tenants (for the pipeline's parallel actions).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use tenancy::contract::steps::POOL_PREFIX;
use tenancy::plan::{DeployPlan, StepId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Tenant(String),
    Step(StepId),
    /// A step and every step it depends on, directly or not: `through:baseline/delivery` is the
    /// first deploy's local part (the pipeline the delivery stack creates does the rest).
    Through(StepId),
    /// Every pooled tier's pool and cell steps (`pool/...`): the pipeline's stage between the
    /// baseline and the tenant shards.
    Pools,
    /// Tenants whose id hashes to shard `index` of `count` (1-based), with their steps.
    Shard {
        index: usize,
        count: usize,
    },
}

impl FromStr for Selection {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let help = "use all, pools, tenant:<id>, step:<id>, through:<step id> or shard:<i>/<n>";
        match text.split_once(':') {
            None if text == "all" => Ok(Selection::All),
            None if text == "pools" => Ok(Selection::Pools),
            Some(("tenant", id)) if tenancy::model::TenantId::parse(id).is_ok() => Ok(Selection::Tenant(id.to_owned())),
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
            Selection::Pools => f.write_str("pools"),
            Selection::Tenant(id) => write!(f, "tenant:{id}"),
            Selection::Step(id) => write!(f, "step:{id}"),
            Selection::Through(id) => write!(f, "through:{id}"),
            Selection::Shard { index, count } => write!(f, "shard:{index}/{count}"),
        }
    }
}

/// Whether `step` is a pooled tier's cell stack (`pool/<tier>/cell-<n>`).
pub fn is_cell_step(step: &StepId) -> bool {
    step.as_str()
        .strip_prefix(POOL_PREFIX)
        .is_some_and(|rest| rest.split('/').nth(1).is_some_and(|p| p.starts_with("cell-")))
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
            Selection::Step(_) | Selection::Through(_) | Selection::Pools => false,
            Selection::Shard { index, count } => shard_of(tenant, *count) == *index,
        }
    }

    /// The steps of `plan` this selection runs when it may also delete: as [`Self::steps`], but
    /// a tenant the plan no longer has is no mistake, it is the tenant being offboarded (none of
    /// its steps run; the engine removes what the journal says it deployed).
    pub fn steps_or_removal(&self, plan: &DeployPlan, allow_delete: bool) -> Result<BTreeSet<StepId>, String> {
        match self {
            Selection::Tenant(tenant)
                if allow_delete && !plan.steps().iter().any(|s| s.id.tenant() == Some(tenant)) =>
            {
                Ok(BTreeSet::new())
            }
            _ => self.steps(plan),
        }
    }

    /// The steps of `plan` this selection runs.
    pub fn steps(&self, plan: &DeployPlan) -> Result<BTreeSet<StepId>, String> {
        let all = plan.steps();
        let chosen: BTreeSet<StepId> = match self {
            Selection::All => all.iter().map(|s| s.id.clone()).collect(),
            Selection::Pools => {
                all.iter().filter(|s| s.id.as_str().starts_with(POOL_PREFIX)).map(|s| s.id.clone()).collect()
            }
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
            Selection::Tenant(tenant) if !all.iter().any(|s| s.id.tenant() == Some(tenant)) => {
                let tenants: BTreeSet<&str> = all.iter().filter_map(|s| s.id.tenant()).collect();
                return Err(not_a_tenant(tenant, &tenants));
            }
            // A shard may be empty: the pipeline applies every shard, however few tenants.
            Selection::Shard { .. } => all
                .iter()
                .filter(|s| s.id.tenant().is_some_and(|t| self.covers_tenant(t)))
                .map(|s| s.id.clone())
                .collect(),
            // One tenant, and, for a tenant of a pooled tier, its cell: onboarding adds the
            // tenant's client to it, which its record then reads. (The pipeline applies every
            // cell in its pools stage, before the shards.)
            Selection::Tenant(_) => {
                let own: Vec<&&tenancy::plan::PlannedStep> =
                    all.iter().filter(|s| s.id.tenant().is_some_and(|t| self.covers_tenant(t))).collect();
                let cells = own.iter().flat_map(|s| s.depends_on.iter()).filter(|d| is_cell_step(d)).cloned();
                own.iter().map(|s| s.id.clone()).chain(cells).collect()
            }
        };
        Ok(chosen)
    }
}

/// Tenants named when the one asked for is not in the plan: all of a small plan's, else the
/// closest by edit distance.
const NAMED_TENANTS: usize = 8;

fn not_a_tenant(tenant: &str, tenants: &BTreeSet<&str>) -> String {
    let head = format!("tenant {tenant} is not in the plan");
    if tenants.is_empty() {
        return format!("{head}, which has no tenants");
    }
    if tenants.len() <= NAMED_TENANTS {
        let listed: Vec<&str> = tenants.iter().copied().collect();
        return format!("{head}; its tenants are {}", listed.join(", "));
    }
    let mut closest: Vec<(usize, &str)> =
        tenants.iter().map(|t| (edit_distance(tenant, t), *t)).filter(|(distance, _)| *distance <= CLOSE).collect();
    closest.sort();
    let named: Vec<&str> = closest.iter().take(NAMED_TENANTS).map(|(_, t)| *t).collect();
    let all = format!("`tenancy plan` lists its {} tenants", tenants.len());
    if named.is_empty() {
        format!("{head}; {all}")
    } else {
        format!("{head}; did you mean {}? ({all})", named.join(", "))
    }
}

/// How many edits away a tenant id may be to be offered for a mistyped one.
const CLOSE: usize = 3;

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_selections() {
        for text in ["all", "pools", "tenant:acme", "step:baseline/stack", "through:baseline/delivery", "shard:3/8"] {
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

    fn plan_of(tenants: &[&str]) -> DeployPlan {
        use tenancy::plan::{Action, Step};
        let step = |id: String| Step {
            id: StepId::new(id),
            action: Action::Register { table: "t".into(), tenant: "x".into(), tier: "x".into(), domain: "d".into() },
            artifacts: vec![],
            depends_on: vec![],
            bindings: vec![],
            estimate_seconds: 1,
        };
        let mut steps = vec![step("baseline/stack".into())];
        steps.extend(tenants.iter().map(|t| step(format!("tenant/{t}/register"))));
        DeployPlan::build(steps, &std::collections::BTreeMap::new(), &[]).unwrap()
    }

    /// A pooled tenant's onboarding updates its cell, so its selection holds its cell's step
    /// (not the other cells', nor the pool's); `pools` is every pool step; and an apply that
    /// runs a pool step takes the pools' lock, so two never update one cell at once.
    #[test]
    fn a_pooled_tenants_selection_holds_its_cell_and_locks_the_pools() {
        use tenancy::plan::{Action, Step};
        let step = |id: &str, depends: &[&str]| Step {
            id: StepId::new(id),
            action: Action::Register { table: "t".into(), tenant: "x".into(), tier: "x".into(), domain: "d".into() },
            artifacts: vec![],
            depends_on: depends.iter().map(|d| StepId::new(*d)).collect(),
            bindings: vec![],
            estimate_seconds: 1,
        };
        let steps = vec![
            step("pool/basic/stack", &[]),
            step("pool/basic/k8s", &["pool/basic/stack"]),
            step("pool/basic/cell-000", &["pool/basic/stack"]),
            step("pool/basic/cell-001", &["pool/basic/stack"]),
            step("tenant/alpha/k8s", &["pool/basic/cell-001", "pool/basic/k8s"]),
            step("tenant/alpha/register", &["tenant/alpha/k8s"]),
            step("tenant/omega/register", &[]),
        ];
        let plan = DeployPlan::build(steps, &std::collections::BTreeMap::new(), &[]).unwrap();
        let ids = |select: &str| -> Vec<String> {
            let selection: Selection = select.parse().unwrap();
            selection.steps(&plan).unwrap().into_iter().map(|s| s.as_str().to_owned()).collect()
        };
        assert_eq!(ids("tenant:alpha"), ["pool/basic/cell-001", "tenant/alpha/k8s", "tenant/alpha/register"]);
        assert_eq!(ids("tenant:omega"), ["tenant/omega/register"]);
        assert_eq!(ids("pools"), ["pool/basic/cell-000", "pool/basic/cell-001", "pool/basic/k8s", "pool/basic/stack"]);
        let alpha: Selection = "tenant:alpha".parse().unwrap();
        let scope = crate::lock::LockScope::of_steps(&alpha, &alpha.steps(&plan).unwrap());
        assert!(scope.to_string().contains("pools"), "{scope}");
        let omega: Selection = "tenant:omega".parse().unwrap();
        assert!(!crate::lock::LockScope::of_steps(&omega, &omega.steps(&plan).unwrap()).to_string().contains("pools"));
    }

    /// Fault 6b: `--select tenant:nosuch` applied nothing and exited 0.
    #[test]
    fn a_tenant_not_in_the_plan_is_refused_naming_the_plans_tenants() {
        let four = plan_of(&["acme", "globex", "initech", "umbrella"]);
        let fleet: Vec<String> = (0..40).map(|i| format!("t{i}")).chain(["acme".into(), "acne".into()]).collect();
        let fleet = plan_of(&fleet.iter().map(String::as_str).collect::<Vec<_>>());
        for (plan, select, expect) in [
            (&four, "tenant:acme", Ok(1)),
            (
                &four,
                "tenant:nosuch",
                Err("tenant nosuch is not in the plan; its tenants are acme, globex, initech, umbrella"),
            ),
            (&plan_of(&[]), "tenant:acme", Err("tenant acme is not in the plan, which has no tenants")),
            (
                &fleet,
                "tenant:acmee",
                Err("tenant acmee is not in the plan; did you mean acme, acne? (`tenancy plan` lists its 42 tenants)"),
            ),
            (&fleet, "tenant:zzzzzzzz", Err("tenant zzzzzzzz is not in the plan; `tenancy plan` lists its 42 tenants")),
            (&fleet, "tenant:t4", Ok(1)),
            // An empty shard is no mistake: the pipeline applies all eight, however few tenants.
            (&plan_of(&[]), "shard:3/8", Ok(0)),
        ] {
            let selection: Selection = select.parse().unwrap();
            assert_eq!(selection.steps(plan).map(|s| s.len()), expect.map_err(str::to_owned), "{select}");
        }
    }

    #[test]
    fn a_tenant_gone_from_the_plan_is_its_removal_when_deleting_is_allowed() {
        let plan = plan_of(&["acme", "globex"]);
        let gone: Selection = "tenant:initech".parse().unwrap();
        assert_eq!(gone.steps_or_removal(&plan, true), Ok(BTreeSet::new()));
        assert!(gone.steps_or_removal(&plan, false).unwrap_err().starts_with("tenant initech is not in the plan"));
        let here: Selection = "tenant:acme".parse().unwrap();
        assert_eq!(here.steps_or_removal(&plan, true).map(|s| s.len()), Ok(1));
    }

    #[test]
    fn edit_distances() {
        for (a, b, d) in
            [("acme", "acme", 0), ("acme", "acne", 1), ("acme", "acmee", 1), ("", "abc", 3), ("kitten", "sitting", 3)]
        {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
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
