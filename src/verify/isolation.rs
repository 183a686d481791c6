//! Isolation: no principal that tenant A's workloads can obtain performs a data action on
//! another tenant's resources. A's principals are the roles associated with A's namespaces
//! (EKS Pod Identity, in any template) and every role those may assume in turn. "Another
//! tenant" is symbolic: each of A's resources named after A (`saas-order-acme`) gives a name
//! template, and [`other::witness`] finds, for each pattern A is granted, an id other than A's
//! that it would match; the full evaluator then decides that request. Shared resources (the
//! baseline's tables and user pools) are checked with another tenant's partition key and with
//! none. Also: no tenant role is an EKS access entry, and no Kubernetes binding gives A's
//! ServiceAccount another namespace's secrets.
//!
//! A's users sign in to Cognito user pools without an identity pool, so they obtain no AWS
//! principal: only the workloads' roles are checked here (identity.rs checks the tokens).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::iam::{Context, Decision, Principal, Request, decide_resource};
use super::other;
use super::principals::Role;
use super::{Baseline, Finding, Location, Property, Report, Tenant};
use crate::contract::paths;
use crate::model::FieldPath;
use crate::model::naming::TENANT_SESSION_TAG;

/// Whether `file` is a cell stack of a pooled tier (`pools/<tier>/cell-<n>.cfn.yaml`).
pub(crate) fn is_cell(file: &str) -> bool {
    file.starts_with(paths::POOLS_DIR) && file.rsplit('/').next().is_some_and(|f| f.starts_with("cell-"))
}

/// The data actions checked on a table.
pub const TABLE_ACTIONS: [&str; 19] = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:CreateBackup",
    "dynamodb:DeleteItem",
    "dynamodb:DeleteTable",
    "dynamodb:ExportTableToPointInTime",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:RestoreTableToPointInTime",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
    "dynamodb:UpdateTable",
];

/// Actions that can read a shared table without naming a partition.
const KEYLESS: [&str; 4] =
    ["dynamodb:Scan", "dynamodb:PartiQLSelect", "dynamodb:ExportTableToPointInTime", "dynamodb:GetRecords"];

/// The data actions checked on a user pool (its clients are sub-resources of the pool in IAM).
pub const POOL_ACTIONS: [&str; 15] = [
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminInitiateAuth",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:CreateUserPoolClient",
    "cognito-idp:DeleteUserPool",
    "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:ListUserPoolClients",
    "cognito-idp:ListUsers",
    "cognito-idp:ListUsersInGroup",
    "cognito-idp:UpdateUserPool",
    "cognito-idp:UpdateUserPoolClient",
];

/// A role a tenant's workloads obtain, with the context its sessions carry.
pub struct Obtained<'r> {
    /// The role, from the baseline's templates or the tenant's.
    pub role: &'r Role,
    /// The condition keys its sessions carry: `aws:PrincipalArn`, and for a Pod Identity
    /// session the `eks-cluster-*` and `kubernetes-*` principal tags.
    pub context: Context,
    /// How: the association or trust that gives it.
    pub how: Location,
    /// The ServiceAccount (namespace, name) it is obtained by, when a pod's identity gives it.
    pub account: Option<(String, String)>,
}

