//! Bundles through kube: a check that every image the bundle runs is in the registry, then
//! server-side apply of each object with field manager `tenancy`, in the
//! bundle's order (namespace first), a wait for every Deployment to roll out, and pruning of
//! objects tenancy applied earlier for the same step that the bundle no longer holds. Objects
//! carry a label naming their step, which is how pruning (and offboarding) finds them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde::Deserialize;

use super::provider::{Provider, Removal, StepError, StepOutcome, StepRun};
use tenancy::k8s::{KINDS, Kind};
use tenancy::plan::{Action, Placeholder, StepId};

/// The label tying an object to the plan step that applies it.
pub const STEP_LABEL: &str = "tenancy.io/step";
pub const FIELD_MANAGER: &str = "tenancy";

fn kind_info(api_version: &str, kind: &str) -> Option<(ApiResource, bool)> {
    // The kinds a bundle may hold, in apply order: the core's table, derived from k8s-openapi.
    KINDS.iter().find(|k| k.api_version == api_version && k.kind == kind).map(|k| {
        let (group, version) = k.api_version.split_once('/').unwrap_or(("", k.api_version));
        (ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, k.kind), k.plural), k.namespaced)
    })
}

/// The label value for a step: step ids hold `/`, which label values may not.
pub fn step_label(id: &StepId) -> String {
    id.as_str().replace('/', ".")
}

/// Fills the binding placeholders (`${stack:...}`, `${build:...}`) inside the string scalars of
/// one parsed document, never in its text: a value holding YAML syntax (a colon, a newline, a
/// `#`, a `---`) stays one string and cannot add a field or an object. A placeholder without a
/// value is an error (it would reach the cluster as text), and so is one in a mapping key, where
/// no generated bundle puts one.
fn fill(value: &mut serde_yaml::Value, inputs: &BTreeMap<Placeholder, String>) -> Result<(), String> {
    use serde_yaml::Value;
    match value {
        Value::String(text) if text.contains("${") => {
            for (placeholder, bound) in inputs {
                let token = placeholder.to_string();
                if text.contains(&token) {
                    *text = text.replace(&token, bound);
                }
            }
            match tenancy::plan::first_unresolved(text) {
                Some(unresolved) => Err(format!("binding {unresolved} has no value")),
                None => Ok(()),
            }
        }
        Value::Sequence(items) => items.iter_mut().try_for_each(|item| fill(item, inputs)),
        Value::Mapping(map) => {
            if let Some(key) = map.keys().filter_map(Value::as_str).find_map(tenancy::plan::first_unresolved) {
                return Err(format!("binding {key} stands in a mapping key, where tenancy never fills one"));
            }
            map.values_mut().try_for_each(|item| fill(item, inputs))
        }
        Value::Tagged(tagged) => fill(&mut tagged.value, inputs),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => Ok(()),
    }
}

/// Where the images a bundle runs must be: asked before anything is applied.
#[async_trait]
pub trait Images: Send + Sync {
    /// The images of `images` the registry does not hold, each with the reason.
    async fn missing(&self, images: &[String]) -> Result<Vec<String>, StepError>;
}

/// Every container image the workloads of `objects` run, sorted, without repeats.
fn images_of(objects: &[(DynamicObject, ApiResource, bool, Address)]) -> Vec<String> {
    let mut images = BTreeSet::new();
    for (object, ..) in objects {
        let spec = &object.data["spec"]["template"]["spec"];
        for list in ["initContainers", "containers"] {
            for container in spec[list].as_array().into_iter().flatten() {
                if let Some(image) = container["image"].as_str() {
                    images.insert(image.to_owned());
                }
            }
        }
    }
    images.into_iter().collect()
}

/// An object's address: kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Address {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
}

/// What the provider journals with a bundle step: the objects it applied, in apply order
/// (offboarding deletes them in reverse).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Inventory {
    objects: Vec<Address>,
}

impl Inventory {
    fn to_state(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an inventory serializes")
    }

    /// The inventory a removal carries: its state, or, in a journal written before the state
    /// was structured, the `Objects` output of `|`-joined lines.
    fn of(removal: &Removal) -> Result<Self, StepError> {
        match &removal.state {
            Some(state) => serde_json::from_value(state.clone()).map_err(|e| {
                StepError::fatal(format!("the journal's record of {} holds no object inventory: {e}", removal.id))
            }),
            None => Ok(Self {
                objects: removal
                    .outputs
                    .get(LEGACY_OBJECTS)
                    .map(|o| o.lines().filter_map(Address::decode).collect())
                    .unwrap_or_default(),
            }),
        }
    }
}

