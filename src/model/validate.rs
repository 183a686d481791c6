//! Whole-platform validation: everything a single field cannot check on its own. Collects every
//! problem instead of stopping at the first.

use std::collections::{BTreeMap, HashMap};

use super::naming::{COGNITO_RESERVED_WORDS, CONTROL_PLANE_SERVICES, TENANT_USERS_PATH};
use super::naming::{CellNames, PoolNames};
use super::platform::PlatformParts;
use super::{
    BaselineNames, ContainerResources, FieldPath, Identity, NameKind, Problem, Service, Storage, StorageModel,
    TenantId, TenantNames, Tier,
};

/// The largest value Kubernetes accepts for a user-defined PriorityClass.
pub const MAX_PRIORITY: u32 = 1_000_000_000;

/// Kubernetes minor versions we compile for: manifests use k8s-openapi's 1.33 types (the
/// oldest it offers), whose APIs are all stable through 1.37, the newest the validators know.
pub const SUPPORTED_KUBERNETES_MINORS: std::ops::RangeInclusive<u32> = 33..=37;

pub(crate) fn validate(parts: &PlatformParts) -> Vec<Problem> {
    let mut problems = Vec::new();
    let baseline = BaselineNames::derive(&parts.name, &parts.account_id, &parts.region);
    check_platform(parts, &baseline, &mut problems);
    check_services(parts, &baseline, &mut problems);
    check_tiers(parts, &mut problems);
    check_tenants(parts, &baseline, &mut problems);
    check_cells(parts, &mut problems);
    check_sites(parts, &mut problems);
    problems
}

/// Every site has a page: a site step would otherwise upload an empty site.
fn check_sites(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let Some(sources) = &parts.sites else { return };
    for site in sources.missing_pages() {
        problems.push(Problem::new(
            root("sites"),
            format!("the web apps have no `{site}/index.html`: the {site} site would be empty"),
            format!("add the {site} app under `{}/{site}/`, or remove `sites` from the blueprint", super::WEB_DIR),
        ));
    }
}

fn root(key: &str) -> FieldPath {
    FieldPath::root().key(key)
}

fn check_platform(parts: &PlatformParts, names: &BaselineNames, problems: &mut Vec<Problem>) {
    for prefix in [&names.admin_domain_prefix, &names.tenants_domain_prefix] {
        if let Some(word) = reserved_word(prefix) {
            problems.push(Problem::new(
                root("platform").key("name"),
                format!(
                    "platform name `{}` puts `{word}` into the Cognito domain prefix `{prefix}`, which Cognito refuses",
                    parts.name
                ),
                format!("choose a platform name without {}", COGNITO_RESERVED_WORDS.join(", ")),
            ));
            break;
        }
    }
    let minor = parts.cluster.kubernetes_version.minor();
    if !SUPPORTED_KUBERNETES_MINORS.contains(&minor) {
        problems.push(Problem::new(
            root("cluster").key("kubernetesVersion"),
            format!("Kubernetes {} is not supported", parts.cluster.kubernetes_version),
            format!(
                "use a version from 1.{} to 1.{}",
                SUPPORTED_KUBERNETES_MINORS.start(),
                SUPPORTED_KUBERNETES_MINORS.end()
            ),
        ));
    }
    for (i, arn) in parts.cluster.administrators.iter().enumerate() {
        // EKS access entries name principals of the cluster's own account.
        if arn.as_str().split(':').nth(4) != Some(parts.account_id.as_str()) {
            problems.push(Problem::new(
                root("cluster").key("administrators").index(i),
                format!("administrator {arn} is not in the platform's account {}", parts.account_id),
                "name a role or user of the platform's account (a role others assume to administer it)",
            ));
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
                Problem::new(
                    path,
                    format!("duplicate {what} `{value}`"),
                    format!("give each {what} a unique value, or remove one"),
                )
                .related_to(first.clone()),
            );
        } else {
            seen.insert(value, path);
        }
    }
    seen
}

