//! Serving: JSON logs, a request id and one log line per request, errors in one JSON shape,
//! a body size limit, bounded connections ([`Limits`]: a header-read, idle and request timeout
//! and a connection cap), and a graceful shutdown on SIGTERM (what Kubernetes sends before it
//! stops a pod). It knows nothing of tokens or tables.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;
use tracing::Instrument;

use crate::error::AppError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a connection may take over each part of its life, and how many may be open.
/// Defaults: [`Limits::default`]; each can be set from the environment
/// ([`crate::config::OPTIONAL_ENVIRONMENT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// From a new connection, or from the first byte of a request on a kept-alive one, until
    /// the request's headers are complete (slowloris: a head that never ends). Default 10 s.
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request under way is closed after this. Default 75 s,
    /// above ingress-nginx's 60 s upstream keep-alive, so that nginx closes first and never
    /// reuses a connection this service has just closed.
    pub idle_timeout: Duration,
    /// From a request's complete head until its handler has answered, body upload included
    /// (a body sent a byte at a time); the connection is closed beyond it. Default 30 s.
    pub request_timeout: Duration,
    /// Connections open at once; beyond it the service stops accepting (new connections wait
    /// in the kernel's backlog) until one closes. Default 1024: about 21 KiB each, some 21 MiB,
    /// well inside the smallest tier's memory limit, and under the fd limit.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// The subscriber `init_logging` installs: JSON lines with the current span, to `writer`.
pub fn json_logs<W>(filter: tracing_subscriber::EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).with_writer(writer).finish()
}

/// JSON logs on standard output, level from RUST_LOG (default info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing::subscriber::set_global_default(json_logs(filter, std::io::stdout));
}

/// The id [`layers`] gave this request (the caller's `x-request-id`, or a new one): what an
/// audit record names, so that the record, the log line and the client's answer share one id.
/// A handler takes it as an extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, AppError> {
        // Only a router built without `layers`: a bug, not bad input.
        parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .ok_or_else(|| AppError::Internal("no request id: the router lacks serve::layers".into()))
    }
}

/// Gives every request an id (the caller's `x-request-id`, or a new one), a span carrying it,
/// and one log line when it ends; echoes the id in the response.
async fn request_span(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand_id()));
    let tenant = crate::identity::path_tenant(request.uri().path()).to_owned();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, tenant = %tenant, method = %request.method(), path = %request.uri().path());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(status = response.status().as_u16(), millis = started.elapsed().as_millis() as u64, "request")
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.finish()
}

async fn no_route() -> AppError {
    AppError::NotFound("no such route".into())
}

async fn no_method() -> AppError {
    AppError::MethodNotAllowed
}

/// The largest error body rewrapped by `json_errors`; ours are far smaller.
const MAX_ERROR_BYTES: usize = 16 * 1024;

/// Puts any error that is not already JSON (a rejection from an extractor or layer that is not
/// ours) into the `{"error": ...}` shape, keeping its status and its text.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(response.status().is_client_error() || response.status().is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_ERROR_BYTES).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => parts.status.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = axum::Json(serde_json::json!({ "error": text })).into_response();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, body.into_body())
}

/// Adds JSON 404 and 405 answers, the JSON error shape for every rejection, the body limit and
/// the request span to `router`. Call it once, in the service's `router` (tests use that
/// router as it is); `run` adds nothing, so there is one request span and one id per request.
pub fn layers(router: Router) -> Router {
    router
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(request_span))
}

/// Serves `router` (already layered, see [`layers`]) on 0.0.0.0:`port` until SIGTERM or
/// Ctrl-C, then drains.
pub async fn run(router: Router, port: u16, limits: Limits) -> std::io::Result<()> {
    let listener = TcpListener::bind(("0.0.0.0", port)).await?;
    tracing::info!(port, ?limits, "listening");
    serve(listener, router, limits, shutdown()).await
}

/// Serves HTTP/1.1 on `listener` until `stop` completes: at most `limits.max_connections`
/// at once, each closed when it overruns a timeout of `limits`. Then stops accepting, asks
/// every connection to finish its request, and waits for them (at most `request_timeout`).
///
/// HTTP/1.1 only: the ingress and the kubelet's probes speak it to pods, and cleartext HTTP/2
/// bypassed the header count limit (2026-12 services review).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (draining, drain) = watch::channel(false);
    let mut last_accept_error: Option<Instant> = None;
    tokio::pin!(stop);
    loop {
        // A slot before accepting: at the cap, new connections wait in the backlog.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of fds, or a connection reset before accept: wait, and say so at
                    // most once a second.
                    if last_accept_error.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
                        tracing::warn!(%error, "accept failed");
                        last_accept_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, router.clone(), limits.clone(), drain.clone(), permit));
    }
    let _ = draining.send(true);
    let every = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.request_timeout, slots.acquire_many(every)).await.is_err() {
        tracing::warn!("connections still open after the drain");
    }
    Ok(())
}

/// Where a connection is in its life, for its deadline.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's head to complete, since accept or its first byte.
    Head(Instant),
    /// Between requests, since the last answer.
    Idle(Instant),
    /// `n` requests in a handler (hyper serves one at a time), since the first began.
    Busy(Instant, usize),
}