/// The output that held the inventory as text before it was structured state.
const LEGACY_OBJECTS: &str = "Objects";

impl Address {
    /// The text form journals written before the inventory was structured state hold.
    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('|');
        let (api_version, kind, namespace, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        Some(Self {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: (!namespace.is_empty()).then(|| namespace.into()),
            name: name.into(),
        })
    }
}

/// The objects of a bundle, labelled with their step, each with its API and address, and with
/// its placeholders filled from `inputs` (a dry run, which has no values, passes `None` and lists
/// the objects as they stand). Parsed whole before anything is sent, so a malformed bundle
/// changes nothing.
fn parse_bundle(
    text: &str,
    bundle: &str,
    label: &str,
    inputs: Option<&BTreeMap<Placeholder, String>>,
) -> Result<Vec<(DynamicObject, ApiResource, bool, Address)>, StepError> {
    let mut objects = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let mut value =
            serde_yaml::Value::deserialize(document).map_err(|e| StepError::fatal(format!("{bundle}: {e}")))?;
        if value.is_null() {
            continue;
        }
        if let Some(inputs) = inputs {
            fill(&mut value, inputs).map_err(|e| StepError::fatal(format!("{bundle}: document {}: {e}", index + 1)))?;
        }
        let mut object: DynamicObject =
            serde_yaml::from_value(value).map_err(|e| StepError::fatal(format!("{bundle}: {e}")))?;
        let types = object
            .types
            .clone()
            .ok_or_else(|| StepError::fatal(format!("{bundle}: an object without apiVersion/kind")))?;
        let (resource, namespaced) = kind_info(&types.api_version, &types.kind)
            .ok_or_else(|| StepError::fatal(format!("{bundle}: tenancy does not apply {} objects", types.kind)))?;
        object.metadata.labels.get_or_insert_with(BTreeMap::new).insert(STEP_LABEL.into(), label.to_owned());
        let name = object
            .metadata
            .name
            .clone()
            .ok_or_else(|| StepError::fatal(format!("{bundle}: a {} without a name", types.kind)))?;
        let address = Address {
            api_version: types.api_version,
            kind: types.kind,
            namespace: object.metadata.namespace.clone(),
            name,
        };
        objects.push((object, resource, namespaced, address));
    }
    Ok(objects)
}

pub struct Kubernetes {
    client: Client,
    images: std::sync::Arc<dyn Images>,
    rollout_timeout: Duration,
    poll: Duration,
    /// The API server's address, for errors that never reached it.
    address: Option<String>,
}

impl Kubernetes {
    pub fn new(client: Client, images: std::sync::Arc<dyn Images>, rollout_timeout: Duration, poll: Duration) -> Self {
        Self { client, images, rollout_timeout, poll, address: None }
    }

    /// Names `address` (the kubeconfig's cluster URL) in errors of calls that could not reach it.
    pub fn at(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    fn error(&self, what: &str, err: kube::Error) -> StepError {
        kube_error(what, err, self.address.as_deref())
    }

    fn api(&self, resource: &ApiResource, namespaced: bool, namespace: Option<&str>) -> Api<DynamicObject> {
        match (namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, resource),
            _ => Api::all_with(self.client.clone(), resource),
        }
    }

