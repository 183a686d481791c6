//! A tenant's Kubernetes bundle (dedicated compute): its namespace, identity, limits, network
//! isolation, workloads, routing and scaling. Everything a reviewer needs to judge one tenant's
//! isolation is in this one file, in apply order.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMap, ConfigMapKeySelector, EnvVar, EnvVarSource, LimitRange, LimitRangeItem, LimitRangeSpec,
    NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, ResourceQuota, ResourceQuotaSpec,
    Service, ServiceAccount, ServicePort, ServiceSpec, Toleration, TopologySpreadConstraint,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::k8s::Bundle;
use crate::model::naming::{TENANT_USERS_PATH, USER_MANAGEMENT_SERVICE_ACCOUNT, user_management_host};
use crate::model::{BaselineNames, Placement, Platform, Storage, Tenant, TenantNames, Tier};

use super::cluster_config::TIER_NODE_KEY;
use super::common::stack_binding;
use super::k8s_workload::{
    Fence, Workload, cluster_ip, container, cpu_memory, deployment, disruption_budget, env, labels, pod_security,
    quantity, scratch_volume,
};
use crate::contract::outputs::tenant as outputs;

use super::k8s_workload::{LABEL_NAME, SERVICE_PORT};
/// The ConfigMap holding the tenant's identity settings, which exist only after its stack is
/// deployed: each value is a binding `${stack:<stack name>:<output>}` that apply resolves.
pub const IDENTITY_CONFIG_MAP: &str = "tenant-identity";

pub const LABEL_TENANT: &str = "tenancy.io/tenant";
pub const LABEL_TIER: &str = "tenancy.io/tier";

/// The label naming the pooled tier whose pool an object belongs to.
pub const LABEL_POOL: &str = "tenancy.io/pool";

/// Whose namespace a bundle fills: one tenant's own, or a pooled tier's pool.
enum Owner<'a> {
    Tenant(&'a Tenant, Box<TenantNames>),
    Pool,
}

struct Context<'a> {
    platform: &'a Platform,
    tier: &'a Tier,
    namespace: String,
    service_account: String,
    owner: Owner<'a>,
}

impl<'a> Context<'a> {
    fn tenant(platform: &'a Platform, tenant: &'a Tenant) -> Self {
        let tier = platform.tier_of(tenant);
        let names = platform.tenant_names(tenant);
        let (namespace, service_account) = if tier.is_pooled() {
            let pool = platform.pool_names(tier);
            (pool.namespace, pool.service_account)
        } else {
            (names.namespace.clone(), names.service_account.clone())
        };
        Self { platform, tier, namespace, service_account, owner: Owner::Tenant(tenant, Box::new(names)) }
    }

    fn pool(platform: &'a Platform, tier: &'a Tier) -> Self {
        let pool = platform.pool_names(tier);
        Self { platform, tier, namespace: pool.namespace, service_account: pool.service_account, owner: Owner::Pool }
    }

    /// The label that tells this owner's objects apart from other owners'.
    fn owner_label(&self) -> (&'static str, &str) {
        match &self.owner {
            Owner::Tenant(tenant, _) => (LABEL_TENANT, tenant.id.as_str()),
            Owner::Pool => (LABEL_POOL, self.tier.name.as_str()),
        }
    }

    /// Labels on every object of the tenant (or pool).
    fn labels(&self) -> BTreeMap<String, String> {
        labels(&[
            ("app.kubernetes.io/managed-by", "tenancy"),
            ("app.kubernetes.io/part-of", self.platform.name().as_str()),
            self.owner_label(),
            (LABEL_TIER, self.tier.name.as_str()),
        ])
    }

    fn meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace.clone()),
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
        LabelSelector { match_labels: Some(labels(&[(LABEL_NAME, service), self.owner_label()])), ..Default::default() }
    }
}

/// The tenant's bundle. A tenant of a pooled tier has its Ingress alone, in its tier's pool
/// namespace: adding it adds that object and changes no other.
pub fn tenant_bundle(platform: &Platform, tenant: &Tenant) -> Bundle {
    let cx = Context::tenant(platform, tenant);
    let mut bundle = Bundle::new();
    if cx.tier.is_pooled() {
        ingress(&cx, tenant, &mut bundle);
        return bundle;
    }
    namespace(&cx, &mut bundle);
    limits(&cx, &mut bundle);
    network_policies(&cx, &mut bundle);
    identity_config(&cx, &mut bundle);
    for service in platform.services() {
        workload(&cx, service, &mut bundle);
    }
    user_management_alias(&cx, &mut bundle);
    ingress(&cx, tenant, &mut bundle);
    bundle
}

