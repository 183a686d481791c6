//! Proofs on the generated files, before anything exists: `tenancy verify` reads `generated/`
//! (not the model, so a hand edit or a compiler bug is caught as well) and checks, for every
//! tenant, that no principal it can obtain reaches another tenant's data (`verify/isolation.rs`), that
//! no pod of it reaches another tenant, the metadata service or the Kubernetes API and its
//! Ingress routes only to it (`verify/network.rs`), that its tokens and identity settings are its own
//! (`verify/identity.rs`), and that every call the code makes is allowed for whoever makes it
//! (`verify/sufficiency.rs`).
//!
//! Pure: files in (path and text), a [`Report`] out. The caller reads the files; the fleet is
//! fed one tenant at a time ([`Baseline::tenant`]), so memory stays flat at 10,000 tenants and
//! tenants can be checked in parallel. Cross-tenant questions are answered without pairs: a
//! tenant is checked against "any other tenant" symbolically (`verify/other.rs`), and what must be
//! unique across tenants (host and path) is compared through a map in [`Baseline::finish`].
//!
//! What it does not know it reports as [`Property::CannotProve`] rather than guessing.

pub mod calls;
mod control_plane;
mod doc;
mod finding;
pub mod iam;
mod identity;
mod isolation;
mod network;
mod other;
mod plan;
mod principals;
mod shapes;
mod sufficiency;
mod template;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

pub use doc::{Doc, Location, Unreadable};
pub use finding::{AcceptedList, Finding, Property, Report};
use principals::{Attachments, Role};
use template::{Exports, Scope, Template};

use crate::contract::paths;
use crate::model::FieldPath;
use crate::model::naming::POOL_NAMESPACE_PREFIX;

/// The platform's files other than the tenants': plan.json, the baseline templates and
/// manifests, the buildspecs. Read once; every tenant is checked against it.
pub struct Baseline {
    /// Partition, account and region the stacks deploy to, read from plan.json.
    pub scope: Scope,
    /// Every export of the baseline's stacks, resolved, which tenant templates import.
    pub exports: Exports,
    /// plan.json as parsed (`Null` when it is missing or unreadable, which `report` records).
    pub plan: Value,
    /// Every file read, parsed, by path relative to the generated folder.
    pub docs: BTreeMap<String, Doc>,
    /// Template files with their stack and region (from plan.json).
    stacks: Vec<(String, String, String)>,
    /// The baseline's customer managed policies (by ARN) and the policies that attach
    /// themselves to roles by name (`AWS::IAM::Policy`, `ManagedPolicy` with `Roles`).
    pub attachments: Attachments,
    /// Every IAM role the baseline's templates define, with its trust and permissions
    /// resolved: the principals isolation and sufficiency evaluate.
    pub roles: Vec<Role>,
    /// Problems found while reading (unreadable files).
    pub report: Report,
    /// Stack roles' handler permissions, checked once per role and resource type.
    stack_roles: sufficiency::StackRoles,
    /// What every tenant's check derives from the platform's files, derived once.
    cache: Cache,
    /// The indexes in plan.json's steps of each tenant's steps.
    steps_of: HashMap<String, Vec<usize>>,
    /// The accepted findings, known before the tenants are checked (see `shapes`).
    accepted: Option<AcceptedList>,
    shapes: shapes::Shapes,
}

