//! Identity: a tenant's tokens are accepted only by its own deployments, and its users cannot
//! choose their tenant. Checked on the files:
//!
//! - each Deployment's `TENANT_ID`, `TENANT_ISSUER` and `TENANT_CLIENT_ID` are the tenant's: the
//!   id literally, the others bound (through the tenant's ConfigMap) to outputs of the tenant's
//!   own stack, whose `IssuerUrl` names the user pool that its `UserPoolClientId`'s client
//!   belongs to;
//! - every user pool declares `custom:tenant-id` immutable, every app client lists its
//!   writable attributes without it (an absent list means every attribute is writable), and the
//!   tenant's admin user carries the tenant's id;
//! - pods mount no Kubernetes token (`automountServiceAccountToken: false`).

use serde_json::Value;

use super::template::Template;
use super::{Baseline, Finding, Location, Property, Report, Tenant};
use crate::model::FieldPath;

const TENANT_ATTRIBUTE: &str = "custom:tenant-id";

fn finding(principal: &str, action: &str, resource: &str, at: Location, message: String) -> Finding {
    Finding {
        property: Property::Identity,
        principal: principal.to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        at,
        message,
        accepted: None,
    }
}

/// The tenant's stack name, from plan.json.
fn stack_of(baseline: &Baseline, id: &str) -> Option<String> {
    let step = format!("tenant/{id}/stack");
    baseline.steps_of(id).find(|s| s["id"] == step.as_str())?["stack"].as_str().map(str::to_owned)
}

/// Checks `tenant`'s identity wiring: its Deployments' `TENANT_*` settings, its user pools'
/// `custom:tenant-id` attribute and clients, its admin user, and token mounts; adds findings
/// of [`Property::Identity`] to `report`.
pub fn check(baseline: &Baseline, tenant: &Tenant, report: &mut Report) {
    let stack = stack_of(baseline, &tenant.id);
    let config_maps: Vec<(&str, usize, &Value)> = tenant.of_kind("ConfigMap").collect();
    for (file, index, d) in tenant.of_kind("Deployment") {
        let name = format!(
            "{}/{}",
            d["metadata"]["namespace"].as_str().unwrap_or_default(),
            d["metadata"]["name"].as_str().unwrap_or_default()
        );
        let spec = &d["spec"]["template"]["spec"];
        report.count(Property::Identity, 1);
        if spec["automountServiceAccountToken"] != false {
            let at = tenant.at(file, index, &FieldPath::root().key("metadata").key("name"));
            report.findings.push(finding(
                &name,
                "mount",
                "a Kubernetes ServiceAccount token",
                at,
                format!("tenant {}'s pods mount a Kubernetes token", tenant.id),
            ));
        }
        for (c, container) in spec["containers"].as_array().into_iter().flatten().enumerate() {
            for (e, env) in container["env"].as_array().into_iter().flatten().enumerate() {
                let at = tenant.at(
                    file,
                    index,
                    &FieldPath::root()
                        .key("spec")
                        .key("template")
                        .key("spec")
                        .key("containers")
                        .index(c)
                        .key("env")
                        .index(e),
                );
                let var = env["name"].as_str().unwrap_or_default();
                let value = match env.get("valueFrom").and_then(|v| v.get("configMapKeyRef")) {
                    Some(r) => config_maps
                        .iter()
                        .find(|(_, _, m)| {
                            m["metadata"]["name"] == r["name"]
                                && m["metadata"]["namespace"] == d["metadata"]["namespace"]
                        })
                        .and_then(|(_, _, m)| m["data"][r["key"].as_str().unwrap_or_default()].as_str())
                        .map(str::to_owned),
                    None => env["value"].as_str().map(str::to_owned),
                };
                let expect = match var {
                    "TENANT_ID" => Some(tenant.id.clone()),
                    "TENANT_ISSUER" => stack.as_ref().map(|s| format!("${{stack:{s}:IssuerUrl}}")),
                    "TENANT_CLIENT_ID" => stack.as_ref().map(|s| format!("${{stack:{s}:UserPoolClientId}}")),
                    _ => continue,
                };
                report.count(Property::Identity, 1);
                if value != expect {
                    report.findings.push(finding(
                        &name,
                        "trust",
                        var,
                        at,
                        format!(
                            "{var} of tenant {}'s {name} is {}, not {}",
                            tenant.id,
                            value.as_deref().unwrap_or("unset"),
                            expect
                                .as_deref()
                                .unwrap_or("the tenant's stack output (plan.json names no stack for the tenant)")
                        ),
                    ));
                }
            }
        }
    }
    if let Some((file, t)) = tenant.template(baseline).or_else(|| tenant.resources_template(baseline)) {
        let pooled = tenant.stack_file.is_none();
        if pooled {
            cell_client(baseline, tenant, &file, &t, report);
        } else {
            issuer_matches_client(baseline, tenant, &file, &t, report);
        }
        pools_and_clients(&t, &|path| tenant.at(&file, 0, path), report);
        // A cell holds its other tenants' users too: this tenant's is `<key>AdminUser`.
        let own_user = format!("{}AdminUser", crate::compile::pool::tenant_key_of(&tenant.id));
        for (logical, user) in t.of_type("AWS::Cognito::UserPoolUser").filter(|(l, _)| !pooled || *l == own_user) {
            report.count(Property::Identity, 1);
            let attrs = user["Properties"]["UserAttributes"].as_array().map(Vec::as_slice).unwrap_or_default();
            let claim = attrs.iter().find(|a| a["Name"] == TENANT_ATTRIBUTE).and_then(|a| a["Value"].as_str());
            if claim != Some(tenant.id.as_str()) {
                let at = tenant.at(&file, 0, &FieldPath::root().key("Resources").key(logical));
                report.findings.push(finding(
                    logical,
                    "sign in",
                    TENANT_ATTRIBUTE,
                    at,
                    format!(
                        "tenant {}'s user {logical} has {TENANT_ATTRIBUTE} {}",
                        tenant.id,
                        claim.unwrap_or("unset")
                    ),
                ));
            }
        }
    }
}

