//! Whole-platform validation: everything a single field cannot check on its own. Collects every
//! problem instead of stopping at the first.

use std::collections::{BTreeMap, HashMap};

use super::naming::COGNITO_RESERVED_WORDS;
use super::platform::PlatformParts;
use super::{BaselineNames, Compute, FieldPath, NameKind, Problem, TenantId, TenantNames, Tier};

/// The largest value Kubernetes accepts for a user-defined PriorityClass.
pub const MAX_PRIORITY: u32 = 1_000_000_000;

pub(crate) fn validate(parts: &PlatformParts) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_platform(parts, &mut problems);
    check_services(parts, &mut problems);
    check_tiers(parts, &mut problems);
    check_tenants(parts, &mut problems);
    problems
}

fn root(key: &str) -> FieldPath {
    FieldPath::root().key(key)
}

fn check_platform(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let names = BaselineNames::derive(&parts.name, &parts.account_id, &parts.region);
    for prefix in [&names.admin_domain_prefix, &names.tenants_domain_prefix] {
        if let Some(word) = reserved_word(prefix) {
            problems.push(Problem::new(
                root("platform").key("name"),
                format!("platform name `{}` puts `{word}` into the Cognito domain prefix `{prefix}`, which Cognito refuses", parts.name),
                format!("choose a platform name without {}", COGNITO_RESERVED_WORDS.join(", ")),
            ));
            break;
        }
    }
    let nodes = &parts.cluster.nodes;
    let at = root("cluster").key("nodes");
    if nodes.min < 1 {
        problems.push(Problem::new(at.key("min"), "the node group needs at least one node", "set `min` to 1 or more"));
    }
    if nodes.max < nodes.min {
        problems.push(Problem::new(
            at.key("max"),
            format!("node group max {} is below min {}", nodes.max, nodes.min),
            "set `max` to at least `min`",
        ));
    }
}

fn reserved_word(name: &str) -> Option<&'static str> {
    COGNITO_RESERVED_WORDS.into_iter().find(|word| name.contains(word))
}

/// Reports every value that occurs twice, at the later place, pointing back at the first.
fn check_unique<'a>(
    items: impl Iterator<Item = (FieldPath, &'a str)>,
    what: &str,
    problems: &mut Vec<Problem>,
) -> HashMap<&'a str, FieldPath> {
    let mut seen: HashMap<&str, FieldPath> = HashMap::new();
    for (path, value) in items {
        if let Some(first) = seen.get(value) {
            problems.push(
                Problem::new(path, format!("duplicate {what} `{value}`"), format!("give each {what} a unique value, or remove one"))
                    .related_to(first.clone()),
            );
        } else {
            seen.insert(value, path);
        }
    }
    seen
}

fn check_services(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let services = root("services");
    if parts.services.is_empty() {
        problems.push(Problem::new(services.clone(), "the platform has no services", "add at least one service, e.g. `product`"));
    }
    let at = |i: usize, key: &str| services.index(i).key(key);
    check_unique(parts.services.iter().enumerate().map(|(i, s)| (at(i, "name"), s.name.as_str())), "service name", problems);
    check_unique(parts.services.iter().enumerate().map(|(i, s)| (at(i, "path"), s.path.as_str())), "service path", problems);
    for (i, service) in parts.services.iter().enumerate() {
        if service.port == 0 {
            problems.push(Problem::new(at(i, "port"), "port 0 is not a port", "use a port from 1 to 65535, e.g. 8080"));
        }
    }
}

fn check_tiers(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let tiers = root("tiers");
    if parts.tiers.is_empty() {
        problems.push(Problem::new(tiers.clone(), "the platform has no tiers", "add at least one tier, e.g. `basic`"));
    }
    check_unique(parts.tiers.iter().enumerate().map(|(i, t)| (tiers.index(i).key("name"), t.name.as_str())), "tier name", problems);
    for (i, tier) in parts.tiers.iter().enumerate() {
        check_tier(tier, &tiers.index(i), problems);
    }
}

fn check_tier(tier: &Tier, at: &FieldPath, problems: &mut Vec<Problem>) {
    let mut problem = |path: FieldPath, message: String, help: &str| problems.push(Problem::new(path, message, help));
    if tier.compute == Compute::Pooled {
        problem(
            at.key("compute"),
            format!("tier `{}` asks for pooled compute, which is not yet supported", tier.name),
            "use `compute: dedicated` (a namespace per tenant) until pooled compute lands",
        );
    }
    if tier.replicas < 1 {
        problem(at.key("replicas"), "replicas must be at least 1".into(), "set `replicas` to 1 or more");
    }
    let scaling = tier.autoscaling;
    let scaling_at = at.key("autoscaling");
    if scaling.min < 1 {
        problem(scaling_at.key("min"), "autoscaling min must be at least 1".into(), "set `min` to 1 or more");
    }
    if scaling.max < scaling.min {
        problem(
            scaling_at.key("max"),
            format!("autoscaling max {} is below min {}", scaling.max, scaling.min),
            "set `max` to at least `min`",
        );
    } else if !(scaling.min..=scaling.max).contains(&tier.replicas) {
        problem(
            at.key("replicas"),
            format!("replicas {} is outside autoscaling bounds {}..={}", tier.replicas, scaling.min, scaling.max),
            "set `replicas` between `autoscaling.min` and `autoscaling.max`",
        );
    }
    if !(1..=100).contains(&scaling.target_cpu_percent) {
        problem(
            scaling_at.key("targetCpuPercent"),
            format!("target CPU {}% is not a percentage from 1 to 100", scaling.target_cpu_percent),
            "use a value such as 70",
        );
    }
    let rate_at = at.key("rateLimit");
    if tier.rate_limit.requests_per_second < 1 {
        problem(rate_at.key("requestsPerSecond"), "rate limit must allow at least 1 request per second".into(), "set it to 1 or more");
    }
    if tier.rate_limit.burst < tier.rate_limit.requests_per_second {
        problem(
            rate_at.key("burst"),
            format!("burst {} is below the rate limit of {}", tier.rate_limit.burst, tier.rate_limit.requests_per_second),
            "set `burst` to at least `requestsPerSecond`",
        );
    }
    if tier.priority > MAX_PRIORITY {
        problem(at.key("priority"), format!("priority {} is above {MAX_PRIORITY}", tier.priority), "use a value up to 1000000000");
    }
    let quotas_at = at.key("quotas");
    if tier.quotas.pods < 1 {
        problem(quotas_at.key("pods"), "the pod quota must be at least 1".into(), "set `pods` to 1 or more");
    }
    for (key, quantity) in [("cpu", &tier.quotas.cpu), ("memory", &tier.quotas.memory)] {
        if quantity.value() <= 0.0 {
            problem(quotas_at.key(key), format!("the {key} quota `{quantity}` leaves no room to run anything"), "use a positive quantity");
        }
    }
}

