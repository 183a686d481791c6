//! From the parsed YAML document to a validated [`Platform`], collecting every problem.
//!
//! The document is read section by section and list item by list item, so one bad tenant does
//! not hide the problems of the next. Items that fail to read are left out of whole-platform
//! validation; the problems of the rest are still found.

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::doc::*;
use crate::model::*;

/// Converts `value` into a platform, or returns every problem with its field path.
/// `sites` is what the loader read of the directory the document's `sites` names.
pub(crate) fn convert(value: &Value, sites: Option<WebSources>) -> Result<Platform, Vec<Problem>> {
    let mut cx = Cx::default();
    let Some(mapping) = value.as_mapping() else {
        cx.problem(
            FieldPath::root(),
            "the blueprint is not a mapping",
            "start from blueprints/reference.yaml: a mapping with platform, cluster, services, tiers and tenants",
        );
        return Err(cx.problems);
    };
    for key in mapping.keys() {
        match key.as_str() {
            Some(name) if SECTIONS.iter().any(|(s, _)| *s == name) => {}
            other => {
                let name = other.map(str::to_owned).unwrap_or_else(|| format!("{key:?}"));
                let path = FieldPath::root().key(&name);
                cx.problems.push(Problem::new(path, format!("unknown field `{name}`"), expected_sections()).at_key());
            }
        }
    }
    for (name, required) in SECTIONS {
        if required && !mapping.contains_key(name) {
            cx.problem(
                FieldPath::root(),
                format!("missing field `{name}`"),
                format!("add a `{name}` section; {}", expected_sections()),
            );
        }
    }

    let section = |name: &str| mapping.get(name);
    let platform = section("platform").and_then(|v| cx.read::<PlatformDoc>(v, FieldPath::root().key("platform")));
    let cluster = section("cluster").and_then(|v| cx.read::<ClusterDoc>(v, FieldPath::root().key("cluster")));
    let services = cx.read_list::<ServiceDoc>(section("services"), "services");
    let tiers = cx.read_list::<TierDoc>(section("tiers"), "tiers");
    let tenants = cx.read_list::<TenantDoc>(section("tenants"), "tenants");
    if section("sites").is_some_and(|v| !v.is_string()) {
        cx.problem(
            FieldPath::root().key("sites"),
            "`sites` is not a directory path",
            "write the web apps' directory relative to the blueprint, such as `sites: ../web`",
        );
    }

    let platform = platform.and_then(|doc| cx.platform(&doc));
    let cluster = cluster.and_then(|doc| cx.cluster(&doc));
    let services: Vec<(usize, Option<Service>)> =
        services.into_iter().map(|(i, doc)| (i, cx.service(&doc, i))).collect();
    let tiers: Vec<(usize, &TierDoc, Option<Tier>)> =
        tiers.iter().map(|(i, doc)| (*i, doc, cx.tier(doc, *i))).collect();
    let tenants: Vec<(usize, Option<Tenant>)> = tenants.into_iter().map(|(i, doc)| (i, cx.tenant(&doc, i))).collect();

    let (Some((name, account, region, domain, zone)), Some(cluster)) = (platform, cluster) else {
        return Err(cx.problems);
    };
    let mut builder = Platform::builder(name, account, region, domain, cluster);
    if let Some(zone) = zone {
        builder = builder.hosted_zone_id(zone);
    }
    if let Some(sites) = sites {
        builder = builder.sites(sites);
    }
    let mut index = IndexMap::default();
    for (i, service) in services {
        if let Some(service) = service {
            index.services.push(i);
            builder = builder.service(service);
        }
    }
    // A tenant whose tier could not be read is left out too: it would be reported as naming an
    // unknown tier when the tier's real problem is already reported.
    let broken_tiers: Vec<&str> =
        tiers.iter().filter(|(_, _, t)| t.is_none()).map(|(_, doc, _)| doc.name.as_str()).collect();
    for (i, _, tier) in tiers {
        if let Some(tier) = tier {
            index.tiers.push(i);
            builder = builder.tier(tier);
        }
    }
    for (i, tenant) in tenants {
        if let Some(tenant) = tenant.filter(|t| !broken_tiers.contains(&t.tier.as_str())) {
            index.tenants.push(i);
            builder = builder.tenant(tenant);
        }
    }
    match builder.build() {
        Ok(platform) if cx.problems.is_empty() => Ok(platform),
        Ok(_) => Err(cx.problems),
        Err(problems) => {
            cx.problems.extend(problems.into_vec().into_iter().map(|p| index.remap(p)));
            Err(cx.problems)
        }
    }
}