/// A connection's phase, moved on by its reads (`Watched`) and its requests (`InFlight`), and
/// watched by `expiry`.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self { phase: Mutex::new(Phase::Head(Instant::now())), changed: Notify::new() }
    }

    fn update(&self, step: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = step(*phase);
        drop(phase);
        self.changed.notify_waiters();
    }

    fn read_bytes(&self) {
        let idle = matches!(*self.phase.lock().unwrap_or_else(PoisonError::into_inner), Phase::Idle(_));
        if idle {
            self.update(|phase| if let Phase::Idle(_) = phase { Phase::Head(Instant::now()) } else { phase });
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.update(|phase| match phase {
            Phase::Busy(since, n) => Phase::Busy(since, n + 1),
            Phase::Head(_) | Phase::Idle(_) => Phase::Busy(Instant::now(), 1),
        });
        InFlight(self.clone())
    }

    fn deadline(&self, limits: &Limits) -> (Instant, &'static str) {
        match *self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Head(since) => (since + limits.header_read_timeout, "request head not complete in time"),
            Phase::Idle(since) => (since + limits.idle_timeout, "idle"),
            Phase::Busy(since, _) => (since + limits.request_timeout, "request not answered in time"),
        }
    }

    /// Completes when the connection overruns the deadline of its phase.
    async fn expiry(&self, limits: &Limits) -> &'static str {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the phase is read, so no change is missed between the two.
            changed.as_mut().enable();
            let (deadline, why) = self.deadline(limits);
            tokio::select! {
                () = tokio::time::sleep_until(deadline.into()) => {
                    if self.deadline(limits).0 <= Instant::now() {
                        return why;
                    }
                }
                () = changed => {}
            }
        }
    }
}

/// One request in a handler; the connection is idle again when the last one is dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|phase| match phase {
            Phase::Busy(since, n) if n > 1 => Phase::Busy(since, n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// The socket, noting when a request's first bytes arrive on an idle connection.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read_bytes();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// One connection, until the client closes it, it overruns a deadline (then it is dropped,
/// which closes the socket), or the drain finishes it. Holds its slot until then.
async fn connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut drain: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = requests.begin();
        let router = router.clone();
        async move {
            let response = router.oneshot(request.map(Body::new)).await;
            drop(in_flight);
            response
        }
    });
    // hyper's own header timer is left off: it starts when the connection goes idle, so it
    // cannot tell a slow head from a kept-alive connection; `Activity` tells them apart.
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(None);
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            why = activity.expiry(&limits) => {
                tracing::debug!(why, "connection closed");
                return;
            }
            changed = drain.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminate => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    tracing::info!("shutting down");
}

/// A service's `main`: JSON logs, configuration from the environment (which must name the
/// `storage` model the service keeps its data in), a DynamoDB client, a verifier trusting the
/// tenant's issuer and client, then `router` served until SIGTERM. Exits 2 on bad
/// configuration, 1 if serving fails.
pub async fn main(
    service: &str,
    storage: crate::StorageModel,
    router: impl FnOnce(&crate::Config, aws_sdk_dynamodb::Client, std::sync::Arc<crate::Verifier>) -> Router,
) {
    init_logging();
    let config = match crate::Config::from_env() {
        Ok(config) if config.storage == storage => config,
        Ok(config) => {
            tracing::error!(service, storage = ?config.storage, "STORAGE_MODEL does not match where this service keeps its data");
            std::process::exit(2);
        }
        Err(err) => {
            tracing::error!(service, error = %err, "bad configuration");
            std::process::exit(2);
        }
    };
    let client = aws_sdk_dynamodb::Client::new(&aws_sdk_config(&config.region, config.endpoint_url.as_deref()).await);
    let verifier = crate::Verifier::new(
        verifier_config(vec![config.issuer.clone()], vec![config.client_id.clone()]),
        std::sync::Arc::new(crate::HttpJwks::new()),
    );
    let app = router(&config, client, std::sync::Arc::new(verifier));
    if let Err(err) = run(app, config.port, config.limits.clone()).await {
        tracing::error!(service, error = %err, "server failed");
        std::process::exit(1);
    }
}