/// The roles A's pods obtain: through Pod Identity associations with A's namespaces, then
/// through the roles those may assume (bounded: a chain never revisits a role).
pub fn obtained<'r>(baseline: &'r Baseline, tenant: &'r Tenant) -> Vec<Obtained<'r>> {
    let namespaces = tenant.namespaces();
    let all: Vec<&Role> = baseline.roles.iter().chain(tenant.roles.iter()).collect();
    let mut out: Vec<Obtained> = Vec::new();
    let mut associations = baseline_associations(baseline).clone();
    if let Some((file, t)) = tenant.template(baseline) {
        associations.extend(associations_of(baseline, tenant, &file, &t));
    }
    for (namespace, account, cluster, arn, how) in associations {
        if !namespaces.contains(&namespace) {
            continue;
        }
        let Some(role) = all.iter().find(|r| r.arn == arn) else { continue };
        let context = pod_session(baseline, role, &cluster, &namespace, &account);
        out.push(Obtained { role, context, how, account: Some((namespace, account)) });
    }
    // IRSA: any pod of the tenant can present its ServiceAccount's token to
    // AssumeRoleWithWebIdentity, annotated or not, so every role whose trust admits the token
    // of one of the tenant's ServiceAccounts is obtained.
    for (namespace, account) in service_accounts(tenant) {
        for role in &all {
            if out
                .iter()
                .any(|o| o.role.arn == role.arn && o.account.as_ref() == Some(&(namespace.clone(), account.clone())))
            {
                continue;
            }
            for provider in federated(&role.trust) {
                let issuer = provider.split_once(":oidc-provider/").map_or(provider.as_str(), |(_, i)| i);
                let context = Context::new()
                    .with(&format!("{issuer}:sub"), &[&format!("system:serviceaccount:{namespace}:{account}")])
                    .with(&format!("{issuer}:aud"), &["sts.amazonaws.com"]);
                let request =
                    Request { action: "sts:AssumeRoleWithWebIdentity", resource: &role.arn, context: &context };
                if decide_resource(&role.trust, &Principal::Federated(provider.clone()), &request).is_allowed() {
                    let how = tenant.locate(
                        baseline,
                        &role.file,
                        &role.path.key("Properties").key("AssumeRolePolicyDocument"),
                    );
                    let context = Context::new().with("aws:PrincipalArn", &[&role.arn]);
                    out.push(Obtained { role, context, how, account: Some((namespace.clone(), account.clone())) });
                    break;
                }
            }
        }
    }
    // Role chaining: a role whose trust admits an obtained role, which may call AssumeRole on it.
    // A role that admits only sessions tagged with a tenant (a cell's tenant-access role) is
    // obtained by a request of this tenant with this tenant's tag: the pool's services tag each
    // session with the request's tenant (services/tenant-context, tested there). Of those roles
    // only the tenant's own cell's is followed: every other cell's denies a session tagged with
    // a tenant it does not hold, which `cells` proves once for the platform.
    let mut seen: BTreeSet<String> = out.iter().map(|o| o.role.arn.clone()).collect();
    let mut next = 0;
    let tag = format!("aws:RequestTag/{TENANT_SESSION_TAG}");
    while next < out.len() && out.len() < 64 {
        let from = out[next].role;
        let plain = Context::new().with("aws:PrincipalArn", &[&from.arn]);
        let tagged = plain.clone().with(&tag, &[&tenant.id]).with("aws:TagKeys", &[TENANT_SESSION_TAG]);
        for role in &all {
            // Another cell's role: `cells` proves once that its trust admits its pool's role
            // alone and that it serves no session tagged with a tenant it does not hold.
            let foreign_cell = is_cell(&role.file) && tenant.cell.as_ref().is_none_or(|(file, _)| *file != role.file);
            if seen.contains(&role.arn) || foreign_cell {
                continue;
            }
            let may = |context: &Context, actions: &[&str]| {
                actions.iter().all(|action| {
                    let request = Request { action, resource: &role.arn, context };
                    decide_resource(&role.trust, &Principal::Aws(from.arn.clone()), &request).is_allowed()
                        && from.decide(action, &role.arn, context).decision.is_allowed()
                })
            };
            let context = if may(&plain, &["sts:AssumeRole"]) {
                Context::new().with("aws:PrincipalArn", &[&role.arn])
            } else if may(&tagged, &["sts:AssumeRole", "sts:TagSession"]) {
                Context::new()
                    .with("aws:PrincipalArn", &[&role.arn])
                    .with(&format!("aws:PrincipalTag/{TENANT_SESSION_TAG}"), &[&tenant.id])
            } else {
                continue;
            };
            seen.insert(role.arn.clone());
            let how = tenant.locate(baseline, &role.file, &role.path.key("Properties").key("AssumeRolePolicyDocument"));
            out.push(Obtained { role, context, how, account: None });
        }
        next += 1;
    }
    out
}

/// A Pod Identity association: (namespace, ServiceAccount, cluster, role ARN, where).
pub(crate) type Association = (String, String, String, String, Location);