fn check_services(parts: &PlatformParts, baseline: &BaselineNames, problems: &mut Vec<Problem>) {
    let services = root("services");
    if parts.services.is_empty() {
        problems.push(Problem::new(
            services.clone(),
            "the platform has no services",
            "add at least one service, e.g. `product`",
        ));
    }
    let at = |i: usize, key: &str| services.index(i).key(key);
    check_unique(
        parts.services.iter().enumerate().map(|(i, s)| (at(i, "name"), s.name.as_str())),
        "service name",
        problems,
    );
    check_unique(
        parts.services.iter().enumerate().map(|(i, s)| (at(i, "path"), s.path.as_str())),
        "service path",
        problems,
    );
    // The order service (services/order) prices each line from the product service's pooled
    // records: without them every order is refused (found by `tenancy verify`, which saw the
    // order role call a product table no stack creates or grants).
    let is_pooled_product = |s: &&crate::model::Service| {
        s.name.as_str() == "product" && matches!(s.storage, crate::model::Storage::Pool(_))
    };
    if let Some(i) = parts.services.iter().position(|s| s.name.as_str() == "order")
        && !parts.services.iter().any(|s| is_pooled_product(&s))
    {
        problems.push(Problem::new(
            at(i, "name"),
            "the order service prices its lines from the product service's records, and the platform has no pooled `product` service",
            "add a service `product` with `storage: { model: pool, partitionKey: TenantId, sortKey: ProductId }`",
        ));
    }
    // Deploy roles manage silo tables by the prefix `<platform>-<service>-`: that prefix must not
    // reach a platform table.
    let platform_tables = [&baseline.tenant_table, &baseline.metadata_table, &baseline.deploy_state_table];
    for (i, service) in parts.services.iter().enumerate() {
        let prefix = format!("{}-{}-", parts.name, service.name);
        if let Some(table) = platform_tables.iter().find(|t| t.starts_with(&prefix)) {
            problems.push(Problem::new(
                at(i, "name"),
                format!(
                    "service `{}` would give tenant tables the prefix `{prefix}`, which covers the platform table `{table}`",
                    service.name
                ),
                "rename the service",
            ));
        }
        if service.port == 0 {
            problems.push(Problem::new(at(i, "port"), "port 0 is not a port", "use a port from 1 to 65535, e.g. 8080"));
        }
        // The control plane's services have images, Deployments and (user management) an alias
        // in every tenant's namespace by these names.
        if CONTROL_PLANE_SERVICES.contains(&service.name.as_str()) {
            problems.push(Problem::new(
                at(i, "name"),
                format!(
                    "`{}` is the name of a control-plane service, whose image and Deployment it would take",
                    service.name
                ),
                "rename the service",
            ));
        }
        // `/<tenant>/users` is the tenant's user management, on every tenant's Ingress.
        if service.path.as_str().trim_end_matches('/') == TENANT_USERS_PATH {
            problems.push(Problem::new(
                at(i, "path"),
                format!("`{}` is where each tenant's admins manage its users (user management)", service.path),
                "give the service another path",
            ));
        }
    }
}

fn check_tiers(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    let tiers = root("tiers");
    if parts.tiers.is_empty() {
        problems.push(Problem::new(tiers.clone(), "the platform has no tiers", "add at least one tier, e.g. `basic`"));
    }
    check_unique(
        parts.tiers.iter().enumerate().map(|(i, t)| (tiers.index(i).key("name"), t.name.as_str())),
        "tier name",
        problems,
    );
    for (i, tier) in parts.tiers.iter().enumerate() {
        check_tier(tier, &tiers.index(i), problems);
        check_tier_capacity(tier, parts.services.len(), &tiers.index(i), problems);
        check_tier_pooling(tier, &parts.services, &tiers.index(i), problems);
    }
}

/// The most cells a pooled tier may have: each is a stack and an IAM role and a user pool, and
/// the account's default quotas are 2,000 stacks, 1,000 roles and 1,000 user pools.
pub const MAX_CELLS: u32 = 500;