fn check_tenants(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let tenants = root("tenants");
    let at = |i: usize, key: &str| tenants.index(i).key(key);
    let ids = check_unique(parts.tenants.iter().enumerate().map(|(i, t)| (at(i, "id"), t.id.as_str())), "tenant id", problems);

    let tier_names: Vec<&str> = parts.tiers.iter().map(|t| t.name.as_str()).collect();
    for (i, tenant) in parts.tenants.iter().enumerate() {
        if !tier_names.contains(&tenant.tier.as_str()) {
            problems.push(Problem::new(
                at(i, "tier"),
                format!("tenant `{}` names tier `{}`, which is not defined", tenant.id, tenant.tier),
                if tier_names.is_empty() { "define the tier under `tiers`".to_owned() } else { format!("use one of: {}", tier_names.join(", ")) },
            ));
        }
    }

    // Derived names: each must fit its limit and be unique among all tenants and the baseline.
    let baseline = BaselineNames::derive(&parts.name, &parts.account_id, &parts.region);
    let mut owners: BTreeMap<(NameKind, String), Option<usize>> = BTreeMap::new();
    for name in baseline.reserved(&parts.name, &parts.services) {
        owners.insert(name.collision_key(), None);
    }
    let all_names: Vec<TenantNames> =
        parts.tenants.iter().map(|t| TenantNames::derive(&parts.name, &parts.domain, &parts.services, &t.id)).collect();
    let id_budget = id_length_budget(parts);
    for (i, (tenant, names)) in parts.tenants.iter().zip(&all_names).enumerate() {
        if ids.get(tenant.id.as_str()) != Some(&at(i, "id")) {
            continue; // a duplicate id, already reported
        }
        let derived = names.all();
        let too_long: Vec<String> = derived
            .iter()
            .filter(|n| n.value.len() > n.kind.max_len())
            .map(|n| format!("{} `{}` ({} > {})", n.kind.describe(), n.value, n.value.len(), n.kind.max_len()))
            .collect();
        if !too_long.is_empty() {
            problems.push(Problem::new(
                at(i, "id"),
                format!("tenant id `{}` is too long for its derived names: {}", tenant.id, too_long.join(", ")),
                format!("use a tenant id of at most {id_budget} characters on this platform"),
            ));
        }
        if let Some(word) = reserved_word(&names.domain_prefix) {
            problems.push(Problem::new(
                at(i, "id"),
                format!("Cognito refuses the domain prefix `{}` derived from tenant `{}`: it contains `{word}`", names.domain_prefix, tenant.id),
                format!("choose a tenant id without {}", COGNITO_RESERVED_WORDS.join(", ")),
            ));
        }
        for name in derived {
            match owners.get(&name.collision_key()) {
                None => {
                    owners.insert(name.collision_key(), Some(i));
                }
                Some(None) => problems.push(Problem::new(
                    at(i, "id"),
                    format!("tenant `{}` derives {} `{}`, which the platform itself uses", tenant.id, name.kind.describe(), name.value),
                    "choose another tenant id",
                )),
                Some(Some(other)) => problems.push(
                    Problem::new(
                        at(i, "id"),
                        format!(
                            "tenants `{}` and `{}` both derive {} `{}`",
                            parts.tenants[*other].id,
                            tenant.id,
                            name.kind.describe(),
                            name.value
                        ),
                        "rename one of the two tenants (or the service whose name makes them collide)",
                    )
                    .related_to(at(*other, "id")),
                ),
            }
        }
    }
}

/// The longest tenant id whose derived names all fit, on this platform. Every derived name
/// holds the id once, so a one-character probe id measures each name's overhead.
fn id_length_budget(parts: &PlatformParts) -> usize {
    let probe = TenantId::parse("x").expect("a valid tenant id");
    TenantNames::derive(&parts.name, &parts.domain, &parts.services, &probe)
        .all()
        .iter()
        .map(|n| n.kind.max_len().saturating_sub(n.value.len() - 1))
        .min()
        .unwrap_or(63)
        .min(63)
}