/// A key or bucket policy: ("key" | "bucket", the key's ARN or the bucket's name, the resolved
/// document, where it is written).
pub(crate) type ResourcePolicy = (&'static str, String, Value, Location);

/// Facts of the platform's files that every tenant's check reads, computed on first use.
#[derive(Default)]
pub(crate) struct Cache {
    /// (role index, scoped to tenant steps, the project) of every project that runs apply.
    pub appliers: std::sync::OnceLock<Vec<(usize, bool, Location)>>,
    /// The ARNs of the baseline's tables and user pools, shared by tenants.
    pub shared: std::sync::OnceLock<isolation::SharedResources>,
    /// The baseline's Pod Identity associations: (namespace, account, cluster, role, where).
    pub associations: std::sync::OnceLock<Vec<isolation::Association>>,
    /// The baseline's key and bucket policies: (kind, key ARN or bucket name, document, where).
    pub resource_policies: std::sync::OnceLock<Vec<ResourcePolicy>>,
    /// The control plane's resources, found once (`control_plane`).
    pub control_plane: std::sync::OnceLock<Option<control_plane::Resources>>,
    /// The cell stack file of every tenant of a pooled tier, by tenant id.
    pub cells: std::sync::OnceLock<HashMap<String, String>>,
    /// The baseline's NetworkPolicies, parsed.
    pub policies: std::sync::OnceLock<Vec<(k8s_openapi::api::networking::v1::NetworkPolicy, Location)>>,
}

/// What one tenant's check leaves for the fleet-wide pass.
#[derive(Debug, Clone, Default)]
pub struct TenantSummary {
    /// The tenant's id.
    pub id: String,
    /// (host, path) of every Ingress rule, with where it is.
    pub routes: Vec<(String, String, Location)>,
    /// Whether the tenant's egress admits a pod of another tenant (and which policy).
    pub egress_to_others: Option<Location>,
    /// Whether the tenant's ingress admits a pod of another tenant.
    pub ingress_from_others: Option<Location>,
}

impl Baseline {
    /// Reads the platform's files: `plan.json`, `baseline/*`, `buildspecs/*`.
    pub fn read(files: &BTreeMap<String, String>) -> Self {
        let mut report = Report::default();
        let mut docs = BTreeMap::new();
        for (path, text) in files.iter().filter(|(p, _)| *p != "plan.json") {
            match Doc::parse(path, text) {
                Ok(doc) => {
                    docs.insert(path.clone(), doc);
                }
                Err(e) => report.findings.push(unreadable(&e)),
            }
        }
        let plan = match files.get("plan.json").map(|text| plan::read(text)) {
            Some(Ok(plan)) => plan,
            Some(Err(e)) => {
                report.findings.push(unreadable(&Unreadable { file: "plan.json".into(), message: e }));
                Value::Null
            }
            None => {
                report.findings.push(unreadable(&Unreadable {
                    file: "plan.json".into(),
                    message: "missing: synthesize first".into(),
                }));
                Value::Null
            }
        };
        let mut steps_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, step) in plan["steps"].as_array().into_iter().flatten().enumerate() {
            if let Some(tenant) =
                step["id"].as_str().and_then(|id| id.strip_prefix("tenant/")).and_then(|t| t.split('/').next())
            {
                steps_of.entry(tenant.to_owned()).or_default().push(i);
            }
        }
        let region = plan["region"].as_str().unwrap_or("us-east-1").to_owned();
        let account = plan["artifactsBucket"]
            .as_str()
            .and_then(|b| b.split('-').find(|p| p.len() == 12 && p.chars().all(|c| c.is_ascii_digit())))
            .unwrap_or("123456789012")
            .to_owned();
        let scope = Scope { partition: "aws".into(), account, region: region.clone() };
        let stacks = stacks_of(&plan, &region);
        let mut baseline = Self {
            scope,
            exports: Exports::new(),
            plan,
            docs,
            stacks,
            attachments: Attachments::default(),
            roles: Vec::new(),
            report,
            stack_roles: Default::default(),
            cache: Cache::default(),
            steps_of,
            accepted: None,
            shapes: shapes::Shapes::default(),
        };
        // Exports first (two rounds: an export may import another stack's).
        for _ in 0..2 {
            let mut exports = Exports::new();
            for t in baseline.templates() {
                exports.extend(t.1.exports(&baseline.scope, &baseline.exports));
            }
            baseline.exports = exports;
        }
        let templates = baseline.templates();
        let refs: Vec<(&str, &Template)> = templates.iter().map(|(f, t)| (f.as_str(), t)).collect();
        let attachments = Attachments::of(&refs, &baseline.scope, &baseline.exports);
        let roles = principals::roles(&refs, &baseline.scope, &baseline.exports, &[&attachments]);
        drop(templates);
        baseline.attachments = attachments;
        baseline.roles = roles;
        baseline
    }

    /// The platform's templates (files under `baseline/` and `pools/` ending `.cfn.yaml`): the
    /// baseline's and the pooled tiers' pool and cell stacks.
    pub fn templates(&self) -> Vec<(String, Template<'_>)> {
        self.docs
            .iter()
            .filter(|(path, _)| {
                (path.starts_with(paths::BASELINE_DIR) || path.starts_with(paths::POOLS_DIR))
                    && paths::is_template(path)
            })
            .filter_map(|(path, doc)| Some((path.clone(), self.template(path, &doc.documents.first()?.value))))
            .collect()
    }

    /// A template view of `root`, with the stack and region plan.json gives its file.
    pub fn template<'v>(&self, file: &str, root: &'v Value) -> Template<'v> {
        let (stack, region) = self
            .stacks
            .iter()
            .find(|(f, _, _)| f == file)
            .map(|(_, s, r)| (s.clone(), r.clone()))
            .unwrap_or_else(|| (file.to_owned(), self.scope.region.clone()));
        Template { stack, region, root }
    }

    /// Where `path` of `file` is, among the baseline's files.
    pub fn at(&self, file: &str, path: &FieldPath) -> Location {
        self.docs.get(file).map_or_else(|| Location { file: file.to_owned(), line: 1 }, |d| d.at(0, path))
    }

    /// Every tenant id plan.json names, in order.
    pub fn tenants(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.plan["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["kind"] == "register")
            .filter_map(|s| s["tenant"].as_str().map(str::to_owned))
            .collect();
        ids.dedup();
        ids
    }

    /// Checks one tenant from its files (`tenants/<id>/...`, path relative to the generated
    /// folder).
    pub fn tenant(&self, id: &str, files: &BTreeMap<String, String>) -> (Report, TenantSummary) {
        let steps: Vec<String> = self
            .steps_of(id)
            .map(|s| {
                // A step's content hash differs per tenant and no check reads it (apply does).
                let mut s = s.clone();
                if let Some(map) = s.as_object_mut() {
                    map.remove("hash");
                }
                s.to_string()
            })
            .collect();
        // A pooled tenant's proof also reads its cell, which names the cell's other tenants:
        // no two tenants' inputs are alike once their ids are swapped, so each is proven alone.
        let pooled = self.cell_of(id).is_some();
        let normalized = if pooled { None } else { shapes::normalize(id, files, &steps) };
        if let Some(known) = normalized.as_ref().and_then(|n| self.shapes.reuse(id, n)) {
            return known;
        }
        let (report, summary) = self.check_tenant(id, files);
        if let Some(n) = normalized {
            self.shapes.remember(id, n, (&report, &summary), self.accepted.as_ref());
        }
        (report, summary)
    }

    /// The tenant's steps in plan.json (found through an index: a fleet has 3 per tenant).
    pub fn steps_of<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Value> + 'a {
        let steps = self.plan["steps"].as_array().map(Vec::as_slice).unwrap_or_default();
        self.steps_of.get(id).into_iter().flatten().filter_map(move |i| steps.get(*i))
    }

    /// The cell stack file holding `tenant`'s resources, if it is a tenant of a pooled tier: the
    /// cell whose outputs carry its app client (`crate::compile::pool::outputs::client_id`).
    pub fn cell_of(&self, tenant: &str) -> Option<&String> {
        let cells = self.cache.cells.get_or_init(|| {
            let mut out = HashMap::new();
            for (path, doc) in self.docs.range(paths::POOLS_DIR.to_owned()..) {
                if !path.starts_with(paths::POOLS_DIR) {
                    break;
                }
                if !paths::is_template(path) {
                    continue;
                }
                let Some(outputs) = doc.documents.first().and_then(|d| d.value["Outputs"].as_object()) else {
                    continue;
                };
                for key in outputs.keys() {
                    if let Some(id) = key.strip_prefix('T').and_then(|k| k.strip_suffix("ClientId")) {
                        out.insert(id.replace('H', "-"), path.clone());
                    }
                }
            }
            out
        });
        cells.get(tenant)
    }

    /// The findings that will be accepted: known before the tenants are checked, so that a
    /// tenant shape whose only findings are accepted is proven once (`shapes`).
    pub fn accept(&mut self, accepted: Option<AcceptedList>) {
        self.accepted = accepted;
    }

    fn check_tenant(&self, id: &str, files: &BTreeMap<String, String>) -> (Report, TenantSummary) {
        let mut report = Report { tenants: 1, ..Report::default() };
        let mut docs = BTreeMap::new();
        for (path, text) in files {
            match Doc::parse(path, text) {
                Ok(doc) => {
                    docs.insert(path.clone(), doc);
                }
                Err(e) => report.findings.push(unreadable(&e)),
            }
        }
        // A tenant of a pooled tier has no stack: its AWS resources are its cell's, and its
        // workloads are its pool's (both checked with the platform's files).
        let pooled = self.steps_of(id).all(|s| s["kind"] != "cloudformation");
        let wanted: &[&str] =
            if pooled { &[paths::TENANT_BUNDLE_FILE] } else { &[paths::TENANT_STACK_FILE, paths::TENANT_BUNDLE_FILE] };
        for wanted in wanted {
            let file = format!("{}{wanted}", paths::tenant_dir(id));
            if !docs.contains_key(&file) && !report.findings.iter().any(|f| f.resource == file) {
                report.findings.push(unreadable(&Unreadable {
                    file,
                    message: format!("missing: plan.json names tenant {id}; synthesize again"),
                }));
            }
        }
        let tenant = Tenant::new(self, id, &docs);
        let mut summary = TenantSummary { id: id.to_owned(), ..TenantSummary::default() };
        isolation::check(self, &tenant, &mut report);
        network::check(self, &tenant, &mut report, &mut summary);
        identity::check(self, &tenant, &mut report);
        sufficiency::tenant(self, &tenant, &mut report);
        (report, summary)
    }

    /// The fleet-wide pass and the platform's own checks; `reports` are the tenants'.
    pub fn finish(&self, tenants: Vec<(Report, TenantSummary)>) -> Report {
        let mut report = self.report.clone();
        sufficiency::platform(self, &mut report);
        identity::platform(self, &mut report);
        isolation::cells(self, &mut report);
        let mut summaries = Vec::with_capacity(tenants.len());
        for (r, s) in tenants {
            report.merge(r);
            summaries.push(s);
        }
        network::fleet(&summaries, &mut report);
        report
    }
}