/// A pooled service's `main` (POOL_TIER set, [`crate::PooledConfig`]): JSON logs, the pooled
/// configuration (its STORAGE_MODEL one of `storages`), the tenant directory (TENANT_TABLE_NAME)
/// and STS with the pod's own credentials, a verifier with no fixed issuer (each request's comes
/// from the directory), then `router` served until SIGTERM. Exits 2 on bad configuration,
/// naming the variable, 1 if serving fails.
#[cfg(feature = "pooled")]
pub async fn pooled_main(
    service: &str,
    storages: &[crate::StorageModel],
    router: impl FnOnce(
        &crate::PooledConfig,
        std::sync::Arc<crate::pooled::Tenants>,
        std::sync::Arc<crate::Verifier>,
    ) -> Router,
) {
    init_logging();
    let config = match crate::PooledConfig::from_env() {
        Ok(config) if storages.contains(&config.storage) => config,
        Ok(config) => {
            tracing::error!(service, storage = ?config.storage, "bad configuration: environment variable STORAGE_MODEL is not a layout this service keeps its data in");
            std::process::exit(2);
        }
        Err(err) => {
            tracing::error!(service, error = %err, "bad configuration");
            std::process::exit(2);
        }
    };
    let sdk = pooled_sdk_config(&config.region, config.endpoint_url.as_deref()).await;
    let directory =
        tenancy_registry::DynamoDirectory::new(aws_sdk_dynamodb::Client::new(&sdk), config.tenant_table.clone());
    let vending = crate::pooled::StsVending::new(aws_sdk_sts::Client::new(&sdk));
    let tenants = crate::pooled::Tenants::new(
        &config.tier,
        std::sync::Arc::new(directory),
        std::sync::Arc::new(vending),
        sdk,
        crate::pooled::Settings::default(),
    );
    // No fixed issuers or clients: `verify_for` takes the tenant's from its directory record.
    let verifier =
        crate::Verifier::new(verifier_config(Vec::new(), Vec::new()), std::sync::Arc::new(crate::HttpJwks::new()));
    tracing::info!(service, tier = %config.tier, storage = ?config.storage, "pooled: serving every tenant of the tier");
    let app = router(&config, std::sync::Arc::new(tenants), std::sync::Arc::new(verifier));
    if let Err(err) = run(app, config.port, config.limits.clone()).await {
        tracing::error!(service, error = %err, "server failed");
        std::process::exit(1);
    }
}

/// [`aws_sdk_config`] with one HTTPS client for every client built from it: a pooled service
/// builds a DynamoDB client per tenant session, and each would otherwise open its own
/// connection pool (and TLS handshakes) to the same endpoint.
#[cfg(feature = "pooled")]
pub async fn pooled_sdk_config(region: &str, endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc)).build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_owned()))
        .http_client(https);
    if let Some(url) = endpoint_url.filter(|u| !u.is_empty()) {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The AWS SDK's configuration for a service: its region, and a local emulator's endpoint when
/// one is given (AWS_ENDPOINT_URL).
pub async fn aws_sdk_config(region: &str, endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(region.to_owned()));
    if let Some(url) = endpoint_url.filter(|u| !u.is_empty()) {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// What a service's verifier allows: 30 s of clock skew, an issuer's keys fetched at most once a
/// minute, and a fetch given 5 s.
pub fn verifier_config(issuers: Vec<String>, client_ids: Vec<String>) -> crate::VerifierConfig {
    crate::VerifierConfig {
        issuers,
        client_ids,
        leeway: std::time::Duration::from_secs(30),
        min_refresh: std::time::Duration::from_secs(60),
        fetch_timeout: std::time::Duration::from_secs(5),
    }
}

/// The environment of a control-plane service's binary. A variable that is missing or wrong
/// ends the process with status 2 and a log line naming it.
pub struct Env {
    /// The service, as its log lines name it.
    pub service: &'static str,
}

impl Env {
    /// The value of `name`, which must be set and not blank.
    pub fn var(&self, name: &str) -> String {
        match std::env::var(name) {
            Ok(value) if !value.trim().is_empty() => value,
            _ => self.fail(name, "is not set"),
        }
    }

    /// Ends the process: `name` has `problem`.
    pub fn fail(&self, name: &str, problem: &str) -> ! {
        tracing::error!(service = self.service, "bad configuration: environment variable {name} {problem}");
        std::process::exit(2)
    }

    /// The comma-separated list `name` holds (blanks dropped), which must not be empty.
    pub fn list(&self, name: &str) -> Vec<String> {
        let items: Vec<String> =
            self.var(name).split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
        if items.is_empty() {
            self.fail(name, "lists nothing");
        }
        items
    }

    /// PORT.
    pub fn port(&self) -> u16 {
        self.var("PORT").trim().parse().unwrap_or_else(|_| self.fail("PORT", "is not a port"))
    }

    /// The SDK's configuration: AWS_REGION, and AWS_ENDPOINT_URL if set (a local emulator).
    pub async fn aws(&self) -> aws_config::SdkConfig {
        aws_sdk_config(&self.var("AWS_REGION"), std::env::var("AWS_ENDPOINT_URL").ok().as_deref()).await
    }

    /// A verifier of provider administrators: ADMIN_ISSUER (the admin pool) and ADMIN_CLIENT_ID
    /// (the admin console's client).
    pub fn admin_verifier(&self) -> crate::Verifier {
        let config = verifier_config(vec![self.var("ADMIN_ISSUER")], vec![self.var("ADMIN_CLIENT_ID")]);
        crate::Verifier::new(config, std::sync::Arc::new(crate::HttpJwks::new()))
    }

    /// Serves `router` on PORT until SIGTERM; exits 1 if serving fails.
    pub async fn serve(&self, router: Router) {
        if let Err(err) = run(router, self.port(), Limits::default()).await {
            tracing::error!(service = self.service, error = %err, "server failed");
            std::process::exit(1);
        }
    }
}
