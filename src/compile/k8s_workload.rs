//! The pieces every service workload is made of, whoever runs it (a tenant's namespace, the
//! control plane's): the hardened container and pod, the ClusterIP Service, and the network
//! policies that fence a namespace. One definition, so a hardening added here reaches every
//! pod the platform runs. This module knows nothing of tenants or tiers.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, HTTPGetAction, Namespace, PodSecurityContext,
    PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile, SecurityContext, Service, ServicePort,
    ServiceSpec, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod_identity;
use crate::model::Platform;

/// The UID and GID every service container runs as; the images are built for it.
pub const SERVICE_UID: i64 = 10001;
/// The port each Service exposes inside the cluster.
pub const SERVICE_PORT: i32 = 80;
/// The address every cloud instance serves its metadata (and credentials) at.
pub const INSTANCE_METADATA_CIDR: &str = "169.254.169.254/32";
pub const INSTANCE_METADATA_CIDR_V6: &str = "fd00:ec2::254/128";
/// Private IPv4 ranges (RFC 1918, and RFC 6598's shared space, which EKS custom networking
/// uses for pods): no service's HTTPS egress goes there.
pub const PRIVATE_CIDRS: [&str; 4] = ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16"];
/// Unique local IPv6 addresses (RFC 4193).
pub const PRIVATE_CIDRS_V6: [&str; 1] = ["fc00::/7"];
/// The label every namespace carries with its own name (set by the API server).
pub const LABEL_NAMESPACE: &str = "kubernetes.io/metadata.name";
/// The label naming an application: a service's pods, the ingress controller's.
pub const LABEL_NAME: &str = "app.kubernetes.io/name";

pub(super) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub(super) fn quantity(value: impl Into<String>) -> Quantity {
    Quantity(value.into())
}

/// `cpu` and `memory` as millicores and MiB.
pub(super) fn cpu_memory(cpu_millis: u64, memory_mib: u64) -> BTreeMap<String, Quantity> {
    [("cpu".to_owned(), quantity(format!("{cpu_millis}m"))), ("memory".to_owned(), quantity(format!("{memory_mib}Mi")))]
        .into()
}

/// A namespace with `labels`, and Pod Security admission's: `enforce` at that level, `audit`
/// and `warn` at `restricted` (so what a looser namespace admits is still reported), each
/// pinned to the cluster's Kubernetes version.
pub(super) fn namespace(
    platform: &Platform,
    name: &str,
    mut labels: BTreeMap<String, String>,
    enforce: &str,
) -> Namespace {
    let version = format!("v{}", platform.cluster().kubernetes_version);
    for (mode, level) in [("enforce", enforce), ("audit", "restricted"), ("warn", "restricted")] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), level.to_owned());
        labels.insert(format!("pod-security.kubernetes.io/{mode}-version"), version.clone());
    }
    Namespace {
        metadata: ObjectMeta { name: Some(name.to_owned()), labels: Some(labels), ..Default::default() },
        ..Default::default()
    }
}

/// A plain environment variable.
pub(super) fn env(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.to_owned(), value: Some(value.to_owned()), ..Default::default() }
}

/// What one service container is: the rest is the same for every service.
pub(super) struct Workload<'a> {
    pub name: &'a str,
    pub image: String,
    /// The port the process listens on (its `PORT`).
    pub port: u16,
    pub env: Vec<EnvVar>,
    /// Requests and limits: (cpu millicores, memory MiB) each.
    pub requests: (u64, u64),
    pub limits: (u64, u64),
    /// The path that answers while the process is alive, and the one that answers once it
    /// can serve (it reached what it needs, with its own credentials).
    pub liveness: &'a str,
    pub readiness: &'a str,
}

fn probe(path: &str, delay: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(delay),
        period_seconds: Some(10),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

fn runtime_default() -> Option<SeccompProfile> {
    Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() })
}

/// The service's container: non-root, no privilege, no capabilities, a read-only root file
/// system with a scratch `/tmp`, probed over HTTP on its named port `http`.
pub(super) fn container(workload: Workload) -> Container {
    Container {
        name: workload.name.to_owned(),
        image: Some(workload.image),
        image_pull_policy: Some("Always".into()),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: i32::from(workload.port),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        env: Some(workload.env),
        resources: Some(ResourceRequirements {
            requests: Some(cpu_memory(workload.requests.0, workload.requests.1)),
            limits: Some(cpu_memory(workload.limits.0, workload.limits.1)),
            ..Default::default()
        }),
        liveness_probe: Some(probe(workload.liveness, 5)),
        readiness_probe: Some(probe(workload.readiness, 2)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            run_as_user: Some(SERVICE_UID),
            run_as_group: Some(SERVICE_UID),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            seccomp_profile: runtime_default(),
            ..Default::default()
        }),
        // The root file system is read-only; the process gets a small scratch directory.
        volume_mounts: Some(vec![VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..Default::default() }]),
        ..Default::default()
    }
}

/// The pod-level half of [`container`]'s hardening.
pub(super) fn pod_security() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(SERVICE_UID),
        run_as_group: Some(SERVICE_UID),
        fs_group: Some(SERVICE_UID),
        seccomp_profile: runtime_default(),
        ..Default::default()
    }
}

/// The scratch volume [`container`] mounts at `/tmp`.
pub(super) fn scratch_volume() -> Volume {
    Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource { size_limit: Some(quantity("64Mi")), ..Default::default() }),
        ..Default::default()
    }
}

