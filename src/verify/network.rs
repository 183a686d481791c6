//! Network: no pod of tenant A reaches a pod of another tenant, the instance metadata service
//! or the Kubernetes API, and A's Ingress routes only to A. Evaluated with [`crate::k8s::reach`]
//! on the NetworkPolicies of A's bundle and the baseline's.
//!
//! "Another tenant's pod" is symbolic: a pod like A's (same labels, same tier) in a namespace
//! named like A's for another id. A connection between two tenants needs the sender's egress
//! and the receiver's ingress, so each tenant is checked on both sides alone, and the fleet
//! pass ([`fleet`]) reports a pair only when one tenant's egress and another's ingress are both
//! open: linear in the fleet, and exact for it.
//!
//! The Kubernetes API is checked at its in-cluster address (the `kubernetes` Service, the first
//! address of the service range), at its private endpoint in the VPC, and, when the cluster's
//! endpoint is public, at a public address.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_json::Value;

use super::{Baseline, Finding, Location, Property, Report, Tenant, TenantSummary};
use crate::contract::paths;
use crate::k8s::reach::{self, Peer, Pod};
use crate::model::FieldPath;
use crate::model::naming::{TENANT_USERS_PATH, user_management_host};

/// EKS's default service range when eksctl's config sets none (eksctl docs,
/// `kubernetesNetworkConfig.serviceIPv4CIDR`), and eksctl's default VPC range.
const DEFAULT_SERVICE_CIDR: &str = "10.100.0.0/16";
const DEFAULT_VPC_CIDR: &str = "192.168.0.0/16";
/// The instance metadata service (IPv4).
const IMDS: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// An address outside every private range, standing for the public endpoint.
const PUBLIC: Ipv4Addr = Ipv4Addr::new(52, 94, 0, 10);

struct Policy {
    value: NetworkPolicy,
    at: Location,
}

fn policies(baseline: &Baseline, tenant: &Tenant, report: &mut Report) -> Vec<Policy> {
    let base = baseline.cache.policies.get_or_init(|| {
        let mut parsed = Vec::new();
        if let Some((file, doc)) = baseline.docs.get_key_value(paths::BASELINE_BUNDLE) {
            for (index, d) in doc.documents.iter().enumerate().filter(|(_, d)| d.value["kind"] == "NetworkPolicy") {
                let at = doc.at(index, &FieldPath::root().key("metadata").key("name"));
                // An unreadable baseline policy is reported by every tenant's check below.
                if let Ok(policy) = serde_json::from_value::<NetworkPolicy>(d.value.clone()) {
                    parsed.push((policy, at));
                } else {
                    parsed.push((NetworkPolicy::default(), Location { file: file.clone(), line: 0 }));
                }
            }
        }
        parsed
    });
    let mut out: Vec<Policy> = Vec::new();
    for (policy, at) in base {
        if at.line == 0 {
            report.findings.push(cannot(at, "read", "a baseline NetworkPolicy that is not one"));
        } else {
            out.push(Policy { value: policy.clone(), at: at.clone() });
        }
    }
    for (file, index, value) in tenant.of_kind("NetworkPolicy") {
        let at = tenant.at(file, index, &FieldPath::root().key("metadata").key("name"));
        match serde_json::from_value::<NetworkPolicy>(value.clone()) {
            Ok(policy) => out.push(Policy { value: policy, at }),
            Err(e) => report.findings.push(cannot(&at, "read", &format!("not a NetworkPolicy: {e}"))),
        }
    }
    out
}

fn cannot(at: &Location, action: &str, message: &str) -> Finding {
    Finding {
        property: Property::CannotProve,
        principal: "-".into(),
        action: action.into(),
        resource: "-".into(),
        at: at.clone(),
        message: message.into(),
        accepted: None,
    }
}