/// Each cell of a pooled tier must fit one stack.
fn check_cells(parts: &PlatformParts, problems: &mut Vec<Problem>) {
    for (i, tier) in parts.tiers.iter().enumerate() {
        if !tier.is_pooled() || !(1..=MAX_CELLS).contains(&tier.cells) {
            continue;
        }
        let mut sizes = vec![0_usize; tier.cells as usize];
        for tenant in parts.tenants.iter().filter(|t| t.tier == tier.name) {
            sizes[super::cell_of(&tenant.id, tier.cells) as usize] += 1;
        }
        let capacity = tier.cell_capacity(&parts.services);
        let full: Vec<String> =
            sizes.iter().enumerate().filter(|(_, n)| **n > capacity).map(|(c, n)| format!("cell {c} ({n})")).collect();
        if !full.is_empty() {
            let tenants: usize = sizes.iter().sum();
            problems.push(Problem::new(
                root("tiers").index(i).key("cells"),
                format!(
                    "tier `{}` has {tenants} tenants in {} cells, and {} hold more than the {capacity} tenants a cell stack can (CloudFormation's 500 resources and 200 outputs)",
                    tier.name,
                    tier.cells,
                    full.join(", ")
                ),
                format!(
                    "raise `cells` to about {} (one per 40 tenants); growing moves about one tenant in `cells + 1` to the new cells, and a moved tenant's users must be moved with it (README, \"Cells\")",
                    tenants.div_ceil(40)
                ),
            ));
        }
    }
}

/// A pooled tier's identity, cells and storage overrides.
fn check_tier_pooling(tier: &Tier, services: &[Service], at: &FieldPath, problems: &mut Vec<Problem>) {
    let mut problem = |path: FieldPath, message: String, help: String| problems.push(Problem::new(path, message, help));
    if tier.is_pooled() && tier.identity == Identity::Dedicated {
        problem(
            at.key("identity"),
            format!("tier `{}` has pooled compute and dedicated identity", tier.name),
            "set `identity: pooled`: a pooled tier's tenants sign in through their cell's user pool, a group each"
                .into(),
        );
    }
    if !(1..=MAX_CELLS).contains(&tier.cells) {
        problem(
            at.key("cells"),
            format!("{} cells is outside 1..={MAX_CELLS}", tier.cells),
            "give a pooled tier as many cells as its fleet needs: about one per 40 tenants".into(),
        );
    } else if !tier.is_pooled() && tier.cells != 1 {
        problem(
            at.key("cells"),
            format!("tier `{}` has dedicated compute, which has no cells", tier.name),
            "remove `cells`, or set `compute: pooled`".into(),
        );
    }
    for (name, model) in &tier.storage {
        let here = at.key("storage").key(name.as_str());
        let Some(service) = services.iter().find(|s| &s.name == name) else {
            let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            problem(here, format!("no service `{name}`"), format!("name one of: {}", known.join(", ")));
            continue;
        };
        if !tier.is_pooled() {
            problem(
                here,
                format!("tier `{}` has dedicated compute; storage overrides are for pooled tiers", tier.name),
                "remove the override, or set `compute: pooled`".into(),
            );
        } else if *model == StorageModel::Silo && matches!(service.storage, Storage::Pool(_)) {
            problem(
                here,
                format!("`{name}` keeps its data in one shared table only; a tier cannot give it a table per tenant"),
                "remove the override".into(),
            );
        } else if *model == StorageModel::Pool && service.storage.keys().sort_key.is_some() {
            problem(
                here,
                format!(
                    "`{name}` has a sort key, so its table cannot be pooled by tenant (the tenant id takes the partition key and the old partition key the sort key)"
                ),
                "keep the service's table per tenant (`silo`)".into(),
            );
        }
    }
}

fn check_tier(tier: &Tier, at: &FieldPath, problems: &mut Vec<Problem>) {
    let mut problem = |path: FieldPath, message: String, help: &str| problems.push(Problem::new(path, message, help));
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
        problem(
            rate_at.key("requestsPerSecond"),
            "rate limit must allow at least 1 request per second".into(),
            "set it to 1 or more",
        );
    }
    if tier.rate_limit.burst < tier.rate_limit.requests_per_second {
        problem(
            rate_at.key("burst"),
            format!(
                "burst {} is below the rate limit of {}",
                tier.rate_limit.burst, tier.rate_limit.requests_per_second
            ),
            "set `burst` to at least `requestsPerSecond`",
        );
    }
    if tier.priority > MAX_PRIORITY {
        problem(
            at.key("priority"),
            format!("priority {} is above {MAX_PRIORITY}", tier.priority),
            "use a value up to 1000000000",
        );
    }
    let quotas_at = at.key("quotas");
    if tier.quotas.pods < 1 {
        problem(quotas_at.key("pods"), "the pod quota must be at least 1".into(), "set `pods` to 1 or more");
    }
    for (key, quantity) in [("cpu", &tier.quotas.cpu), ("memory", &tier.quotas.memory)] {
        if quantity.value() <= 0.0 {
            problem(
                quotas_at.key(key),
                format!("the {key} quota `{quantity}` leaves no room to run anything"),
                "use a positive quantity",
            );
        }
    }
}

