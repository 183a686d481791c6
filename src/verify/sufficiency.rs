//! Sufficiency: every AWS call the code makes is allowed for the principal that makes it, and
//! (as warnings) which grants no declared call uses. The calls come from the callers' own
//! tables ([`super::calls`], `buildspec::aws_cli`); who makes them, and on what, from the files:
//!
//! - the services, as the role Pod Identity gives their ServiceAccount, on the tables their
//!   Deployment names (with the tenant's partition key on a pooled table);
//! - `tenancy apply`, as the role of every CodeBuild project whose buildspec runs it, for every
//!   step plan.json lists (a tenant-scoped project for the tenants' steps), and the journal;
//! - CloudFormation, as the step's stack role (or, without one, as whoever applies), needing
//!   the handler permissions of every resource type in the template (vendored from the
//!   resource provider schemas, `data/handler-permissions.json`);
//! - each buildspec's `aws` commands, as its project's role;
//! - each CodeBuild action of the pipeline, as its project's role, reading its input artifacts
//!   from the artifact store (and the store's key through S3);
//! - the control plane's own calls ([`super::control_plane`]): the onboarding job's and the
//!   registration service's, on the registry, the lifecycle topic and the onboarding project.
//!
//! Handler permissions and CLI commands are checked at the level of the action (granted on
//! some resource), since the files do not say which resources a handler touches.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use super::calls;
use super::iam::{Context, Decision, Principal, Request, decide_resource, wildcard};
use super::principals::Role;
use super::template::Template;
use super::{Baseline, Finding, Location, Property, Report, Tenant};
use crate::model::FieldPath;

/// The key policy or bucket policy that governs `resource`, with where it is written:
/// ("key" | "bucket", the resolved document, its location).
fn resource_policy<'b>(baseline: &'b Baseline, resource: &str) -> Option<(&'static str, &'b Value, &'b Location)> {
    let all = baseline.cache.resource_policies.get_or_init(|| {
        let (scope, exports) = (&baseline.scope, &baseline.exports);
        let mut out = Vec::new();
        for (file, t) in baseline.templates() {
            for (logical, key) in t.of_type("AWS::KMS::Key") {
                let arn = t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports);
                let at = baseline
                    .at(&file, &FieldPath::root().key("Resources").key(logical).key("Properties").key("KeyPolicy"));
                out.push(("key", arn, t.resolve(&key["Properties"]["KeyPolicy"], scope, exports), at));
            }
            for (logical, policy) in t.of_type("AWS::S3::BucketPolicy") {
                let bucket = t.string(&policy["Properties"]["Bucket"], scope, exports);
                let at = baseline.at(
                    &file,
                    &FieldPath::root().key("Resources").key(logical).key("Properties").key("PolicyDocument"),
                );
                out.push(("bucket", bucket, t.resolve(&policy["Properties"]["PolicyDocument"], scope, exports), at));
            }
        }
        out
    });
    let bucket = resource.strip_prefix("arn:aws:s3:::").map(|rest| rest.split('/').next().unwrap_or(rest));
    all.iter()
        .find(|(kind, id, _, _)| match *kind {
            "key" => id == resource,
            _ => bucket == Some(id.as_str()),
        })
        .map(|(kind, _, policy, at)| (*kind, policy, at))
}

/// Handler permissions by resource type: create, update and delete together.
fn handler_permissions() -> &'static BTreeMap<String, Vec<String>> {
    static DATA: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    DATA.get_or_init(|| {
        let data: Value = serde_json::from_str(include_str!("data/handler-permissions.json")).expect("vendored JSON");
        data["types"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(kind, h)| {
                let mut all: BTreeSet<String> = BTreeSet::new();
                for handler in ["create", "update", "delete"] {
                    all.extend(
                        h[handler].as_array().into_iter().flatten().filter_map(|a| a.as_str().map(str::to_owned)),
                    );
                }
                (kind.clone(), all.into_iter().collect())
            })
            .collect()
    })
}

