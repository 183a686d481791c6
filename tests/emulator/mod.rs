//! Test support for end-to-end applies: the emulator view of generated templates, a mock
//! Kubernetes API server, and helpers to run the real binary.
#![allow(dead_code, reason = "shared by end-to-end tests")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Resource types moto implements inside CloudFormation (moto 5.2). It skips the others
/// (CloudFront, Cognito, ACM, WAF, CodeBuild, CodePipeline, bucket policies), and a Ref or
/// GetAtt to a skipped resource fails the stack.
pub const EMULATED_TYPES: [&str; 9] = [
    "AWS::DynamoDB::Table",
    "AWS::ECR::Repository",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Role",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
];

/// The resource ids `value` references (Ref, Fn::GetAtt, Fn::Sub names).
fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, arg) in map {
                match key.as_str() {
                    "Ref" => {
                        if let Some(s) = arg.as_str() {
                            out.insert(s.to_owned());
                        }
                    }
                    "Fn::GetAtt" => {
                        if let Some(s) = arg.get(0).and_then(Value::as_str) {
                            out.insert(s.to_owned());
                        }
                    }
                    "Fn::Sub" => {
                        let text = arg.as_str().or_else(|| arg.get(0).and_then(Value::as_str)).unwrap_or_default();
                        for name in tenancy_sub_names(text) {
                            out.insert(name.split('.').next().unwrap_or_default().to_owned());
                        }
                    }
                    _ => {}
                }
                references(arg, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        _ => {}
    }
}

fn tenancy_sub_names(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if !after.starts_with('!') {
            names.push(&after[..end]);
        }
        rest = &after[end + 1..];
    }
    names
}

/// The emulator view of a template: resources moto cannot run are left out, with every
/// resource that references them; outputs that reference them become stand-in values named
/// after the output; parameter patterns are dropped (stand-ins do not match them); a template
/// left without resources gets one stand-in topic. What remains is the generated template.
pub fn emulator_view(template_yaml: &str) -> String {
    let mut template: Value = serde_yaml::from_str(template_yaml).expect("a template");
    let resources = template["Resources"].as_object().cloned().unwrap_or_default();
    let mut dropped: BTreeSet<String> = resources
        .iter()
        .filter(|(_, r)| !EMULATED_TYPES.contains(&r["Type"].as_str().unwrap_or_default()))
        .map(|(id, _)| id.clone())
        .collect();
    loop {
        let before = dropped.len();
        for (id, resource) in &resources {
            let mut refs = BTreeSet::new();
            references(resource, &mut refs);
            if let Some(deps) = resource.get("DependsOn").and_then(Value::as_array) {
                refs.extend(deps.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if refs.iter().any(|r| dropped.contains(r)) {
                dropped.insert(id.clone());
            }
        }
        if dropped.len() == before {
            break;
        }
    }
    let mut kept: serde_json::Map<String, Value> =
        resources.into_iter().filter(|(id, _)| !dropped.contains(id)).collect();
    // moto reads AWS::KMS::Key tags in the KMS API's shape (TagKey/TagValue), not
    // CloudFormation's (Key/Value), and fails on ours: leave them out.
    for resource in kept.values_mut() {
        if resource["Type"] == "AWS::KMS::Key" {
            resource["Properties"].as_object_mut().unwrap().remove("Tags");
        }
    }
    if kept.is_empty() {
        // A template needs a resource; one that moto runs stands in for what was left out.
        kept.insert(
            "EmulatorStandIn".into(),
            json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "emulator-standin"}}),
        );
    }
    template["Resources"] = Value::Object(kept);
    if let Some(outputs) = template.get_mut("Outputs").and_then(Value::as_object_mut) {
        for (key, output) in outputs.iter_mut() {
            let mut refs = BTreeSet::new();
            references(&output["Value"], &mut refs);
            if refs.iter().any(|r| dropped.contains(r)) {
                output["Value"] = json!(format!("emulator-standin-{key}"));
            }
        }
    }
    if let Some(parameters) = template.get_mut("Parameters").and_then(Value::as_object_mut) {
        for parameter in parameters.values_mut() {
            parameter.as_object_mut().unwrap().remove("AllowedPattern");
        }
    }
    // JSON (which is YAML too): re-serializing as YAML would leave date-like strings plain.
    serde_json::to_string_pretty(&template).unwrap()
}

/// What the mock API server saw: (method, path with query, content type).
pub type Requests = Arc<Mutex<Vec<(String, String, String)>>>;

/// A mock Kubernetes API server on 127.0.0.1: it stores applied objects, reports Deployments
/// rolled out, lists and deletes. No real cluster can run here; this checks what tenancy sends.
pub struct MockApiServer {
    pub url: String,
    pub requests: Requests,
    pub objects: Arc<Mutex<BTreeMap<String, Value>>>,
}

impl MockApiServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Requests = Arc::default();
        let objects: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
        let (seen, store) = (requests.clone(), objects.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(600);
            for stream in listener.incoming().take(20_000) {
                if Instant::now() > deadline {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.is_empty() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let (method, target) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
                let (mut length, mut content_type) = (0usize, String::new());
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).is_err() || header == "\r\n" || header.is_empty() {
                        break;
                    }
                    let lower = header.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if let Some(v) = lower.strip_prefix("content-type:") {
                        content_type = v.trim().to_owned();
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock().unwrap().push((method.clone(), target.clone(), content_type));
                let path = target.split('?').next().unwrap_or("").to_owned();
                let response = respond(&method, &path, &target, &body, &store);
                let bytes = response.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{bytes}",
                    bytes.len()
                );
            }
        });
        Self { url, requests, objects }
    }

    /// A kubeconfig pointing at the server.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: {}\nusers:\n- name: mock\n  user:\n    token: test\ncontexts:\n- name: mock\n  context:\n    cluster: mock\n    user: mock\ncurrent-context: mock\n",
            self.url
        )
    }
}

fn respond(method: &str, path: &str, target: &str, body: &[u8], store: &Mutex<BTreeMap<String, Value>>) -> Value {
    let mut store = store.lock().unwrap();
    match method {
        "PATCH" => {
            let mut object: Value = serde_json::from_slice(body).unwrap_or(json!({}));
            object["metadata"]["generation"] = json!(1);
            store.insert(path.to_owned(), object.clone());
            object
        }
        "GET" if store.contains_key(path) => {
            let mut object = store[path].clone();
            let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
            object["status"] =
                json!({"observedGeneration": 1, "updatedReplicas": replicas, "availableReplicas": replicas});
            object
        }
        "GET" => {
            // A list: every stored object under this collection path with the selector's label.
            let selector = target
                .split("labelSelector=")
                .nth(1)
                .map(|s| s.split('&').next().unwrap_or("").replace("%3D", "=").replace("%2F", "/"));
            let items: Vec<Value> = store
                .iter()
                .filter(|(p, _)| p.rsplit_once('/').map(|(dir, _)| dir) == Some(path))
                .filter(|(_, o)| {
                    selector.as_ref().is_none_or(|sel| {
                        let (k, v) = sel.split_once('=').unwrap_or(("", ""));
                        o["metadata"]["labels"][k].as_str() == Some(v)
                    })
                })
                .map(|(_, o)| o.clone())
                .collect();
            json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items})
        }
        "DELETE" => {
            store.remove(path);
            json!({"apiVersion": "v1", "kind": "Status", "status": "Success", "metadata": {}})
        }
        _ => json!({}),
    }
}