/// A's pods: one per Deployment, with its labels, its namespace's labels and its ports.
fn pods(tenant: &Tenant) -> Vec<(Pod, Vec<u16>, Location)> {
    let mut labels_of_ns: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (_, _, ns) in tenant.of_kind("Namespace") {
        let name = ns["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        labels_of_ns.insert(name, string_map(&ns["metadata"]["labels"]));
    }
    tenant
        .of_kind("Deployment")
        .map(|(file, index, d)| {
            let namespace = d["metadata"]["namespace"].as_str().unwrap_or_default();
            let mut pod = Pod::new(namespace, &[]);
            pod.labels = string_map(&d["spec"]["template"]["metadata"]["labels"]);
            pod.namespace_labels.extend(labels_of_ns.get(namespace).cloned().unwrap_or_default());
            let ports = d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                .filter_map(|p| p["containerPort"].as_u64().map(|p| p as u16))
                .collect();
            (pod, ports, tenant.at(file, index, &FieldPath::root().key("metadata").key("name")))
        })
        .collect()
}

fn string_map(value: &Value) -> BTreeMap<String, String> {
    value.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect()
}

/// A pod like `pod` of another tenant: A's id swapped for another in its namespace and labels.
fn other_pod(pod: &Pod, id: &str) -> Pod {
    // A pool's pod serves every tenant of its tier, so the pods to keep it from are another
    // pool's (or another tenant's namespace): the pool's tier stands where the tenant id would.
    let id = pod.namespace.strip_prefix(crate::model::naming::POOL_NAMESPACE_PREFIX).unwrap_or(id);
    let other = format!("{id}-other");
    let swap = |s: &String| s.replace(id, &other);
    Pod {
        namespace: swap(&pod.namespace),
        namespace_labels: pod.namespace_labels.iter().map(|(k, v)| (k.clone(), swap(v))).collect(),
        labels: pod.labels.iter().map(|(k, v)| (k.clone(), swap(v))).collect(),
        ip: Ipv4Addr::new(10, 0, 2, 29),
    }
}

/// The first policy of the side that decides (`direction`) that admits the connection on its
/// own, for the finding's location; `None` when no policy selects the pod in that direction
/// (then the pod is open by default, and the finding points at the pod).
fn culprit(all: &[Policy], from: &Peer, to: &Peer, port: u16, direction: &str) -> Option<Location> {
    all.iter()
        .filter(|p| {
            p.value
                .spec
                .as_ref()
                .and_then(|s| s.policy_types.as_ref())
                .is_some_and(|t| t.iter().any(|d| d == direction))
        })
        .find(|p| reach::allows(&[&p.value], from, to, port, "TCP").unwrap_or(false))
        .map(|p| p.at.clone())
}

/// Checks `tenant`'s pods and Ingress against the NetworkPolicies of its bundle and the
/// baseline's; adds findings of [`Property::Network`] to `report`, and records in `summary`
/// its routes and whether its egress or ingress is open to other tenants, for [`fleet`].
pub fn check(baseline: &Baseline, tenant: &Tenant, report: &mut Report, summary: &mut TenantSummary) {
    let all = policies(baseline, tenant, report);
    let refs: Vec<&NetworkPolicy> = all.iter().map(|p| &p.value).collect();
    let eks = Eks::of(baseline);
    for (pod, ports, at) in pods(tenant) {
        let me = Peer::Pod(pod.clone());
        let them = Peer::Pod(other_pod(&pod, &tenant.id));
        let name =
            format!("{}/{}", pod.namespace, pod.labels.get("app.kubernetes.io/name").cloned().unwrap_or_default());
        let ask = |from: &Peer, to: &Peer, port: u16, what: &str, report: &mut Report| -> Option<Location> {
            report.count(Property::Network, 1);
            match reach::allows(&refs, from, to, port, "TCP") {
                Ok(true) => {
                    let direction =
                        if matches!(from, Peer::Pod(p) if p.namespace == pod.namespace) { "Egress" } else { "Ingress" };
                    Some(culprit(&all, from, to, port, direction).unwrap_or_else(|| at.clone()))
                }
                Ok(false) => None,
                Err(e) => {
                    report.findings.push(cannot(&at, &format!("connect:{port}/TCP"), &format!("{what}: {e}")));
                    None
                }
            }
        };
        for port in ports.iter().copied().chain([80, 443]) {
            if let Some(open) = ask(&me, &them, port, "egress to another tenant", report) {
                summary.egress_to_others.get_or_insert(open);
            }
        }
        for port in ports.iter().copied() {
            if let Some(open) = ask(&them, &me, port, "ingress from another tenant", report) {
                summary.ingress_from_others.get_or_insert(open);
            }
        }
        let mut targets = vec![(IMDS, 80, "the instance metadata service".to_owned())];
        targets.push((eks.service_ip, 443, format!("the Kubernetes API (Service kubernetes at {})", eks.service_ip)));
        targets.push((
            eks.endpoint_ip,
            443,
            format!("the Kubernetes API (private endpoint in the VPC, {})", eks.endpoint_ip),
        ));
        if eks.public {
            targets.push((PUBLIC, 443, "the Kubernetes API (public endpoint)".to_owned()));
        }
        for (address, port, what) in targets {
            if let Some(open) = ask(&me, &Peer::Address(address), port, &what, report) {
                report.findings.push(Finding {
                    property: Property::Network,
                    principal: name.clone(),
                    action: format!("connect:{port}/TCP"),
                    resource: what.clone(),
                    at: open,
                    message: format!("a pod of tenant {} reaches {what}", tenant.id),
                    accepted: None,
                });
            }
        }
    }
    routes(tenant, report, summary);
}

/// Ingress rules: each path's first segment is the tenant's id, each backend a Service of the
/// tenant's namespace that is not an ExternalName elsewhere. One exception, exactly: the route
/// `/<tenant>/users` may alias the control plane's user management, which serves every tenant
/// and answers only a token of the path's tenant, verified against the tenant's own pool.
fn routes(tenant: &Tenant, report: &mut Report, summary: &mut TenantSummary) {
    let services: HashMap<String, &Value> = tenant
        .of_kind("Service")
        .filter_map(|(_, _, s)| {
            Some((format!("{}/{}", s["metadata"]["namespace"].as_str()?, s["metadata"]["name"].as_str()?), s))
        })
        .collect();
    let namespaces = tenant.namespaces();
    for (file, index, ingress) in tenant.of_kind("Ingress") {
        let ns = ingress["metadata"]["namespace"].as_str().unwrap_or_default();
        for (r, rule) in ingress["spec"]["rules"].as_array().into_iter().flatten().enumerate() {
            let host = rule["host"].as_str().unwrap_or("*").to_owned();
            for (p, path) in rule["http"]["paths"].as_array().into_iter().flatten().enumerate() {
                report.count(Property::Network, 1);
                let at = tenant.at(
                    file,
                    index,
                    &FieldPath::root().key("spec").key("rules").index(r).key("http").key("paths").index(p),
                );
                let route = path["path"].as_str().unwrap_or("/").to_owned();
                let first = route.trim_start_matches('/').split('/').next().unwrap_or_default();
                let backend = path["backend"]["service"]["name"].as_str().unwrap_or_default();
                let mut problem = |message: String| {
                    report.findings.push(Finding {
                        property: Property::Network,
                        principal: format!("Ingress {ns}/{}", ingress["metadata"]["name"].as_str().unwrap_or_default()),
                        action: "route".into(),
                        resource: format!("{host}{route}"),
                        at: at.clone(),
                        message,
                        accepted: None,
                    })
                };
                if first != tenant.id {
                    problem(format!(
                        "tenant {}'s Ingress routes {host}{route}, which is not under /{}/",
                        tenant.id, tenant.id
                    ));
                }
                if !namespaces.iter().any(|n| n == ns) {
                    problem(format!("tenant {}'s Ingress is in namespace {ns}, not the tenant's", tenant.id));
                }
                match services.get(&format!("{ns}/{backend}")) {
                    None => problem(format!("the backend Service {backend} is not in tenant {}'s bundle", tenant.id)),
                    Some(s)
                        if s["spec"]["type"] == "ExternalName"
                            && !(s["spec"]["externalName"] == user_management_host().as_str()
                                && route == format!("/{}{TENANT_USERS_PATH}", tenant.id)) =>
                    {
                        problem(format!(
                            "the backend Service {backend} is an ExternalName ({}), which leaves the namespace",
                            s["spec"]["externalName"].as_str().unwrap_or_default()
                        ))
                    }
                    Some(_) => {}
                }
                summary.routes.push((host.clone(), route, at));
            }
        }
    }
}

/// What the cluster's config says about where the API is.
struct Eks {
    service_ip: Ipv4Addr,
    endpoint_ip: Ipv4Addr,
    public: bool,
}

impl Eks {
    fn of(baseline: &Baseline) -> Self {
        let config = baseline.docs.get(paths::CLUSTER_CONFIG).and_then(|d| d.documents.first()).map(|d| &d.value);
        let empty = Value::Null;
        let config = config.unwrap_or(&empty);
        let first = |cidr: &str, host: u32| {
            let base: Ipv4Addr =
                cidr.split('/').next().and_then(|b| b.parse().ok()).unwrap_or(Ipv4Addr::new(10, 100, 0, 0));
            Ipv4Addr::from(u32::from(base) + host)
        };
        let service = config["kubernetesNetworkConfig"]["serviceIPv4CIDR"].as_str().unwrap_or(DEFAULT_SERVICE_CIDR);
        let vpc = config["vpc"]["cidr"].as_str().unwrap_or(DEFAULT_VPC_CIDR);
        // eksctl's default is a public endpoint (and a private one).
        let public = config["vpc"]["clusterEndpoints"]["publicAccess"].as_bool().unwrap_or(true);
        Self { service_ip: first(service, 1), endpoint_ip: first(vpc, 10), public }
    }
}

/// Across the fleet: no two tenants share a host and path, and no tenant whose egress reaches
/// other tenants' pods meets one whose ingress admits them.
pub fn fleet(summaries: &[TenantSummary], report: &mut Report) {
    let mut owner: HashMap<(&str, &str), (&str, &Location)> = HashMap::new();
    for s in summaries {
        for (host, path, at) in &s.routes {
            report.count(Property::Network, 1);
            if let Some((first, _)) = owner.insert((host, path), (&s.id, at))
                && first != s.id
            {
                report.findings.push(Finding {
                    property: Property::Network,
                    principal: format!("tenant {}", s.id),
                    action: "route".into(),
                    resource: format!("{host}{path}"),
                    at: at.clone(),
                    message: format!("tenants {first} and {} both route {host}{path}", s.id),
                    accepted: None,
                });
            }
        }
    }
    let open_ingress: Vec<&TenantSummary> =
        summaries.iter().filter(|s| s.ingress_from_others.is_some()).take(2).collect();
    for s in summaries {
        let Some(egress) = &s.egress_to_others else { continue };
        if let Some(receiver) = open_ingress.iter().find(|r| r.id != s.id) {
            report.findings.push(Finding {
                property: Property::Network,
                principal: format!("pods of tenant {}", s.id),
                action: "connect".into(),
                resource: format!("pods of tenant {}", receiver.id),
                at: egress.clone(),
                message: format!(
                    "tenant {}'s egress reaches other tenants' pods, and tenant {}'s ingress admits them (at {})",
                    s.id,
                    receiver.id,
                    receiver.ingress_from_others.as_ref().map(ToString::to_string).unwrap_or_default()
                ),
                accepted: None,
            });
        }
    }
}
