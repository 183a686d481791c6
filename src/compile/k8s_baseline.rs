//! The cluster-wide Kubernetes side of the baseline: the add-ons' namespaces, the tiers'
//! PriorityClasses, and the Helm releases (pinned chart versions and typed values) that the
//! add-ons step of the deploy plan installs.

use std::collections::BTreeMap;

use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::contract::paths;
use crate::k8s::Bundle;
use crate::model::Platform;

use super::common::stack_binding;
use super::k8s_workload::labels;

/// Output of the baseline stack holding the API's regional certificate (for the NLB).
pub use crate::contract::outputs::baseline::API_CERTIFICATE_ARN;

/// A Helm release: which chart, at which pinned version, with which values file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRelease {
    pub name: &'static str,
    pub namespace: String,
    pub chart: &'static str,
    pub repository: &'static str,
    pub version: &'static str,
    /// Path of the values file, relative to the output directory.
    pub values: String,
    /// Whether the release's load balancer takes the API certificate, bound at deploy time
    /// (ingress-nginx's NLB). Read by the add-ons buildspec; not a field of releases.yaml.
    #[serde(skip)]
    pub takes_api_certificate: bool,
}

/// The releases file: every add-on the cluster needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelmReleases {
    pub releases: Vec<HelmRelease>,
}

/// ingress-nginx chart 4.14.5 (controller 1.14.5), the newest of the line whose support matrix
/// covers Kubernetes 1.33 and 1.34 (kubernetes/ingress-nginx README, "Supported Versions";
/// 4.12's controller stops at 1.32). The project is retired upstream (best effort until March
/// 2026); it is pinned here because the reference architecture routes with it, and replacing
/// it (Gateway API) is a platform decision recorded in ARCHITECTURE.md.
pub const INGRESS_NGINX_CHART_VERSION: &str = "4.14.5";
/// external-dns chart 1.16.1 (external-dns 0.16.1).
pub const EXTERNAL_DNS_CHART_VERSION: &str = "1.16.1";
/// cluster-autoscaler chart 9.51.0, the newest whose appVersion is 1.33.0 (the autoscaler's
/// minor follows the cluster's, kubernetes/autoscaler's rule).
pub const CLUSTER_AUTOSCALER_CHART_VERSION: &str = "9.51.0";

pub fn releases(platform: &Platform) -> HelmReleases {
    let names = platform.baseline_names();
    HelmReleases {
        releases: vec![
            HelmRelease {
                name: "ingress-nginx",
                namespace: names.ingress_namespace,
                chart: "ingress-nginx",
                repository: "https://kubernetes.github.io/ingress-nginx",
                version: INGRESS_NGINX_CHART_VERSION,
                values: paths::INGRESS_NGINX_VALUES.into(),
                takes_api_certificate: true,
            },
            HelmRelease {
                name: "external-dns",
                namespace: names.external_dns_namespace,
                chart: "external-dns",
                repository: "https://kubernetes-sigs.github.io/external-dns/",
                version: EXTERNAL_DNS_CHART_VERSION,
                values: paths::EXTERNAL_DNS_VALUES.into(),
                takes_api_certificate: false,
            },
            HelmRelease {
                name: "cluster-autoscaler",
                namespace: names.cluster_autoscaler_namespace,
                chart: "cluster-autoscaler",
                repository: "https://kubernetes.github.io/autoscaler",
                version: CLUSTER_AUTOSCALER_CHART_VERSION,
                values: paths::CLUSTER_AUTOSCALER_VALUES.into(),
                takes_api_certificate: false,
            },
        ],
    }
}