pub(crate) fn missing(
    principal: &Role,
    action: &str,
    resource: &str,
    at: Location,
    message: String,
    verdict: &Decision,
) -> Finding {
    let (property, message) = match verdict {
        Decision::CannotProve { reason, .. } => {
            (Property::CannotProve, format!("{message}: cannot prove it is allowed: {reason}"))
        }
        Decision::Denied(s) => (Property::Sufficiency, format!("{message}: explicitly denied by {}", s.statement)),
        _ => (Property::Sufficiency, message),
    };
    Finding {
        property,
        principal: principal.arn.clone(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        at,
        message,
        accepted: None,
    }
}

/// Whether `role` is granted `action` on some resource: an Allow covers the action in its
/// identity policies (and boundary), and no unconditional Deny on every resource covers it.
pub fn granted_somewhere(role: &Role, action: &str) -> bool {
    let covers = |s: &Value| {
        let names = |v: &Value| list(v).iter().any(|a| a.as_str().is_some_and(|a| wildcard(a, action, true)));
        if s["NotAction"].is_null() { names(&s["Action"]) } else { !names(&s["NotAction"]) }
    };
    let allows = |doc: &Value| statements(doc).any(|s| s["Effect"] == "Allow" && covers(s));
    let denies = |doc: &Value| {
        statements(doc).any(|s| {
            s["Effect"] == "Deny"
                && covers(s)
                && s["Condition"].is_null()
                && list(&s["Resource"]).iter().any(|r| r.as_str() == Some("*"))
        })
    };
    let docs = role.identity.iter().map(|p| &p.document).chain(role.boundary.iter().map(|b| &b.document));
    let denied = docs.clone().any(denies);
    let allowed =
        role.identity.iter().any(|p| allows(&p.document)) && role.boundary.as_ref().is_none_or(|b| allows(&b.document));
    allowed && !denied
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        one => vec![one],
    }
}

fn statements(document: &Value) -> impl Iterator<Item = &Value> + Clone {
    list(&document["Statement"]).into_iter()
}

/// The roles that run `tenancy apply`, and whether each is scoped to tenant steps.
fn appliers(baseline: &Baseline) -> Vec<(&Role, bool, Location)> {
    let found = baseline.cache.appliers.get_or_init(|| find_appliers(baseline));
    found.iter().map(|(i, scoped, at)| (&baseline.roles[*i], *scoped, at.clone())).collect()
}

fn find_appliers(baseline: &Baseline) -> Vec<(usize, bool, Location)> {
    let mut out = Vec::new();
    for (file, t) in baseline.templates() {
        for (logical, project) in t.of_type("AWS::CodeBuild::Project") {
            let props = &project["Properties"];
            let spec = props["Source"]["BuildSpec"].as_str().unwrap_or_default();
            let Some(commands) = buildspec_commands(baseline, spec) else { continue };
            let Some(apply) = commands.iter().find(|c| c.contains("tenancy apply")) else { continue };
            if let Some(role) = service_role(baseline, &t, props) {
                let tenant_scoped =
                    apply.contains("--select") && (apply.contains("tenant:") || apply.contains("tenant/"));
                out.push((role, tenant_scoped, baseline.at(&file, &FieldPath::root().key("Resources").key(logical))));
            }
        }
    }
    out
}

/// The index in `baseline.roles` of the role a CodeBuild project (its `props`) runs as.
fn service_role(baseline: &Baseline, t: &Template<'_>, props: &Value) -> Option<usize> {
    let role_arn = t.string(&props["ServiceRole"], &baseline.scope, &baseline.exports);
    baseline.roles.iter().position(|r| r.arn == role_arn || r.name == role_arn)
}

/// A buildspec's document (`generated/buildspecs/x.yml` as a project or a step names it).
fn buildspec_doc<'a>(baseline: &'a Baseline, spec: &str) -> Option<&'a Value> {
    Some(&baseline.docs.get(spec.strip_prefix("generated/").unwrap_or(spec))?.documents.first()?.value)
}

/// Every shell command of a buildspec (`generated/buildspecs/x.yml` as a project names it).
fn buildspec_commands(baseline: &Baseline, spec: &str) -> Option<Vec<String>> {
    let doc = buildspec_doc(baseline, spec)?;
    let mut out = Vec::new();
    for (_, phase) in doc["phases"].as_object().into_iter().flatten() {
        for key in ["commands", "finally"] {
            out.extend(phase[key].as_array().into_iter().flatten().filter_map(|c| c.as_str().map(str::to_owned)));
        }
    }
    Some(out)
}

/// The journal's table: plan.json's `stateTable`, or the `--state dynamodb:<table>` of an
/// apply in a buildspec.
fn state_table(baseline: &Baseline) -> Option<String> {
    if let Some(t) = baseline.plan["stateTable"].as_str() {
        return Some(t.to_owned());
    }
    let commands =
        baseline.docs.keys().filter(|p| p.starts_with("buildspecs/")).filter_map(|p| buildspec_commands(baseline, p));
    commands.flatten().find_map(|c| {
        let after = &c[c.find("--state")? + "--state".len()..];
        let value = after.trim_start_matches([' ', '=']).trim_start_matches(['\'', '"']);
        let table = value.strip_prefix("dynamodb:")?;
        Some(table.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect())
    })
}

