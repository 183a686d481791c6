//! A tenant's Kubernetes bundle (dedicated compute): its namespace, identity, limits, network
//! isolation, workloads, routing and scaling. Everything a reviewer needs to judge one tenant's
//! isolation is in this one file, in apply order.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapKeySelector, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, HTTPGetAction, LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, NodeAffinity, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceQuota,
    ResourceQuotaSpec, ResourceRequirements, SeccompProfile, SecurityContext, Service, ServiceAccount, ServicePort,
    ServiceSpec, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, IPBlock, Ingress, IngressBackend, IngressRule, IngressServiceBackend,
    IngressSpec, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::k8s::Bundle;
use crate::model::{BaselineNames, Placement, Platform, Storage, Tenant, TenantNames, Tier};

use super::cluster_config::TIER_NODE_KEY;
use super::common::stack_binding;
use super::pod_identity;
use crate::contract::outputs::tenant as outputs;

/// The UID and GID every service container runs as; the images are built for it.
pub const SERVICE_UID: i64 = 10001;
/// The port each Service exposes inside the cluster.
pub const SERVICE_PORT: i32 = 80;
/// The ConfigMap holding the tenant's identity settings, which exist only after its stack is
/// deployed: each value is a binding `${stack:<stack name>:<output>}` that apply resolves.
pub const IDENTITY_CONFIG_MAP: &str = "tenant-identity";
/// The address every cloud instance serves its metadata (and credentials) at.
pub const INSTANCE_METADATA_CIDR: &str = "169.254.169.254/32";
pub const INSTANCE_METADATA_CIDR_V6: &str = "fd00:ec2::254/128";
/// Private IPv4 ranges (RFC 1918, and RFC 6598's shared space, which EKS custom networking
/// uses for pods): no tenant's HTTPS egress goes there.
pub const PRIVATE_CIDRS: [&str; 4] = ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16"];
/// Unique local IPv6 addresses (RFC 4193).
pub const PRIVATE_CIDRS_V6: [&str; 1] = ["fc00::/7"];

pub const LABEL_TENANT: &str = "tenancy.io/tenant";
pub const LABEL_TIER: &str = "tenancy.io/tier";
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_NAMESPACE: &str = "kubernetes.io/metadata.name";

/// The image of a service: its ECR repository, pinned to the digest the images build pushed
/// (a binding the plan resolves from that build's exported variables). The reviewed manifest
/// names the repository and the build; apply checks the digest is in ECR before it applies.
pub fn image(platform: &Platform, service: &crate::model::Service) -> String {
    let repository = BaselineNames::repository(platform.name(), &service.name);
    let digest = crate::contract::Placeholder::build(
        &platform.baseline_names().images_project,
        &super::common::image_digest_variable(&service.name),
    );
    format!("{}/{repository}@{digest}", super::common::registry_host(platform))
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn quantity(value: impl Into<String>) -> Quantity {
    Quantity(value.into())
}

struct Context<'a> {
    platform: &'a Platform,
    tenant: &'a Tenant,
    tier: &'a Tier,
    names: TenantNames,
}

impl Context<'_> {
    /// Labels on every object of the tenant.
    fn labels(&self) -> BTreeMap<String, String> {
        labels(&[
            ("app.kubernetes.io/managed-by", "tenancy"),
            ("app.kubernetes.io/part-of", self.platform.name().as_str()),
            (LABEL_TENANT, self.tenant.id.as_str()),
            (LABEL_TIER, self.tier.name.as_str()),
        ])
    }

    fn meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.names.namespace.clone()),
            labels: Some(self.labels()),
            ..Default::default()
        }
    }

    fn service_labels(&self, service: &str) -> BTreeMap<String, String> {
        let mut labels = self.labels();
        labels.insert(LABEL_NAME.to_owned(), service.to_owned());
        labels
    }

    fn selector(&self, service: &str) -> LabelSelector {
        LabelSelector {
            match_labels: Some(labels(&[(LABEL_NAME, service), (LABEL_TENANT, self.tenant.id.as_str())])),
            ..Default::default()
        }
    }
}