/// The Pod Identity associations of one template: (namespace, account, cluster, role, where).
fn associations_of(
    baseline: &Baseline,
    tenant: &Tenant,
    file: &str,
    t: &super::template::Template,
) -> Vec<Association> {
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    t.of_type("AWS::EKS::PodIdentityAssociation")
        .map(|(logical, association)| {
            let props = &association["Properties"];
            (
                t.string(&props["Namespace"], scope, exports),
                t.string(&props["ServiceAccount"], scope, exports),
                t.string(&props["ClusterName"], scope, exports),
                t.string(&props["RoleArn"], scope, exports),
                tenant.locate(baseline, file, &FieldPath::root().key("Resources").key(logical)),
            )
        })
        .collect()
}

pub(crate) fn baseline_associations(baseline: &Baseline) -> &Vec<Association> {
    baseline.cache.associations.get_or_init(|| {
        let none = BTreeMap::new();
        let nobody = Tenant {
            id: String::new(),
            docs: &none,
            stack_file: None,
            roles: Vec::new(),
            objects: Vec::new(),
            cell: None,
        };
        baseline.templates().iter().flat_map(|(file, t)| associations_of(baseline, &nobody, file, t)).collect()
    })
}

/// The (namespace, ServiceAccount) of every Deployment of the tenant.
pub fn service_accounts(tenant: &Tenant) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tenant
        .of_kind("Deployment")
        .filter_map(|(_, _, d)| {
            let ns = d["metadata"]["namespace"].as_str()?.to_owned();
            let sa = d["spec"]["template"]["spec"]["serviceAccountName"].as_str().unwrap_or("default").to_owned();
            Some((ns, sa))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The web identity providers a trust policy's statements name.
fn federated(trust: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in statements(trust) {
        out.extend(strings(&s["Principal"]["Federated"]));
    }
    out
}

/// The session tags EKS Pod Identity puts on a pod's session (EKS User Guide, "Define
/// permissions for EKS Pod Identities to assume roles by tags"), as principal tags.
fn pod_session(baseline: &Baseline, role: &Role, cluster: &str, namespace: &str, account: &str) -> Context {
    let s = &baseline.scope;
    let cluster_arn = format!("arn:{}:eks:{}:{}:cluster/{cluster}", s.partition, s.region, s.account);
    Context::new()
        .with("aws:PrincipalArn", &[&role.arn])
        .with("aws:PrincipalTag/eks-cluster-arn", &[&cluster_arn])
        .with("aws:PrincipalTag/eks-cluster-name", &[cluster])
        .with("aws:PrincipalTag/kubernetes-namespace", &[namespace])
        .with("aws:PrincipalTag/kubernetes-service-account", &[account])
}

/// A resource of the tenant that is named after it, as a template for any other tenant's.
struct Named {
    /// `table`, `pool`, or the resource type of any other resource.
    kind: String,
    before: String,
    after: String,
}

fn named_after(arn: &str, id: &str, kind: &str) -> Option<Named> {
    let at = arn.find(id)?;
    Some(Named { kind: kind.to_owned(), before: arn[..at].to_owned(), after: arn[at + id.len()..].to_owned() })
}

/// Every action an Allow statement of the role's own policies names (a `NotAction` statement
/// names `*`): what a resource of a kind verify has no action list for is checked with.
fn granted_actions(role: &Role) -> BTreeSet<String> {
    role.identity
        .iter()
        .flat_map(|p| statements(&p.document))
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| strings(&s["Action"]).chain(if s["NotAction"].is_null() { None } else { Some("*".to_owned()) }))
        .collect()
}

/// Checks `tenant`'s isolation: every role its workloads obtain, against another tenant's
/// resources named like its own and the shared ones, plus EKS access entries and Kubernetes
/// bindings; adds findings of [`Property::Isolation`] (and `CannotProve`) to `report`.
pub fn check(baseline: &Baseline, tenant: &Tenant, report: &mut Report) {
    let obtained = obtained(baseline, tenant);
    let Some((_, t)) = tenant.resources_template(baseline) else { return };
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    // The tenant's own resources, as templates for another tenant's.
    let mut named = Vec::new();
    for (logical, _) in t.of_type("AWS::DynamoDB::Table") {
        let arn = t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports);
        named.extend(named_after(&arn, &tenant.id, "table"));
        named.extend(named_after(&format!("{arn}/index/by-any"), &tenant.id, "table"));
    }
    for (logical, _) in t.of_type("AWS::Cognito::UserPool") {
        let arn = t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports);
        named.extend(named_after(&arn, &tenant.id, "pool"));
    }
    // Any other resource whose ARN the files give and that is named after the tenant (a queue a
    // customization adds, ...). Its ARN must be known: an opaque one would match no pattern, and
    // a pattern over every tenant's would pass unseen.
    let known = ["AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::IAM::Role"];
    for (logical, resource) in t.resources() {
        let Some(kind) = resource["Type"].as_str().filter(|k| !known.contains(k)) else { continue };
        let arn = t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports);
        if arn.starts_with("arn:") {
            named.extend(named_after(&arn, &tenant.id, kind));
        }
    }
    for o in &obtained {
        for n in &named {
            let mut ids: BTreeSet<String> =
                patterns(o.role).filter_map(|p| other::witness(&p, &n.before, &n.after, &tenant.id, false)).collect();
            ids.extend([format!("{}0", tenant.id), format!("0{}", tenant.id), "other".to_owned()]);
            ids.remove(&tenant.id);
            let granted;
            let actions: Vec<&str> = match n.kind.as_str() {
                "table" => TABLE_ACTIONS.to_vec(),
                "pool" => POOL_ACTIONS.to_vec(),
                _ => {
                    granted = granted_actions(o.role);
                    granted.iter().map(String::as_str).collect()
                }
            };
            for id in &ids {
                let resource = format!("{}{id}{}", n.before, n.after);
                for action in &actions {
                    report.count(Property::Isolation, 1);
                    let verdict = o.role.decide(action, &resource, &o.context);
                    flag(
                        (baseline, tenant),
                        report,
                        o,
                        (action, &resource),
                        &verdict,
                        &format!("tenant {} can {action} on tenant {id}'s {}", tenant.id, n.kind),
                    );
                }
            }
        }
        shared(baseline, tenant, o, report);
    }
    // The tenant's stack gives its roles to its own namespaces only.
    let namespaces = tenant.namespaces();
    for (logical, association) in t.of_type("AWS::EKS::PodIdentityAssociation") {
        report.count(Property::Isolation, 1);
        let props = &association["Properties"];
        let namespace = t.string(&props["Namespace"], scope, exports);
        if !namespaces.contains(&namespace) {
            let file = tenant.stack_file.clone().unwrap_or_default();
            report.findings.push(Finding {
                property: Property::Isolation,
                principal: format!(
                    "system:serviceaccount:{namespace}:{}",
                    t.string(&props["ServiceAccount"], scope, exports)
                ),
                action: "sts:AssumeRole".into(),
                resource: t.string(&props["RoleArn"], scope, exports),
                at: tenant.at(
                    &file,
                    0,
                    &FieldPath::root().key("Resources").key(logical).key("Properties").key("Namespace"),
                ),
                message: format!(
                    "tenant {}'s stack gives its role to namespace {namespace}, which is not the tenant's",
                    tenant.id
                ),
                accepted: None,
            });
        }
    }
    access_entries(baseline, tenant, &obtained, report);
    rbac(baseline, tenant, report);
}