/// Verifies a whole tree held in memory (path relative to the generated folder -> text): the
/// platform's files, then each tenant plan.json names, from `tenants/<id>/`. The CLI streams
/// the same steps from disk instead.
pub fn verify(files: &BTreeMap<String, String>, accepted: Option<&AcceptedList>) -> Report {
    let platform: BTreeMap<String, String> =
        files.iter().filter(|(p, _)| !p.starts_with(paths::TENANTS_DIR)).map(|(p, t)| (p.clone(), t.clone())).collect();
    let mut baseline = Baseline::read(&platform);
    baseline.accept(accepted.cloned());
    let tenants = baseline
        .tenants()
        .iter()
        .map(|id| {
            let prefix = paths::tenant_dir(id);
            let own: BTreeMap<String, String> = files
                .range(prefix.clone()..)
                .take_while(|(p, _)| p.starts_with(&prefix))
                .map(|(p, t)| (p.clone(), t.clone()))
                .collect();
            baseline.tenant(id, &own)
        })
        .collect();
    baseline.finish(tenants).finish(accepted)
}

/// One tenant's parsed files and what verify derives from them once.
pub struct Tenant<'a> {
    /// The tenant's id.
    pub id: String,
    /// The tenant's files that parsed, by path relative to the generated folder.
    pub docs: &'a BTreeMap<String, Doc>,
    /// The tenant's stack template file, if present.
    pub stack_file: Option<String>,
    /// The IAM roles the tenant's stack defines, resolved against the baseline's exports and
    /// policy attachments.
    pub roles: Vec<Role>,
    /// Kubernetes objects of the tenant's bundle: (file, document index, value). For a tenant of
    /// a pooled tier, its pool's objects too.
    pub objects: Vec<(&'a str, usize, &'a Value)>,
    /// For a tenant of a pooled tier, its cell's stack: (file, template root).
    pub cell: Option<(String, &'a Value)>,
}