/// The quotas must hold every service at its autoscaling maximum plus a surge pod, with
/// containers big enough to run.
fn check_tier_capacity(tier: &Tier, services: usize, at: &FieldPath, problems: &mut Vec<Problem>) {
    if services == 0 || tier.autoscaling.max < tier.autoscaling.min {
        return; // reported elsewhere
    }
    let needed = tier.pods_needed(services);
    if u64::from(tier.quotas.pods) < needed {
        problems.push(Problem::new(
            at.key("quotas").key("pods"),
            format!(
                "the pod quota {} is below the {needed} pods that {services} services at autoscaling max {} need (one surge pod each)",
                tier.quotas.pods, tier.autoscaling.max
            ),
            format!("raise `pods` to at least {needed} or lower `autoscaling.max`"),
        ));
    }
    let resources = tier.container_resources(services);
    if resources.cpu_limit_millis < ContainerResources::MIN_CPU_MILLIS {
        problems.push(Problem::new(
            at.key("quotas").key("cpu"),
            format!(
                "the cpu quota {} leaves {}m per container over {needed} pods, below the {}m minimum",
                tier.quotas.cpu,
                resources.cpu_limit_millis,
                ContainerResources::MIN_CPU_MILLIS
            ),
            "raise the cpu quota or lower `autoscaling.max`",
        ));
    }
    if resources.memory_limit_mib < ContainerResources::MIN_MEMORY_MIB {
        problems.push(Problem::new(
            at.key("quotas").key("memory"),
            format!(
                "the memory quota {} leaves {}Mi per container over {needed} pods, below the {}Mi minimum",
                tier.quotas.memory,
                resources.memory_limit_mib,
                ContainerResources::MIN_MEMORY_MIB
            ),
            "raise the memory quota or lower `autoscaling.max`",
        ));
    }
}