/// The tenant's bundle.
pub fn tenant_bundle(platform: &Platform, tenant: &Tenant) -> Bundle {
    let cx = Context { platform, tenant, tier: platform.tier_of(tenant), names: platform.tenant_names(tenant) };
    let mut bundle = Bundle::new();
    namespace(&cx, &mut bundle);
    limits(&cx, &mut bundle);
    network_policies(&cx, &mut bundle);
    identity_config(&cx, &mut bundle);
    for service in platform.services() {
        workload(&cx, service, &mut bundle);
    }
    ingress(&cx, &mut bundle);
    bundle
}

fn namespace(cx: &Context, bundle: &mut Bundle) {
    let mut labels = cx.labels();
    let version = format!("v{}", cx.platform.cluster().kubernetes_version);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), "restricted".into());
        labels.insert(format!("pod-security.kubernetes.io/{mode}-version"), version.clone());
    }
    bundle.push(Namespace {
        metadata: ObjectMeta { name: Some(cx.names.namespace.clone()), labels: Some(labels), ..Default::default() },
        ..Default::default()
    });
    // The tenant stack's Pod Identity association gives this ServiceAccount's pods the tenant
    // role; the pod identity webhook projects their token whether or not one is automounted.
    bundle.push(ServiceAccount {
        metadata: cx.meta(&cx.names.service_account),
        // The pods need AWS credentials, not a Kubernetes API token.
        automount_service_account_token: Some(false),
        ..Default::default()
    });
}