    async fn wait_rollout(&self, namespace: &str, name: &str) -> Result<(), StepError> {
        let (resource, _) = kind_info("apps/v1", "Deployment").expect("a known kind");
        let api = self.api(&resource, true, Some(namespace));
        let deadline = tokio::time::Instant::now() + self.rollout_timeout;
        loop {
            let deployment =
                api.get(name).await.map_err(|e| self.error(&format!("read deployment {namespace}/{name}"), e))?;
            let value = serde_json::to_value(&deployment).unwrap_or_default();
            let wanted = value["spec"]["replicas"].as_i64().unwrap_or(1);
            let generation = value["metadata"]["generation"].as_i64().unwrap_or(0);
            let status = &value["status"];
            let observed = status["observedGeneration"].as_i64().unwrap_or(0);
            let updated = status["updatedReplicas"].as_i64().unwrap_or(0);
            let available = status["availableReplicas"].as_i64().unwrap_or(0);
            if observed >= generation && updated >= wanted && available >= wanted {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StepError::fatal(format!(
                    "deployment {namespace}/{name} did not roll out within {:?} ({available}/{wanted} available)",
                    self.rollout_timeout
                )));
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// A step error from a kube error. A call that never reached the API server (refused, no
/// route, a name that does not resolve) names the server and the cause at the bottom of the
/// chain: kube's own text for it is `ServiceError: client error (Connect)`.
fn kube_error(what: &str, err: kube::Error, address: Option<&str>) -> StepError {
    let transient = match &err {
        kube::Error::Api(status) => status.code == 429 || status.code >= 500,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    };
    let message = match unreachable_cause(&err) {
        Some(cause) => format!(
            "{what}: cannot reach the Kubernetes API at {}: {cause}",
            address.unwrap_or("the kubeconfig's cluster")
        ),
        None => format!("{what}: {err}"),
    };
    if transient { StepError::transient(message) } else { StepError::fatal(message) }
}

/// Why a call could not reach the server: the IO error in the chain of a transport error,
/// as its kind (`connection refused`), else the deepest cause's text.
fn unreachable_cause(err: &kube::Error) -> Option<String> {
    if !matches!(err, kube::Error::HyperError(_) | kube::Error::Service(_)) {
        return None;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut deepest = None;
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return Some(io.kind().to_string());
        }
        deepest = Some(current);
        source = current.source();
    }
    let text = deepest?.to_string();
    let connecting = format!("{err:?}").contains("Connect");
    connecting.then_some(text)
}

#[async_trait]
impl Provider for Kubernetes {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        let Action::Kubernetes { bundle, .. } = &run.step.action else {
            return Err(StepError::fatal("not a Kubernetes step"));
        };
        let label = step_label(&run.step.id);
        let objects = parse_bundle(run.artifact(bundle)?, bundle, &label, Some(&run.placeholders()))?;
        let images = images_of(&objects);
        if !run.dry_run && !images.is_empty() {
            let missing = self.images.missing(&images).await?;
            if !missing.is_empty() {
                return Err(StepError::fatal(format!(
                    "{bundle} runs images the registry does not hold, so nothing was applied: {}",
                    missing.join(", ")
                )));
            }
        }
        let mut applied = Vec::new();
        let mut summary = Vec::new();
        for (object, resource, namespaced, address) in objects {
            if !run.dry_run {
                self.api(&resource, namespaced, address.namespace.as_deref())
                    .patch(&address.name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&object))
                    .await
                    .map_err(|e| self.error(&format!("apply {} {}", address.kind, address.name), e))?;
            }
            summary.push(format!(
                "{} {}/{}",
                if run.dry_run { "apply" } else { "applied" },
                address.kind,
                address.name
            ));
            applied.push(address);
        }
        if run.dry_run {
            return Ok(StepOutcome { state: None, changed: true, outputs: BTreeMap::new(), summary });
        }
        for address in applied.iter().filter(|a| a.kind == "Deployment") {
            self.wait_rollout(address.namespace.as_deref().unwrap_or("default"), &address.name).await?;
        }

        // Prune what this step applied before and no longer holds, per kind and namespace.
        let current: BTreeSet<&Address> = applied.iter().collect();
        let namespaces: BTreeSet<Option<String>> = applied.iter().map(|a| a.namespace.clone()).collect();
        for &Kind { api_version, kind, namespaced, .. } in KINDS {
            let (resource, _) = kind_info(api_version, kind).expect("a known kind");
            for namespace in namespaces.iter().filter(|ns| ns.is_some() == namespaced) {
                let api = self.api(&resource, namespaced, namespace.as_deref());
                let listed = api
                    .list(&ListParams::default().labels(&format!("{STEP_LABEL}={label}")))
                    .await
                    .map_err(|e| self.error(&format!("list {kind} of {}", run.step.id), e))?;
                for object in listed.items {
                    let Some(name) = object.metadata.name.clone() else { continue };
                    let address = Address {
                        api_version: api_version.into(),
                        kind: kind.into(),
                        namespace: namespace.clone(),
                        name: name.clone(),
                    };
                    if !current.contains(&address) {
                        api.delete(&name, &DeleteParams::default())
                            .await
                            .map_err(|e| self.error(&format!("prune {kind} {name}"), e))?;
                        summary.push(format!("pruned {kind}/{name}"));
                    }
                }
            }
        }
        Ok(StepOutcome {
            changed: true,
            outputs: BTreeMap::new(),
            summary,
            state: Some(Inventory { objects: applied }.to_state()),
        })
    }

    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError> {
        let objects = Inventory::of(removal)?.objects;
        let mut summary = Vec::new();
        // Reverse apply order, so the namespace (which would take everything with it) goes last.
        for address in objects.iter().rev() {
            let Some((resource, namespaced)) = kind_info(&address.api_version, &address.kind) else { continue };
            match self
                .api(&resource, namespaced, address.namespace.as_deref())
                .delete(&address.name, &DeleteParams::default())
                .await
            {
                Ok(_) => summary.push(format!("deleted {}/{}", address.kind, address.name)),
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => return Err(self.error(&format!("delete {} {}", address.kind, address.name), err)),
            }
        }
        Ok(StepOutcome { state: None, changed: !summary.is_empty(), outputs: BTreeMap::new(), summary })
    }
}