fn check_tenants(parts: &PlatformParts, baseline: &BaselineNames, problems: &mut Vec<Problem>) {
    let tenants = root("tenants");
    let at = |i: usize, key: &str| tenants.index(i).key(key);
    let ids = check_unique(
        parts.tenants.iter().enumerate().map(|(i, t)| (at(i, "id"), t.id.as_str())),
        "tenant id",
        problems,
    );

    let tier_names: Vec<&str> = parts.tiers.iter().map(|t| t.name.as_str()).collect();
    for (i, tenant) in parts.tenants.iter().enumerate() {
        if !tier_names.contains(&tenant.tier.as_str()) {
            problems.push(Problem::new(
                at(i, "tier"),
                format!("tenant `{}` names tier `{}`, which is not defined", tenant.id, tenant.tier),
                if tier_names.is_empty() {
                    "define the tier under `tiers`".to_owned()
                } else {
                    format!("use one of: {}", tier_names.join(", "))
                },
            ));
        }
    }

    // In the shared user pool, the admin's email is the username: it must be unique there.
    let pooled = parts
        .tenants
        .iter()
        .enumerate()
        .filter(|(_, t)| parts.tiers.iter().any(|tier| tier.name == t.tier && tier.identity == Identity::Pooled));
    let before = problems.len();
    check_unique(pooled.map(|(i, t)| (at(i, "adminEmail"), t.admin_email.as_str())), "admin email", problems);
    for problem in &mut problems[before..] {
        problem.message.push_str(" in the shared user pool, where the email is the username");
        problem.help = "give each pooled-identity tenant its own admin email".into();
    }

    // Derived names: each must fit its limit and be unique among all tenants and the baseline.
    let mut owners: BTreeMap<(NameKind, String), Option<usize>> = BTreeMap::new();
    for name in baseline.reserved(&parts.name, &parts.services) {
        owners.insert(name.collision_key(), None);
    }
    for tier in parts.tiers.iter().filter(|t| t.is_pooled() && (1..=MAX_CELLS).contains(&t.cells)) {
        let cells =
            (0..tier.cells).map(|i| CellNames::derive(&parts.name, (&parts.account_id, &parts.region), &tier.name, i));
        for name in PoolNames::derive(&parts.name, &tier.name).all().into_iter().chain(cells.flat_map(|c| c.all())) {
            owners.insert(name.collision_key(), None);
        }
    }
    let all_names: Vec<TenantNames> = parts
        .tenants
        .iter()
        .map(|t| {
            let names = TenantNames::derive(
                &parts.name,
                (&parts.account_id, &parts.region),
                &parts.domain,
                &parts.services,
                &t.id,
            );
            match parts.tiers.iter().find(|tier| tier.name == t.tier) {
                Some(tier) => names.for_tier(tier, &parts.services),
                None => names,
            }
        })
        .collect();
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
                format!(
                    "Cognito refuses the domain prefix `{}` derived from tenant `{}`: it contains `{word}`",
                    names.domain_prefix, tenant.id
                ),
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
                    format!(
                        "tenant `{}` derives {} `{}`, which the platform itself uses",
                        tenant.id,
                        name.kind.describe(),
                        name.value
                    ),
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
    TenantNames::derive(&parts.name, (&parts.account_id, &parts.region), &parts.domain, &parts.services, &probe)
        .all()
        .iter()
        .map(|n| n.kind.max_len().saturating_sub(n.value.len() - 1))
        .min()
        .unwrap_or(63)
        .min(63)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::service;
    use crate::model::*;

    fn tenant(id: &str, tier: &str, email: &str) -> Tenant {
        Tenant::new(
            TenantId::parse(id).unwrap(),
            DisplayName::parse("Tenant").unwrap(),
            TierName::parse(tier).unwrap(),
            EmailAddress::parse(email).unwrap(),
        )
    }

    fn base() -> PlatformBuilder {
        base_named("saas")
    }

    fn base_named(name: &str) -> PlatformBuilder {
        let cluster = Cluster {
            name: ClusterName::parse("saas").unwrap(),
            kubernetes_version: KubernetesVersion::parse("1.33").unwrap(),
            nodes: NodeGroup::default(),
            administrators: vec![],
        };
        let mut pooled = Tier::new(TierName::parse("basic").unwrap());
        pooled.identity = Identity::Pooled;
        Platform::builder(
            PlatformName::parse(name).unwrap(),
            AccountId::parse("123456789012").unwrap(),
            Region::parse("eu-west-1").unwrap(),
            DomainName::parse("saas.example.com").unwrap(),
            cluster,
        )
        .service(service("order", true))
        .service(service("product", false))
        .tier(Tier::new(TierName::parse("premium").unwrap()))
        .tier(pooled)
    }

    /// Builds `builder` and expects exactly the problems `expect` lists, as `path: message` prefixes.
    fn check(builder: PlatformBuilder, expect: &[(&str, &str)]) {
        let problems = builder.build().err().map(Problems::into_vec).unwrap_or_default();
        let found: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        for (path, message) in expect {
            let want = format!("{path}: {message}");
            assert!(found.iter().any(|f| f.starts_with(&want)), "expected {want:?} in {found:#?}");
        }
        assert_eq!(found.len(), expect.len(), "{found:#?}");
        for problem in &problems {
            assert!(!problem.help.is_empty(), "{problem} has no help");
        }
    }

    #[test]
    fn a_valid_platform_builds() {
        check(base().tenant(tenant("acme", "premium", "a@acme.example")), &[]);
    }

    #[test]
    fn unknown_tier() {
        check(
            base().tenant(tenant("acme", "gold", "a@acme.example")),
            &[("tenants[0].tier", "tenant `acme` names tier `gold`, which is not defined")],
        );
    }

    #[test]
    fn duplicate_tenant_ids() {
        let problems = base()
            .tenant(tenant("acme", "premium", "a@acme.example"))
            .tenant(tenant("acme", "premium", "b@acme.example"))
            .build()
            .unwrap_err()
            .into_vec();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].path.to_string(), "tenants[1].id");
        assert_eq!(problems[0].related.as_ref().unwrap().to_string(), "tenants[0].id");
    }

    #[test]
    fn derived_names_that_collide_between_tenants() {
        let builder = base()
            .service(service("order-history", true))
            .tenant(tenant("x", "premium", "x@x.example"))
            .tenant(tenant("history-x", "premium", "h@x.example"));
        check(
            builder,
            &[("tenants[1].id", "tenants `x` and `history-x` both derive DynamoDB table name `saas-order-history-x`")],
        );
    }

    #[test]
    fn derived_names_that_collide_with_the_platform() {
        check(base().tenant(tenant("deployer", "premium", "m@m.example")), &[]);
        let builder = base().service(service("provider", true)).tenant(tenant("metadata", "premium", "m@m.example"));
        check(
            builder,
            &[
                ("services[2].name", "service `provider` would give tenant tables the prefix `saas-provider-`"),
                ("tenants[0].id", "tenant `metadata` derives DynamoDB table name `saas-provider-metadata`"),
            ],
        );
    }

    #[test]
    fn ids_too_long_for_derived_names() {
        // 50 characters: fits a namespace (63) and the IAM role `saas-tenant-<id>` (64), but not
        // the Cognito domain prefix `saas-<id>-<8 hex digits>` (63).
        let id = "a".repeat(50);
        let problems = base().tenant(tenant(&id, "premium", "a@a.example")).build().unwrap_err().into_vec();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(problems[0].message.contains("Cognito domain prefix"), "{}", problems[0].message);
        assert!(!problems[0].message.contains("IAM role name"), "{}", problems[0].message);
        assert_eq!(problems[0].help, "use a tenant id of at most 49 characters on this platform");
        check(base().tenant(tenant(&"a".repeat(49), "premium", "a@a.example")), &[]);
    }

    #[test]
    fn cognito_reserved_words() {
        check(
            base().tenant(tenant("outlaws", "premium", "a@a.example")),
            &[("tenants[0].id", "Cognito refuses the domain prefix `saas-outlaws-")],
        );
    }

    #[test]
    fn pooled_identity_admin_emails_are_unique() {
        let builder = base()
            .tenant(tenant("a", "basic", "same@x.example"))
            .tenant(tenant("b", "basic", "same@x.example"))
            .tenant(tenant("c", "premium", "same@x.example"));
        check(builder, &[("tenants[1].adminEmail", "duplicate admin email `same@x.example` in the shared user pool")]);
    }

    #[test]
    fn tier_bounds() {
        let mut tier = Tier::new(TierName::parse("odd").unwrap());
        tier.autoscaling = Autoscaling { min: 3, max: 2, target_cpu_percent: 0 };
        tier.rate_limit = RateLimit { requests_per_second: 10, burst: 5 };
        tier.priority = MAX_PRIORITY + 1;
        check(
            base().tier(tier),
            &[
                ("tiers[2].autoscaling.max", "autoscaling max 2 is below min 3"),
                ("tiers[2].autoscaling.targetCpuPercent", "target CPU 0%"),
                ("tiers[2].rateLimit.burst", "burst 5 is below the rate limit of 10"),
                ("tiers[2].priority", "priority 1000000001 is above 1000000000"),
            ],
        );
        let mut tier = Tier::new(TierName::parse("outside").unwrap());
        tier.replicas = 5;
        check(base().tier(tier), &[("tiers[2].replicas", "replicas 5 is outside autoscaling bounds 1..=2")]);
    }

    #[test]
    fn duplicates_and_empty_lists() {
        let builder = base().service(service("order", true)).tier(Tier::new(TierName::parse("premium").unwrap()));
        check(
            builder,
            &[
                ("services[2].name", "duplicate service name `order`"),
                ("services[2].path", "duplicate service path `/order`"),
                ("tiers[2].name", "duplicate tier name `premium`"),
            ],
        );
    }

    #[test]
    fn platform_names_with_cognito_reserved_words() {
        check(
            base_named("myaws"),
            &[("platform.name", "platform name `myaws` puts `aws` into the Cognito domain prefix")],
        );
    }

    #[test]
    fn tenants_are_sorted_by_id() {
        let platform = base()
            .tenant(tenant("zeta", "premium", "z@z.example"))
            .tenant(tenant("alpha", "premium", "a@a.example"))
            .build()
            .unwrap();
        let ids: Vec<&str> = platform.tenants().iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["alpha", "zeta"]);
    }
}
