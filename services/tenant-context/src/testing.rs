//! Test identities: an RSA key pair made at run time, its JWKS, and tokens signed with it
//! (or deliberately wrong), for the services' tests and benchmarks. Not compiled into services.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

use crate::identity::{JwksFetcher, Verifier, VerifierConfig};

pub mod deployment;
#[cfg(feature = "pooled")]
pub mod pooled;

pub const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST";
pub const CLIENT_ID: &str = "test-client";
pub const KID: &str = "test-key-1";

struct Keys {
    pem: String,
    jwks: Value,
}

/// One key pair per test process (2048-bit generation takes a moment).
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("an RSA key");
        let public = private.to_public_key();
        let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).expect("PEM").to_string();
        let jwks = json!({"keys": [{
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]});
        Keys { pem, jwks }
    })
}

/// The JWKS of the test key, counting fetches.
#[derive(Default)]
pub struct StaticJwks {
    pub fetches: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl JwksFetcher for StaticJwks {
    async fn fetch(&self, _issuer: &str) -> Result<JwkSet, String> {
        self.fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        serde_json::from_value(keys().jwks.clone()).map_err(|e| e.to_string())
    }
}

/// The JWKS of the test key.
pub fn jwks() -> JwkSet {
    serde_json::from_value(keys().jwks.clone()).expect("a JWKS")
}

/// What a stand-in issuer does when asked for its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerMode {
    /// Serves the test key.
    Healthy,
    /// Serves a valid set without the test key (before a rotation).
    OtherKeys,
    /// Answers with an error at once (an HTTP 500).
    Failing,
    /// Answers after `HANG` with an error (longer than any fetch timeout here).
    Hanging,
}

/// How long a hanging issuer takes, as the stand-in issuer of the 2026-12 review did.
pub const HANG: Duration = Duration::from_secs(8);

/// An issuer whose mode can be switched, counting fetches. In process, on the tokio clock, so
/// tests can pause time.
pub struct StandInIssuer {
    mode: std::sync::Mutex<IssuerMode>,
    pub fetches: std::sync::atomic::AtomicUsize,
}

impl StandInIssuer {
    pub fn new(mode: IssuerMode) -> Arc<Self> {
        Arc::new(Self { mode: std::sync::Mutex::new(mode), fetches: Default::default() })
    }
    pub fn set(&self, mode: IssuerMode) {
        *self.mode.lock().expect("lock") = mode;
    }
    pub fn fetches(&self) -> usize {
        self.fetches.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksFetcher for StandInIssuer {
    async fn fetch(&self, _issuer: &str) -> Result<JwkSet, String> {
        self.fetches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mode = *self.mode.lock().expect("lock");
        match mode {
            IssuerMode::Healthy => Ok(jwks()),
            IssuerMode::OtherKeys => Ok(JwkSet { keys: Vec::new() }),
            IssuerMode::Failing => Err("HTTP status server error (500 Internal Server Error)".into()),
            IssuerMode::Hanging => {
                tokio::time::sleep(HANG).await;
                Err("connection closed".into())
            }
        }
    }
}

/// What the services run with: the test issuer and client, a 60 s refresh throttle, a 5 s
/// fetch timeout.
pub fn verifier_config() -> VerifierConfig {
    VerifierConfig {
        issuers: vec![ISSUER.into()],
        client_ids: vec![CLIENT_ID.into()],
        leeway: Duration::from_secs(30),
        min_refresh: Duration::from_secs(60),
        fetch_timeout: Duration::from_secs(5),
    }
}

/// A verifier trusting the test issuer and client.
pub fn verifier() -> Arc<Verifier> {
    Arc::new(Verifier::new(verifier_config(), Arc::new(StaticJwks::default())))
}

/// An unsigned token naming `kid` with RS256 and the trusted issuer, signature `junk`: all an
/// attacker needs to make the verifier look a key up (B2 of the 2026-12 services review).
pub fn junk(kid: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json!({"alg": "RS256", "kid": kid})).unwrap());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json!({"iss": ISSUER})).unwrap());
    format!("{header}.{payload}.anVuaw")
}

