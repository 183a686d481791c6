//! Which traffic a set of NetworkPolicies admits, evaluated the way Kubernetes does: a pod
//! selected by no policy of a direction is open in that direction; a selected pod admits a
//! connection when any selecting policy's rule matches it. Used to prove isolation properties
//! on the generated policies themselves, not on a description of them.
//!
//! Supported: `podSelector` / `namespaceSelector` with `matchLabels`, `ipBlock` for IPv4 with
//! `except`, ports by number with protocol. Anything else (`matchExpressions`, named ports,
//! IPv6 blocks) is reported as unsupported rather than guessed.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A pod as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    /// The namespace the pod runs in: only that namespace's policies select it.
    pub namespace: String,
    /// The labels of its namespace, which `namespaceSelector`s of other policies match.
    pub namespace_labels: BTreeMap<String, String>,
    /// The pod's own labels, which `podSelector`s match.
    pub labels: BTreeMap<String, String>,
    /// The pod's address. Some network plugins match pod addresses against `ipBlock`s, so an
    /// `ipBlock` that covers it is taken to admit the pod: the conservative reading.
    pub ip: Ipv4Addr,
}

impl Pod {
    /// A pod in `namespace` with the automatic `kubernetes.io/metadata.name` namespace label,
    /// at an address in the VPC.
    pub fn new(namespace: &str, labels: &[(&str, &str)]) -> Self {
        let mut namespace_labels = BTreeMap::new();
        namespace_labels.insert("kubernetes.io/metadata.name".to_owned(), namespace.to_owned());
        Self {
            namespace: namespace.to_owned(),
            namespace_labels,
            labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            ip: Ipv4Addr::new(10, 0, 1, 17),
        }
    }
}

/// The far end of a connection: a pod in the cluster or an address outside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// A pod: policies select it, and it matches selectors and `ipBlock`s.
    Pod(Pod),
    /// An address outside the cluster (the instance metadata service, the internet): no
    /// policy selects it, so only the pod end's policies decide; it matches `ipBlock`s only.
    Address(Ipv4Addr),
}

/// A policy construct [`allows`] does not evaluate (a `matchExpressions` selector, a named
/// port, a CIDR it cannot read), described: reported rather than guessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported network policy construct: {0}")]
pub struct Unsupported(pub String);

/// Whether `policies` let `from` open a connection to `to` on `port`/`protocol`: both the
/// egress side (policies of `from`'s namespace, if `from` is a pod) and the ingress side (of
/// `to`'s namespace, if `to` is a pod) must admit it.
pub fn allows(
    policies: &[&NetworkPolicy],
    from: &Peer,
    to: &Peer,
    port: u16,
    protocol: &str,
) -> Result<bool, Unsupported> {
    let egress_ok = match from {
        Peer::Pod(pod) => side_allows(policies, pod, "Egress", to, port, protocol)?,
        Peer::Address(_) => true,
    };
    let ingress_ok = match to {
        Peer::Pod(pod) => side_allows(policies, pod, "Ingress", from, port, protocol)?,
        Peer::Address(_) => true,
    };
    Ok(egress_ok && ingress_ok)
}

/// One rule of a policy: its peers and its ports (absent: all).
type Rule<'a> = (Option<&'a Vec<NetworkPolicyPeer>>, Option<&'a Vec<NetworkPolicyPort>>);

fn side_allows(
    policies: &[&NetworkPolicy],
    pod: &Pod,
    direction: &str,
    other: &Peer,
    port: u16,
    protocol: &str,
) -> Result<bool, Unsupported> {
    let mut selected = false;
    for policy in policies {
        if policy.metadata.namespace.as_deref() != Some(pod.namespace.as_str()) {
            continue;
        }
        let Some(spec) = &policy.spec else { continue };
        let selects = match &spec.pod_selector {
            Some(selector) => selector_matches(selector, &pod.labels)?,
            None => true, // an empty selector: every pod of the namespace
        };
        if !selects || !policy_types(policy).contains(&direction) {
            continue;
        }
        selected = true;
        let rules: Vec<Rule> = if direction == "Ingress" {
            spec.ingress.iter().flatten().map(|r| (r.from.as_ref(), r.ports.as_ref())).collect()
        } else {
            spec.egress.iter().flatten().map(|r| (r.to.as_ref(), r.ports.as_ref())).collect()
        };
        for (peers, ports) in rules {
            if ports_match(ports, port, protocol)? && peers_match(peers, &pod.namespace, other)? {
                return Ok(true);
            }
        }
    }
    Ok(!selected)
}

/// `policyTypes`, defaulted as Kubernetes does: Ingress always, Egress when egress rules exist.
fn policy_types(policy: &NetworkPolicy) -> Vec<&str> {
    let spec = policy.spec.as_ref().expect("checked by caller");
    match &spec.policy_types {
        Some(types) => types.iter().map(String::as_str).collect(),
        None if spec.egress.is_some() => vec!["Ingress", "Egress"],
        None => vec!["Ingress"],
    }
}

fn selector_matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> Result<bool, Unsupported> {
    if selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(Unsupported("matchExpressions".into()));
    }
    Ok(selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v)))
}