impl<'a> Tenant<'a> {
    fn new(baseline: &'a Baseline, id: &str, docs: &'a BTreeMap<String, Doc>) -> Self {
        let stack_file = docs.keys().find(|p| paths::is_template(p)).cloned();
        let roles = match stack_file.as_ref().and_then(|f| Some((f, &docs[f].documents.first()?.value))) {
            Some((file, root)) => {
                let t = baseline.template(file, root);
                let own = Attachments::of(&[(file.as_str(), &t)], &baseline.scope, &baseline.exports);
                principals::roles(
                    &[(file.as_str(), &t)],
                    &baseline.scope,
                    &baseline.exports,
                    &[&own, &baseline.attachments],
                )
            }
            None => Vec::new(),
        };
        let mut objects: Vec<(&'a str, usize, &'a Value)> = docs
            .iter()
            .filter(|(p, _)| !paths::is_template(p))
            .flat_map(|(p, d)| d.documents.iter().enumerate().map(move |(i, doc)| (p.as_str(), i, &doc.value)))
            .collect();
        // A tenant of a pooled tier is served by its pool: the pool's namespace, fence and
        // shared Deployments are its workloads, checked as a dedicated tenant's are.
        let pools: Vec<String> = objects
            .iter()
            .filter(|(_, _, o)| o["kind"] == "Ingress")
            .filter_map(|(_, _, o)| o["metadata"]["namespace"].as_str()?.strip_prefix(POOL_NAMESPACE_PREFIX))
            .map(str::to_owned)
            .collect();
        for tier in pools {
            let file = paths::pool_bundle_file(&tier);
            if let Some((path, doc)) = baseline.docs.get_key_value(&file) {
                objects.extend(doc.documents.iter().enumerate().map(|(i, d)| (path.as_str(), i, &d.value)));
            }
        }
        let cell = baseline.cell_of(id).and_then(|file| {
            let (path, doc) = baseline.docs.get_key_value(file)?;
            Some((path.clone(), &doc.documents.first()?.value))
        });
        Self { id: id.to_owned(), docs, stack_file, roles, objects, cell }
    }