struct Call<'a> {
    baseline: &'a Baseline,
    role: &'a Role,
    at: &'a Location,
}

impl Call<'_> {
    fn check(&self, report: &mut Report, action: &str, resource: &str, context: &Context, why: &str) {
        report.count(Property::Sufficiency, 1);
        // The SDK and the CLI call S3 over HTTPS.
        let secure;
        let context = if action.starts_with("s3:") {
            secure = context.clone().with("aws:SecureTransport", &["true"]);
            &secure
        } else {
            context
        };
        let verdict = self.role.decide(action, resource, context);
        if !verdict.decision.is_allowed() {
            report.findings.push(missing(
                self.role,
                action,
                resource,
                self.at.clone(),
                format!("{} cannot {action} on {resource}, which {why}", self.role.name),
                &verdict.decision,
            ));
            return;
        }
        // The resource's own policy has its say too: a key policy must let the caller (or its
        // account) in; a bucket policy must not deny it.
        if let Some((kind, policy, at)) = resource_policy(self.baseline, resource) {
            let principal = Principal::Aws(self.role.arn.clone());
            let request = Request { action, resource, context };
            let decision = decide_resource(policy, &principal, &request);
            let refused = match kind {
                "key" => !decision.is_allowed(),
                _ => matches!(decision, Decision::Denied(_) | Decision::CannotProve { .. }),
            };
            if refused {
                report.findings.push(missing(
                    self.role,
                    action,
                    resource,
                    at.clone(),
                    format!("the {kind} policy of {resource} does not let {} {action}, which {why}", self.role.name),
                    &decision,
                ));
            }
        }
    }

    fn check_somewhere(&self, report: &mut Report, action: &str, why: &str) {
        report.count(Property::Sufficiency, 1);
        if !granted_somewhere(self.role, action) {
            report.findings.push(Finding {
                property: Property::Sufficiency,
                principal: self.role.arn.clone(),
                action: action.to_owned(),
                resource: "*".into(),
                at: self.at.clone(),
                message: format!("{} is granted {action} on no resource, which {why}", self.role.name),
                accepted: None,
            });
        }
    }
}

/// The calls `tenancy apply` makes for one plan step, as `caller`.
fn step_calls(
    baseline: &Baseline,
    caller: &Call,
    step: &Value,
    report: &mut Report,
    docs: &BTreeMap<String, super::Doc>,
) {
    let s = &baseline.scope;
    let region = step["region"].as_str().unwrap_or(&s.region);
    let id = step["id"].as_str().unwrap_or_default();
    match step["kind"].as_str() {
        Some("cloudformation") => {
            let stack = step["stack"].as_str().unwrap_or_default();
            let arn = format!(
                "arn:{}:cloudformation:{region}:{}:stack/{stack}/00000000-0000-0000-0000-000000000000",
                s.partition, s.account
            );
            // DeleteStack is for offboarding (tenant stacks) and --recreate-failed, which no
            // generated buildspec passes.
            let tenant_step = id.starts_with("tenant/");
            for action in calls::STACK.iter().filter(|a| tenant_step || **a != "cloudformation:DeleteStack") {
                caller.check(report, action, &arn, &Context::new(), &format!("step {id} calls"));
            }
            let template = step["template"].as_str().unwrap_or_default();
            let kinds = resource_types(docs, template);
            if size(docs, template) > calls::INLINE_TEMPLATE_BYTES {
                let bucket = baseline.plan["artifactsBucket"].as_str().unwrap_or_default();
                let object = format!("arn:{}:s3:::{bucket}/templates/{stack}/0123abcd.yaml", s.partition);
                for action in calls::TEMPLATE {
                    caller.check(
                        report,
                        action,
                        &object,
                        &Context::new(),
                        &format!("step {id} calls (its template is over the inline limit)"),
                    );
                }
            }
            match step["role"].as_str() {
                Some(role) => {
                    let context = Context::new().with("iam:PassedToService", &["cloudformation.amazonaws.com"]);
                    caller.check(
                        report,
                        "iam:PassRole",
                        role,
                        &context,
                        &format!("step {id} passes to CloudFormation"),
                    );
                    baseline.stack_roles.check(baseline, role, &kinds, id, report);
                }
                None => {
                    // Without a stack role, CloudFormation acts as whoever applies (M1).
                    for (kind, action) in handler_actions(&kinds) {
                        caller.check_somewhere(
                            report,
                            &action,
                            &format!("CloudFormation needs for {kind} in step {id}, which runs without a stack role"),
                        );
                    }
                }
            }
        }
        Some("codebuild") => {
            let project = step["project"].as_str().unwrap_or_default();
            let arn = format!("arn:{}:codebuild:{region}:{}:project/{project}", s.partition, s.account);
            for action in calls::BUILD {
                caller.check(report, action, &arn, &Context::new(), &format!("step {id} calls"));
            }
        }
        Some("register") => {
            let table = step["table"].as_str().unwrap_or_default();
            let arn = format!("arn:{}:dynamodb:{region}:{}:table/{table}", s.partition, s.account);
            for action in calls::REGISTER {
                caller.check(report, action, &arn, &Context::new(), &format!("step {id} calls"));
            }
        }
        _ => {}
    }
}