/// The Kubernetes provider, connecting on first use (an apply that runs no Kubernetes step
/// needs no cluster): through the kubeconfig or in-cluster settings when there are some, else
/// to the plan's EKS cluster with a kubeconfig `aws eks update-kubeconfig` writes for this
/// apply alone. So the first apply on a fresh account, which creates the cluster half-way,
/// reaches it without a step in between.
pub struct LazyKubernetes {
    provider: tokio::sync::OnceCell<Kubernetes>,
    images: std::sync::Arc<dyn Images>,
    /// The plan's cluster and region.
    cluster: (String, String),
    rollout_timeout: Duration,
    poll: Duration,
}

impl LazyKubernetes {
    pub fn new(
        images: std::sync::Arc<dyn Images>,
        cluster: (String, String),
        rollout_timeout: Duration,
        poll: Duration,
    ) -> Self {
        Self { provider: tokio::sync::OnceCell::new(), images, cluster, rollout_timeout, poll }
    }

    async fn get(&self) -> Result<&Kubernetes, StepError> {
        self.provider
            .get_or_try_init(|| async {
                let cannot = |e: String| StepError::fatal(format!("cannot reach the cluster: {e}"));
                let configured = std::env::var_os("KUBECONFIG").is_some()
                    || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
                    || std::env::var_os("HOME").is_some_and(|h| std::path::Path::new(&h).join(".kube/config").exists());
                let config = if configured {
                    kube::Config::infer().await.map_err(|e| cannot(format!("{e} (kubeconfig or in-cluster config)")))?
                } else {
                    let (name, region) = &self.cluster;
                    let path = std::env::temp_dir().join(format!("tenancy-kubeconfig-{}", std::process::id()));
                    let out = tokio::process::Command::new("aws")
                        .args(["eks", "update-kubeconfig", "--name", name, "--region", region, "--kubeconfig"])
                        .arg(&path)
                        .output()
                        .await
                        .map_err(|e| {
                            cannot(format!("no kubeconfig, and `aws eks update-kubeconfig` could not run: {e}"))
                        })?;
                    if !out.status.success() {
                        return Err(cannot(format!(
                            "no kubeconfig, and `aws eks update-kubeconfig --name {name} --region {region}` failed: {}",
                            String::from_utf8_lossy(&out.stderr).trim()
                        )));
                    }
                    let kubeconfig = kube::config::Kubeconfig::read_from(&path).map_err(|e| cannot(e.to_string()));
                    let _ = std::fs::remove_file(&path);
                    kube::Config::from_custom_kubeconfig(kubeconfig?, &Default::default())
                        .await
                        .map_err(|e| cannot(e.to_string()))?
                };
                let address = config.cluster_url.to_string();
                let client = Client::try_from(config).map_err(|e| cannot(e.to_string()))?;
                Ok(Kubernetes::new(client, self.images.clone(), self.rollout_timeout, self.poll).at(address))
            })
            .await
    }
}

#[async_trait]
impl Provider for LazyKubernetes {
    async fn apply(&self, run: &StepRun) -> Result<StepOutcome, StepError> {
        if run.dry_run {
            // A dry run lists the objects without reaching the cluster.
            let Action::Kubernetes { bundle, .. } = &run.step.action else {
                return Err(StepError::fatal("not a Kubernetes step"));
            };
            let objects = parse_bundle(run.artifact(bundle)?, bundle, &step_label(&run.step.id), None)?;
            let summary = objects.iter().map(|(_, _, _, a)| format!("apply {}/{}", a.kind, a.name)).collect();
            return Ok(StepOutcome { state: None, changed: true, outputs: BTreeMap::new(), summary });
        }
        self.get().await?.apply(run).await
    }