/// The cluster-wide objects of the baseline.
pub fn baseline_bundle(platform: &Platform) -> Bundle {
    let names = platform.baseline_names();
    let mut bundle = Bundle::new();
    let managed =
        [("app.kubernetes.io/managed-by", "tenancy"), ("app.kubernetes.io/part-of", platform.name().as_str())];
    // ingress-nginx binds ports below 1024 (NET_BIND_SERVICE), which the baseline profile
    // admits and the restricted one does not; external-dns needs nothing beyond restricted.
    for (namespace, enforce) in [(&names.ingress_namespace, "baseline"), (&names.external_dns_namespace, "restricted")]
    {
        bundle.push(super::k8s_workload::namespace(platform, namespace, labels(&managed), enforce));
    }
    for tier in platform.tiers() {
        bundle.push(PriorityClass {
            metadata: ObjectMeta {
                name: Some(crate::model::naming::priority_class(platform.name(), &tier.name)),
                labels: Some(labels(&managed)),
                ..Default::default()
            },
            value: i32::try_from(tier.priority).expect("validated at most 1e9"),
            global_default: Some(false),
            preemption_policy: Some("PreemptLowerPriority".into()),
            description: Some(format!("Workloads of {} tenants on tier {}", platform.name(), tier.name)),
        });
    }
    bundle
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressNginxValues {
    controller: IngressController,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IngressController {
    replica_count: u32,
    min_available: u32,
    ingress_class: &'static str,
    ingress_class_resource: IngressClassResource,
    config: BTreeMap<String, String>,
    service: ControllerService,
    resources: BTreeMap<String, BTreeMap<String, String>>,
    metrics: Enabled,
    admission_webhooks: Enabled,
    topology_spread_constraints: Vec<SpreadConstraint>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IngressClassResource {
    name: &'static str,
    enabled: bool,
    default: bool,
    controller_value: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ControllerService {
    annotations: BTreeMap<String, String>,
    /// `Local`: the NLB's instance targets forward to a node that runs a controller pod, and
    /// kube-proxy keeps the client's address (with `Cluster` it SNATs to the node's), so the
    /// per-client rate limits count clients, not nodes.
    external_traffic_policy: &'static str,
    /// No plain-HTTP listener: bearer tokens never cross in cleartext.
    enable_http: bool,
    target_ports: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpreadConstraint {
    max_skew: u32,
    topology_key: &'static str,
    when_unsatisfiable: &'static str,
    label_selector: BTreeMap<String, BTreeMap<String, String>>,
}

/// Values for ingress-nginx: an internet-facing NLB (the in-tree controller's default; it reads
/// the `aws-load-balancer-*` annotations below, cloud-provider-aws `aws.go`) terminating TLS with
/// the API's regional certificate (bound from the baseline stack at apply), two replicas spread
/// across zones, and 429 for rate-limited requests.
pub fn ingress_nginx_values(platform: &Platform) -> IngressNginxValues {
    let baseline = platform.baseline_names().stack;
    let annotations = labels(&[
        ("external-dns.alpha.kubernetes.io/hostname", &crate::model::naming::api_host(platform.domain())),
        ("service.beta.kubernetes.io/aws-load-balancer-backend-protocol", "http"),
        ("service.beta.kubernetes.io/aws-load-balancer-ssl-cert", &stack_binding(&baseline, API_CERTIFICATE_ARN)),
        ("service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
        ("service.beta.kubernetes.io/aws-load-balancer-ssl-ports", "https"),
        ("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"),
    ]);
    IngressNginxValues {
        controller: IngressController {
            replica_count: 2,
            min_available: 1,
            ingress_class: "nginx",
            ingress_class_resource: IngressClassResource {
                name: "nginx",
                enabled: true,
                default: false,
                controller_value: "k8s.io/ingress-nginx",
            },
            config: labels(&[("limit-req-status-code", "429"), ("server-tokens", "false"), ("ssl-redirect", "false")]),
            // TLS ends at the NLB, whose one listener (443) reaches the controller's plain HTTP
            // port. No `use-forwarded-headers`: an L4 NLB sets no X-Forwarded-For, so nginx
            // would trust whatever the client sent, and a forged header would dodge the rate
            // limits; with `externalTrafficPolicy: Local` the client's address is the source.
            service: ControllerService {
                annotations,
                external_traffic_policy: "Local",
                enable_http: false,
                target_ports: labels(&[("https", "http")]),
            },
            resources: [("requests".to_owned(), labels(&[("cpu", "100m"), ("memory", "128Mi")]))].into(),
            metrics: Enabled { enabled: true },
            admission_webhooks: Enabled { enabled: true },
            topology_spread_constraints: vec![SpreadConstraint {
                max_skew: 1,
                topology_key: "topology.kubernetes.io/zone",
                when_unsatisfiable: "ScheduleAnyway",
                label_selector: [("matchLabels".to_owned(), labels(&[("app.kubernetes.io/name", "ingress-nginx")]))]
                    .into(),
            }],
        },
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalDnsValues {
    provider: Provider,
    env: Vec<EnvValue>,
    domain_filters: Vec<String>,
    policy: &'static str,
    registry: &'static str,
    txt_owner_id: String,
    sources: Vec<&'static str>,
    service_account: HelmServiceAccount,
}

#[derive(Debug, Serialize)]
struct Provider {
    name: &'static str,
}

#[derive(Debug, Serialize)]
struct EnvValue {
    name: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct HelmServiceAccount {
    create: bool,
    name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAutoscalerValues {
    cloud_provider: &'static str,
    aws_region: String,
    auto_discovery: AutoDiscovery,
    rbac: Rbac,
    extra_args: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AutoDiscovery {
    cluster_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rbac {
    service_account: HelmServiceAccount,
}

/// Values for the cluster autoscaler: the node groups of this cluster, found by the tags EKS
/// puts on managed node groups' Auto Scaling groups, so a tier's HPA that needs more pods than
/// the nodes hold gets nodes up to the group's `maxSize`. Its role reaches its pods through the
/// Pod Identity association in the cluster config.
pub fn cluster_autoscaler_values(platform: &Platform) -> ClusterAutoscalerValues {
    let names = platform.baseline_names();
    ClusterAutoscalerValues {
        cloud_provider: "aws",
        aws_region: platform.region().to_string(),
        auto_discovery: AutoDiscovery { cluster_name: platform.cluster().name.to_string() },
        rbac: Rbac {
            service_account: HelmServiceAccount { create: true, name: names.cluster_autoscaler_service_account },
        },
        extra_args: labels(&[("balance-similar-node-groups", "true"), ("expander", "least-waste")]),
    }
}

/// Values for external-dns: Route 53 records for the platform's domain only, never deleting
/// records it did not create (upsert-only, TXT ownership). Its role reaches its pods through
/// the Pod Identity association in the cluster config, so the ServiceAccount needs no
/// annotation.
pub fn external_dns_values(platform: &Platform) -> ExternalDnsValues {
    let names = platform.baseline_names();
    ExternalDnsValues {
        provider: Provider { name: "aws" },
        env: vec![EnvValue { name: "AWS_DEFAULT_REGION", value: platform.region().to_string() }],
        domain_filters: vec![platform.domain().to_string()],
        policy: "upsert-only",
        registry: "txt",
        txt_owner_id: platform.name().to_string(),
        sources: vec!["ingress", "service"],
        service_account: HelmServiceAccount { create: true, name: names.external_dns_service_account },
    }
}