/// Every resource pattern of the role's Allow statements.
fn patterns(role: &Role) -> impl Iterator<Item = String> + '_ {
    role.identity.iter().flat_map(|p| statements(&p.document)).filter(|s| s["Effect"] == "Allow").flat_map(|s| {
        strings(&s["Resource"]).chain(if s["NotResource"].is_null() { None } else { Some("*".to_owned()) })
    })
}

fn statements(document: &Value) -> impl Iterator<Item = &Value> {
    match &document["Statement"] {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        Value::Null => vec![],
        one => vec![one],
    }
    .into_iter()
}

fn strings(value: &Value) -> impl Iterator<Item = String> + '_ {
    match value {
        Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect::<Vec<_>>(),
        Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
    .into_iter()
}

/// Shared tables (another tenant's partition, or no partition) and shared user pools.
fn shared(baseline: &Baseline, tenant: &Tenant, o: &Obtained, report: &mut Report) {
    // Partition keys of others: near-misses of A's id and any literal the role's conditions name.
    let mut others: BTreeSet<String> =
        [format!("{}0", tenant.id), format!("0{}", tenant.id), "other".to_owned()].into();
    for p in &o.role.identity {
        for s in statements(&p.document) {
            collect_strings(&s["Condition"], &mut others);
        }
    }
    others.remove(&tenant.id);
    others.retain(|v| !v.contains(':') && !v.contains('/') && v.len() <= other::MAX_ID);
    let (tables, pools) = shared_resources(baseline);
    // Only the actions some Allow statement of the role names can be allowed: ask the rest never.
    let may = |action: &str| super::sufficiency::granted_somewhere(o.role, action);
    let mut ask = |action: &str, arn: &str, context: &Context, message: String| {
        report.count(Property::Isolation, 1);
        let verdict = o.role.decide(action, arn, context);
        flag((baseline, tenant), report, o, (action, arn), &verdict, &message);
    };
    for arn in tables {
        for action in TABLE_ACTIONS.iter().copied().filter(|a| may(a)) {
            for key in &others {
                let context = o.context.clone().with("dynamodb:LeadingKeys", &[key]);
                ask(action, arn, &context, format!("tenant {} can {action} on tenant {key}'s partition", tenant.id));
            }
            if KEYLESS.contains(&action) {
                ask(action, arn, &o.context, format!("tenant {} can {action} across every partition", tenant.id));
            }
        }
    }
    for (arn, tag) in pools {
        // The pool's own tag is in the request's context, so that a grant conditioned on the
        // platform's tag (as user management's is) is seen for what it allows.
        let context = super::control_plane::with_platform_tag(o.context.clone(), tag);
        for action in POOL_ACTIONS.iter().copied().filter(|a| may(a)) {
            let message =
                format!("tenant {} can {action} on the shared user pool, where other tenants' users are", tenant.id);
            ask(action, arn, &context, message);
        }
    }
    // The control plane acts for every tenant: no tenant may drive it.
    for (action, arn, what) in super::control_plane::forbidden(baseline) {
        ask(action, &arn, &o.context, format!("tenant {} can {what} ({action} on {arn})", tenant.id));
    }
}