/// In a tenant's cell: its app client (the output `<key>ClientId`) is a client of the cell's
/// pool, the one `IssuerUrl` names, and calls back to the tenant's own app only.
fn cell_client(baseline: &Baseline, tenant: &Tenant, file: &str, t: &Template, report: &mut Report) {
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    let outputs = &t.root["Outputs"];
    let key = format!("{}ClientId", crate::compile::pool::tenant_key_of(&tenant.id));
    let at = tenant.locate(baseline, file, &FieldPath::root().key("Outputs").key(&key));
    report.count(Property::Identity, 2);
    let issuer = t.string(&outputs["IssuerUrl"]["Value"], scope, exports);
    let pool_of_issuer =
        issuer.strip_prefix(&format!("https://cognito-idp.{}.amazonaws.com/", t.region)).unwrap_or_default();
    let client = outputs[&key]["Value"]["Ref"].as_str().map(|c| &t.root["Resources"][c]);
    let Some(client) = client.filter(|c| c["Type"] == "AWS::Cognito::UserPoolClient") else {
        report.findings.push(finding(
            &tenant.id,
            "trust",
            &key,
            at,
            format!("tenant {}'s {key} is not a client of its cell", tenant.id),
        ));
        return;
    };
    let pool = t.string(&client["Properties"]["UserPoolId"], scope, exports);
    if pool != pool_of_issuer {
        report.findings.push(finding(
            &tenant.id,
            "trust",
            "IssuerUrl",
            at.clone(),
            format!("tenant {}'s client is in pool {pool}, not the cell's issuer {issuer}", tenant.id),
        ));
    }
    let app = format!("https://{}.app.", tenant.id);
    let callbacks: Vec<String> = client["Properties"]["CallbackURLs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| t.string(c, scope, exports))
        .collect();
    if callbacks.is_empty() || callbacks.iter().any(|c| !c.starts_with(&app)) {
        report.findings.push(finding(
            &tenant.id,
            "sign in",
            "CallbackURLs",
            at,
            format!(
                "tenant {}'s client calls back to {}, not only to its own app ({app}...)",
                tenant.id,
                callbacks.join(", ")
            ),
        ));
    }
}

/// The stack's `IssuerUrl` names the pool its `UserPoolClientId`'s client belongs to.
fn issuer_matches_client(baseline: &Baseline, tenant: &Tenant, file: &str, t: &Template, report: &mut Report) {
    let (scope, exports) = (&baseline.scope, &baseline.exports);
    let outputs = &t.root["Outputs"];
    report.count(Property::Identity, 1);
    let at = |key: &str| tenant.at(file, 0, &FieldPath::root().key("Outputs").key(key));
    let issuer = t.string(&outputs["IssuerUrl"]["Value"], scope, exports);
    let expected_prefix = format!("https://cognito-idp.{}.amazonaws.com/", t.region);
    let pool_of_issuer = issuer.strip_prefix(&expected_prefix).unwrap_or_default().to_owned();
    let client = &outputs["UserPoolClientId"]["Value"];
    let client_pool = client["Ref"]
        .as_str()
        .filter(|c| t.root["Resources"][*c]["Type"] == "AWS::Cognito::UserPoolClient")
        .map(|c| t.string(&t.root["Resources"][c]["Properties"]["UserPoolId"], scope, exports));
    match client_pool {
        None => report.findings.push(finding(
            &tenant.id,
            "trust",
            "UserPoolClientId",
            at("UserPoolClientId"),
            format!("tenant {}'s UserPoolClientId is not a client of its stack", tenant.id),
        )),
        Some(pool) if pool != pool_of_issuer => report.findings.push(finding(
            &tenant.id,
            "trust",
            "IssuerUrl",
            at("IssuerUrl"),
            format!("tenant {}'s issuer {issuer} is not the user pool of its client ({pool})", tenant.id),
        )),
        Some(_) => {
            // A pooled identity tier's pool is the baseline's: its schema must hold too.
            for (file, base) in baseline.templates() {
                for (logical, _) in base.of_type("AWS::Cognito::UserPool") {
                    if base.string(&serde_json::json!({"Ref": logical}), scope, exports) == pool_of_issuer {
                        pool_schema(
                            logical,
                            &base.root["Resources"][logical],
                            &|path| baseline.at(&file, path),
                            report,
                        );
                    }
                }
            }
        }
    }
}

/// Every user pool of `t` keeps `custom:tenant-id` immutable; no client may write it.
fn pools_and_clients(t: &Template, at: &dyn Fn(&FieldPath) -> Location, report: &mut Report) {
    for (logical, pool) in t.of_type("AWS::Cognito::UserPool") {
        pool_schema(logical, pool, at, report);
    }
    clients(t, at, report);
}

/// A pool tenants sign in to keeps `custom:tenant-id` immutable.
fn pool_schema(logical: &str, pool: &Value, at: &dyn Fn(&FieldPath) -> Location, report: &mut Report) {
    report.count(Property::Identity, 1);
    let schema = pool["Properties"]["Schema"].as_array().map(Vec::as_slice).unwrap_or_default();
    match schema.iter().position(|a| a["Name"] == "tenant-id") {
        None => report.findings.push(finding(
            logical,
            "declare",
            TENANT_ATTRIBUTE,
            at(&FieldPath::root().key("Resources").key(logical)),
            format!("user pool {logical} declares no tenant-id attribute"),
        )),
        Some(i) if schema[i]["Mutable"] != false => report.findings.push(finding(
            logical,
            "update",
            TENANT_ATTRIBUTE,
            at(&FieldPath::root().key("Resources").key(logical).key("Properties").key("Schema").index(i)),
            format!("user pool {logical}'s {TENANT_ATTRIBUTE} is mutable: a user's tenant can be changed"),
        )),
        Some(_) => {}
    }
}

/// No app client may write `custom:tenant-id`.
fn clients(t: &Template, at: &dyn Fn(&FieldPath) -> Location, report: &mut Report) {
    for (logical, client) in t.of_type("AWS::Cognito::UserPoolClient") {
        report.count(Property::Identity, 1);
        let path = FieldPath::root().key("Resources").key(logical).key("Properties");
        match client["Properties"]["WriteAttributes"].as_array() {
            None => report.findings.push(finding(logical, "write", TENANT_ATTRIBUTE, at(&path), format!("client {logical} lists no WriteAttributes, so it may write every attribute, {TENANT_ATTRIBUTE} included"))),
            Some(attrs) => {
                if let Some(i) = attrs.iter().position(|a| a == TENANT_ATTRIBUTE) {
                    report.findings.push(finding(logical, "write", TENANT_ATTRIBUTE, at(&path.key("WriteAttributes").index(i)), format!("client {logical} may write {TENANT_ATTRIBUTE}")));
                }
            }
        }
    }
}

/// The baseline's app clients (the pooled identity tier's and the admin's); the baseline's
/// pools are checked where a tenant's issuer names them.
pub fn platform(baseline: &Baseline, report: &mut Report) {
    for (file, t) in baseline.templates() {
        clients(&t, &|path| baseline.at(&file, path), report);
    }
}
