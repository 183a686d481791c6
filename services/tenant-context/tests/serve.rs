//! Serving under hostile connections, over real TCP on 127.0.0.1 with short limits (B3 and D2
//! of the 2026-12 services review): a head that never ends, a kept-alive connection left idle,
//! a body sent too slowly, and more connections than the cap. Every wait is bounded.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use tenant_context::serve::{self, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LIMITS: Limits = Limits {
    header_read_timeout: Duration::from_millis(300),
    idle_timeout: Duration::from_millis(900),
    request_timeout: Duration::from_millis(600),
    max_connections: 3,
};

/// No test here waits longer than this for anything.
const BOUND: Duration = Duration::from_secs(5);

fn app() -> Router {
    serve::layers(
        Router::new().route("/ok", get(|| async { "ok" })).route("/upload", post(|body: String| async move { body })),
    )
}

/// Serves `app` with `limits` on 127.0.0.1; returns the address and a sender that stops it.
async fn server(
    limits: Limits,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve::serve(listener, app(), limits, async {
            let _ = stopped.await;
        })
        .await
        .unwrap()
    });
    (address, stop, task)
}

const SLOW_HEAD: &[u8] = b"GET /ok HTTP/1.1\r\nHost: x\r\n";
const REQUEST: &[u8] = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";

async fn connect(address: std::net::SocketAddr, send: &[u8]) -> TcpStream {
    let mut stream = tokio::time::timeout(BOUND, TcpStream::connect(address)).await.unwrap().unwrap();
    stream.write_all(send).await.unwrap();
    stream
}

/// Reads until the server closes the connection; how long that took from `since`.
async fn closed(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(BOUND, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closed the connection in time")
}

/// Reads one response to `GET /ok` (body `ok`), keeping the connection open.
async fn response(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 1024];
        while !seen.ends_with(b"\r\n\r\nok") {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "closed before the response: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .expect("a response in time");
    String::from_utf8(seen).unwrap()
}

fn within(took: Duration, limit: Duration) {
    assert!(took >= limit.mul_f32(0.9), "closed after {took:?}, before its limit {limit:?}");
    assert!(took < limit + Duration::from_secs(1), "closed after {took:?}, long after its limit {limit:?}");
}

#[tokio::test]
async fn b3_a_head_that_never_ends_is_closed_at_the_header_timeout() {
    let (address, _stop, _task) = server(LIMITS).await;
    let started = Instant::now();
    let mut slowloris = connect(address, SLOW_HEAD).await;
    let mut silent = connect(address, b"").await;
    within(closed(&mut slowloris, started).await, LIMITS.header_read_timeout);
    within(closed(&mut silent, started).await, LIMITS.header_read_timeout);
}

#[tokio::test]
async fn d2_an_idle_kept_alive_connection_is_closed_at_the_idle_timeout() {
    let (address, _stop, _task) = server(LIMITS).await;
    let mut stream = connect(address, REQUEST).await;
    assert!(response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Kept alive: a second request on it is served, then it idles.
    stream.write_all(REQUEST).await.unwrap();
    assert!(response(&mut stream).await.starts_with("HTTP/1.1 200"));
    let answered = Instant::now();
    within(closed(&mut stream, answered).await, LIMITS.idle_timeout);
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_request_timeout() {
    let (address, _stop, _task) = server(LIMITS).await;
    let started = Instant::now();
    let stream = connect(address, b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx").await;
    let (mut reader, mut writer) = stream.into_split();
    // Keep trickling, never finishing, until the service closes the connection.
    let trickle = tokio::spawn(async move {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b"x").await.is_err() {
                break;
            }
        }
    });
    let took = tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("closed in time");
    within(took, LIMITS.request_timeout);
    trickle.abort();
    let mut probe = connect(address, REQUEST).await;
    assert!(response(&mut probe).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn b3_the_connection_cap_holds_and_a_valid_request_is_served_once_the_slow_ones_time_out() {
    let (address, _stop, _task) = server(LIMITS).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..LIMITS.max_connections {
        slow.push(connect(address, SLOW_HEAD).await);
    }
    // Beyond the cap the service does not accept: this request waits in the backlog ...
    let mut valid = connect(address, REQUEST).await;
    let answer = response(&mut valid).await;
    // ... and is served when the slow ones are closed, not before.
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    within(started.elapsed(), LIMITS.header_read_timeout);
    for stream in &mut slow {
        assert!(closed(stream, started).await < LIMITS.header_read_timeout + Duration::from_secs(1));
    }
}

#[tokio::test]
async fn under_the_cap_requests_are_served_at_once() {
    let (address, _stop, _task) = server(LIMITS).await;
    let _one_slow = connect(address, SLOW_HEAD).await;
    let started = Instant::now();
    let mut valid = connect(address, REQUEST).await;
    assert!(response(&mut valid).await.starts_with("HTTP/1.1 200"));
    assert!(started.elapsed() < LIMITS.header_read_timeout, "{:?}", started.elapsed());
}

#[tokio::test]
async fn stopping_closes_idle_connections_and_returns() {
    let (address, stop, task) = server(LIMITS).await;
    let mut stream = connect(address, REQUEST).await;
    response(&mut stream).await;
    let stopping = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(BOUND, task).await.expect("serve returned").unwrap();
    assert!(closed(&mut stream, stopping).await < LIMITS.idle_timeout, "closed by the drain, not by idling");
}

/// An error from outside our extractors (here a handler's plain-text 418) still reaches the
/// client in the `{"error": ...}` shape, with its status and text.
#[tokio::test]
async fn a_plain_text_error_from_elsewhere_is_put_in_the_json_shape() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = serve::layers(
        Router::new().route("/teapot", get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "short and stout") })),
    );
    let request = axum::http::Request::get("/teapot").body(axum::body::Body::empty()).unwrap();
    let response = tokio::time::timeout(BOUND, app.oneshot(request)).await.unwrap().unwrap();
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"error": "short and stout"})
    );
}
