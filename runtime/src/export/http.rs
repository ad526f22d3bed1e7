//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`, with rustls for `https://`:
//! the transport of the OTLP exporters ([`super::otlp`]).
//!
//! One [`Transport`] per endpoint keeps one connection alive and reuses it (a connection the
//! server closed is replaced once, silently). Every request is bounded by the caller's
//! deadline, and so is everything before it: DNS runs on a helper thread that is abandoned
//! when the deadline passes, `connect_timeout` gets the time that remains for each address,
//! and the TLS handshake, each write and each read get what is left after that. So an
//! unreachable or stalled collector costs at most the export timeout, on the exporter's
//! thread, never the application's.
//!
//! Bodies are sent with `Content-Length`; responses may be length-delimited, chunked or
//! read to EOF, capped at 4 MiB. Retrying is policy and lives in [`super::otlp`].

use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A parsed `http://` or `https://` endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as configured (for messages).
    pub url: String,
    pub tls: bool,
    /// Host without IPv6 brackets (DNS, SNI).
    pub host: String,
    pub port: u16,
    /// `Host` header: host and port as written.
    pub authority: String,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err(format!("{url}: the endpoint must start with http:// or https://"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(format!("{url}: credentials in the URL are not supported; use OTEL_EXPORTER_OTLP_HEADERS"));
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| format!("{url}: unclosed '[' in the host"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| format!("{url}: invalid port {p:?}"))?,
                None if after.is_empty() => default_port,
                None => return Err(format!("{url}: unexpected {after:?} after the host")),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| format!("{url}: invalid port {p:?}"))?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        Ok(Endpoint {
            url: url.to_owned(),
            tls,
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// TLS setup or certificate verification failed: retrying cannot help.
    Tls(String),
    /// The endpoint is unusable as configured: retrying cannot help.
    Config(String),
    /// The deadline passed (DNS, connect, handshake, write or read).
    Timeout(String),
    /// Connection refused or reset, DNS failure, malformed response: retryable.
    Io(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Tls(m) | SendError::Config(m) | SendError::Timeout(m) | SendError::Io(m) => f.write_str(m),
        }
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Builds the TLS configuration on first use (loading the system store costs milliseconds,
/// which the export thread pays, not `main`).
pub type TlsSetup = Box<dyn Fn() -> Result<Arc<rustls::ClientConfig>, String> + Send + Sync>;

/// One endpoint: its headers, its TLS configuration and its kept-alive connection.
pub struct Transport {
    endpoint: Result<Endpoint, String>,
    headers: Vec<(String, String)>,
    tls_setup: TlsSetup,
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
    conn: Mutex<Option<Conn>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

impl Transport {
    /// `headers` go on every request (`OTEL_EXPORTER_OTLP_HEADERS`, already decoded).
    pub fn new(url: &str, headers: Vec<(String, String)>, tls_setup: TlsSetup) -> Transport {
        Transport { endpoint: Endpoint::parse(url), headers, tls_setup, tls: OnceLock::new(), conn: Mutex::new(None) }
    }

    /// A plain-`http` transport without TLS (tests, benches).
    pub fn plain(url: &str, headers: Vec<(String, String)>) -> Transport {
        Transport::new(url, headers, Box::new(|| Err("TLS is not configured".to_owned())))
    }

    pub fn url(&self) -> &str {
        match &self.endpoint {
            Ok(e) => &e.url,
            Err(_) => "(invalid endpoint)",
        }
    }

    /// POST `body` and wait for the whole response, all before `deadline`.
    pub fn post(
        &self,
        content_type: &str,
        content_encoding: Option<&str>,
        body: &[u8],
        deadline: Instant,
    ) -> Result<Response, SendError> {
        let endpoint = self.endpoint.as_ref().map_err(|e| SendError::Config(e.clone()))?;
        let head = self.request_head(endpoint, content_type, content_encoding, body.len());
        let mut slot = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        // A kept-alive connection may have been closed by the server since: if it fails
        // before any byte of a response, the request goes once more on a new connection.
        if let Some(mut conn) = slot.take() {
            match exchange(&mut conn, &endpoint.url, &head, body, deadline) {
                Ok((resp, reusable)) => {
                    if reusable {
                        *slot = Some(conn);
                    }
                    return Ok(resp);
                }
                Err(Exchange::Stale) => {}
                Err(Exchange::Failed(e)) => return Err(e),
            }
        }
        let mut conn = self.connect(endpoint, deadline)?;
        match exchange(&mut conn, &endpoint.url, &head, body, deadline) {
            Ok((resp, reusable)) => {
                if reusable {
                    *slot = Some(conn);
                }
                Ok(resp)
            }
            Err(Exchange::Stale) => {
                Err(SendError::Io(format!("{}: connection closed without a response", endpoint.url)))
            }
            Err(Exchange::Failed(e)) => Err(e),
        }
    }

    fn request_head(&self, e: &Endpoint, content_type: &str, encoding: Option<&str>, len: usize) -> Vec<u8> {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\
             User-Agent: cargo-otel/{}\r\n",
            e.path,
            e.authority,
            env!("CARGO_PKG_VERSION")
        );
        if let Some(encoding) = encoding {
            head.push_str(&format!("Content-Encoding: {encoding}\r\n"));
        }
        for (name, value) in &self.headers {
            let reserved =
                ["host", "content-length", "content-type", "content-encoding", "connection", "transfer-encoding"];
            // A header must not smuggle a line break into the request.
            let clean = |s: &str| !s.contains(['\r', '\n']);
            if !reserved.iter().any(|r| name.eq_ignore_ascii_case(r)) && clean(name) && clean(value) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    fn connect(&self, e: &Endpoint, deadline: Instant) -> Result<Conn, SendError> {
        let addrs = resolve(&e.host, e.port, deadline)?;
        let mut last = None;
        let mut stream = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, remaining(deadline, &e.url, "connecting")?) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(err) => last = Some(err),
            }
        }
        let stream = match (stream, last) {
            (Some(s), _) => s,
            (None, Some(err)) => return Err(io_error(&e.url, "connect", err)),
            (None, None) => return Err(SendError::Io(format!("{}: {} resolved to no address", e.url, e.host))),
        };
        let _ = stream.set_nodelay(true);
        if !e.tls {
            return Ok(Conn::Plain(stream));
        }
        let config = self.tls.get_or_init(|| (self.tls_setup)()).clone().map_err(SendError::Tls)?;
        let name = ServerName::try_from(e.host.clone())
            .map_err(|err| SendError::Config(format!("{}: {} is not a valid TLS server name: {err}", e.url, e.host)))?;
        let client = rustls::ClientConnection::new(config, name)
            .map_err(|err| SendError::Tls(format!("{}: TLS setup failed: {err}", e.url)))?;
        let mut tls = rustls::StreamOwned::new(client, stream);
        while tls.conn.is_handshaking() {
            set_timeouts(&tls.sock, deadline, &e.url)?;
            if let Err(err) = tls.conn.complete_io(&mut tls.sock) {
                return Err(io_error(&e.url, "TLS handshake", err));
            }
        }
        Ok(Conn::Tls(Box::new(tls)))
    }
}

enum Exchange {
    /// Failed before any response byte: worth one more try on a fresh connection.
    Stale,
    Failed(SendError),
}

/// Write the request and read the response: (response, connection reusable).
fn exchange(
    conn: &mut Conn,
    url: &str,
    head: &[u8],
    body: &[u8],
    deadline: Instant,
) -> Result<(Response, bool), Exchange> {
    set_timeouts(conn.tcp(), deadline, url).map_err(Exchange::Failed)?;
    let written = conn.write_all(head).and_then(|_| conn.write_all(body)).and_then(|_| conn.flush());
    if let Err(err) = written {
        return Err(match classify_io(&err) {
            IoKind::Timeout | IoKind::Tls => Exchange::Failed(io_error(url, "write", err)),
            IoKind::Other => Exchange::Stale,
        });
    }
    let mut raw = Vec::with_capacity(1024);
    let mut buf = [0u8; 8192];
    loop {
        if let Some(done) = complete_len(&raw) {
            raw.truncate(done);
            let resp = parse_response(&raw).map_err(Exchange::Failed)?;
            let close = resp.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
                || raw.starts_with(b"HTTP/1.0");
            return Ok((resp, !close));
        }
        set_timeouts(conn.tcp(), deadline, url).map_err(Exchange::Failed)?;
        let n = match conn.read(&mut buf) {
            Ok(n) => n,
            // A TLS peer closing without close_notify: EOF for our purpose.
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(err) => {
                return Err(match classify_io(&err) {
                    IoKind::Other if raw.is_empty() => Exchange::Stale,
                    _ => Exchange::Failed(io_error(url, "read", err)),
                });
            }
        };
        if n == 0 {
            if raw.is_empty() {
                return Err(Exchange::Stale);
            }
            // Delimited by EOF: complete only if the head is.
            if header_end(&raw).is_none() {
                return Err(Exchange::Failed(SendError::Io("malformed HTTP response (no header end)".into())));
            }
            return parse_response(&raw).map(|r| (r, false)).map_err(Exchange::Failed);
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err(Exchange::Failed(SendError::Io("OTLP response larger than 4 MiB".into())));
        }
    }
}

enum IoKind {
    Timeout,
    Tls,
    Other,
}

fn classify_io(err: &std::io::Error) -> IoKind {
    if matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
        return IoKind::Timeout;
    }
    if err.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return IoKind::Tls;
    }
    IoKind::Other
}

fn io_error(url: &str, what: &str, err: std::io::Error) -> SendError {
    match classify_io(&err) {
        IoKind::Timeout => SendError::Timeout(format!("{url}: {what} timed out")),
        IoKind::Tls => SendError::Tls(format!("{url}: {what} failed: {err}")),
        IoKind::Other => SendError::Io(format!("{url}: {what} failed: {err}")),
    }
}

fn remaining(deadline: Instant, url: &str, what: &str) -> Result<Duration, SendError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(SendError::Timeout(format!("{url}: export timeout reached while {what}")));
    }
    Ok(left)
}

