//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`, implementing
//! `opentelemetry_http::HttpClient` for the OTLP/HTTP (protobuf) exporters.
//!
//! Plain `http://` only (no TLS), one request per connection (`Connection: close`), a
//! `Content-Length` body, chunked or length-delimited responses capped at 4 MiB. Every
//! request is bounded by one deadline (`OTEL_EXPORTER_OTLP_TIMEOUT`): connect, write and each
//! read get the time that remains, so an unreachable or stalled collector costs at most the
//! timeout, on the exporter's thread, never the application's.
//!
//! The SDK calls the async `send_bytes` from its own worker thread through a blocking
//! executor, so blocking here is correct and needs no async runtime.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// The blocking `std::net` HTTP client.
#[derive(Debug, Clone)]
pub struct StdHttpClient {
    timeout: Duration,
}

impl StdHttpClient {
    pub fn new(timeout: Duration) -> Self {
        StdHttpClient { timeout }
    }

    /// Send `request` and wait for the whole response, within the client's timeout.
    pub fn send(&self, request: &Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let deadline = Instant::now() + self.timeout;
        let uri = request.uri();
        if uri.scheme_str().unwrap_or("http") != "http" {
            return Err(format!("{uri}: only http:// endpoints are supported (no TLS)").into());
        }
        let host = uri.host().ok_or_else(|| format!("{uri}: no host"))?;
        let port = uri.port_u16().unwrap_or(80);
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");

        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        let mut stream = connect(&addrs, deadline)?;
        stream.set_nodelay(true)?;

        let body = request.body();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            request.method(),
            path,
            uri.authority().map(|a| a.as_str()).unwrap_or(host),
            body.len()
        );
        for (name, value) in request.headers() {
            if name == "host" || name == "content-length" || name == "connection" {
                continue;
            }
            if let Ok(value) = value.to_str() {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("\r\n");
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;

        let raw = read_response(&mut stream, deadline)?;
        parse_response(&raw)
    }
}

#[async_trait::async_trait]
impl HttpClient for StdHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        self.send(&request)
    }
}

fn remaining(deadline: Instant) -> Result<Duration, HttpError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err("OTLP request timed out".into());
    }
    Ok(left)
}

fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, HttpError> {
    let mut last: Option<std::io::Error> = None;
    for addr in addrs {
        match TcpStream::connect_timeout(addr, remaining(deadline)?) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => e.into(),
        None => "no address to connect to".into(),
    })
}

/// Read until the response is complete (Content-Length, chunked end, or EOF).
fn read_response(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, HttpError> {
    let mut raw = Vec::with_capacity(1024);
    let mut buf = [0u8; 8192];
    loop {
        if let Some(done) = complete_len(&raw) {
            raw.truncate(done);
            return Ok(raw);
        }
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        let n = match stream.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                return Err("OTLP request timed out waiting for the response".into());
            }
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(raw);
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err("OTLP response larger than 4 MiB".into());
        }
    }
}

fn header_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Length of a complete response in `raw`, if it is complete.
fn complete_len(raw: &[u8]) -> Option<usize> {
    let end = header_end(raw)?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    if let Some(len) = header_value(head, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        return (raw.len() >= end + len).then_some(end + len);
    }
    if header_value(head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        return dechunk(&raw[end..]).map(|(_, used)| end + used);
    }
    let status = head.split_whitespace().nth(1)?;
    // Responses that never have a body.
    (status == "204" || status == "304" || status.starts_with('1')).then_some(end)
}

/// Decode a complete chunked body: (body, bytes consumed), `None` while incomplete.
fn dechunk(mut data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let total = data.len();
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_str = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            // Trailers end with an empty line.
            let end = data.windows(2).position(|w| w == b"\r\n")?;
            let mut rest = &data[end + 2..];
            if end > 0 {
                let fin = data.windows(4).position(|w| w == b"\r\n\r\n")?;
                rest = &data[fin + 4..];
            }
            return Some((body, total - rest.len()));
        }
        if data.len() < size + 2 {
            return None;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn parse_response(raw: &[u8]) -> Result<Response<Bytes>, HttpError> {
    let end = header_end(raw).ok_or("malformed HTTP response (no header end)")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "malformed HTTP response head")?;
    let status: u16 =
        head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or("malformed HTTP status line")?;
    let chunked = header_value(head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked { dechunk(&raw[end..]).map(|(b, _)| b).unwrap_or_default() } else { raw[end..].to_vec() };
    let mut builder = Response::builder().status(status);
    for line in head.lines().skip(1) {
        if let Some((k, v)) = line.split_once(':') {
            builder = builder.header(k.trim(), v.trim());
        }
    }
    Ok(builder.body(Bytes::from(body))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn serve_once(response: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while complete_request(&got).is_none() {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(response).unwrap();
            got
        });
        (format!("http://{addr}/v1/traces"), handle)
    }

    fn complete_request(raw: &[u8]) -> Option<usize> {
        let end = header_end(raw)?;
        let head = std::str::from_utf8(&raw[..end]).ok()?;
        let len: usize = header_value(head, "content-length")?.parse().ok()?;
        (raw.len() >= end + len).then_some(end + len)
    }

    #[test]
    fn posts_with_content_length_and_reads_the_response() {
        let (url, server) = serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let client = StdHttpClient::new(Duration::from_secs(5));
        let req = Request::post(url.as_str())
            .header("content-type", "application/x-protobuf")
            .header("api-key", "secret")
            .body(Bytes::from_static(b"hello"))
            .unwrap();
        let resp = client.send(&req).unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.body().as_ref(), b"ok");
        let got = String::from_utf8(server.join().unwrap()).unwrap();
        assert!(got.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{got}");
        assert!(got.contains("Content-Length: 5\r\n"));
        assert!(got.contains("api-key: secret\r\n"));
        assert!(got.ends_with("\r\n\r\nhello"));
    }

    #[test]
    fn chunked_response() {
        let (url, _server) = serve_once(
            b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        );
        let client = StdHttpClient::new(Duration::from_secs(5));
        let req = Request::post(url.as_str()).body(Bytes::new()).unwrap();
        let resp = client.send(&req).unwrap();
        assert_eq!(resp.status(), 400);
        assert_eq!(resp.body().as_ref(), b"abcde");
    }

    #[test]
    fn closed_port_and_stalled_server_fail_within_the_timeout() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let client = StdHttpClient::new(Duration::from_millis(300));
        let req = Request::post(format!("http://{closed}/v1/traces")).body(Bytes::new()).unwrap();
        assert!(client.send(&req).is_err());

        let stalled = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = stalled.local_addr().unwrap();
        let start = Instant::now();
        let req = Request::post(format!("http://{addr}/v1/traces")).body(Bytes::new()).unwrap();
        assert!(client.send(&req).is_err());
        assert!(start.elapsed() < Duration::from_secs(5));
        drop(stalled);
    }

    #[test]
    fn https_is_refused() {
        let client = StdHttpClient::new(Duration::from_millis(300));
        let req = Request::post("https://example.invalid/v1/traces").body(Bytes::new()).unwrap();
        assert!(client.send(&req).is_err());
    }
}