    async fn remove(&self, removal: &Removal) -> Result<StepOutcome, StepError> {
        self.get().await?.remove(removal).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_or_refused() {
        let inputs = BTreeMap::from([(Placeholder::stack("s", "Issuer"), "https://issuer".to_owned())]);
        let bundle = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  issuer: ${stack:s:Issuer}/x\n";
        let objects = parse_bundle(bundle, "b.yaml", "l", Some(&inputs)).unwrap();
        assert_eq!(objects[0].0.data["data"]["issuer"], "https://issuer/x");
        let missing = bundle.replace("Issuer}", "Missing}");
        let err = parse_bundle(&missing, "b.yaml", "l", Some(&inputs)).unwrap_err();
        assert!(err.message.contains("b.yaml: document 1: binding ${stack:s:Missing} has no value"), "{err}");
        let keyed = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  ${stack:s:Issuer}: x\n";
        let err = parse_bundle(keyed, "b.yaml", "l", Some(&inputs)).unwrap_err();
        assert!(err.message.contains("mapping key"), "{err}");
    }

    /// A bound value is data, never YAML: one that holds a newline, a colon and a document
    /// marker stays one string of the object it was bound into, where text substitution would
    /// have added a field and a second object.
    #[test]
    fn a_bound_value_cannot_add_a_field_or_an_object() {
        let hostile = "x\nkind: Secret\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: evil}".to_owned();
        let inputs = BTreeMap::from([(Placeholder::stack("s", "Issuer"), hostile.clone())]);
        let bundle = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  issuer: ${stack:s:Issuer}\n";
        let objects = parse_bundle(bundle, "b.yaml", "l", Some(&inputs)).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].3.kind, "ConfigMap");
        assert_eq!(objects[0].0.data["data"]["issuer"], hostile.as_str());
        assert!(objects[0].0.data["data"].get("kind").is_none());
    }

    struct NoImages;

    #[async_trait]
    impl Images for NoImages {
        async fn missing(&self, _: &[String]) -> Result<Vec<String>, StepError> {
            Ok(vec![])
        }
    }

    /// Fault 9c: an API server that is down was reported as `ServiceError: client error
    /// (Connect)`, naming neither the server nor the cause.
    #[tokio::test]
    async fn an_unreachable_api_is_named_by_its_address_and_the_cause() {
        // As the binary does (kube's TLS stack asks for the process-wide provider).
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/");
        let config = kube::Config::new(url.parse().unwrap());
        let client = Client::try_from(config).unwrap();
        let kubernetes = Kubernetes::new(client, std::sync::Arc::new(NoImages), Duration::from_secs(1), Duration::ZERO);
        let address =
            Address { api_version: "v1".into(), kind: "Namespace".into(), namespace: None, name: "tenant-acme".into() };
        let removal = Removal {
            id: StepId::new("tenant/acme/k8s"),
            action: Action::Kubernetes {
                bundle: "tenants/acme/k8s.yaml".into(),
                namespace: Some("tenant-acme".into()),
            },
            outputs: BTreeMap::new(),
            state: Some(Inventory { objects: vec![address] }.to_state()),
        };
        let err = kubernetes.at(url.clone()).remove(&removal).await.unwrap_err();
        assert_eq!(
            err.message,
            format!("delete Namespace tenant-acme: cannot reach the Kubernetes API at {url}: connection refused")
        );
        assert!(err.transient, "the server may come back");
    }

    #[test]
    fn the_inventory_is_structured_state_and_journals_of_before_still_read() {
        let a = Address {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("ns".into()),
            name: "x".into(),
        };
        let b = Address { api_version: "v1".into(), kind: "Namespace".into(), namespace: None, name: "ns".into() };
        let inventory = Inventory { objects: vec![b.clone(), a.clone()] };
        assert_eq!(
            inventory.to_state(),
            serde_json::json!({"objects": [
                {"apiVersion": "v1", "kind": "Namespace", "namespace": null, "name": "ns"},
                {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "ns", "name": "x"}
            ]})
        );
        let removal = |outputs: BTreeMap<String, String>, state| Removal {
            id: StepId::new("tenant/acme/k8s"),
            action: Action::Kubernetes { bundle: "b".into(), namespace: None },
            outputs,
            state,
        };
        assert_eq!(Inventory::of(&removal(BTreeMap::new(), Some(inventory.to_state()))).unwrap(), inventory);
        // A journal of the version before: the `Objects` output, one `|`-joined line per object.
        let legacy = BTreeMap::from([(LEGACY_OBJECTS.to_owned(), "v1|Namespace||ns\nv1|ConfigMap|ns|x".to_owned())]);
        assert_eq!(Inventory::of(&removal(legacy, None)).unwrap(), inventory);
        let err = Inventory::of(&removal(BTreeMap::new(), Some(serde_json::json!({"objects": "x"})))).unwrap_err();
        assert!(err.message.contains("holds no object inventory"), "{err}");
        assert_eq!(step_label(&StepId::new("tenant/acme/k8s")), "tenant.acme.k8s");
    }
}