fn labels_from<const N: usize>(pairs: [(String, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

fn limits(cx: &Context, bundle: &mut Bundle) {
    let quotas = &cx.tier.quotas;
    let hard: BTreeMap<String, Quantity> = [
        ("limits.cpu", quotas.cpu.to_string()),
        ("limits.memory", quotas.memory.to_string()),
        ("pods", quotas.pods.to_string()),
        ("requests.cpu", quotas.cpu.to_string()),
        ("requests.memory", quotas.memory.to_string()),
        ("requests.storage", quotas.storage.to_string()),
        // Tenants get no external entry points of their own: traffic comes through the ingress.
        ("services.loadbalancers", "0".to_owned()),
        ("services.nodeports", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), quantity(v)))
    .collect();
    bundle.push(ResourceQuota {
        metadata: cx.meta("tenant-quota"),
        spec: Some(ResourceQuotaSpec { hard: Some(hard), ..Default::default() }),
        ..Default::default()
    });
    let resources = cx.tier.container_resources(cx.platform.services().len());
    let cpu_memory = |cpu: u64, memory: u64| -> BTreeMap<String, Quantity> {
        [("cpu".to_owned(), quantity(format!("{cpu}m"))), ("memory".to_owned(), quantity(format!("{memory}Mi")))].into()
    };
    bundle.push(LimitRange {
        metadata: cx.meta("tenant-limits"),
        spec: Some(LimitRangeSpec {
            limits: vec![
                LimitRangeItem {
                    type_: "Container".into(),
                    default: Some(cpu_memory(resources.cpu_limit_millis, resources.memory_limit_mib)),
                    default_request: Some(cpu_memory(resources.cpu_request_millis, resources.memory_request_mib)),
                    max: Some(cpu_memory(resources.cpu_limit_millis, resources.memory_limit_mib)),
                    ..Default::default()
                },
                LimitRangeItem {
                    type_: "PersistentVolumeClaim".into(),
                    max: Some([("storage".to_owned(), quantity(quotas.storage.to_string()))].into()),
                    ..Default::default()
                },
            ],
        }),
    });
}

fn network_policies(cx: &Context, bundle: &mut Bundle) {
    let all_pods = || Some(LabelSelector::default());
    let policy = |name: &str, types: &[&str], ingress, egress| NetworkPolicy {
        metadata: cx.meta(name),
        spec: Some(NetworkPolicySpec {
            pod_selector: all_pods(),
            policy_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
            ingress,
            egress,
        }),
    };
    let namespace_peer = |namespace: &str, pod_labels: Option<(&str, &str)>| NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(labels(&[(LABEL_NAMESPACE, namespace)])),
            ..Default::default()
        }),
        pod_selector: pod_labels
            .map(|(k, v)| LabelSelector { match_labels: Some(labels(&[(k, v)])), ..Default::default() }),
        ..Default::default()
    };
    let port = |number: i32, protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(number)),
        protocol: Some(protocol.to_owned()),
        ..Default::default()
    };
    let same_namespace = NetworkPolicyPeer { pod_selector: all_pods(), ..Default::default() };

    // Nothing in or out unless a policy below allows it.
    bundle.push(policy("default-deny", &["Ingress", "Egress"], None, None));
    // The tenant's own services talk to each other.
    bundle.push(policy(
        "allow-same-namespace",
        &["Ingress", "Egress"],
        Some(vec![NetworkPolicyIngressRule { from: Some(vec![same_namespace.clone()]), ports: None }]),
        Some(vec![NetworkPolicyEgressRule { to: Some(vec![same_namespace]), ports: None }]),
    ));
    // The ingress controller reaches the service ports, nothing else.
    let ingress_namespace = cx.platform.baseline_names().ingress_namespace;
    let mut service_ports: Vec<i32> = cx.platform.services().iter().map(|s| i32::from(s.port)).collect();
    service_ports.sort_unstable();
    service_ports.dedup();
    bundle.push(policy(
        "allow-ingress-controller",
        &["Ingress"],
        Some(vec![NetworkPolicyIngressRule {
            from: Some(vec![namespace_peer(&ingress_namespace, Some((LABEL_NAME, "ingress-nginx")))]),
            ports: Some(service_ports.into_iter().map(|p| port(p, "TCP")).collect()),
        }]),
        None,
    ));
    // Cluster DNS.
    bundle.push(policy(
        "allow-dns",
        &["Egress"],
        None,
        Some(vec![NetworkPolicyEgressRule {
            to: Some(vec![namespace_peer("kube-system", Some(("k8s-app", "kube-dns")))]),
            ports: Some(vec![port(53, "UDP"), port(53, "TCP")]),
        }]),
    ));
    // The Pod Identity Agent on the node, which hands out the tenant role's credentials.
    let agent = |cidr: &str| NetworkPolicyPeer {
        ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: None }),
        ..Default::default()
    };
    bundle.push(policy(
        "allow-pod-identity-agent",
        &["Egress"],
        None,
        Some(vec![NetworkPolicyEgressRule {
            to: Some(vec![agent(pod_identity::AGENT_CIDR), agent(pod_identity::AGENT_CIDR_V6)]),
            ports: Some(vec![port(pod_identity::AGENT_PORT, "TCP")]),
        }]),
    ));
    // AWS APIs over HTTPS through the NAT, but never the instance metadata service, whose
    // node credentials would bypass the tenant role, nor a private address: the Kubernetes
    // API's in-cluster address and private endpoint are private, as are other pods and nodes
    // (found by `tenancy verify`'s network property).
    let anywhere_but_metadata = |cidr: &str, metadata: &str| {
        let private: &[&str] = if cidr.contains(':') { &PRIVATE_CIDRS_V6 } else { &PRIVATE_CIDRS };
        let except = std::iter::once(metadata).chain(private.iter().copied()).map(str::to_owned).collect();
        NetworkPolicyPeer {
            ip_block: Some(IPBlock { cidr: cidr.to_owned(), except: Some(except) }),
            ..Default::default()
        }
    };
    bundle.push(policy(
        "allow-https-egress",
        &["Egress"],
        None,
        Some(vec![NetworkPolicyEgressRule {
            to: Some(vec![
                anywhere_but_metadata("0.0.0.0/0", INSTANCE_METADATA_CIDR),
                anywhere_but_metadata("::/0", INSTANCE_METADATA_CIDR_V6),
            ]),
            ports: Some(vec![port(443, "TCP")]),
        }]),
    ));
}

fn identity_config(cx: &Context, bundle: &mut Bundle) {
    let stack = &cx.names.stack;
    let data = labels(&[
        ("clientId", &stack_binding(stack, outputs::USER_POOL_CLIENT_ID)),
        ("issuer", &stack_binding(stack, outputs::ISSUER_URL)),
        ("userPoolId", &stack_binding(stack, outputs::USER_POOL_ID)),
    ]);
    bundle.push(ConfigMap { metadata: cx.meta(IDENTITY_CONFIG_MAP), data: Some(data), ..Default::default() });
}