fn ports_match(ports: Option<&Vec<NetworkPolicyPort>>, port: u16, protocol: &str) -> Result<bool, Unsupported> {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else { return Ok(true) };
    for rule in ports {
        if rule.protocol.as_deref().unwrap_or("TCP") != protocol {
            continue;
        }
        match &rule.port {
            None => return Ok(true),
            Some(IntOrString::Int(number)) => {
                let end = rule.end_port.unwrap_or(*number);
                if (*number..=end).contains(&i32::from(port)) {
                    return Ok(true);
                }
            }
            Some(IntOrString::String(name)) => return Err(Unsupported(format!("named port {name}"))),
        }
    }
    Ok(false)
}

fn peers_match(peers: Option<&Vec<NetworkPolicyPeer>>, own_namespace: &str, other: &Peer) -> Result<bool, Unsupported> {
    let Some(peers) = peers.filter(|p| !p.is_empty()) else { return Ok(true) };
    for peer in peers {
        if let Some(block) = &peer.ip_block {
            let address = match other {
                Peer::Address(address) => address,
                Peer::Pod(pod) => &pod.ip,
            };
            let excepted =
                block.except.iter().flatten().map(|e| cidr_contains(e, *address)).collect::<Result<Vec<_>, _>>()?;
            if cidr_contains(&block.cidr, *address)? && !excepted.contains(&true) {
                return Ok(true);
            }
            continue;
        }
        let Peer::Pod(pod) = other else { continue };
        let namespace_ok = match &peer.namespace_selector {
            None => pod.namespace == own_namespace,
            Some(selector) => selector_matches(selector, &pod.namespace_labels)?,
        };
        let pod_ok = match &peer.pod_selector {
            None => true,
            Some(selector) => selector_matches(selector, &pod.labels)?,
        };
        if namespace_ok && pod_ok {
            return Ok(true);
        }
    }
    Ok(false)
}

fn cidr_contains(cidr: &str, address: Ipv4Addr) -> Result<bool, Unsupported> {
    if cidr.contains(':') {
        return Ok(false); // an IPv6 block never contains an IPv4 address
    }
    let (base, bits) = cidr.split_once('/').ok_or_else(|| Unsupported(format!("CIDR {cidr}")))?;
    let base: Ipv4Addr = base.parse().map_err(|_| Unsupported(format!("CIDR {cidr}")))?;
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32).ok_or_else(|| Unsupported(format!("CIDR {cidr}")))?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Ok(u32::from(base) & mask == u32::from(address) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::networking::v1::{
        IPBlock, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicySpec,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn policy(namespace: &str, spec: NetworkPolicySpec) -> NetworkPolicy {
        NetworkPolicy {
            metadata: ObjectMeta { name: Some("p".into()), namespace: Some(namespace.into()), ..Default::default() },
            spec: Some(spec),
        }
    }

    #[test]
    fn unselected_pods_are_open_and_default_deny_closes_them() {
        let a = Peer::Pod(Pod::new("a", &[]));
        let b = Peer::Pod(Pod::new("b", &[]));
        assert!(allows(&[], &a, &b, 80, "TCP").unwrap());
        let deny = policy(
            "b",
            NetworkPolicySpec { policy_types: Some(vec!["Ingress".into(), "Egress".into()]), ..Default::default() },
        );
        assert!(!allows(&[&deny], &a, &b, 80, "TCP").unwrap());
        assert!(!allows(&[&deny], &b, &a, 80, "TCP").unwrap());
        assert!(allows(&[&deny], &a, &Peer::Address("10.0.0.1".parse().unwrap()), 80, "TCP").unwrap());
    }

    #[test]
    fn ip_blocks_ports_and_namespaces() {
        let egress = policy(
            "a",
            NetworkPolicySpec {
                policy_types: Some(vec!["Egress".into()]),
                egress: Some(vec![NetworkPolicyEgressRule {
                    to: Some(vec![NetworkPolicyPeer {
                        ip_block: Some(IPBlock {
                            cidr: "0.0.0.0/0".into(),
                            except: Some(vec!["169.254.169.254/32".into()]),
                        }),
                        ..Default::default()
                    }]),
                    ports: Some(vec![NetworkPolicyPort { port: Some(IntOrString::Int(443)), ..Default::default() }]),
                }]),
                ..Default::default()
            },
        );
        let pod = Peer::Pod(Pod::new("a", &[]));
        let internet = Peer::Address("52.1.2.3".parse().unwrap());
        let metadata = Peer::Address("169.254.169.254".parse().unwrap());
        assert!(allows(&[&egress], &pod, &internet, 443, "TCP").unwrap());
        assert!(!allows(&[&egress], &pod, &internet, 80, "TCP").unwrap());
        assert!(!allows(&[&egress], &pod, &internet, 443, "UDP").unwrap());
        assert!(!allows(&[&egress], &pod, &metadata, 443, "TCP").unwrap());

        let ingress = policy(
            "b",
            NetworkPolicySpec {
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        namespace_selector: Some(LabelSelector {
                            match_labels: Some([("kubernetes.io/metadata.name".into(), "edge".into())].into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    ports: None,
                }]),
                ..Default::default()
            },
        );
        let target = Peer::Pod(Pod::new("b", &[]));
        assert!(allows(&[&ingress], &Peer::Pod(Pod::new("edge", &[])), &target, 8080, "TCP").unwrap());
        assert!(!allows(&[&ingress], &Peer::Pod(Pod::new("other", &[])), &target, 8080, "TCP").unwrap());
    }
}
