//! The contract between a generated Deployment and the binary it runs: the environment the
//! control plane's bundle (`generated/baseline/control-plane.k8s.yaml`) gives a service's
//! container, and a check that the service's real binary starts with exactly that
//! environment and answers `/health`. A variable the binary reads and the Deployment does not
//! set ends the process at start (`serve::Env::var`), so this fails where a pod would crash.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_yaml::Value;

/// The generated control-plane bundle, from the repository this crate is in.
pub fn control_plane_bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../generated/baseline/control-plane.k8s.yaml")
}

/// A value of the shape apply would bind for a `${stack:<stack>:<output>}` placeholder (a URL
/// for an issuer, an ARN for an ARN), so the binary parses what it will really get.
fn bound(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map(|e| start + e).unwrap_or_else(|| panic!("unclosed binding in {value}"));
        let output = rest[start + 2..end].rsplit(':').next().unwrap_or_default();
        out.push_str(&if output.ends_with("Url") {
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_BOUND".to_owned()
        } else if output.ends_with("Arn") {
            format!("arn:aws:sns:eu-west-1:123456789012:bound-{output}")
        } else {
            format!("bound-{output}")
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What a generated Deployment runs: its one container's environment (bindings bound, see
/// [`bound`]), port and UID.
pub struct GeneratedContainer {
    pub env: Vec<(String, String)>,
    pub port: u16,
    pub uid: u64,
}

/// The container of the Deployment `service` in `bundle`. Panics unless the bundle holds
/// exactly one Deployment called `service`, with one container whose every variable has a
/// plain value.
pub fn container(bundle: &Path, service: &str) -> GeneratedContainer {
    let text = std::fs::read_to_string(bundle).unwrap_or_else(|e| panic!("{}: {e}", bundle.display()));
    let deployments: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", bundle.display())))
        .filter(|doc| doc["kind"] == "Deployment" && doc["metadata"]["name"] == service)
        .collect();
    assert_eq!(deployments.len(), 1, "{}: one Deployment `{service}`", bundle.display());
    let containers = deployments[0]["spec"]["template"]["spec"]["containers"].as_sequence().expect("containers");
    assert_eq!(containers.len(), 1, "{service}: one container");
    let container = &containers[0];
    let env = container["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .map(|var| {
            let name = var["name"].as_str().expect("a variable's name").to_owned();
            let value = var["value"].as_str().unwrap_or_else(|| panic!("{service}: {name} has no plain value"));
            (name, bound(value))
        })
        .collect();
    let port = container["ports"][0]["containerPort"].as_u64().and_then(|p| u16::try_from(p).ok()).expect("a port");
    let uid = container["securityContext"]["runAsUser"].as_u64().expect("runAsUser");
    GeneratedContainer { env, port, uid }
}

/// The image the images build makes for `service` (`services/<service>/Dockerfile`) builds
/// this binary, runs it as the Deployment's UID and exposes its port.
pub fn image_matches(service: &str, container: &GeneratedContainer) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{service}/Dockerfile"));
    let dockerfile = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let port = container.port;
    let uid = container.uid;
    for line in [
        format!("RUN cargo build --locked --release -p {service} --bin {service}"),
        format!("COPY --from=build /src/target/release/{service} /usr/local/bin/{service}"),
        format!("USER {uid}:{uid}"),
        format!("EXPOSE {port}"),
        format!("ENTRYPOINT [\"/usr/local/bin/{service}\"]"),
    ] {
        assert!(dockerfile.lines().any(|l| l == line), "{}: no line `{line}`", path.display());
    }
}

/// Starts `binary` with exactly `env` (no variable of this process: `env_clear`), except
/// `PORT`, which becomes a free port on 127.0.0.1's side, and `AWS_ENDPOINT_URL`, a closed
/// local port, so nothing it does can leave this machine. Waits up to 20 s for `/health` to
/// answer 200; panics with the binary's output if it exits or never answers.
pub async fn starts_and_answers_health(binary: &str, container: &GeneratedContainer) {
    let env = &container.env;
    let declared = env.iter().find(|(name, _)| name == "PORT").map(|(_, value)| value.as_str());
    assert_eq!(declared, Some(container.port.to_string().as_str()), "PORT is the container's port");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let mut command = Command::new(binary);
    command.env_clear();
    for (name, value) in env {
        command.env(name, if name == "PORT" { port.to_string() } else { value.clone() });
    }
    command
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{binary}: {e}"));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let answered = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            let output = child.wait_with_output().expect("its output");
            panic!(
                "{binary} exited ({status}) with the Deployment's environment:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        if let Ok(response) =
            client.get(format!("http://127.0.0.1:{port}/health")).timeout(Duration::from_secs(1)).send().await
        {
            break response.status().as_u16();
        }
        if Instant::now() > deadline {
            break 0;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let output = child.wait_with_output().expect("its output");
    assert_eq!(
        answered,
        200,
        "{binary} did not answer /health with 200 within 20 s:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each pool bundle of `bundles` (its name, its YAML) runs `binary` for `service`: its
/// Deployment's container is pooled (`POOL_TIER`, no `TENANT_ID`), the image builds this binary,
/// and with exactly that environment the binary starts and answers `/health`. `scratch` is a
/// directory the bundles are written to. Returns how many started.
pub async fn pool_deployments_start(
    service: &str,
    binary: &str,
    bundles: &[(String, String)],
    scratch: &Path,
) -> usize {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).expect("a scratch directory");
    let mut started = 0;
    for (name, text) in bundles {
        let file = scratch.join(format!("{name}.k8s.yaml"));
        std::fs::write(&file, text).expect("the bundle written");
        let container = container(&file, service);
        let names: std::collections::BTreeSet<&str> = container.env.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains("POOL_TIER") && !names.contains("TENANT_ID"), "{name}: {names:?}");
        image_matches(service, &container);
        starts_and_answers_health(binary, &container).await;
        started += 1;
    }
    started
}
