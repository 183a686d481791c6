//! The control plane's Kubernetes bundle: its namespace, and for each of its services
//! (registration, tenant management, user management) a ServiceAccount (which the
//! cluster-access stack's Pod Identity association maps to the service's role), a Deployment
//! of the image the images build pushed, a Service, a disruption budget, the namespace's
//! network fence, and the routes on the API host. A tenant's user routes
//! (`/<tenant>/users`) are not here: they are on the tenant's own Ingress (see `k8s_tenant`),
//! so that adding a tenant never changes this bundle and a suspended tenant's admins are
//! refused with the rest of its traffic.
//!
//! Every value a service reads from its environment is set here, from the blueprint, from
//! derived names, or as a `${stack:...}` binding on the baseline stack's outputs that apply
//! resolves; each service's `tests/deployment.rs` starts the binary with exactly this
//! environment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, PodSpec, ServiceAccount};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::contract::outputs::baseline as outputs;
use crate::k8s::Bundle;
use crate::model::naming::{
    REGISTRATION_SERVICE_ACCOUNT, TENANT_MANAGEMENT_SERVICE_ACCOUNT, USER_MANAGEMENT_SERVICE_ACCOUNT, api_host,
};
use crate::model::{Identity, Platform};

use super::common::stack_binding;
use super::k8s_workload::{
    Fence, LABEL_NAME, SERVICE_PORT, Workload, cluster_ip, container, deployment, disruption_budget, env, labels,
    pod_security, scratch_volume,
};

/// The port every control-plane process listens on (its `PORT`).
pub const CONTROL_PLANE_PORT: u16 = 8080;
/// Replicas of each control-plane service: one may be down (a node drained, a rollout) while
/// the other serves.
pub const CONTROL_PLANE_REPLICAS: i32 = 2;

/// One control-plane service: its name (Deployment, ServiceAccount, image), its environment,
/// the path it answers readiness on, and its routes on the API host.
struct ControlService {
    name: &'static str,
    env: Vec<EnvVar>,
    readiness: &'static str,
    routes: Vec<Route>,
}

/// Paths of the API host that reach one service, with the browser origins allowed to call
/// them (CORS, answered by ingress-nginx).
struct Route {
    /// The Ingress object's name.
    name: &'static str,
    /// `(path, Exact or Prefix)`.
    paths: Vec<(&'static str, &'static str)>,
    origins: Vec<String>,
    methods: &'static str,
    headers: &'static str,
    /// Requests per second per client address, when the route takes a tighter limit.
    rps: Option<u32>,
}

struct Context<'a> {
    platform: &'a Platform,
    namespace: String,
}

impl Context<'_> {
    fn labels(&self, name: Option<&str>) -> BTreeMap<String, String> {
        let mut pairs = vec![
            ("app.kubernetes.io/managed-by", "tenancy"),
            ("app.kubernetes.io/part-of", self.platform.name().as_str()),
            ("app.kubernetes.io/component", "control-plane"),
        ];
        if let Some(name) = name {
            pairs.push((LABEL_NAME, name));
        }
        labels(&pairs)
    }

    fn meta(&self, name: &str, service: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels(service)),
            ..Default::default()
        }
    }

    fn selector(&self, name: &str) -> LabelSelector {
        LabelSelector { match_labels: Some(labels(&[(LABEL_NAME, name)])), ..Default::default() }
    }
}

/// The control plane's services as this platform configures them.
fn services(platform: &Platform) -> Vec<ControlService> {
    let names = platform.baseline_names();
    let domain = platform.domain();
    let baseline = |output: &str| stack_binding(&names.stack, output);
    let registry = || env("REGISTRY_TABLE", &baseline(outputs::REGISTRY_TABLE));
    let topic = || env("LIFECYCLE_TOPIC_ARN", &baseline(outputs::LIFECYCLE_TOPIC_ARN));
    let onboarding = || env("ONBOARDING_PROJECT", &names.onboarding_project);
    let tenant_table = || env("TENANT_TABLE", &names.tenant_table);
    let admin = || {
        [
            env("ADMIN_ISSUER", &baseline(outputs::ADMIN_ISSUER_URL)),
            env("ADMIN_CLIENT_ID", &baseline(outputs::ADMIN_CLIENT_ID)),
        ]
    };
    let admin_console = format!("https://admin.{domain}");
    let tiers: Vec<&str> = platform.tiers().iter().map(|t| t.name.as_str()).collect();
    let pooled_identity = platform.tiers().iter().any(|t| t.identity == Identity::Pooled);

    let mut user_management_env = vec![tenant_table()];
    if pooled_identity {
        user_management_env.push(env("TENANTS_USER_POOL_ID", &baseline(outputs::TENANTS_USER_POOL_ID)));
    }
    user_management_env.push(env("ADMIN_USER_POOL_ID", &baseline(outputs::ADMIN_USER_POOL_ID)));
    user_management_env.extend(admin());

    vec![
        ControlService {
            name: REGISTRATION_SERVICE_ACCOUNT,
            env: vec![registry(), topic(), onboarding(), env("TIERS", &tiers.join(","))],
            readiness: "/ready",
            routes: vec![Route {
                name: "registration",
                paths: vec![("/register", "Exact")],
                // The landing page's sign-up form.
                origins: vec![format!("https://www.{domain}")],
                methods: "POST, OPTIONS",
                headers: "Content-Type, Idempotency-Key",
                // Sign-ups are rare: a tight limit at the edge, before the service's own
                // per-address bucket.
                rps: Some(2),
            }],
        },
        ControlService {
            name: TENANT_MANAGEMENT_SERVICE_ACCOUNT,
            env: [registry(), tenant_table(), topic(), onboarding(), env("APP_DOMAIN", &format!("app.{domain}"))]
                .into_iter()
                .chain(admin())
                .chain([env("TIERS", &tiers.join(","))])
                .collect(),
            readiness: "/ready",
            routes: vec![
                Route {
                    name: "tenant-management",
                    paths: vec![("/tenants", "Prefix")],
                    origins: vec![admin_console.clone()],
                    methods: "GET, POST, OPTIONS",
                    headers: "Authorization, Content-Type",
                    rps: None,
                },
                Route {
                    name: "auth-info",
                    paths: vec![("/auth-info", "Exact")],
                    // Every tenant's app asks where its users sign in, before anyone has.
                    origins: vec![format!("https://*.app.{domain}")],
                    methods: "GET, OPTIONS",
                    headers: "Content-Type",
                    rps: None,
                },
            ],
        },
        ControlService {
            name: USER_MANAGEMENT_SERVICE_ACCOUNT,
            env: user_management_env,
            // User management keeps no connection to check: live is ready.
            readiness: "/health",
            routes: vec![Route {
                name: "admin-users",
                paths: vec![("/admin-users", "Prefix")],
                origins: vec![admin_console],
                methods: "GET, POST, DELETE, OPTIONS",
                headers: "Authorization, Content-Type",
                rps: None,
            }],
        },
    ]
}