fn workload(cx: &Context, service: &crate::model::Service, bundle: &mut Bundle) {
    let name = service.name.as_str();
    let resources = cx.tier.container_resources(cx.platform.services().len());
    let cpu_memory = |cpu: u64, memory: u64| -> BTreeMap<String, Quantity> {
        [("cpu".to_owned(), quantity(format!("{cpu}m"))), ("memory".to_owned(), quantity(format!("{memory}Mi")))].into()
    };
    let (table, model) = match &service.storage {
        Storage::Silo(_) => (cx.names.silo_table(&service.name).expect("silo table").to_owned(), "silo"),
        Storage::Pool(_) => (BaselineNames::pooled_table(cx.platform.name(), &service.name), "pool"),
    };
    let env =
        |name: &str, value: &str| EnvVar { name: name.to_owned(), value: Some(value.to_owned()), ..Default::default() };
    let from_identity = |name: &str, key: &str| EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            config_map_key_ref: Some(ConfigMapKeySelector {
                name: IDENTITY_CONFIG_MAP.to_owned(),
                key: key.to_owned(),
                optional: Some(false),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let probe = |path: &str, delay: i32| Probe {
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
    };
    let runtime_default = || Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() });
    let container = Container {
        name: name.to_owned(),
        image: Some(image(cx.platform, service)),
        image_pull_policy: Some("Always".into()),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: i32::from(service.port),
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        env: Some(vec![
            env("AWS_REGION", cx.platform.region().as_str()),
            env("PORT", &service.port.to_string()),
            env("STORAGE_MODEL", model),
            env("TABLE_NAME", &table),
            from_identity("TENANT_CLIENT_ID", "clientId"),
            env("TENANT_ID", cx.tenant.id.as_str()),
            from_identity("TENANT_ISSUER", "issuer"),
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(cpu_memory(resources.cpu_request_millis, resources.memory_request_mib)),
            limits: Some(cpu_memory(resources.cpu_limit_millis, resources.memory_limit_mib)),
            ..Default::default()
        }),
        // Live while the process answers; ready only once it reaches its table (with the
        // tenant role's credentials), so a pod without AWS access never takes traffic.
        liveness_probe: Some(probe("/health", 5)),
        readiness_probe: Some(probe("/ready", 2)),
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
    };

    let dedicated = cx.tier.placement == Placement::Dedicated;
    let tier_name = cx.tier.name.as_str();
    let spread = |key: &str, when: &str| TopologySpreadConstraint {
        max_skew: 1,
        topology_key: key.to_owned(),
        when_unsatisfiable: when.to_owned(),
        label_selector: Some(cx.selector(name)),
        ..Default::default()
    };
    let pod = PodSpec {
        service_account_name: Some(cx.names.service_account.clone()),
        automount_service_account_token: Some(false),
        priority_class_name: Some(crate::model::naming::priority_class(cx.platform.name(), &cx.tier.name)),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            run_as_user: Some(SERVICE_UID),
            run_as_group: Some(SERVICE_UID),
            fs_group: Some(SERVICE_UID),
            seccomp_profile: runtime_default(),
            ..Default::default()
        }),
        containers: vec![container],
        volumes: Some(vec![Volume {
            name: "tmp".into(),
            empty_dir: Some(EmptyDirVolumeSource { size_limit: Some(quantity("64Mi")), ..Default::default() }),
            ..Default::default()
        }]),
        topology_spread_constraints: Some(vec![
            spread("topology.kubernetes.io/zone", "ScheduleAnyway"),
            spread("kubernetes.io/hostname", "ScheduleAnyway"),
        ]),
        tolerations: dedicated.then(|| {
            vec![Toleration {
                key: Some(TIER_NODE_KEY.into()),
                operator: Some("Equal".into()),
                value: Some(tier_name.to_owned()),
                effect: Some("NoSchedule".into()),
                ..Default::default()
            }]
        }),
        affinity: dedicated.then(|| Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: TIER_NODE_KEY.into(),
                            operator: "In".into(),
                            values: Some(vec![tier_name.to_owned()]),
                        }]),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };

    let mut meta = cx.meta(name);
    meta.labels = Some(cx.service_labels(name));
    bundle.push(Deployment {
        metadata: meta.clone(),
        spec: Some(DeploymentSpec {
            // The HPA below owns the replica count; a count here would be reset by every
            // server-side apply (field manager `tenancy`, forced).
            replicas: None,
            selector: cx.selector(name),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(cx.service_labels(name)), ..Default::default() }),
                spec: Some(pod),
            },
            ..Default::default()
        }),
        ..Default::default()
    });
    bundle.push(Service {
        metadata: meta.clone(),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: cx.selector(name).match_labels,
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
    });
    let scaling = cx.tier.autoscaling;
    bundle.push(HorizontalPodAutoscaler {
        metadata: meta.clone(),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: name.to_owned(),
            },
            min_replicas: Some(i32::try_from(scaling.min).expect("validated")),
            max_replicas: i32::try_from(scaling.max).expect("validated"),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(i32::try_from(scaling.target_cpu_percent).expect("validated")),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
    if scaling.min > 1 {
        bundle.push(PodDisruptionBudget {
            metadata: meta,
            spec: Some(PodDisruptionBudgetSpec {
                max_unavailable: Some(IntOrString::Int(1)),
                selector: Some(cx.selector(name)),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
}

/// The ingress-nginx annotation that refuses the listed client ranges with 403.
pub const SUSPENDED_ANNOTATION: &str = "nginx.ingress.kubernetes.io/denylist-source-range";
/// Every IPv4 and IPv6 client address: what a suspended tenant's Ingress denies.
pub const SUSPENDED_SOURCES: &str = "0.0.0.0/0,::/0";

fn ingress(cx: &Context, bundle: &mut Bundle) {
    let rate = cx.tier.rate_limit;
    let multiplier = rate.burst.div_ceil(rate.requests_per_second.max(1));
    let mut meta = cx.meta("tenant-api");
    // The tenant's app (https://<tenant>.app.<domain>) calls the API from the browser with a
    // bearer token: a non-simple cross-origin request, preflighted. CORS admits exactly that
    // origin; nginx answers the preflight, so it never reaches a service.
    let mut annotations = labels_from([
        ("nginx.ingress.kubernetes.io/cors-allow-headers".to_owned(), "Authorization, Content-Type".to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-methods".to_owned(), "GET, POST, PUT, DELETE, OPTIONS".to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-origin".to_owned(), format!("https://{}", cx.names.app_host)),
        ("nginx.ingress.kubernetes.io/cors-max-age".to_owned(), "600".to_owned()),
        ("nginx.ingress.kubernetes.io/enable-cors".to_owned(), "true".to_owned()),
        ("nginx.ingress.kubernetes.io/limit-burst-multiplier".to_owned(), multiplier.to_string()),
        ("nginx.ingress.kubernetes.io/limit-rps".to_owned(), rate.requests_per_second.to_string()),
    ]);
    if cx.tenant.is_suspended() {
        // Suspension stops serving and keeps everything else: nginx denies every client address
        // (its `deny` directive answers 403) before a request reaches a service. The services
        // keep running, so activation is one re-apply of this Ingress, not a redeploy.
        annotations.insert(SUSPENDED_ANNOTATION.to_owned(), SUSPENDED_SOURCES.to_owned());
    }
    meta.annotations = Some(annotations);
    let paths = cx
        .platform
        .services()
        .iter()
        .map(|service| HTTPIngressPath {
            path: Some(format!("/{}{}", cx.tenant.id, service.path)),
            path_type: "Prefix".into(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: service.name.to_string(),
                    port: Some(ServiceBackendPort { number: Some(SERVICE_PORT), ..Default::default() }),
                }),
                ..Default::default()
            },
        })
        .collect();
    bundle.push(Ingress {
        metadata: meta,
        spec: Some(IngressSpec {
            ingress_class_name: Some("nginx".into()),
            rules: Some(vec![IngressRule {
                host: Some(crate::model::naming::api_host(cx.platform.domain())),
                http: Some(HTTPIngressRuleValue { paths }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
}