/// The resource types of a template among `docs`.
fn resource_types(docs: &BTreeMap<String, super::Doc>, template: &str) -> BTreeSet<String> {
    docs.get(template)
        .and_then(|d| d.documents.first())
        .map(|d| {
            d.value["Resources"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(_, r)| r["Type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The size of a template file among `docs`, in bytes.
fn size(docs: &BTreeMap<String, super::Doc>, template: &str) -> usize {
    docs.get(template).map_or(0, super::Doc::bytes)
}

fn handler_actions(kinds: &BTreeSet<String>) -> Vec<(String, String)> {
    let data = handler_permissions();
    let mut out = Vec::new();
    for kind in kinds {
        for action in data.get(kind).into_iter().flatten() {
            out.push((kind.clone(), action.clone()));
        }
    }
    out
}

/// Stack roles' handler permissions, checked once per (role, resource type) for the fleet.
#[derive(Default)]
pub struct StackRoles {
    done: Mutex<BTreeSet<(String, String)>>,
}

impl StackRoles {
    fn check(&self, baseline: &Baseline, role_arn: &str, kinds: &BTreeSet<String>, step: &str, report: &mut Report) {
        let Some(role) = baseline.roles.iter().find(|r| r.arn == role_arn) else {
            report.findings.push(Finding {
                property: Property::Sufficiency,
                principal: role_arn.to_owned(),
                action: "sts:AssumeRole".into(),
                resource: role_arn.to_owned(),
                at: Location { file: "plan.json".into(), line: 1 },
                message: format!("step {step} runs under a stack role that no template creates"),
                accepted: None,
            });
            return;
        };
        let at = baseline.at(&role.file, &role.path);
        let caller = Call { baseline, role, at: &at };
        for kind in kinds {
            if !self.done.lock().expect("not poisoned").insert((role_arn.to_owned(), kind.clone())) {
                continue;
            }
            let Some(actions) = handler_permissions().get(kind) else {
                // A type the vendored schemas do not cover (one a customization adds): what
                // CloudFormation calls for it is not known here, so the role's sufficiency is not.
                report.findings.push(Finding {
                    property: Property::CannotProve,
                    principal: role_arn.to_owned(),
                    action: "*".into(),
                    resource: kind.clone(),
                    at: at.clone(),
                    message: format!(
                        "step {step} creates {kind}, whose handler permissions are not vendored: add the type to \
                         scripts/vendor-handler-permissions and run it"
                    ),
                    accepted: None,
                });
                continue;
            };
            for action in actions {
                caller.check_somewhere(
                    report,
                    action,
                    &format!("CloudFormation needs to create, update or delete {kind} (step {step})"),
                );
            }
        }
    }
}

/// The tenant's calls: its services' and those `tenancy apply` makes for its steps.
pub fn tenant(baseline: &Baseline, tenant: &Tenant, report: &mut Report) {
    services(baseline, tenant, report);
    let steps: Vec<&Value> = baseline.steps_of(&tenant.id).collect();
    for (role, _, at) in appliers(baseline) {
        let caller = Call { baseline, role, at: &at };
        for step in &steps {
            step_calls(baseline, &caller, step, report, tenant.docs);
        }
    }
}

/// The services of a tenant, as their ServiceAccounts' roles.
fn services(baseline: &Baseline, tenant: &Tenant, report: &mut Report) {
    let obtained = super::isolation::obtained(baseline, tenant);
    let s = &baseline.scope;
    let mut used: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (file, index, d) in tenant.of_kind("Deployment") {
        let name = d["metadata"]["name"].as_str().unwrap_or_default();
        let Some(service) = calls::SERVICES.iter().find(|c| c.service == name) else { continue };
        let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
        let spec = &d["spec"]["template"]["spec"];
        let account = spec["serviceAccountName"].as_str().unwrap_or("default");
        let at = tenant.at(file, index, &FieldPath::root().key("metadata").key("name"));
        let env: BTreeMap<&str, &str> = spec["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["env"].as_array().into_iter().flatten())
            .filter_map(|e| Some((e["name"].as_str()?, e["value"].as_str()?)))
            .collect();
        let pod = obtained.iter().find(|o| o.account.as_ref().is_some_and(|(n, a)| n == ns && a == account));
        // A pool's pods call on tenant data with the session they vend for the request's
        // tenant (its cell's access role, tagged with it), never with their own role.
        let pooled_compute = env.contains_key("POOL_TIER");
        let vended = obtained.iter().find(|o| o.account.is_none() && super::isolation::is_cell(&o.role.file));
        let role = if pooled_compute { pod.and(vended) } else { pod };
        let Some(role) = role else {
            report.count(Property::Sufficiency, 1);
            let message = match (pod, pooled_compute) {
                (Some(_), true) => format!(
                    "tenant {}'s {name} runs in pool {ns}, whose role can vend no session for the tenant (no cell's access role admits it)",
                    tenant.id
                ),
                _ => format!(
                    "tenant {}'s {name} runs as {ns}/{account}, which no Pod Identity association gives a role",
                    tenant.id
                ),
            };
            report.findings.push(Finding {
                property: Property::Sufficiency,
                principal: format!("system:serviceaccount:{ns}:{account}"),
                action: service.own_table.join(","),
                resource: "-".into(),
                at,
                message,
                accepted: None,
            });
            continue;
        };
        if let (true, Some(pod)) = (pooled_compute, pod) {
            pool_calls(baseline, tenant, (pod, role), &env, &at, report, &mut used);
        }
        // A pool's silo tables are named per request: `<platform>-<service>-{tenant}`.
        let table = env.get("TABLE_NAME").copied().unwrap_or_default().replace("{tenant}", &tenant.id);
        let table = table.as_str();
        let tenant_id = env.get("TENANT_ID").copied().unwrap_or(&tenant.id);
        let pooled = env.get("STORAGE_MODEL") == Some(&"pool");
        let arn = |table: &str| format!("arn:{}:dynamodb:{}:{}:table/{table}", s.partition, s.region, s.account);
        let keyed = role.context.clone().with("dynamodb:LeadingKeys", &[tenant_id]);
        let caller = Call { baseline, role: role.role, at: &at };
        // Pooled compute: the session's calls for the tier's layout, and the pod's readiness
        // (its own role, metadata of the pooled table only).
        let own = match (pooled_compute, pooled) {
            (false, _) => service.own_table,
            (true, true) => service.session_pool,
            (true, false) => service.session_silo,
        };
        if let (true, true, Some(pod)) = (pooled_compute, pooled, pod) {
            for action in service.ready {
                Call { baseline, role: pod.role, at: &at }.check(
                    report,
                    action,
                    &arn(table),
                    &pod.context,
                    &format!("the pool's {name} checks its table is there"),
                );
                used.entry(pod.role.arn.clone()).or_default().insert(action);
            }
        }
        for action in own {
            let context = if pooled && !calls::WITHOUT_KEYS.contains(action) { &keyed } else { &role.context };
            caller.check(
                report,
                action,
                &arn(table),
                context,
                &format!("tenant {}'s {name} calls on its table", tenant.id),
            );
            used.entry(role.role.arn.clone()).or_default().insert(action);
        }
        if !service.product_table.is_empty() {
            // As the order service derives it (services/order/src/lib.rs): PRODUCT_TABLE_NAME,
            // else `<platform>-product` from `<platform>-order-<tenant>`.
            let product = env
                .get("PRODUCT_TABLE_NAME")
                .map(|t| (*t).to_owned())
                .or_else(|| table.strip_suffix(&format!("-order-{tenant_id}")).map(|p| format!("{p}-product")));
            for action in service.product_table {
                caller.check(
                    report,
                    action,
                    &arn(product.as_deref().unwrap_or("?")),
                    &keyed,
                    &format!("tenant {}'s {name} calls to price orders", tenant.id),
                );
                used.entry(role.role.arn.clone()).or_default().insert(action);
            }
        }
    }
    unused(tenant, &obtained, &used, report);
}

/// What a pool's pod calls with its own role for a request of `tenant`: the tenant's record in
/// the tenant directory, then the session it vends (AssumeRole, tagged with the tenant) on the
/// tenant's cell's access role.
fn pool_calls(
    baseline: &Baseline,
    tenant: &Tenant,
    (pod, vended): (&super::isolation::Obtained, &super::isolation::Obtained),
    env: &BTreeMap<&str, &str>,
    at: &Location,
    report: &mut Report,
    used: &mut BTreeMap<String, BTreeSet<&str>>,
) {
    let s = &baseline.scope;
    let caller = Call { baseline, role: pod.role, at };
    let tag = crate::model::naming::TENANT_SESSION_TAG;
    let tagged = pod.context.clone().with(&format!("aws:RequestTag/{tag}"), &[&tenant.id]).with("aws:TagKeys", &[tag]);
    for action in crate::compile::pool::VEND_ACTIONS {
        caller.check(
            report,
            action,
            &vended.role.arn,
            &tagged,
            &format!("tenant {}'s requests vend a session", tenant.id),
        );
        used.entry(pod.role.arn.clone()).or_default().insert(action);
    }
    let directory = env.get("TENANT_TABLE_NAME").copied().unwrap_or("?");
    let arn = format!("arn:{}:dynamodb:{}:{}:table/{directory}", s.partition, s.region, s.account);
    let keyed = pod.context.clone().with("dynamodb:LeadingKeys", &[&tenant.id]);
    for action in crate::contract::calls::DIRECTORY_IAM_ACTIONS {
        caller.check(report, action, &arn, &keyed, &format!("the pool reads tenant {}'s sign-in settings", tenant.id));
        used.entry(pod.role.arn.clone()).or_default().insert(action);
    }
}

/// Least privilege: actions a tenant role's statements grant that no declared call uses.
/// Grants for DynamoDB's own use of the table key (`kms:ViaService`) are the service's calls.
fn unused(
    tenant: &Tenant,
    obtained: &[super::isolation::Obtained],
    used: &BTreeMap<String, BTreeSet<&str>>,
    report: &mut Report,
) {
    for o in obtained {
        let Some(calls) = used.get(&o.role.arn) else { continue };
        for policy in &o.role.identity {
            for (i, s) in statements(&policy.document).enumerate() {
                if s["Effect"] != "Allow" || !s["Condition"]["StringEquals"]["kms:ViaService"].is_null() {
                    continue;
                }
                for action in list(&s["Action"]).iter().filter_map(|a| a.as_str()) {
                    report.count(Property::LeastPrivilege, 1);
                    if !calls.iter().any(|c| wildcard(action, c, true)) {
                        report.findings.push(Finding {
                            property: Property::LeastPrivilege,
                            principal: o.role.arn.clone(),
                            action: action.to_owned(),
                            resource: list(&s["Resource"])
                                .iter()
                                .filter_map(|r| r.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                            at: tenant.at(&policy.file, 0, &policy.path.key("Statement").index(i)),
                            message: format!(
                                "tenant {}'s role is granted {action}, which no declared call of its services uses",
                                tenant.id
                            ),
                            accepted: None,
                        });
                    }
                }
            }
        }
    }
}

/// The platform's calls: apply's for the baseline steps and the journal, the buildspecs'
/// commands, the pipeline's artifacts.
pub fn platform(baseline: &Baseline, report: &mut Report) {
    let s = &baseline.scope;
    let appliers = appliers(baseline);
    let state = state_table(baseline);
    for (role, tenant_scoped, at) in &appliers {
        let caller = Call { baseline, role, at };
        if let Some(table) = &state {
            let arn = format!("arn:{}:dynamodb:{}:{}:table/{table}", s.partition, s.region, s.account);
            for action in calls::STATE {
                caller.check(report, action, &arn, &Context::new(), "the journal and lock take");
            }
        }
        if !tenant_scoped {
            for step in
                baseline.plan["steps"].as_array().into_iter().flatten().filter(|st| {
                    st["id"].as_str().is_some_and(|i| i.starts_with(crate::contract::steps::PLATFORM_PREFIX))
                })
            {
                step_calls(baseline, &caller, step, report, &baseline.docs);
            }
        }
    }
    buildspecs(baseline, report);
    site_builds(baseline, report);
    pipeline(baseline, report);
    super::control_plane::sufficiency(baseline, report);
}

/// The buildspecs the plan's build steps run with `project` (a step names its buildspec, which
/// apply sends as the build's override: the sites project runs one per site).
fn plan_buildspecs<'a>(baseline: &'a Baseline, project: &str) -> impl Iterator<Item = &'a str> {
    let steps = baseline.plan["steps"].as_array().into_iter().flatten();
    steps
        .filter(move |step| step["kind"] == "codebuild" && step["project"] == project)
        .filter_map(|step| step["buildspec"].as_str())
}

/// Each project's buildspec commands, as the project's role: the project's own buildspec and
/// every one the plan's steps run with it.
fn buildspecs(baseline: &Baseline, report: &mut Report) {
    for (file, t) in baseline.templates() {
        for (logical, project) in t.of_type("AWS::CodeBuild::Project") {
            let props = &project["Properties"];
            let name = t.string(&props["Name"], &baseline.scope, &baseline.exports);
            let own = props["Source"]["BuildSpec"].as_str().unwrap_or_default();
            let mut specs: Vec<&str> = std::iter::once(own).chain(plan_buildspecs(baseline, &name)).collect();
            specs.sort_unstable();
            specs.dedup();
            let Some(role) = service_role(baseline, &t, props).map(|i| &baseline.roles[i]) else { continue };
            let at = baseline.at(&file, &FieldPath::root().key("Resources").key(logical));
            for spec in specs {
                let Some(commands) = buildspec_commands(baseline, spec) else { continue };
                project_commands(baseline, role, &at, spec, &commands, report);
            }
        }
    }
}

/// Each site step's build, as its project's role, on exactly what it publishes: the objects of
/// the bucket its buildspec names (`SITE_BUCKET`) and the distribution its `DISTRIBUTION_ID`
/// names, the baseline stack's output the plan binds it to (resolved in the baseline template,
/// as the role's own grant resolves that output's export).
fn site_builds(baseline: &Baseline, report: &mut Report) {
    let steps = baseline.plan["steps"].as_array().into_iter().flatten();
    for site in crate::model::Site::ALL {
        let id = crate::contract::steps::site(site);
        let id = id.as_str();
        let Some(step) = steps.clone().find(|step| step["id"] == id) else { continue };
        let cannot = |report: &mut Report, what: String| {
            report.findings.push(Finding {
                property: Property::CannotProve,
                principal: step["project"].as_str().unwrap_or_default().to_owned(),
                action: "s3:PutObject".into(),
                resource: id.to_owned(),
                at: Location { file: "plan.json".into(), line: 1 },
                message: format!("site step {id}: {what}"),
                accepted: None,
            })
        };
        let Some((role, at)) = project_role(baseline, step["project"].as_str().unwrap_or_default()) else {
            cannot(report, "no template creates its project, or its project's role".into());
            continue;
        };
        let spec = step["buildspec"].as_str().unwrap_or_default();
        let bucket = buildspec_doc(baseline, spec).and_then(|doc| doc["env"]["variables"]["SITE_BUCKET"].as_str());
        let Some(bucket) = bucket else {
            cannot(report, format!("its buildspec {spec} names no SITE_BUCKET"));
            continue;
        };
        let output = crate::contract::outputs::baseline::site_distribution_id(site);
        let Some(distribution) = baseline_output(baseline, &output) else {
            cannot(report, format!("the baseline stack has no output {output} for its DISTRIBUTION_ID"));
            continue;
        };
        let caller = Call { baseline, role, at: &at };
        let (partition, account) = (&baseline.scope.partition, &baseline.scope.account);
        let why = format!("the build of {id} publishes to");
        caller.check(
            report,
            "s3:PutObject",
            &format!("arn:{partition}:s3:::{bucket}/index.html"),
            &Context::new(),
            &why,
        );
        let distribution = format!("arn:{partition}:cloudfront::{account}:distribution/{distribution}");
        for action in ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"] {
            caller.check(report, action, &distribution, &Context::new(), &why);
        }
    }
}

/// The role of the CodeBuild project named `project`, and where the project is declared.
fn project_role<'a>(baseline: &'a Baseline, project: &str) -> Option<(&'a Role, Location)> {
    for (file, t) in baseline.templates() {
        for (logical, resource) in t.of_type("AWS::CodeBuild::Project") {
            let props = &resource["Properties"];
            if t.string(&props["Name"], &baseline.scope, &baseline.exports) != project {
                continue;
            }
            let role = &baseline.roles[service_role(baseline, &t, props)?];
            return Some((role, baseline.at(&file, &FieldPath::root().key("Resources").key(logical))));
        }
    }
    None
}

/// The baseline stack's output `output`, resolved in its template.
fn baseline_output(baseline: &Baseline, output: &str) -> Option<String> {
    let file = crate::contract::paths::BASELINE_TEMPLATE;
    let root = &baseline.docs.get(file)?.documents.first()?.value;
    let value = &root["Outputs"][output]["Value"];
    (!value.is_null()).then(|| baseline.template(file, root).string(value, &baseline.scope, &baseline.exports))
}

/// One buildspec's `aws` commands, as its project's role.
fn project_commands(
    baseline: &Baseline,
    role: &Role,
    at: &Location,
    spec: &str,
    commands: &[String],
    report: &mut Report,
) {
    let caller = Call { baseline, role, at };
    for command in commands {
        match crate::buildspec::aws_cli::actions_of(command) {
            Ok(actions) => {
                for action in actions {
                    caller.check_somewhere(report, action, &format!("{spec} calls (`{}`)", short(command)));
                }
            }
            Err(e) => report.findings.push(Finding {
                property: Property::CannotProve,
                principal: role.arn.clone(),
                action: "aws".into(),
                resource: spec.to_owned(),
                at: at.clone(),
                message: format!("{spec}: {e}"),
                accepted: None,
            }),
        }
    }
}

fn short(command: &str) -> String {
    let line = command.lines().find(|l| l.contains("aws ")).unwrap_or(command).trim();
    line.chars().take(80).collect()
}

/// CodePipeline hands each CodeBuild action its input artifacts from the artifact store, read
/// with the project's role (CodePipeline User Guide, "CodeBuild action reference"): GetObject
/// under the pipeline's prefix and, with a customer managed key, Decrypt through S3.
fn pipeline(baseline: &Baseline, report: &mut Report) {
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    for (file, t) in baseline.templates() {
        let projects: BTreeMap<String, String> = t
            .of_type("AWS::CodeBuild::Project")
            .map(|(_, p)| {
                (
                    t.string(&p["Properties"]["Name"], scope, exports),
                    t.string(&p["Properties"]["ServiceRole"], scope, exports),
                )
            })
            .collect();
        for (logical, pipeline) in t.of_type("AWS::CodePipeline::Pipeline") {
            let props = &pipeline["Properties"];
            let name = t.string(&props["Name"], scope, exports);
            let store = &props["ArtifactStore"];
            let bucket = t.string(&store["Location"], scope, exports);
            let key =
                (!store["EncryptionKey"].is_null()).then(|| t.string(&store["EncryptionKey"]["Id"], scope, exports));
            let prefix: String = name.chars().take(20).collect();
            for (si, stage) in props["Stages"].as_array().into_iter().flatten().enumerate() {
                for (ai, action) in stage["Actions"].as_array().into_iter().flatten().enumerate() {
                    if action["ActionTypeId"]["Provider"] != "CodeBuild" {
                        continue;
                    }
                    let project = t.string(&action["Configuration"]["ProjectName"], scope, exports);
                    let Some(role_arn) = projects.get(&project) else { continue };
                    let Some(role) = baseline.roles.iter().find(|r| &r.arn == role_arn || &r.name == role_arn) else {
                        continue;
                    };
                    let at = baseline.at(
                        &file,
                        &FieldPath::root()
                            .key("Resources")
                            .key(logical)
                            .key("Properties")
                            .key("Stages")
                            .index(si)
                            .key("Actions")
                            .index(ai),
                    );
                    let caller = Call { baseline, role, at: &at };
                    let why =
                        format!("pipeline {name} needs for action {}", action["Name"].as_str().unwrap_or_default());
                    // Inputs are read (and their key decrypts through S3); outputs written.
                    let sides = [
                        ("InputArtifacts", "s3:GetObject", "kms:Decrypt"),
                        ("OutputArtifacts", "s3:PutObject", "kms:GenerateDataKey"),
                    ];
                    for (side, s3_action, kms_action) in sides {
                        for artifact in action[side].as_array().into_iter().flatten() {
                            let artifact: String =
                                artifact["Name"].as_str().unwrap_or_default().chars().take(20).collect();
                            let object = format!("arn:{}:s3:::{bucket}/{prefix}/{artifact}/AbCdEfG", scope.partition);
                            caller.check(report, s3_action, &object, &Context::new(), &why);
                            if let Some(key) = &key {
                                let via = Context::new()
                                    .with("kms:ViaService", &[&format!("s3.{}.amazonaws.com", scope.region)]);
                                caller.check(report, kms_action, key, &via, &why);
                            }
                        }
                    }
                }
            }
        }
    }
}
