//! Test support for end-to-end applies and the pipeline rehearsal: a moto server of the test's
//! own (`moto_server.py`, with its gaps closed, builds that run and EKS endpoints that answer),
//! a git checkout of this repository to push as the source bundle, a mock Kubernetes API
//! server, and helpers to run the real binary.
#![allow(dead_code, reason = "shared by end-to-end tests")]

pub mod proxy;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The repository root.
pub fn repo() -> PathBuf {
    crate::common::root()
}

/// The Python of the moto venv (which also holds the AWS CLI), from `scripts/test`.
pub fn python() -> PathBuf {
    PathBuf::from(std::env::var("TENANCY_MOTO_PYTHON").expect(
        "TENANCY_MOTO_PYTHON is not set: run scripts/test, which installs moto and the AWS CLI into .venv/moto",
    ))
}

/// A directory for a test's emulator: not under /tmp, which every build gets a private one of.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("emulator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the binary without debug information for the builds to install: a debug build is
/// hundreds of megabytes, and every pipeline action unpacks it (as CodeBuild would the Tools
/// artifact).
fn stripped(binary: &Path, work: &Path) -> PathBuf {
    let target = work.join("tenancy");
    let out = Command::new("strip").arg("--strip-debug").arg("-o").arg(&target).arg(binary).output();
    match out {
        Ok(out) if out.status.success() => target,
        _ => {
            std::fs::copy(binary, &target).unwrap();
            target
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A moto server for one test, stopped when dropped.
pub struct Moto {
    pub url: String,
    /// Where builds run and stand-ins record what they did.
    pub work: PathBuf,
    pub state: PathBuf,
    /// The binary the builds install (a stripped copy of the one under test).
    pub tenancy: PathBuf,
    child: Child,
}

impl Moto {
    /// Starts moto on a free port of 127.0.0.1. With `kube_url`, EKS clusters answer there;
    /// builds run their buildspecs (`codebuild.py`) with the stand-ins, the real AWS CLI and
    /// `tenancy` (the binary under test) on the PATH.
    pub fn start(name: &str, kube_url: Option<&str>, tenancy: &Path) -> Self {
        let work = work_dir(name);
        let tenancy = &stripped(tenancy, &work);
        let state = work.join("state");
        std::fs::create_dir_all(&state).unwrap();
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let venv_bin = python().parent().unwrap().to_owned();
        let path = format!(
            "{}:{}:/usr/local/bin:/usr/bin:/bin",
            repo().join("tests/emulator/standins").display(),
            venv_bin.display()
        );
        let log = std::fs::File::create(work.join("moto.log")).unwrap();
        let mut command = Command::new(python());
        command
            .arg(repo().join("tests/emulator/moto_server.py"))
            .arg(port.to_string())
            .env("TENANCY_EMULATOR_BUILDS", "1")
            .env("TENANCY_EMULATOR_ENDPOINT", &url)
            .env("TENANCY_EMULATOR_WORK", &work)
            .env("TENANCY_EMULATOR_STATE", &state)
            .env("TENANCY_EMULATOR_PATH", &path)
            .env("TENANCY_EMULATOR_TENANCY_BIN", tenancy)
            // The reference account's hosted zone (a prerequisite, like the account itself).
            .env("TENANCY_EMULATOR_HOSTED_ZONES", "saas.example.com=Z0123456789EXAMPLEZONE")
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(kube) = kube_url {
            command.env("TENANCY_KUBE_URL", kube);
        }
        let child = command.spawn().expect("moto starts");
        let mut moto = Self { url, work, state, tenancy: tenancy.to_owned(), child };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = moto.child.try_wait().ok().flatten();
            assert!(exited.is_none() && Instant::now() < deadline, "moto did not start: {}", moto.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.work.join("moto.log")).unwrap_or_default()
    }

    /// The environment for a process that reaches this moto with the operator's credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        let venv_bin = python().parent().unwrap().to_owned();
        vec![
            ("AWS_ACCESS_KEY_ID".into(), "test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("AWS_ENDPOINT_URL".into(), self.url.clone()),
            // The AWS CLI, for `aws eks update-kubeconfig` and its `get-token` exec plugin.
            ("PATH".into(), format!("{}:/usr/bin:/bin", venv_bin.display())),
        ]
    }

    /// The SDK's configuration for this moto in `region`, with the operator's credentials.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"))
            .load()
            .await
    }

    /// Lines of `builds.jsonl`: every build that ran, with its status and log.
    pub fn builds(&self) -> Vec<Value> {
        jsonl(&self.state.join("builds.jsonl"))
    }

    /// Lines of `calls.jsonl`: every stand-in invocation.
    pub fn calls(&self) -> Vec<Value> {
        jsonl(&self.state.join("calls.jsonl"))
    }

    /// Every build's log, for a failure message.
    pub fn build_logs(&self) -> String {
        self.builds()
            .iter()
            .map(|b| {
                let log = b["log"].as_str().map(|p| std::fs::read_to_string(p).unwrap_or_default()).unwrap_or_default();
                format!("--- build {} {}: {}\n{log}", b["id"], b["status"], b["message"])
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// A git checkout of this repository's tracked files as they are (what `tenancy source push`
/// bundles): `generated/` is the committed tree.
pub fn checkout(into: &Path) -> PathBuf {
    let root = into.join("checkout");
    let listed = Command::new("git").arg("-C").arg(repo()).args(["ls-files", "-z"]).output().unwrap();
    assert!(listed.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listed.stderr));
    for file in String::from_utf8(listed.stdout).unwrap().split('\0').filter(|f| !f.is_empty()) {
        let from = repo().join(file);
        if !from.is_file() {
            continue;
        }
        let to = root.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .env("GIT_AUTHOR_NAME", "rehearsal")
            .env("GIT_AUTHOR_EMAIL", "rehearsal@example.invalid")
            .env("GIT_COMMITTER_NAME", "rehearsal")
            .env("GIT_COMMITTER_EMAIL", "rehearsal@example.invalid")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "--quiet"]);
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "the commit under test"]);
    root
}

/// The string fields of `tenant`'s record in the reference platform's tenant table (what the
/// plan's register step writes), none when there is no record.
pub async fn tenant_record(dynamodb: &aws_sdk_dynamodb::Client, tenant: &str) -> BTreeMap<String, String> {
    let out = dynamodb
        .get_item()
        .table_name("saas-tenant")
        .key("TenantId", aws_sdk_dynamodb::types::AttributeValue::S(tenant.to_owned()))
        .send()
        .await
        .unwrap();
    out.item().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone()))).collect()
}