/// The control plane's bundle.
pub fn control_plane_bundle(platform: &Platform) -> Bundle {
    let cx = Context { platform, namespace: platform.baseline_names().control_plane_namespace };
    let mut bundle = Bundle::new();
    bundle.push(super::k8s_workload::namespace(platform, &cx.namespace, cx.labels(None), "restricted"));
    let services = services(platform);
    for service in &services {
        // The cluster-access stack's association gives this ServiceAccount's pods the
        // service's role; they need no Kubernetes API token.
        bundle.push(ServiceAccount {
            metadata: cx.meta(service.name, Some(service.name)),
            automount_service_account_token: Some(false),
            ..Default::default()
        });
    }

    // Nothing in or out but the ingress controller to the services, DNS, the Pod Identity
    // Agent and AWS's APIs: the services call no one inside the cluster, not even each other.
    let meta = |name: &str| cx.meta(name, None);
    let fence = Fence { meta: &meta };
    bundle.push(fence.default_deny());
    bundle.push(fence.ingress_controller(&platform.baseline_names().ingress_namespace, &[CONTROL_PLANE_PORT]));
    bundle.push(fence.dns());
    bundle.push(fence.pod_identity_agent());
    bundle.push(fence.https_egress());

    for service in services {
        workload(&cx, &service, &mut bundle);
        for route in &service.routes {
            ingress(&cx, service.name, route, &mut bundle);
        }
    }
    bundle
}

fn workload(cx: &Context, service: &ControlService, bundle: &mut Bundle) {
    let name = service.name;
    let mut env = vec![env("AWS_REGION", cx.platform.region().as_str()), env("PORT", &CONTROL_PLANE_PORT.to_string())];
    env.extend(service.env.iter().cloned());
    let container = container(Workload {
        name,
        image: super::images::reference(cx.platform, name),
        port: CONTROL_PLANE_PORT,
        env,
        requests: (100, 128),
        limits: (500, 256),
        liveness: "/health",
        readiness: service.readiness,
    });
    let pod = PodSpec {
        service_account_name: Some(name.to_owned()),
        automount_service_account_token: Some(false),
        security_context: Some(pod_security()),
        containers: vec![container],
        volumes: Some(vec![scratch_volume()]),
        ..Default::default()
    };
    let meta = cx.meta(name, Some(name));
    bundle.push(deployment(meta.clone(), Some(CONTROL_PLANE_REPLICAS), cx.selector(name), cx.labels(Some(name)), pod));
    bundle.push(cluster_ip(meta.clone(), cx.selector(name).match_labels.unwrap_or_default()));
    bundle.push(disruption_budget(meta, cx.selector(name)));
}

fn ingress(cx: &Context, service: &str, route: &Route, bundle: &mut Bundle) {
    let mut meta = cx.meta(route.name, Some(service));
    let mut annotations: BTreeMap<String, String> = [
        ("nginx.ingress.kubernetes.io/cors-allow-headers", route.headers.to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-methods", route.methods.to_owned()),
        ("nginx.ingress.kubernetes.io/cors-allow-origin", route.origins.join(", ")),
        ("nginx.ingress.kubernetes.io/cors-max-age", "600".to_owned()),
        ("nginx.ingress.kubernetes.io/enable-cors", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(rps) = route.rps {
        annotations.insert("nginx.ingress.kubernetes.io/limit-rps".into(), rps.to_string());
    }
    meta.annotations = Some(annotations);
    let paths = route
        .paths
        .iter()
        .map(|(path, kind)| HTTPIngressPath {
            path: Some((*path).to_owned()),
            path_type: (*kind).to_owned(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: service.to_owned(),
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
                host: Some(api_host(cx.platform.domain())),
                http: Some(HTTPIngressRuleValue { paths }),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    });
}
