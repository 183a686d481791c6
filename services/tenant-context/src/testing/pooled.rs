//! Test doubles for pooled compute: a vending machine that answers at once and records what it
//! vended for whom ([`FakeVending`]), directory records ([`record`]), [`tenants`], the log of
//! which session signed each data call ([`SessionLog`]), and, for the tests on moto, a proxy that
//! records every AWS request it forwards ([`Recorder`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::Credentials;
use tenancy_registry::{Directory, SignIn};

use crate::data::TenantData;
use crate::error::AppError;
use crate::pooled::{Settings, Tenants, Vended, Vending};
use crate::testing::{CLIENT_ID, ISSUER};

/// What the stand-ins here call (tests only): `SessionLog::note` signs one GetItem with each
/// tenant's client, to see whose session signed it.
pub const IAM_ACTIONS: [&str; 1] = ["dynamodb:GetItem"];

/// The access role the fake directory records name for `tenant`.
pub fn access_role(tenant: &str) -> String {
    format!("arn:aws:iam::123456789012:role/saas-access-{tenant}")
}

/// A directory record of `tenant` in `tier`: the test issuer and client (as in a shared pool),
/// and its access role.
pub fn record(tenant: &str, tier: &str) -> SignIn {
    SignIn {
        issuer: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        user_pool_id: "eu-west-1_TEST".into(),
        domain: None,
        tier: Some(tier.into()),
        access_role_arn: Some(access_role(tenant)),
    }
}

/// One vend: for whom, from which role, and the access key id it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vend {
    pub tenant: String,
    pub role: String,
    pub access_key_id: String,
}

/// Credentials at once, each with an access key id naming the tenant and a serial number
/// (`ASIA<TENANT>N<n>`), valid for `valid_for`; or a failure while `failing`.
pub struct FakeVending {
    pub valid_for: Duration,
    pub failing: AtomicBool,
    /// How long each vend takes (zero: none), to let concurrent requests meet.
    pub delay: Duration,
    vends: Mutex<Vec<Vend>>,
    serial: AtomicUsize,
}

impl FakeVending {
    /// Vends sessions of STS's 900 s.
    pub fn new() -> Arc<Self> {
        Self::lasting(Duration::from_secs(900))
    }

    /// Vends sessions valid for `valid_for`.
    pub fn lasting(valid_for: Duration) -> Arc<Self> {
        Arc::new(Self::with(valid_for, Duration::ZERO))
    }

    /// Vends 900 s sessions, each after `delay`.
    pub fn slow(delay: Duration) -> Arc<Self> {
        Arc::new(Self::with(Duration::from_secs(900), delay))
    }

    fn with(valid_for: Duration, delay: Duration) -> Self {
        Self { valid_for, failing: AtomicBool::new(false), delay, vends: Mutex::default(), serial: AtomicUsize::new(0) }
    }

    pub fn vends(&self) -> Vec<Vend> {
        self.vends.lock().expect("lock").clone()
    }

    /// The access key ids vended for `tenant`.
    pub fn keys_of(&self, tenant: &str) -> Vec<String> {
        self.vends().into_iter().filter(|v| v.tenant == tenant).map(|v| v.access_key_id).collect()
    }
}

#[async_trait]
impl Vending for FakeVending {
    async fn vend(&self, tenant: &str, role: &str) -> Result<Vended, String> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.failing.load(Ordering::SeqCst) {
            return Err("AccessDenied: not authorized to perform sts:AssumeRole".into());
        }
        let n = self.serial.fetch_add(1, Ordering::SeqCst);
        let access_key_id = format!("ASIA{}N{n}", tenant.to_uppercase());
        self.vends.lock().expect("lock").push(Vend {
            tenant: tenant.into(),
            role: role.into(),
            access_key_id: access_key_id.clone(),
        });
        let credentials = Credentials::new(&access_key_id, "secret", Some("token".into()), None, "fake-vending");
        Ok(Vended { credentials, valid_for: self.valid_for })
    }
}

/// The pod's test credentials (`POD`), as every SDK configuration here signs with.
fn pod_credentials() -> aws_sdk_dynamodb::config::SharedCredentialsProvider {
    aws_sdk_dynamodb::config::SharedCredentialsProvider::new(Credentials::new("POD", "pod-secret", None, None, "pod"))
}

/// The SDK configuration the fakes build clients from: a region and the pod's test
/// credentials, no endpoint reached (the in-memory stores never send). For benchmarks.
pub fn sdk_config() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("eu-west-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .credentials_provider(pod_credentials())
        .build()
}

/// The tenants of `tier` in `directory`, vended by `vending`, with `settings`, building clients
/// from `sdk`.
pub fn tenants(
    tier: &str,
    directory: Arc<dyn Directory>,
    vending: Arc<dyn Vending>,
    settings: Settings,
    sdk: aws_config::SdkConfig,
) -> Arc<Tenants> {
    Arc::new(Tenants::new(tier, directory, vending, sdk, settings))
}

/// Which credentials each data call used. A store double calls [`SessionLog::note`] before
/// each operation: it sends one GetItem of the tenant's key with the client the store was given
/// to a stand-in DynamoDB on 127.0.0.1 (a [`Recorder`] that answers `{}`), which keeps the access
/// key id that signed it. So tests can assert that tenant A's request was signed with the session
/// vended for A, as a real store's calls would be.
pub struct SessionLog {
    recorder: Recorder,
}

impl SessionLog {
    pub async fn start() -> Self {
        Self { recorder: Recorder::start(None).await }
    }