/// The JSON log lines written while it is the thread's default subscriber, in the services'
/// own format (`serve::json_logs`).
#[derive(Clone, Default)]
pub struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    /// Captures at `level` and above on this thread (tasks of a current-thread runtime
    /// included) until the guard is dropped.
    pub fn capture(level: &str) -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Self::default();
        let subscriber = crate::serve::json_logs(tracing_subscriber::EnvFilter::new(level), logs.clone());
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("lock").clone();
        String::from_utf8_lossy(&bytes).lines().map(|l| serde_json::from_str(l).expect("a JSON log line")).collect()
    }

    /// The lines whose `fields.message` is `message`.
    pub fn messages(&self, message: &str) -> Vec<Value> {
        self.lines().into_iter().filter(|l| l["fields"]["message"] == message).collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> tracing_subscriber::fmt::MakeWriter<'w> for Logs {
    type Writer = Logs;
    fn make_writer(&'w self) -> Logs {
        self.clone()
    }
}

pub fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

/// The claims of a valid id token for `tenant`.
pub fn claims(tenant: &str) -> Value {
    json!({
        "iss": ISSUER, "sub": format!("user-of-{tenant}"), "aud": CLIENT_ID, "token_use": "id",
        "exp": now() + 3600, "iat": now(), "custom:tenant-id": tenant,
    })
}

/// The claims of a valid id token of a provider administrator (no tenant).
pub fn admin_claims(subject: &str) -> Value {
    json!({
        "iss": ISSUER, "sub": subject, "aud": CLIENT_ID, "token_use": "id",
        "exp": now() + 3600, "iat": now(),
    })
}

/// A token signed with the test key.
pub fn sign(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.into());
    encode(&header, claims, &EncodingKey::from_rsa_pem(keys().pem.as_bytes()).expect("a key")).expect("a token")
}

/// A valid token for `tenant`.
pub fn token(tenant: &str) -> String {
    sign(&claims(tenant))
}

/// `token` with its payload replaced but its signature kept.
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// An unsigned token (`alg: none`).
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap()))
}

/// A token signed with HMAC, keyed with the public modulus (the classic confusion attack).
pub fn hmac(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.into());
    let secret = keys().jwks["keys"][0]["n"].as_str().unwrap().as_bytes().to_vec();
    encode(&header, claims, &EncodingKey::from_secret(&secret)).unwrap()
}

/// moto's URL, from TENANCY_MOTO_URL (set by scripts/test, which starts moto).
pub fn moto_url() -> String {
    std::env::var("TENANCY_MOTO_URL").expect("TENANCY_MOTO_URL is not set: run scripts/test, which starts moto")
}

/// The SDK's configuration for moto at `url`: one region, test credentials.
pub async fn moto_config(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(url)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"))
        .load()
        .await
}

/// A DynamoDB client for moto at TENANCY_MOTO_URL.
pub async fn moto_dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_config(&moto_url()).await)
}

/// What the helpers below call, on moto only: no deployed role grants or needs it.
pub const IAM_ACTIONS: [&str; 1] = ["dynamodb:CreateTable"];

/// Creates an on-demand table keyed by the string attributes `hash` and, if given, `range`: the
/// shape of every table the generated stacks define.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str, hash: &str, range: Option<&str>) {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    let mut request = client.create_table().table_name(table).billing_mode(BillingMode::PayPerRequest);
    for (name, kind) in [(Some(hash), KeyType::Hash), (range, KeyType::Range)] {
        let Some(name) = name else { continue };
        let attribute =
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().unwrap();
        let key = KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap();
        request = request.attribute_definitions(attribute).key_schema(key);
    }
    request.send().await.unwrap();
}

/// Sends one request to `app` in process (`oneshot`): a bearer `token` if given, `body` as
/// JSON if given. Returns the status and the JSON body (`null` when there is none).
pub async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (axum::http::StatusCode, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let mut request = axum::http::Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            axum::body::Body::from(body.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).expect("a request")).await.expect("a response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}