fn expected_sections() -> String {
    let names: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).collect();
    format!("the top-level fields are: {}", names.join(", "))
}

/// Positions of the items that reached validation in their lists in the file.
#[derive(Default)]
struct IndexMap {
    services: Vec<usize>,
    tiers: Vec<usize>,
    tenants: Vec<usize>,
}

impl IndexMap {
    fn remap_path(&self, path: &FieldPath) -> FieldPath {
        let segments = path.segments();
        let (Some(Segment::Key(list)), Some(Segment::Index(i))) = (segments.first(), segments.get(1)) else {
            return path.clone();
        };
        let map = match list.as_str() {
            "services" => &self.services,
            "tiers" => &self.tiers,
            "tenants" => &self.tenants,
            _ => return path.clone(),
        };
        let mut out = FieldPath::root().key(list).index(map[*i]);
        for segment in &segments[2..] {
            out = match segment {
                Segment::Key(k) => out.key(k),
                Segment::Index(j) => out.index(*j),
            };
        }
        out
    }

    fn remap(&self, mut problem: Problem) -> Problem {
        problem.path = self.remap_path(&problem.path);
        problem.related = problem.related.map(|r| self.remap_path(&r));
        problem
    }
}

#[derive(Default)]
struct Cx {
    problems: Vec<Problem>,
}

impl Cx {
    fn problem(&mut self, path: FieldPath, message: impl Into<String>, help: impl Into<String>) {
        self.problems.push(Problem::new(path, message, help));
    }