/// The baseline's tables by ARN, and its user pools by ARN with their platform tag.
pub(crate) type SharedResources = (Vec<String>, Vec<(String, String)>);

/// The baseline's tables and user pools ([`SharedResources`]).
pub(crate) fn shared_resources(baseline: &Baseline) -> &SharedResources {
    baseline.cache.shared.get_or_init(|| {
        let (scope, exports) = (&baseline.scope, &baseline.exports);
        let (mut tables, mut pools) = (Vec::new(), Vec::new());
        for (file, t) in baseline.templates() {
            // A cell's tables are its tenants' silo tables, each checked as its tenant's own.
            for (logical, _) in t.of_type("AWS::DynamoDB::Table").filter(|_| !is_cell(&file)) {
                tables.push(t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports));
            }
            for (logical, pool) in t.of_type("AWS::Cognito::UserPool") {
                let arn = t.string(&serde_json::json!({"Fn::GetAtt": [logical, "Arn"]}), scope, exports);
                let tags = &pool["Properties"]["UserPoolTags"];
                pools.push((arn, tags[crate::compile::PLATFORM_TAG].as_str().unwrap_or_default().to_owned()));
            }
        }
        (tables, pools)
    })
}

fn collect_strings(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Records a request the role may make that it must not: a finding where it is allowed, and
/// "cannot prove" where a statement that could allow it is unreadable.
pub(super) fn flag(
    (baseline, tenant): (&Baseline, &Tenant),
    report: &mut Report,
    o: &Obtained,
    (action, resource): (&str, &str),
    verdict: &super::principals::Verdict,
    message: &str,
) {
    let at = || match &verdict.at {
        Some((file, path)) => tenant.locate(baseline, file, path),
        None => tenant.locate(baseline, &o.role.file, &o.role.path),
    };
    match &verdict.decision {
        Decision::Allowed(_) => report.findings.push(Finding {
            property: Property::Isolation,
            principal: o.role.arn.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            at: at(),
            message: format!("{message} (the role comes from {})", o.how),
            accepted: None,
        }),
        Decision::CannotProve { reason, .. } => report.findings.push(Finding {
            property: Property::CannotProve,
            principal: o.role.arn.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            at: at(),
            message: format!("cannot prove that {message} is denied: {reason}"),
            accepted: None,
        }),
        Decision::Denied(_) | Decision::ImplicitlyDenied => {}
    }
}

/// No role a tenant obtains may be an EKS access entry (that is cluster access: every
/// namespace's secrets).
fn access_entries(baseline: &Baseline, tenant: &Tenant, obtained: &[Obtained], report: &mut Report) {
    for (file, doc) in &baseline.docs {
        if file != paths::CLUSTER_CONFIG {
            continue;
        }
        let Some(d) = doc.documents.first() else { continue };
        for (i, entry) in d.value["accessConfig"]["accessEntries"].as_array().into_iter().flatten().enumerate() {
            let principal = entry["principalARN"].as_str().unwrap_or_default();
            report.count(Property::Isolation, obtained.len() as u64);
            for o in obtained.iter().filter(|o| o.role.arn == principal) {
                report.findings.push(Finding {
                    property: Property::Isolation,
                    principal: o.role.arn.clone(),
                    action: "kubernetes:*".into(),
                    resource: "the cluster (every namespace's secrets)".into(),
                    at: doc.at(0, &FieldPath::root().key("accessConfig").key("accessEntries").index(i)),
                    message: format!("a role of tenant {} is an EKS access entry", tenant.id),
                    accepted: None,
                });
            }
        }
    }
}

/// Kubernetes bindings: none may give a tenant's ServiceAccount (or a group it is in) a role
/// outside its namespace or a ClusterRole that reads secrets.
fn rbac(baseline: &Baseline, tenant: &Tenant, report: &mut Report) {
    let namespaces = tenant.namespaces();
    let accounts = service_accounts(tenant);
    let baseline_objects =
        baseline.docs.get_key_value(paths::BASELINE_BUNDLE).into_iter().flat_map(|(p, d)| {
            d.documents.iter().enumerate().map(move |(i, doc)| (p.as_str(), i, &doc.value, Some(d)))
        });
    let own_objects = tenant.objects.iter().map(|(p, i, v)| (*p, *i, *v, None));
    for (file, index, binding, doc) in baseline_objects.chain(own_objects) {
        let kind = binding["kind"].as_str().unwrap_or_default();
        if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
            continue;
        }
        let bound_ns = binding["metadata"]["namespace"].as_str().unwrap_or_default();
        for (ns, sa) in &accounts {
            report.count(Property::Isolation, 1);
            let names_it = binding["subjects"].as_array().into_iter().flatten().any(|s| match s["kind"].as_str() {
                Some("ServiceAccount") => s["name"] == sa.as_str() && s["namespace"].as_str().unwrap_or(bound_ns) == ns,
                Some("Group") => {
                    matches!(s["name"].as_str(), Some("system:serviceaccounts" | "system:authenticated"))
                        || s["name"].as_str() == Some(&format!("system:serviceaccounts:{ns}"))
                }
                _ => false,
            });
            let role_kind = binding["roleRef"]["kind"].as_str().unwrap_or_default();
            let role = binding["roleRef"]["name"].as_str().unwrap_or_default();
            let outside = kind == "ClusterRoleBinding"
                || !namespaces.iter().any(|n| n == bound_ns)
                || role_kind == "ClusterRole" && matches!(role, "cluster-admin" | "admin" | "edit");
            if names_it && outside {
                let at = match doc {
                    Some(d) => d.at(index, &FieldPath::root().key("subjects")),
                    None => tenant.at(file, index, &FieldPath::root().key("subjects")),
                };
                report.findings.push(Finding {
                    property: Property::Isolation,
                    principal: format!("system:serviceaccount:{ns}:{sa}"),
                    action: format!("{role_kind}/{role}"),
                    resource: if kind == "ClusterRoleBinding" {
                        "every namespace (secrets)".into()
                    } else {
                        format!("namespace {bound_ns} (secrets)")
                    },
                    at,
                    message: format!("tenant {}'s ServiceAccount is bound beyond its namespace", tenant.id),
                    accepted: None,
                });
            }
        }
    }
}