/// Runs the real `tenancy` with `args`, against moto, in `dir`.
pub fn tenancy(bin: &Path, moto: &Moto, dir: &Path, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(bin);
    command.args(args).current_dir(dir).env_remove("AWS_PROFILE").env_remove("KUBECONFIG").stdin(Stdio::null());
    for (k, v) in moto.env() {
        command.env(k, v);
    }
    for (k, v) in extra_env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// The JSON events of an apply's stdout (`--format json`).
pub fn events(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Bootstraps the account and pushes the checkout's source bundle, as the first deploy does
/// from a workstation.
pub fn bootstrap_and_push(bin: &Path, moto: &Moto, root: &Path) {
    let generated = root.join("generated");
    let generated = generated.to_str().unwrap();
    let out = tenancy(bin, moto, root, &["bootstrap", "--generated", generated, "--poll-seconds", "0.05"], &[]);
    assert!(out.status.success(), "bootstrap: {}\n{}", describe_output(&out), moto.build_logs());
    let out = tenancy(bin, moto, root, &["source", "push", "--generated", generated], &[]);
    assert!(out.status.success(), "source push: {}\n{}", describe_output(&out), moto.build_logs());
}

pub fn describe_output(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// What the mock API server saw: (method, path with query, content type).
pub type Requests = Arc<Mutex<Vec<(String, String, String)>>>;

/// A mock Kubernetes API server on 127.0.0.1: it stores applied objects, reports Deployments
/// rolled out, lists and deletes. No real cluster can run here; this checks what tenancy (and
/// the kubectl stand-in) send, strictly where a real API server would refuse:
///
/// - with `eks_token`, every request must carry an EKS token (`k8s-aws-v1.` and a presigned STS
///   GetCallerIdentity URL signing the `x-k8s-aws-id` header), as `aws eks get-token` makes;
/// - a namespaced object is refused (404) until its namespace exists;
/// - a server-side apply must be `application/apply-patch+yaml` with a field manager;
/// - a GET of a missing object is 404.
pub struct MockApiServer {
    pub url: String,
    pub requests: Requests,
    pub objects: Arc<Mutex<BTreeMap<String, Value>>>,
    /// Requests refused, with why.
    pub refused: Arc<Mutex<Vec<String>>>,
}

impl MockApiServer {
    pub fn start() -> Self {
        Self::serve(false)
    }

    /// A server that accepts only EKS tokens, as an EKS cluster's endpoint does.
    pub fn start_eks() -> Self {
        Self::serve(true)
    }

    fn serve(eks_token: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Requests = Arc::default();
        let objects: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
        let refused: Arc<Mutex<Vec<String>>> = Arc::default();
        let (seen, store, no) = (requests.clone(), objects.clone(), refused.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(1800);
            for stream in listener.incoming().take(100_000) {
                if Instant::now() > deadline {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (seen, store, no) = (seen.clone(), store.clone(), no.clone());
                std::thread::spawn(move || serve_connection(stream, eks_token, &seen, &store, &no));
            }
        });
        Self { url, requests, objects, refused }
    }

    /// A kubeconfig pointing at the server with a static token (for a server without
    /// `eks_token`).
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: mock\n  cluster:\n    server: {}\nusers:\n- name: mock\n  user:\n    token: test\ncontexts:\n- name: mock\n  context:\n    cluster: mock\n    user: mock\ncurrent-context: mock\n",
            self.url
        )
    }
}

/// Serves one connection, keep-alive, bounded in requests and idle time.
fn serve_connection(
    mut stream: TcpStream,
    eks_token: bool,
    seen: &Requests,
    store: &Mutex<BTreeMap<String, Value>>,
    refused: &Mutex<Vec<String>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for _ in 0..10_000 {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.is_empty() {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
        let (mut length, mut content_type, mut authorization) = (0usize, String::new(), String::new());
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
            if lower.starts_with("authorization:") {
                authorization = header["authorization:".len()..].trim().to_owned();
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.lock().unwrap().push((method.clone(), target.clone(), content_type.clone()));
        let path = target.split('?').next().unwrap_or("").to_owned();
        let (code, response) = match check_request(eks_token, &authorization, &method, &target, &content_type) {
            Err(why) => {
                refused.lock().unwrap().push(format!("{method} {target}: {why}"));
                (401, status(401, &why))
            }
            Ok(()) => respond(&method, &path, &target, &body, store, refused),
        };
        let bytes = response.to_string();
        let reason = if code == 200 { "OK" } else { "Refused" };
        if write!(
            stream,
            "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{bytes}",
            bytes.len()
        )
        .is_err()
        {
            return;
        }
    }
}

fn status(code: u16, message: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "message": message, "metadata": {}})
}

/// An EKS token: `k8s-aws-v1.` and the base64url of a presigned STS GetCallerIdentity URL that
/// signs `x-k8s-aws-id` (the cluster name), as `aws eks get-token` makes.
fn check_request(
    eks_token: bool,
    authorization: &str,
    method: &str,
    target: &str,
    content_type: &str,
) -> Result<(), String> {
    if eks_token {
        let token = authorization.strip_prefix("Bearer k8s-aws-v1.").ok_or("no EKS bearer token")?;
        let url = base64url_decode(token).ok_or("the token is not base64url")?;
        let url = String::from_utf8(url).map_err(|_| "the token is not a URL")?;
        if !(url.contains("Action=GetCallerIdentity") && url.contains("X-Amz-Signature=")) {
            return Err(format!("the token is not a presigned GetCallerIdentity URL: {url}"));
        }
        if !url.to_ascii_lowercase().contains("x-k8s-aws-id") {
            return Err("the token does not sign the cluster name (x-k8s-aws-id)".into());
        }
    }
    if method == "PATCH" && (content_type != "application/apply-patch+yaml" || !target.contains("fieldManager=")) {
        return Err(format!("a PATCH must be a server-side apply with a field manager, not {content_type} {target}"));
    }
    Ok(())
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Whether `path` names a collection (`.../deployments`) rather than an object.
fn is_collection(path: &str) -> bool {
    const PLURALS: [&str; 14] = [
        "priorityclasses",
        "namespaces",
        "serviceaccounts",
        "roles",
        "rolebindings",
        "resourcequotas",
        "limitranges",
        "networkpolicies",
        "configmaps",
        "deployments",
        "services",
        "ingresses",
        "horizontalpodautoscalers",
        "poddisruptionbudgets",
    ];
    path.rsplit('/').next().is_some_and(|last| PLURALS.contains(&last)) && !path.ends_with("/namespaces/namespaces")
}

/// The namespace a namespaced object's path names, if any.
fn namespace_of(path: &str) -> Option<&str> {
    let rest = path.split("/namespaces/").nth(1)?;
    let (namespace, more) = rest.split_once('/')?;
    (!more.is_empty()).then_some(namespace)
}

fn respond(
    method: &str,
    path: &str,
    target: &str,
    body: &[u8],
    store: &Mutex<BTreeMap<String, Value>>,
    refused: &Mutex<Vec<String>>,
) -> (u16, Value) {
    let mut store = store.lock().unwrap();
    match method {
        "PATCH" => {
            if let Some(namespace) = namespace_of(path)
                && !store.contains_key(&format!("/api/v1/namespaces/{namespace}"))
            {
                let why = format!("namespaces \"{namespace}\" not found");
                refused.lock().unwrap().push(format!("PATCH {path}: {why}"));
                return (404, status(404, &why));
            }
            let mut object: Value =
                serde_json::from_slice(body).or_else(|_| serde_yaml::from_slice(body)).unwrap_or(json!({}));
            object["metadata"]["generation"] = json!(1);
            store.insert(path.to_owned(), object.clone());
            (200, object)
        }
        "GET" if store.contains_key(path) => {
            let mut object = store[path].clone();
            let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
            object["status"] =
                json!({"observedGeneration": 1, "updatedReplicas": replicas, "availableReplicas": replicas});
            (200, object)
        }
        "GET" if target.contains("labelSelector=") || is_collection(path) => {
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
            (200, json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}))
        }
        "GET" => (404, status(404, &format!("{path} not found"))),
        "DELETE" => {
            store.remove(path);
            (200, json!({"apiVersion": "v1", "kind": "Status", "status": "Success", "metadata": {}}))
        }
        _ => (405, status(405, &format!("{method} is not served"))),
    }
}