    /// The tenant's stack template, resolved through `baseline`.
    pub fn template(&self, baseline: &Baseline) -> Option<(String, Template<'a>)> {
        let file = self.stack_file.clone()?;
        let root = &self.docs[&file].documents.first()?.value;
        Some((file.clone(), baseline.template(&file, root)))
    }

    /// The stack holding the tenant's AWS resources: its own, or, for a tenant of a pooled
    /// tier, its cell's (shared with the cell's other tenants).
    pub fn resources_template(&self, baseline: &Baseline) -> Option<(String, Template<'a>)> {
        self.template(baseline).or_else(|| self.cell.as_ref().map(|(f, root)| (f.clone(), baseline.template(f, root))))
    }

    /// Where `path` of document `index` of `file` is.
    pub fn at(&self, file: &str, index: usize, path: &FieldPath) -> Location {
        self.docs.get(file).map_or_else(|| Location { file: file.to_owned(), line: 1 }, |d| d.at(index, path))
    }

    /// Where `path` of `file` is, in the tenant's files or the baseline's.
    pub fn locate(&self, baseline: &Baseline, file: &str, path: &FieldPath) -> Location {
        if self.docs.contains_key(file) { self.at(file, 0, path) } else { baseline.at(file, path) }
    }

    /// The Kubernetes objects of a kind.
    pub fn of_kind(&self, kind: &str) -> impl Iterator<Item = (&'a str, usize, &'a Value)> + '_ {
        let kind = kind.to_owned();
        self.objects.iter().copied().filter(move |(_, _, o)| o["kind"].as_str() == Some(kind.as_str()))
    }

    /// The namespaces of the tenant's workloads.
    pub fn namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .of_kind("Deployment")
            .filter_map(|(_, _, d)| d["metadata"]["namespace"].as_str().map(str::to_owned))
            .chain(self.of_kind("Namespace").filter_map(|(_, _, n)| n["metadata"]["name"].as_str().map(str::to_owned)))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// (template file, stack, region) of every CloudFormation step and the bootstrap stack.
fn stacks_of(plan: &Value, region: &str) -> Vec<(String, String, String)> {
    let steps = plan["steps"].as_array().into_iter().flatten().chain(std::iter::once(&plan["bootstrap"]));
    steps
        .filter_map(|s| {
            Some((
                s["template"].as_str()?.to_owned(),
                s["stack"].as_str()?.to_owned(),
                s["region"].as_str().unwrap_or(region).to_owned(),
            ))
        })
        .collect()
}

fn unreadable(e: &Unreadable) -> Finding {
    Finding {
        property: Property::CannotProve,
        principal: "-".into(),
        action: "read".into(),
        resource: e.file.clone(),
        at: Location { file: e.file.clone(), line: 1 },
        message: e.message.clone(),
        accepted: None,
    }
}