    /// Deserializes one section or item, reporting a shape problem at the exact field.
    fn read<T: DeserializeOwned>(&mut self, value: &Value, at: FieldPath) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(doc) => Some(doc),
            Err(err) => {
                let mut path = at;
                for segment in err.path().iter() {
                    path = match segment {
                        serde_path_to_error::Segment::Seq { index } => path.index(*index),
                        serde_path_to_error::Segment::Map { key } => path.key(key),
                        _ => path,
                    };
                }
                let message = err.inner().to_string();
                let (kind, help) = shape(&message);
                let problem = Problem::new(path, message, help);
                self.problems.push(if kind == Shape::UnknownField { problem.at_key() } else { problem });
                None
            }
        }
    }

    fn read_list<T: DeserializeOwned>(&mut self, value: Option<&Value>, name: &str) -> Vec<(usize, T)> {
        let at = FieldPath::root().key(name);
        match value {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.read(item, at.index(i)).map(|doc| (i, doc)))
                .collect(),
            Some(_) => {
                self.problem(
                    at,
                    format!("`{name}` is not a list"),
                    format!("write `{name}` as a list of items, each starting with `- `"),
                );
                Vec::new()
            }
        }
    }

    /// Parses a validated string, reporting the problem at `path`.
    fn parse<T>(&mut self, path: FieldPath, raw: &str, parse: fn(&str) -> Result<T, Invalid>) -> Option<T> {
        parse(raw).map_err(|invalid| self.problem(path, invalid.message, invalid.help)).ok()
    }

    /// A whole number from `min` up to `max`.
    fn number(&mut self, path: FieldPath, value: i64, min: i64, max: i64) -> Option<i64> {
        let field = match path.segments().last() {
            Some(Segment::Key(key)) => format!("`{key}`"),
            _ => "the value".to_owned(),
        };
        if value < 0 && min >= 0 {
            self.problem(
                path,
                format!("{field} is {value}, which is negative"),
                format!("use a whole number from {min} to {max}"),
            );
            None
        } else if value < min || value > max {
            self.problem(
                path,
                format!("{field} is {value}, which is out of range"),
                format!("use a whole number from {min} to {max}"),
            );
            None
        } else {
            Some(value)
        }
    }

    fn count(&mut self, path: FieldPath, value: i64) -> Option<u32> {
        self.number(path, value, 0, i64::from(u32::MAX)).map(|v| u32::try_from(v).expect("range checked"))
    }

    #[allow(clippy::type_complexity, reason = "a one-off tuple of the platform's fields")]
    fn platform(
        &mut self,
        doc: &PlatformDoc,
    ) -> Option<(PlatformName, AccountId, Region, DomainName, Option<HostedZoneId>)> {
        let at = FieldPath::root().key("platform");
        let name = self.parse(at.key("name"), &doc.name, PlatformName::parse);
        let account = self.parse(at.key("accountId"), &doc.account_id, AccountId::parse);
        let region = self.parse(at.key("region"), &doc.region, Region::parse);
        let domain = self.parse(at.key("domain"), &doc.domain, DomainName::parse);
        let zone = match &doc.hosted_zone_id {
            Some(raw) => Some(self.parse(at.key("hostedZoneId"), raw, HostedZoneId::parse)?),
            None => None,
        };
        Some((name?, account?, region?, domain?, zone))
    }

    fn cluster(&mut self, doc: &ClusterDoc) -> Option<Cluster> {
        let at = FieldPath::root().key("cluster");
        let name = self.parse(at.key("name"), &doc.name, ClusterName::parse);
        let version = self.parse(at.key("kubernetesVersion"), &doc.kubernetes_version, KubernetesVersion::parse);
        if doc.oidc_issuer.is_some() {
            self.problem(
                at.key("oidcIssuer"),
                "`oidcIssuer` is no longer part of a blueprint: a cluster's OIDC issuer exists only once the cluster does, so no blueprint can know it",
                "remove the line: tenant pods get their credentials through EKS Pod Identity, which needs no issuer",
            );
        }
        let administrators: Vec<Option<PrincipalArn>> = doc
            .administrators
            .iter()
            .enumerate()
            .map(|(i, arn)| self.parse(at.key("administrators").index(i), arn, PrincipalArn::parse))
            .collect();
        let administrators = administrators.into_iter().collect::<Option<Vec<_>>>();
        let nodes = match &doc.nodes {
            None => Some(NodeGroup::default()),
            Some(nodes) => {
                let at = at.key("nodes");
                let instance_type = self.parse(at.key("instanceType"), &nodes.instance_type, InstanceType::parse);
                let min = self.count(at.key("min"), nodes.min);
                let max = self.count(at.key("max"), nodes.max);
                Some(NodeGroup { instance_type: instance_type?, min: min?, max: max? })
            }
        };
        Some(Cluster { name: name?, kubernetes_version: version?, nodes: nodes?, administrators: administrators? })
    }

    fn service(&mut self, doc: &ServiceDoc, i: usize) -> Option<Service> {
        let at = FieldPath::root().key("services").index(i);
        let name = self.parse(at.key("name"), &doc.name, ServiceName::parse);
        let port = self.number(at.key("port"), doc.port, 1, 65535).map(|p| u16::try_from(p).expect("range checked"));
        let path = self.parse(at.key("path"), &doc.path, RoutePath::parse);
        if doc.image.is_some() {
            self.problem(
                at.key("image"),
                "`image` is no longer part of a blueprint: a service image's digest exists only once the images step has pushed it",
                "remove the line: the images step builds services/<name>/Dockerfile, and apply binds the digest it pushed into the Deployments",
            );
        }
        let storage_at = at.key("storage");
        let partition_key =
            self.parse(storage_at.key("partitionKey"), &doc.storage.partition_key, AttributeName::parse);
        let sort_key = match &doc.storage.sort_key {
            Some(raw) => Some(self.parse(storage_at.key("sortKey"), raw, AttributeName::parse)?),
            None => None,
        };
        let keys = TableKeys { partition_key: partition_key?, sort_key };
        let storage = match doc.storage.model {
            StorageModelDoc::Silo => Storage::Silo(keys),
            StorageModelDoc::Pool => Storage::Pool(keys),
        };
        Some(Service::new(name?, port?, path?, storage))
    }

    fn tier(&mut self, doc: &TierDoc, i: usize) -> Option<Tier> {
        let at = FieldPath::root().key("tiers").index(i);
        let name = self.parse(at.key("name"), &doc.name, TierName::parse);
        let q = at.key("quotas");
        let cpu = self.parse(q.key("cpu"), &doc.quotas.cpu.0, Quantity::parse);
        let memory = self.parse(q.key("memory"), &doc.quotas.memory.0, Quantity::parse);
        let storage = self.parse(q.key("storage"), &doc.quotas.storage.0, Quantity::parse);
        let pods = self.count(q.key("pods"), doc.quotas.pods);
        let replicas = self.count(at.key("replicas"), doc.replicas);
        let a = at.key("autoscaling");
        let min = self.count(a.key("min"), doc.autoscaling.min);
        let max = self.count(a.key("max"), doc.autoscaling.max);
        let target = self.count(a.key("targetCpuPercent"), doc.autoscaling.target_cpu_percent);
        let r = at.key("rateLimit");
        let rps = self.count(r.key("requestsPerSecond"), doc.rate_limit.requests_per_second);
        let burst = self.count(r.key("burst"), doc.rate_limit.burst);
        let priority = self.count(at.key("priority"), doc.priority);
        let cells = self.count(at.key("cells"), doc.cells);
        let mut overrides = std::collections::BTreeMap::new();
        for (service, model) in &doc.storage {
            if let Some(service) = self.parse(at.key("storage").key(service), service, ServiceName::parse) {
                let model = match model {
                    StorageModelDoc::Silo => StorageModel::Silo,
                    StorageModelDoc::Pool => StorageModel::Pool,
                };
                overrides.insert(service, model);
            }
        }
        Some(Tier {
            name: name?,
            storage: overrides,
            cells: cells?,
            compute: match doc.compute {
                ComputeDoc::Dedicated => Compute::Dedicated,
                ComputeDoc::Pooled => Compute::Pooled,
            },
            identity: match doc.identity {
                IdentityDoc::Dedicated => Identity::Dedicated,
                IdentityDoc::Pooled => Identity::Pooled,
            },
            quotas: Quotas { cpu: cpu?, memory: memory?, pods: pods?, storage: storage? },
            replicas: replicas?,
            autoscaling: Autoscaling { min: min?, max: max?, target_cpu_percent: target? },
            rate_limit: RateLimit { requests_per_second: rps?, burst: burst? },
            priority: priority?,
            placement: match doc.placement {
                PlacementDoc::Shared => Placement::Shared,
                PlacementDoc::Dedicated => Placement::Dedicated,
            },
            data_retention: match doc.data_retention {
                RetentionDoc::Retain => DataRetention::Retain,
                RetentionDoc::Backup => DataRetention::Backup,
            },
        })
    }

    fn tenant(&mut self, doc: &TenantDoc, i: usize) -> Option<Tenant> {
        let at = FieldPath::root().key("tenants").index(i);
        let id = self.parse(at.key("id"), &doc.id, TenantId::parse);
        let name = self.parse(at.key("name"), &doc.name, DisplayName::parse);
        let tier = self.parse(at.key("tier"), &doc.tier, TierName::parse);
        let email = self.parse(at.key("adminEmail"), &doc.admin_email, EmailAddress::parse);
        let tenant = Tenant::new(id?, name?, tier?, email?);
        Some(if doc.suspended { tenant.suspended() } else { tenant })
    }
}