fn set_timeouts(s: &TcpStream, deadline: Instant, url: &str) -> Result<(), SendError> {
    let left = remaining(deadline, url, "waiting for the collector")?;
    let _ = s.set_read_timeout(Some(left));
    let _ = s.set_write_timeout(Some(left));
    Ok(())
}

/// Resolve within the deadline. `getaddrinfo` cannot be cancelled, so a name lookup runs on
/// a helper thread that is left to finish on its own when the deadline passes; IP literals
/// need no lookup.
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, SendError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("otel-dns".into())
        .spawn(move || {
            let _ = tx.send((name.as_str(), port).to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(|e| SendError::Io(format!("{host}: cannot start the DNS thread: {e}")))?;
    match rx.recv_timeout(remaining(deadline, host, "resolving")?) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(SendError::Io(format!("{host}: DNS lookup failed: {e}"))),
        Err(_) => Err(SendError::Timeout(format!("{host}: DNS lookup timed out"))),
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
    let status = head.split_whitespace().nth(1)?;
    // Responses that never have a body.
    if status == "204" || status == "304" || status.starts_with('1') {
        return Some(end);
    }
    if header_value(head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        return dechunk(&raw[end..]).map(|(_, used)| end + used);
    }
    let len = header_value(head, "content-length")?.parse::<usize>().ok()?;
    (raw.len() >= end + len).then_some(end + len)
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

fn parse_response(raw: &[u8]) -> Result<Response, SendError> {
    let bad = |m: &str| SendError::Io(format!("malformed HTTP response: {m}"));
    let end = header_end(raw).ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("head is not UTF-8"))?;
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("status line"))?;
    let chunked = header_value(head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked { dechunk(&raw[end..]).map(|(b, _)| b).unwrap_or_default() } else { raw[end..].to_vec() };
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Response { status, headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    /// Serve `responses` in order on one listener, one request each; keep the connection
    /// open between them unless the response says `Connection: close`.
    /// (requests received, connections accepted).
    type Served = std::thread::JoinHandle<(Vec<Vec<u8>>, usize)>;

    fn serve(responses: Vec<&'static [u8]>) -> (String, Served) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let mut requests = Vec::new();
            let mut connections = 0;
            let mut pending = responses.into_iter().peekable();
            while pending.peek().is_some() {
                let (mut s, _) = listener.accept().unwrap();
                connections += 1;
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                'conn: while let Some(resp) = pending.peek() {
                    while complete_request(&got).is_none() {
                        let n = s.read(&mut buf).unwrap_or(0);
                        if n == 0 {
                            break 'conn;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                    let used = complete_request(&got).unwrap();
                    requests.push(got.drain(..used).collect());
                    s.write_all(resp).unwrap();
                    let close = String::from_utf8_lossy(resp).contains("Connection: close");
                    pending.next();
                    if close {
                        break;
                    }
                }
            }
            (requests, connections)
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
    fn endpoints_parse() {
        let e = Endpoint::parse("https://collector.example:4318/v1/traces").unwrap();
        assert!(e.tls);
        assert_eq!((e.host.as_str(), e.port, e.path.as_str()), ("collector.example", 4318, "/v1/traces"));
        let e = Endpoint::parse("http://[::1]:9/x?y=1").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.authority.as_str(), e.path.as_str()), ("::1", 9, "[::1]:9", "/x?y=1"));
        let e = Endpoint::parse("https://h").unwrap();
        assert_eq!((e.port, e.path.as_str()), (443, "/"));
        assert!(Endpoint::parse("grpc://h:4317").is_err());
        assert!(Endpoint::parse("http://:80/").is_err());
        assert!(Endpoint::parse("http://h:port/").is_err());
        assert!(Endpoint::parse("http://user:pw@h/").is_err());
    }

    #[test]
    fn posts_with_headers_and_reuses_the_connection() {
        let (url, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ]);
        let t = Transport::plain(
            &url,
            vec![("api-key".into(), "secret".into()), ("bad".into(), "a\r\nInjected: 1".into())],
        );
        let resp = t.post("application/x-protobuf", Some("gzip"), b"hello", far()).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (200, &b"ok"[..]));
        let resp = t.post("application/x-protobuf", None, b"again", far()).unwrap();
        assert_eq!(resp.body, b"abc");
        let (requests, connections) = server.join().unwrap();
        assert_eq!(connections, 1, "the kept-alive connection is reused");
        let first = String::from_utf8(requests[0].clone()).unwrap();
        assert!(first.starts_with("POST /v1/traces HTTP/1.1\r\n"), "{first}");
        assert!(first.contains("Content-Length: 5\r\n"));
        assert!(first.contains("Content-Encoding: gzip\r\n"));
        assert!(first.contains("api-key: secret\r\n"));
        assert!(!first.contains("Injected"));
        assert!(first.ends_with("\r\n\r\nhello"));
    }

    #[test]
    fn a_connection_closed_by_the_server_is_replaced() {
        let (url, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad",
        ]);
        let t = Transport::plain(&url, vec![]);
        assert_eq!(t.post("a/b", None, b"1", far()).unwrap().status, 200);
        let resp = t.post("a/b", None, b"2", far()).unwrap();
        assert_eq!((resp.status, resp.body.as_slice()), (400, &b"bad"[..]));
        assert_eq!(server.join().unwrap().1, 2);
    }

    #[test]
    fn closed_port_stalled_server_and_bad_urls_fail_within_the_deadline() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let t = Transport::plain(&format!("http://{closed}/v1/traces"), vec![]);
        assert!(matches!(t.post("a/b", None, b"", far()), Err(SendError::Io(_))));

        let stalled = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = stalled.local_addr().unwrap();
        let t = Transport::plain(&format!("http://{addr}/v1/traces"), vec![]);
        let start = Instant::now();
        let got = t.post("a/b", None, b"", Instant::now() + Duration::from_millis(300));
        assert!(matches!(got, Err(SendError::Timeout(_))), "{got:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
        drop(stalled);

        let t = Transport::plain("ftp://h/", vec![]);
        assert!(matches!(t.post("a/b", None, b"", far()), Err(SendError::Config(_))));
        let t = Transport::plain("https://localhost:1/", vec![]);
        assert!(matches!(t.post("a/b", None, b"", far()), Err(SendError::Io(_) | SendError::Tls(_))));
    }
}
