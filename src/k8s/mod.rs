//! Kubernetes manifests as typed k8s-openapi objects, bundled and rendered in apply order.
//!
//! The enabled k8s-openapi feature is `v1_33`: the oldest API version it ships, and every API
//! we emit (core/v1, apps/v1, networking.k8s.io/v1, autoscaling/v2, policy/v1,
//! scheduling.k8s.io/v1, rbac/v1) is stable from 1.33 through 1.37, the versions we accept
//! (`model::SUPPORTED_KUBERNETES_MINORS`). This module does no IO.

pub mod reach;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, Namespace, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use serde::Serialize;

/// What the API server knows a kind by, read off k8s-openapi's [`Resource`] constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// `apps/v1`, `v1`, ...
    pub api_version: &'static str,
    /// `Deployment`, ...
    pub kind: &'static str,
    /// The plural in the kind's URL path (`deployments`).
    pub plural: &'static str,
    /// Whether objects of the kind live in a namespace.
    pub namespaced: bool,
}

/// k8s-openapi's scope types as a constant (its `ResourceScope` trait has none).
trait Scope {
    const NAMESPACED: bool;
}

impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

/// Every kind of object we emit. The declaration order is the apply order: what others need
/// (namespaces, identities, limits, policies) comes before what runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant, reason = "a bundle holds tens of objects; boxing buys nothing")]
pub enum Object {
    /// `scheduling.k8s.io/v1` PriorityClass: the baseline emits one per tier, its value the
    /// tier's priority.
    PriorityClass(PriorityClass),
    /// `v1` Namespace: a tenant's (Pod Security `restricted`), or one of the baseline
    /// controllers'.
    Namespace(Namespace),
    /// `v1` ServiceAccount: the identity a tenant's pods run as, which its Pod Identity
    /// association maps to the tenant role.
    ServiceAccount(ServiceAccount),
    /// `rbac.authorization.k8s.io/v1` Role: Kubernetes API permissions within one namespace.
    Role(Role),
    /// `rbac.authorization.k8s.io/v1` RoleBinding: grants a Role or ClusterRole to subjects;
    /// verify's isolation check reads every binding that names a tenant's ServiceAccount.
    RoleBinding(RoleBinding),
    /// `v1` ResourceQuota: caps a tenant namespace's CPU, memory, pods and storage at its
    /// tier's quotas, and forbids LoadBalancer and NodePort services.
    ResourceQuota(ResourceQuota),
    /// `v1` LimitRange: the default requests and limits, and the maxima, of a tenant's
    /// containers and volume claims.
    LimitRange(LimitRange),
    /// `networking.k8s.io/v1` NetworkPolicy: a namespace's default deny and its allows, which
    /// [`reach`] evaluates.
    NetworkPolicy(NetworkPolicy),
    /// `v1` ConfigMap, e.g. the tenant's identity configuration for its services.
    ConfigMap(ConfigMap),
    /// `apps/v1` Deployment: one per service in a tenant namespace.
    Deployment(Deployment),
    /// `v1` Service: the cluster-internal address of a Deployment.
    Service(Service),
    /// `networking.k8s.io/v1` Ingress: routes the tenant's host through the shared ingress
    /// controller to its Services.
    Ingress(Ingress),
    /// `autoscaling/v2` HorizontalPodAutoscaler: scales a Deployment on CPU utilization
    /// between its minimum and maximum replicas.
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
    /// `policy/v1` PodDisruptionBudget: how many of a Deployment's pods a voluntary disruption
    /// (a node drain) may take down at once.
    PodDisruptionBudget(PodDisruptionBudget),
}

macro_rules! object_kinds {
    ($($kind:ident = $rank:literal),* $(,)?) => {
        impl Object {
            /// Position in apply order.
            pub fn rank(&self) -> u8 {
                match self { $(Object::$kind(_) => $rank,)* }
            }

            /// The object's kind, e.g. `Deployment`.
            pub fn kind(&self) -> &'static str {
                match self { $(Object::$kind(_) => <$kind as Resource>::KIND,)* }
            }

            /// The object's metadata: name, namespace, labels, annotations.
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $(Object::$kind(o) => &o.metadata,)* }
            }

            /// The metadata, to change (a label, an annotation).
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$kind(o) => &mut o.metadata,)* }
            }
        }

        /// Every kind a bundle may hold, in apply order: derived from k8s-openapi's types, so the
        /// API version, plural and scope cannot drift from the objects we emit.
        pub const KINDS: &[Kind] = &[$(
            Kind {
                api_version: <$kind as Resource>::API_VERSION,
                kind: <$kind as Resource>::KIND,
                plural: <$kind as Resource>::URL_PATH_SEGMENT,
                namespaced: <<$kind as Resource>::Scope as Scope>::NAMESPACED,
            },
        )*];

        $(
            impl From<$kind> for Object {
                fn from(object: $kind) -> Self {
                    Object::$kind(object)
                }
            }
        )*
    };
}