    /// What the clients of [`tenants`] should be built from: the stand-in's endpoint.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config().into_builder().endpoint_url(&self.recorder.url).build()
    }

    /// Asks `data` for `tenant`'s client, as a DynamoDB store does, and signs one call with it.
    pub async fn note(&self, data: &dyn TenantData, tenant: &str) -> Result<(), AppError> {
        let client = data.dynamodb(tenant).await?;
        client
            .get_item()
            .table_name("session-log")
            .key("TenantId", aws_sdk_dynamodb::types::AttributeValue::S(tenant.to_owned()))
            .send()
            .await
            .map_err(|e| AppError::Internal(format!("the stand-in DynamoDB: {e:?}")))?;
        Ok(())
    }

    /// (the tenant whose key was asked for, the access key id that signed the call), in order.
    pub fn calls(&self) -> Vec<(String, String)> {
        self.recorder
            .exchanges()
            .into_iter()
            .map(|e| {
                let body: serde_json::Value = serde_json::from_str(&e.body).unwrap_or_default();
                (body["Key"]["TenantId"]["S"].as_str().unwrap_or_default().to_owned(), e.access_key_id)
            })
            .collect()
    }
}

/// One AWS request forwarded by the [`Recorder`], and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// `X-Amz-Target` (JSON protocols: `DynamoDB_20120810.GetItem`), or the query protocol's
    /// `Action` (`AssumeRole`).
    pub operation: String,
    /// The access key id the request was signed with (from `Authorization`).
    pub access_key_id: String,
    /// The request's form fields (query protocol) or JSON body as text.
    pub form: BTreeMap<String, String>,
    pub body: String,
    pub response: String,
}

/// A proxy on 127.0.0.1 in front of moto that records every request it forwards: what STS was
/// really sent (session tags included: moto accepts them and forgets them) and which
/// credentials signed each DynamoDB call. Without moto, it answers every request `{}` (an
/// empty DynamoDB answer) and records it all the same.
pub struct Recorder {
    pub url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    /// Starts one forwarding to `moto`, or answering `{}` itself.
    pub async fn start(moto: Option<&str>) -> Self {
        let exchanges: Arc<Mutex<Vec<Exchange>>> = Arc::default();
        let (kept, moto) = (exchanges.clone(), moto.map(|m| m.trim_end_matches('/').to_owned()));
        let http = reqwest::Client::new();
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let (kept, moto, http) = (kept.clone(), moto.clone(), http.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
                let (status, content_type, response) = match &moto {
                    Some(moto) => {
                        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                        let mut forward = http.request(parts.method.clone(), format!("{moto}{path}"));
                        for (name, value) in &parts.headers {
                            if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
                                forward = forward.header(name, value);
                            }
                        }
                        let answer = forward.body(body.clone()).send().await.expect("moto answers");
                        let status = answer.status();
                        let content_type = answer.headers().get(axum::http::header::CONTENT_TYPE).cloned();
                        (status, content_type, answer.bytes().await.unwrap_or_default())
                    }
                    None => (
                        axum::http::StatusCode::OK,
                        Some(axum::http::HeaderValue::from_static("application/x-amz-json-1.0")),
                        axum::body::Bytes::from_static(b"{}"),
                    ),
                };
                let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
                let text = String::from_utf8_lossy(&body).into_owned();
                let form: BTreeMap<String, String> =
                    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect();
                let operation = match header("x-amz-target") {
                    "" => form.get("Action").cloned().unwrap_or_default(),
                    target => target.to_owned(),
                };
                let access_key_id = header("authorization")
                    .split("Credential=")
                    .nth(1)
                    .and_then(|c| c.split('/').next())
                    .unwrap_or_default()
                    .to_owned();
                kept.lock().expect("lock").push(Exchange {
                    operation,
                    access_key_id,
                    form,
                    body: text,
                    response: String::from_utf8_lossy(&response).into_owned(),
                });
                let mut reply = axum::response::Response::new(axum::body::Body::from(response));
                *reply.status_mut() = status;
                if let Some(content_type) = content_type {
                    reply.headers_mut().insert(axum::http::header::CONTENT_TYPE, content_type);
                }
                reply
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the recorder serves") });
        Self { url, exchanges }
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().expect("lock").clone()
    }
}

/// STS vending with `sdk`'s credentials (the pod's), for the tests on moto.
pub fn sts_vending(sdk: &aws_config::SdkConfig) -> Arc<crate::pooled::StsVending> {
    Arc::new(crate::pooled::StsVending::new(aws_sdk_sts::Client::new(sdk)))
}

/// The STS requests among `exchanges`: (the TenantId session tag sent, the role, the session
/// name, the duration, the access key id STS answered with).
pub fn assume_roles(exchanges: &[Exchange]) -> Vec<(String, String, String, String, String)> {
    exchanges
        .iter()
        .filter(|e| e.operation == "AssumeRole")
        .map(|e| {
            let field = |name: &str| e.form.get(name).cloned().unwrap_or_default();
            let tag = if field("Tags.member.1.Key") == crate::pooled::TENANT_TAG {
                field("Tags.member.1.Value")
            } else {
                String::new()
            };
            let key = e
                .response
                .split("<AccessKeyId>")
                .nth(1)
                .and_then(|rest| rest.split("</AccessKeyId>").next())
                .unwrap_or_default()
                .to_owned();
            (tag, field("RoleArn"), field("RoleSessionName"), field("DurationSeconds"), key)
        })
        .collect()
}