/// A Deployment of `pod` (its pods labelled `pod_labels`, picked by `selector`), rolled one
/// surge pod at a time with none unavailable. `replicas` is `None` where an HPA owns the count
/// (a count here would be reset by every server-side apply, field manager `tenancy`, forced).
pub(super) fn deployment(
    metadata: ObjectMeta,
    replicas: Option<i32>,
    selector: LabelSelector,
    pod_labels: BTreeMap<String, String>,
    pod: PodSpec,
) -> Deployment {
    Deployment {
        metadata,
        spec: Some(DeploymentSpec {
            replicas,
            selector,
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(pod_labels), ..Default::default() }),
                spec: Some(pod),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// At most one of the pods `selector` picks down at a time (a node drained, a rollout).
pub(super) fn disruption_budget(metadata: ObjectMeta, selector: LabelSelector) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata,
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The ClusterIP Service in front of the pods `selector` picks, on [`SERVICE_PORT`].
pub(super) fn cluster_ip(metadata: ObjectMeta, selector: BTreeMap<String, String>) -> Service {
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: SERVICE_PORT,
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Network policies over every pod of one namespace; `meta` names and labels each policy.
pub(super) struct Fence<'a> {
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
}

fn tcp(number: i32) -> NetworkPolicyPort {
    port(number, "TCP")
}

fn port(number: i32, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(number)),
        protocol: Some(protocol.to_owned()),
        ..Default::default()
    }
}

/// The pods labelled `pod_labels` (all, with none) of the namespace called `namespace`.
pub(super) fn namespace_peer(namespace: &str, pod_labels: Option<(&str, &str)>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(labels(&[(LABEL_NAMESPACE, namespace)])),
            ..Default::default()
        }),
        pod_selector: pod_labels
            .map(|(k, v)| LabelSelector { match_labels: Some(labels(&[(k, v)])), ..Default::default() }),
        ..Default::default()
    }
}

impl Fence<'_> {
    fn policy(
        &self,
        name: &str,
        types: &[&str],
        ingress: Option<Vec<NetworkPolicyIngressRule>>,
        egress: Option<Vec<NetworkPolicyEgressRule>>,
    ) -> NetworkPolicy {
        NetworkPolicy {
            metadata: (self.meta)(name),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
                ingress,
                egress,
            }),
        }
    }

    /// Nothing in or out unless another policy allows it.
    pub fn default_deny(&self) -> NetworkPolicy {
        self.policy("default-deny", &["Ingress", "Egress"], None, None)
    }

    /// The namespace's own pods talk to each other.
    pub fn same_namespace(&self) -> NetworkPolicy {
        let same = NetworkPolicyPeer { pod_selector: Some(LabelSelector::default()), ..Default::default() };
        self.policy(
            "allow-same-namespace",
            &["Ingress", "Egress"],
            Some(vec![NetworkPolicyIngressRule { from: Some(vec![same.clone()]), ports: None }]),
            Some(vec![NetworkPolicyEgressRule { to: Some(vec![same]), ports: None }]),
        )
    }

    /// The ingress controller (its pods in `ingress_namespace`) reaches `ports`, nothing else.
    pub fn ingress_controller(&self, ingress_namespace: &str, ports: &[u16]) -> NetworkPolicy {
        let mut ports: Vec<i32> = ports.iter().map(|p| i32::from(*p)).collect();
        ports.sort_unstable();
        ports.dedup();
        self.policy(
            "allow-ingress-controller",
            &["Ingress"],
            Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![namespace_peer(ingress_namespace, Some((LABEL_NAME, "ingress-nginx")))]),
                ports: Some(ports.into_iter().map(tcp).collect()),
            }]),
            None,
        )
    }

    /// Cluster DNS.
    pub fn dns(&self) -> NetworkPolicy {
        self.policy(
            "allow-dns",
            &["Egress"],
            None,
            Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![namespace_peer("kube-system", Some(("k8s-app", "kube-dns")))]),
                ports: Some(vec![port(53, "UDP"), tcp(53)]),
            }]),
        )
    }

    /// The Pod Identity Agent on the node, which hands out the pods' role credentials.
    pub fn pod_identity_agent(&self) -> NetworkPolicy {
        let agent = |cidr: &str| NetworkPolicyPeer {
            ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: None }),
            ..Default::default()
        };
        self.policy(
            "allow-pod-identity-agent",
            &["Egress"],
            None,
            Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![agent(pod_identity::AGENT_CIDR), agent(pod_identity::AGENT_CIDR_V6)]),
                ports: Some(vec![tcp(pod_identity::AGENT_PORT)]),
            }]),
        )
    }

    /// AWS APIs over HTTPS through the NAT, but never the instance metadata service, whose
    /// node credentials would bypass the pods' role, nor a private address: the Kubernetes
    /// API's in-cluster address and private endpoint are private, as are other pods and nodes
    /// (found by `tenancy verify`'s network property).
    pub fn https_egress(&self) -> NetworkPolicy {
        let anywhere_but_metadata = |cidr: &str, metadata: &str| {
            let private: &[&str] = if cidr.contains(':') { &PRIVATE_CIDRS_V6 } else { &PRIVATE_CIDRS };
            let except = std::iter::once(metadata).chain(private.iter().copied()).map(str::to_owned).collect();
            NetworkPolicyPeer {
                ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: Some(except) }),
                ..Default::default()
            }
        };
        self.policy(
            "allow-https-egress",
            &["Egress"],
            None,
            Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![
                    anywhere_but_metadata("0.0.0.0/0", INSTANCE_METADATA_CIDR),
                    anywhere_but_metadata("::/0", INSTANCE_METADATA_CIDR_V6),
                ]),
                ports: Some(vec![tcp(443)]),
            }]),
        )
    }
}