object_kinds! {
    PriorityClass = 0,
    Namespace = 1,
    ServiceAccount = 2,
    Role = 3,
    RoleBinding = 4,
    ResourceQuota = 5,
    LimitRange = 6,
    NetworkPolicy = 7,
    ConfigMap = 8,
    Deployment = 9,
    Service = 10,
    Ingress = 11,
    HorizontalPodAutoscaler = 12,
    PodDisruptionBudget = 13,
}

impl Object {
    /// `metadata.name`, or `""` when the object has none (the compiler always sets one).
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `metadata.namespace`; `None` for cluster-scoped kinds (Namespace, PriorityClass) and
    /// for a namespaced object left to the applier's default.
    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }
}

/// A set of objects applied together, kept in apply order: by kind, and within a kind in the
/// order the compiler added them (so a bundle reads as written: default deny before the allows).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    objects: Vec<Object>,
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `object` after the others of its kind; returns the bundle, to chain pushes.
    pub fn push(&mut self, object: impl Into<Object>) -> &mut Self {
        self.objects.push(object.into());
        self
    }

    /// The objects in apply order.
    pub fn objects(&self) -> Vec<&Object> {
        let mut ordered: Vec<&Object> = self.objects.iter().collect();
        ordered.sort_by_key(|o| o.rank()); // stable: insertion order within a kind
        ordered
    }

    /// The objects, to change in place (the customization hook); the apply order stays by
    /// kind, so changing an object never moves it.
    pub fn objects_mut(&mut self) -> impl Iterator<Item = &mut Object> {
        self.objects.iter_mut()
    }

    /// The objects of kind `K` (a k8s-openapi type, e.g. `bundle.of_kind::<Deployment>()`), in
    /// apply order.
    pub fn of_kind<K: k8s_openapi::Resource>(&self) -> Vec<&Object> {
        self.objects().into_iter().filter(|o| o.kind() == K::KIND).collect()
    }

    /// Multi-document YAML in apply order, each document introduced by `---`.
    pub fn render(&self) -> Result<String, crate::yaml::Error> {
        let mut out = String::new();
        for object in self.objects() {
            out.push_str("---\n");
            out.push_str(&crate::yaml::to_string(object)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
        ObjectMeta { name: Some(name.into()), namespace: namespace.map(Into::into), ..Default::default() }
    }

    #[test]
    fn bundles_render_in_apply_order_whatever_the_insertion_order() {
        let mut bundle = Bundle::new();
        bundle.push(Deployment { metadata: meta("web", Some("t")), ..Default::default() });
        bundle.push(ServiceAccount { metadata: meta("sa", Some("t")), ..Default::default() });
        bundle.push(NetworkPolicy { metadata: meta("b", Some("t")), ..Default::default() });
        bundle.push(NetworkPolicy { metadata: meta("a", Some("t")), ..Default::default() });
        bundle.push(Namespace { metadata: meta("t", None), ..Default::default() });
        let kinds: Vec<(&str, &str)> = bundle.objects().iter().map(|o| (o.kind(), o.name())).collect();
        assert_eq!(
            kinds,
            [
                ("Namespace", "t"),
                ("ServiceAccount", "sa"),
                ("NetworkPolicy", "b"),
                ("NetworkPolicy", "a"),
                ("Deployment", "web")
            ]
        );
        let policies: Vec<&str> = bundle.of_kind::<NetworkPolicy>().iter().map(|o| o.name()).collect();
        assert_eq!(policies, ["b", "a"]);
        let yaml = bundle.render().unwrap();
        assert!(yaml.starts_with("---\napiVersion: v1\nkind: Namespace\n"), "{yaml}");
        assert_eq!(yaml.matches("---\n").count(), 5);
    }
}
