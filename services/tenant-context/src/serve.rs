//! Serving: JSON logs, a request id and one log line per request, a body size limit, and a
//! graceful shutdown on SIGTERM (what Kubernetes sends before it stops a pod).

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use tracing::Instrument;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// JSON logs on standard output, level from RUST_LOG (default info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).try_init();
}

/// Gives every request an id (the caller's `x-request-id`, or a new one), a span carrying it,
/// and one log line when it ends; echoes the id in the response.
async fn request_span(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand_id()));
    let tenant = request.uri().path().trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
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

/// Adds the request span and the body limit to `router`.
pub fn layers(router: Router) -> Router {
    router.layer(DefaultBodyLimit::max(MAX_BODY_BYTES)).layer(middleware::from_fn(request_span))
}

/// Serves `router` on 0.0.0.0:`port` until SIGTERM or Ctrl-C, then drains.
pub async fn run(router: Router, port: u16) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    tracing::info!(port, "listening");
    axum::serve(listener, layers(router)).with_graceful_shutdown(shutdown()).await
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
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(config.region.clone()));
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let client = aws_sdk_dynamodb::Client::new(&loader.load().await);
    let verifier = crate::Verifier::new(
        crate::VerifierConfig {
            issuers: vec![config.issuer.clone()],
            client_ids: vec![config.client_id.clone()],
            leeway: std::time::Duration::from_secs(30),
            min_refresh: std::time::Duration::from_secs(60),
        },
        std::sync::Arc::new(crate::HttpJwks::new()),
    );
    let app = router(&config, client, std::sync::Arc::new(verifier));
    if let Err(err) = run(app, config.port).await {
        tracing::error!(service, error = %err, "server failed");
        std::process::exit(1);
    }
}
