//! A fault-injecting HTTP proxy on 127.0.0.1 in front of moto: it throttles in each protocol's
//! own wire format, answers 500 or 503, holds requests, and loses replies (the request reaches
//! moto, the client gets a throttling error instead of the answer), by operation and by rate,
//! from a seeded generator. It logs every request with the fault it met, so a test can count
//! what reached the emulator (a second StartBuild, say).
//!
//! One request per connection (`Connection: close` both ways): the SDK reconnects, and the
//! proxy never has to frame a keep-alive stream it might get wrong.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to do to requests, each rate a probability in 0..=1, drawn in this order.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer a throttling error without forwarding.
    pub throttle: f64,
    /// Answer 503 (text body) or an empty 500 without forwarding.
    pub server_error: f64,
    /// Forward, then replace the reply by a throttling error.
    pub lost_reply: f64,
    /// Hold the request this long before forwarding, at this rate.
    pub hold: (f64, Duration),
    /// Only requests whose operation is listed meet faults (all when empty).
    pub operations: Vec<String>,
}

impl Faults {
    pub fn none() -> Self {
        Self::default()
    }
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub service: String,
    pub operation: String,
    /// `throttle`, `500`, `503`, `lost`, `hold`, or none.
    pub fault: Option<&'static str>,
}

pub struct FaultProxy {
    pub url: String,
    faults: Arc<Mutex<Faults>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://127.0.0.1:port`), drawing faults from `seed`.
    pub fn start(upstream: &str, seed: u64) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let faults = Arc::new(Mutex::new(Faults::none()));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(seed)));
        let ids = Arc::new(AtomicU64::new(0));
        let (f, s, halt) = (faults.clone(), seen.clone(), stop.clone());
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            // Bounded: a test's proxy lives at most an hour and serves at most a million requests.
            let deadline = Instant::now() + Duration::from_secs(3600);
            let mut served = 0u32;
            while !halt.load(Ordering::SeqCst) && Instant::now() < deadline && served < 1_000_000 {
                match listener.accept() {
                    Ok((client, _)) => {
                        served += 1;
                        let (upstream, f, s, rng, ids) =
                            (upstream.clone(), f.clone(), s.clone(), rng.clone(), ids.clone());
                        std::thread::spawn(move || {
                            let _ = serve(client, &upstream, &f, &s, &rng, &ids);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Self { url, faults, seen, stop }
    }

    pub fn set(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests of `operation` that reached the emulator (forwarded, whatever the client got).
    pub fn reached(&self, operation: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.operation == operation && !matches!(s.fault, Some("throttle" | "500" | "503")))
            .count()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The request, read whole: head lines and body (Content-Length or chunked, passed on raw).
struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    /// The signing scope's service: `Credential=<key>/<date>/<region>/<service>/aws4_request`.
    fn service(&self) -> String {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned()
    }

    fn protocol(&self) -> Protocol {
        if self.header("x-amz-target").is_some() {
            Protocol::Json
        } else if self.service() == "s3" {
            Protocol::RestXml
        } else {
            Protocol::Query
        }
    }

    fn operation(&self) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        let body = String::from_utf8_lossy(&self.body);
        if let Some(action) = body.split('&').find_map(|p| p.strip_prefix("Action=")) {
            return action.to_owned();
        }
        // S3: the method names it well enough for a test.
        format!("S3 {}", self.head[0].split(' ').next().unwrap_or("?"))
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, line) in self.head.iter().enumerate() {
            if i > 0 && line.split_once(':').is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection")) {
                continue;
            }
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

enum Protocol {
    /// CloudFormation, STS: `Action=` in a form body, XML errors.
    Query,
    /// DynamoDB, CodeBuild, ECR: `X-Amz-Target`, JSON errors with `__type`.
    Json,
    /// S3.
    RestXml,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
        if head.len() > 200 {
            return Ok(None);
        }
    }
    let mut request = Request { head, body: Vec::new() };
    if let Some(length) = request.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        request.body = vec![0; length];
        reader.read_exact(&mut request.body)?;
    } else if request.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        // Passed on raw, chunk framing and all, up to the last chunk and the trailers.
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            request.body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            if size == 0 {
                loop {
                    let mut trailer = String::new();
                    reader.read_line(&mut trailer)?;
                    request.body.extend_from_slice(trailer.as_bytes());
                    if trailer.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            request.body.extend_from_slice(&chunk);
        }
    }
    Ok(Some(request))
}

fn throttling(protocol: &Protocol, id: u64) -> Vec<u8> {
    let request_id = format!("fault-{id}");
    let (status, content_type, body) = match protocol {
        Protocol::Query => (
            "400 Bad Request",
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
                 <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ),
        ),
        Protocol::Json => (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            "{\"__type\":\"com.amazonaws.fault#ThrottlingException\",\"message\":\"Rate exceeded\"}".to_owned(),
        ),
        Protocol::RestXml => (
            "503 Slow Down",
            "application/xml",
            format!(
                "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>{request_id}</RequestId></Error>"
            ),
        ),
    };
    response(status, content_type, &request_id, body.as_bytes())
}

fn response(status: &str, content_type: &str, request_id: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: {request_id}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn serve(
    client: TcpStream,
    upstream: &str,
    faults: &Mutex<Faults>,
    seen: &Mutex<Vec<Seen>>,
    rng: &Mutex<fastrand::Rng>,
    ids: &AtomicU64,
) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(request) = read_request(&mut reader)? else { return Ok(()) };
    let mut client = client;
    let id = ids.fetch_add(1, Ordering::SeqCst);
    let operation = request.operation();
    let fault = {
        let faults = faults.lock().unwrap().clone();
        let applies = faults.operations.is_empty() || faults.operations.contains(&operation);
        let mut rng = rng.lock().unwrap();
        let mut draw = |rate: f64| applies && rate > 0.0 && rng.f64() < rate;
        if draw(faults.throttle) {
            Some("throttle")
        } else if draw(faults.server_error) {
            Some(if id.is_multiple_of(2) { "503" } else { "500" })
        } else if draw(faults.lost_reply) {
            Some("lost")
        } else if draw(faults.hold.0) {
            std::thread::sleep(faults.hold.1);
            Some("hold")
        } else {
            None
        }
    };
    seen.lock().unwrap().push(Seen { service: request.service(), operation, fault });
    let reply = match fault {
        Some("throttle") => throttling(&request.protocol(), id),
        Some("503") => response("503 Service Unavailable", "text/plain", "", b"Service Unavailable"),
        Some("500") => response("500 Internal Server Error", "text/plain", "", b""),
        _ => {
            let mut server = TcpStream::connect(upstream)?;
            server.set_read_timeout(Some(Duration::from_secs(120)))?;
            server.write_all(&request.bytes())?;
            let mut answer = Vec::new();
            server.read_to_end(&mut answer)?;
            if fault == Some("lost") { throttling(&request.protocol(), id) } else { answer }
        }
    };
    client.write_all(&reply)?;
    client.flush()?;
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