/// A pooled tier's pool: its namespace, under the tier's quota, with one shared Deployment of
/// every service, which serves each tenant of the tier with credentials scoped to the request's
/// tenant. The tenants' Ingresses are theirs ([`tenant_bundle`]).
pub fn pool_bundle(platform: &Platform, tier: &Tier) -> Bundle {
    let cx = Context::pool(platform, tier);
    let mut bundle = Bundle::new();
    namespace(&cx, &mut bundle);
    limits(&cx, &mut bundle);
    network_policies(&cx, &mut bundle);
    for service in platform.services() {
        workload(&cx, service, &mut bundle);
    }
    user_management_alias(&cx, &mut bundle);
    bundle
}

fn namespace(cx: &Context, bundle: &mut Bundle) {
    bundle.push(super::k8s_workload::namespace(cx.platform, &cx.namespace, cx.labels(), "restricted"));
    // The tenant stack's Pod Identity association gives this ServiceAccount's pods the tenant
    // role; the pod identity webhook projects their token whether or not one is automounted.
    bundle.push(ServiceAccount {
        metadata: cx.meta(&cx.service_account),
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
    let meta = |name: &str| cx.meta(name);
    let fence = Fence { meta: &meta };
    let ports: Vec<u16> = cx.platform.services().iter().map(|s| s.port).collect();
    bundle.push(fence.default_deny());
    // The tenant's own services talk to each other.
    bundle.push(fence.same_namespace());
    bundle.push(fence.ingress_controller(&cx.platform.baseline_names().ingress_namespace, &ports));
    bundle.push(fence.dns());
    bundle.push(fence.pod_identity_agent());
    bundle.push(fence.https_egress());
}

fn identity_config(cx: &Context, bundle: &mut Bundle) {
    let Owner::Tenant(_, names) = &cx.owner else { return };
    let stack = &names.stack;
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
    let container = container(Workload {
        name,
        image: super::images::reference(cx.platform, service.name.as_str()),
        port: service.port,
        env: workload_env(cx, service),
        requests: (resources.cpu_request_millis, resources.memory_request_mib),
        limits: (resources.cpu_limit_millis, resources.memory_limit_mib),
        // Live while the process answers; ready only once it reaches its table (with the
        // tenant role's credentials), so a pod without AWS access never takes traffic.
        liveness: "/health",
        readiness: "/ready",
    });

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
        service_account_name: Some(cx.service_account.clone()),
        automount_service_account_token: Some(false),
        priority_class_name: Some(crate::model::naming::priority_class(cx.platform.name(), &cx.tier.name)),
        security_context: Some(pod_security()),
        containers: vec![container],
        volumes: Some(vec![scratch_volume()]),
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
    // The HPA below owns the replica count.
    bundle.push(deployment(meta.clone(), None, cx.selector(name), cx.service_labels(name), pod));
    bundle.push(cluster_ip(meta.clone(), cx.selector(name).match_labels.unwrap_or_default()));
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
        bundle.push(disruption_budget(meta, cx.selector(name)));
    }
}

/// The environment of a service's container: the tenant it serves and its sign-in settings
/// (dedicated), or the pool's tier and where the tenant directory is (pooled).
fn workload_env(cx: &Context, service: &crate::model::Service) -> Vec<EnvVar> {
    let storage = cx.platform.storage_of(cx.tier, service);
    let pooled_table = || BaselineNames::pooled_table(cx.platform.name(), &service.name);
    let model = storage.model().as_str();
    let mut vars = vec![env("AWS_REGION", cx.platform.region().as_str()), env("PORT", &service.port.to_string())];
    match &cx.owner {
        Owner::Tenant(tenant, names) => {
            let table = match storage {
                Storage::Silo(_) => names.silo_table(&service.name).expect("silo table").to_owned(),
                Storage::Pool(_) => pooled_table(),
            };
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
            vars.extend([
                env("STORAGE_MODEL", model),
                env("TABLE_NAME", &table),
                from_identity("TENANT_CLIENT_ID", "clientId"),
                env("TENANT_ID", tenant.id.as_str()),
                from_identity("TENANT_ISSUER", "issuer"),
            ]);
        }
        Owner::Pool => {
            // A silo table's name is filled with the request's tenant, which the tenant-access
            // role's policy names the same way (`${aws:PrincipalTag/TenantId}`).
            let table = match storage {
                Storage::Silo(_) => format!("{}-{}-{{tenant}}", cx.platform.name(), service.name),
                Storage::Pool(_) => pooled_table(),
            };
            vars.extend([
                env("POOL_TIER", cx.tier.name.as_str()),
                env("STORAGE_MODEL", model),
                env("TABLE_NAME", &table),
                env("TENANT_TABLE_NAME", &cx.platform.baseline_names().tenant_table),
            ]);
            // A service that reads the product records (the order service, to price lines)
            // is told their pooled table by name, as there is no tenant to derive it from.
            if super::service_calls::reads_product_table(service.name.as_str())
                && let Some(product) = cx.platform.services().iter().find(|s| s.name.as_str() == "product")
            {
                vars.push(env("PRODUCT_TABLE_NAME", &BaselineNames::pooled_table(cx.platform.name(), &product.name)));
            }
        }
    }
    vars
}

/// An ExternalName alias of user management's Service in this namespace.
///
/// The tenant's admins manage its users at /<tenant>/users, served by the control plane's
/// user management. The route is here, not in the control plane's bundle, so a suspended
/// tenant's admins are refused with the rest of its traffic, the tier's rate limit counts
/// them, and adding a tenant changes no other bundle. An Ingress reaches only Services of its
/// own namespace: this one is an ExternalName alias of user management's in-cluster name.
fn user_management_alias(cx: &Context, bundle: &mut Bundle) {
    bundle.push(Service {
        metadata: cx.meta(USER_MANAGEMENT_SERVICE_ACCOUNT),
        spec: Some(ServiceSpec {
            type_: Some("ExternalName".into()),
            external_name: Some(user_management_host()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: SERVICE_PORT,
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
}

/// The ingress-nginx annotation that refuses the listed client ranges with 403.
pub const SUSPENDED_ANNOTATION: &str = "nginx.ingress.kubernetes.io/denylist-source-range";
/// Every IPv4 and IPv6 client address: what a suspended tenant's Ingress denies.
pub const SUSPENDED_SOURCES: &str = "0.0.0.0/0,::/0";

fn ingress(cx: &Context, tenant: &Tenant, bundle: &mut Bundle) {
    let Owner::Tenant(_, names) = &cx.owner else { return };
    let rate = cx.tier.rate_limit;
    let multiplier = rate.burst.div_ceil(rate.requests_per_second.max(1));
    // In a pool namespace each tenant has an Ingress of its own, named after it.
    let mut meta = cx.meta(&if cx.tier.is_pooled() { names.namespace.clone() } else { "tenant-api".to_owned() });
    // The tenant's app (https://<tenant>.app.<domain>) calls the API from the browser with a
    // bearer token: a non-simple cross-origin request, preflighted. CORS admits exactly that
    // origin; nginx answers the preflight, so it never reaches a service.
    let mut annotations = labels_from([
        ("nginx.ingress.kubernetes.io/cors-allow-headers".to_owned(), "Authorization, Content-Type".to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-methods".to_owned(), "GET, POST, PUT, DELETE, OPTIONS".to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-origin".to_owned(), format!("https://{}", names.app_host)),
        ("nginx.ingress.kubernetes.io/cors-max-age".to_owned(), "600".to_owned()),
        ("nginx.ingress.kubernetes.io/enable-cors".to_owned(), "true".to_owned()),
        ("nginx.ingress.kubernetes.io/limit-burst-multiplier".to_owned(), multiplier.to_string()),
        ("nginx.ingress.kubernetes.io/limit-rps".to_owned(), rate.requests_per_second.to_string()),
    ]);
    if tenant.is_suspended() {
        // Suspension stops serving and keeps everything else: nginx denies every client address
        // (its `deny` directive answers 403) before a request reaches a service. The services
        // keep running, so activation is one re-apply of this Ingress, not a redeploy.
        annotations.insert(SUSPENDED_ANNOTATION.to_owned(), SUSPENDED_SOURCES.to_owned());
    }
    meta.annotations = Some(annotations);
    let route = |path: String, backend: &str| HTTPIngressPath {
        path: Some(path),
        path_type: "Prefix".into(),
        backend: IngressBackend {
            service: Some(IngressServiceBackend {
                name: backend.to_owned(),
                port: Some(ServiceBackendPort { number: Some(SERVICE_PORT), ..Default::default() }),
            }),
            ..Default::default()
        },
    };
    let mut paths: Vec<HTTPIngressPath> = cx
        .platform
        .services()
        .iter()
        .map(|service| route(format!("/{}{}", tenant.id, service.path), service.name.as_str()))
        .collect();
    // The tenant's admins manage its users at /<tenant>/users, through the alias below.
    paths.push(route(format!("/{}{TENANT_USERS_PATH}", tenant.id), USER_MANAGEMENT_SERVICE_ACCOUNT));
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