/// What is wrong with a document's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    UnknownField,
    MissingField,
    UnknownVariant,
    ExpectedString,
    OtherType,
}

/// The kind of a shape problem and how to fix it. serde's errors carry no kind, only the
/// message its `de::Error` constructors write (`unknown field`, `missing field`, `unknown
/// variant`, ...): this is the one place that reads that text, and the problem carries the
/// kind on (its [`Anchor`](crate::model::Anchor)) so nothing downstream reads it again.
fn shape(message: &str) -> (Shape, &'static str) {
    let kind = if message.starts_with("unknown field") {
        Shape::UnknownField
    } else if message.starts_with("missing field") {
        Shape::MissingField
    } else if message.starts_with("unknown variant") {
        Shape::UnknownVariant
    } else if message.contains("expected a string") {
        Shape::ExpectedString
    } else {
        Shape::OtherType
    };
    let help = match kind {
        Shape::UnknownField => "remove the field or fix its spelling; the allowed fields are listed above",
        Shape::MissingField => "add the field; blueprints/schema.json lists every field",
        Shape::UnknownVariant => "use one of the values listed above",
        Shape::ExpectedString => "write the value as a quoted string, e.g. \"1.33\" or \"123456789012\"",
        Shape::OtherType => "fix the value's type; blueprints/schema.json describes every field",
    };
    (kind, help)
}