/// Each cell's tenant-access role gives a session tagged with a tenant it does not hold nothing:
/// the pool's pods choose the tag, so this is what keeps a pool from another tier's tenants,
/// from dedicated tenants, and from other cells'. Checked once per cell for the platform, on
/// every resource the role's Allow statements name, with the tag (and the partition key) set
/// to ids that are not the cell's: near-misses of each member's id and an unrelated one.
pub fn cells(baseline: &Baseline, report: &mut Report) {
    let mut members: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    if let Some(map) = baseline.cache.cells.get() {
        for (tenant, file) in map {
            members.entry(file.as_str()).or_default().push(tenant.as_str());
        }
    }
    let tag = format!("aws:PrincipalTag/{TENANT_SESSION_TAG}");
    // Who may assume a cell's role: its pool's pods' role only. Read off the trust policy: every
    // principal an Allow statement names must be that role (a wildcard, a service, another role
    // or account all fail).
    for role in baseline.roles.iter().filter(|r| is_cell(&r.file)) {
        let pool_file = role.file.rsplit_once('/').map_or(String::new(), |(dir, _)| format!("{dir}/stack.cfn.yaml"));
        let pool_role = baseline.roles.iter().find(|r| r.file == pool_file).map(|r| r.arn.clone()).unwrap_or_default();
        for statement in statements(&role.trust).filter(|s| s["Effect"] == "Allow") {
            report.count(Property::Isolation, 1);
            let mut named = Vec::new();
            match &statement["Principal"] {
                Value::Object(kinds) => {
                    for (kind, value) in kinds {
                        named.extend(strings(value).map(|p| (kind.clone(), p)));
                    }
                }
                Value::Null => {}
                other => named.push(("*".into(), other.as_str().unwrap_or("*").to_owned())),
            }
            if !statement["NotPrincipal"].is_null() {
                named.push(("NotPrincipal".into(), "*".into()));
            }
            for (kind, principal) in named.into_iter().filter(|(k, p)| !(k == "AWS" && *p == pool_role)) {
                report.findings.push(Finding {
                    property: Property::Isolation,
                    principal: principal.clone(),
                    action: "sts:AssumeRole".into(),
                    resource: role.arn.clone(),
                    at: baseline.at(&role.file, &role.path.key("Properties").key("AssumeRolePolicyDocument")),
                    message: format!(
                        "cell role {} trusts {kind} {principal}, not only its pool's pods' role {pool_role}",
                        role.name
                    ),
                    accepted: None,
                });
            }
        }
    }
    for role in baseline.roles.iter().filter(|r| is_cell(&r.file)) {
        let held = members.get(role.file.as_str()).cloned().unwrap_or_default();
        let mut outsiders: BTreeSet<String> = held.iter().flat_map(|t| [format!("{t}0"), format!("0{t}")]).collect();
        outsiders.insert("other".into());
        // And every id the role's conditions name that the cell does not hold (a list that
        // names a tenant of another cell lets the pool reach it).
        for policy in &role.identity {
            for statement in statements(&policy.document) {
                collect_strings(&statement["Condition"], &mut outsiders);
            }
        }
        outsiders.retain(|v| !v.contains(':') && !v.contains('/') && !v.contains('$') && v.len() <= other::MAX_ID);
        outsiders.retain(|o| !held.contains(&o.as_str()));
        let o = Obtained { role, context: Context::new(), how: baseline.at(&role.file, &role.path), account: None };
        let nobody = BTreeMap::new();
        let platform = Tenant {
            id: String::new(),
            docs: &nobody,
            stack_file: None,
            roles: Vec::new(),
            objects: Vec::new(),
            cell: None,
        };
        for outsider in &outsiders {
            let context = Context::new()
                .with("aws:PrincipalArn", &[&role.arn])
                .with(&tag, &[outsider])
                .with("dynamodb:LeadingKeys", &[outsider]);
            for pattern in patterns(role) {
                let Some(resource) = super::iam::with_variables(&pattern, &context) else { continue };
                let resource = resource.replace('*', "x");
                for action in TABLE_ACTIONS {
                    report.count(Property::Isolation, 1);
                    let verdict = role.decide(action, &resource, &context);
                    let message = format!(
                        "a session of cell role {} tagged {outsider}, a tenant the cell does not hold, can {action}",
                        role.name
                    );
                    flag((baseline, &platform), report, &o, (action, &resource), &verdict, &message);
                }
            }
        }
    }
}
