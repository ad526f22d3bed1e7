//! HTTP server and client spans (stable HTTP semantic conventions): names `{method}` and
//! `{method} {http.route}`, `_OTHER` methods, redacted `url.query` / `url.full`, status
//! mapping (server: 5xx; client: 4xx, 5xx and transport errors) and the
//! `http.{server,client}.request.duration` histograms.
//!
//! The route hand-off: the SERVER span's call carries a [`RouteSlot`], also stored in the
//! span's context ([`CurrentServer`]). A framework pack running under the span (axum under
//! hyper) claims the slot and sets the route through `__otel_v1_http_server_route(0, ..)`,
//! which looks in the *current context*; the owner's end names the span after it. No type
//! crosses between woven crates, so there is no per-crate `TypeId` to work around.

use super::{Attrs, Call, Facts, Rec, error_type, finish, or, record, start, text};
use crate::abi::{OtelHttpClientV1, OtelHttpServerV1, OtelStrV1};
use crate::context;
use crate::exports::guard;
use crate::lifecycle;
use crate::span;
use opentelemetry::Context;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

pub const SERVER_DURATION: u32 = 1;
pub const CLIENT_DURATION: u32 = 2;

/// What a server call's end needs.
pub struct Server {
    method: &'static str,
    scheme: &'static str,
    version: &'static str,
    pub(super) slot: Arc<RouteSlot>,
}

/// The route of a server call: claimed by at most one framework, set at most once.
#[derive(Default)]
pub struct RouteSlot(Mutex<(bool, Option<Cow<'static, str>>)>);

/// The context value through which code under a SERVER span finds its call.
#[derive(Clone)]
pub struct CurrentServer(pub(super) Arc<RouteSlot>);

impl RouteSlot {
    /// Empty `route`: claim (true if unclaimed); else set it if unset (true if set).
    fn offer(&self, route: &str) -> bool {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if route.is_empty() {
            !std::mem::replace(&mut slot.0, true)
        } else if slot.1.is_none() {
            // Route templates are few (the framework's table), as span names: interned like
            // them, so neither this nor `route()` allocates per request.
            slot.1 = Some(span::name(route.as_bytes()));
            true
        } else {
            false
        }
    }
    fn route(&self) -> Option<Cow<'static, str>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).1.clone()
    }
}

/// What a client call's end needs.
pub struct Client {
    method: &'static str,
    // Schemes and the hosts an application calls are few: interned, no copy per request.
    scheme: Cow<'static, str>,
    address: Cow<'static, str>,
    port: i64,
}

/// The semantic-convention `http.request.method`: a known method, or `_OTHER`.
pub fn method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"];
    KNOWN.iter().copied().find(|m| *m == method).unwrap_or("_OTHER")
}

/// `network.protocol.version`: `1.1`, `2`, … from itself or `HTTP/1.1` (`http::Version`'s
/// `Debug`); empty when unknown.
pub fn version(v: &str) -> &'static str {
    match v.strip_prefix("HTTP/").unwrap_or(v) {
        "0.9" => "0.9",
        "1.0" | "1" => "1.0",
        "1.1" => "1.1",
        "2" | "2.0" => "2",
        "3" | "3.0" => "3",
        _ => "",
    }
}

/// Query parameters whose values are redacted (the conventions' list plus common secrets),
/// compared case-insensitively.
pub const SENSITIVE_QUERY_KEYS: &[&str] = &[
    "awsaccesskeyid",
    "signature",
    "sig",
    "x-goog-signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "code",
];

/// `a=1&token=xyz` → `a=1&token=REDACTED`, for `url.query` and `url.full`.
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.find('=') {
            Some(eq) if sensitive_pair(pair) => {
                out.push_str(&pair[..eq]);
                out.push_str("=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// User info of an authority replaced by `REDACTED` (`REDACTED:REDACTED@` with a password).
fn redact_authority(authority: &str, out: &mut String) {
    match authority.rfind('@') {
        Some(at) => {
            out.push_str(if authority[..at].contains(':') { "REDACTED:REDACTED@" } else { "REDACTED@" });
            out.push_str(&authority[at + 1..]);
        }
        None => out.push_str(authority),
    }
}

/// `url.full` from a URI's parts: user info redacted, sensitive query values redacted, no
/// fragment.
pub fn full_url(scheme: &str, authority: &str, path: &str, query: &str) -> String {
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push_str("://");
    }
    redact_authority(authority, &mut out);
    out.push_str(path);
    if !query.is_empty() {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// `url.full` from a whole URL (`scheme://[user[:pw]@]host[:port]/path?query#fragment`):
/// borrowed when there is nothing to take out (no `@`, no fragment, no secret in the query:
/// most URLs; rebuilding one was 2.0k instructions of a client call).
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let query = url.split_once('?').map(|(_, query)| query);
    let clean = !url.bytes().any(|b| b == b'@' || b == b'#')
        && query.is_none_or(|q| !q.is_empty() && !q.split('&').any(sensitive_pair));
    if clean {
        return Cow::Borrowed(url);
    }
    Cow::Owned(rebuild_url(url))
}

/// Whether a query's `key=value` pair has a key whose value is redacted.
fn sensitive_pair(pair: &str) -> bool {
    pair.find('=').is_some_and(|eq| SENSITIVE_QUERY_KEYS.iter().any(|s| pair[..eq].eq_ignore_ascii_case(s)))
}

fn rebuild_url(url: &str) -> String {
    let url = url.split('#').next().unwrap_or("");
    let (scheme, rest) = match url.find("://") {
        Some(at) => (&url[..at], &url[at + 3..]),
        None => ("", url),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    full_url(scheme, authority, path, query)
}

/// `host:port`, `[v6]:port` or `host` → (address, port; 0 when absent).
pub fn split_host(host: &str) -> (&str, i64) {
    // The common `name:port` by one backward scan of the digits (`rfind` and `parse` were
    // 480 instructions of a /hello request); anything else as below.
    let b = host.as_bytes();
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let colon = b.len() - digits;
    if (1..=5).contains(&digits) && colon > 1 && b[colon - 1] == b':' && !b[..colon - 1].contains(&b']') {
        let port = b[colon..].iter().fold(0, |port, &d| port * 10 + i64::from(d - b'0'));
        return (&host[..colon - 1], port);
    }
    split_host_general(host)
}

#[inline(never)]
fn split_host_general(host: &str) -> (&str, i64) {
    if let Some(end) = host.rfind(']') {
        let port = host[end + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
        return (&host[..end + 1], port.unwrap_or(0));
    }
    match host.rsplit_once(':') {
        Some((address, port)) => match port.parse() {
            Ok(port) => (address, port),
            Err(_) => (host, 0),
        },
        None => (host, 0),
    }
}

/// `http.request.method`, and the original when the conventions fold it into `_OTHER`.
fn record_method(rec: &Rec<'_>, method: &str, raw: &str) {
    rec.str("http.request.method", method);
    if method == "_OTHER" {
        rec.str("http.request.method_original", raw);
    }
}

fn default_port(scheme: &str) -> i64 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => 0,
    }
}

/// Start a SERVER span: named `{method}` (renamed at the end if a route is known), with the
/// request attributes.
pub fn server_start(parent: Option<&Context>, f: &OtelHttpServerV1<'_>) -> u64 {
    let raw_method = text(&f.method);
    let method = method(&raw_method);
    let scheme = if text(&f.scheme).eq_ignore_ascii_case("https") { "https" } else { "http" };
    let version = version(&text(&f.protocol_version));
    let slot = Arc::new(RouteSlot::default());
    let route = text(&f.route);
    if !route.is_empty() {
        slot.offer(&route);
    }
    let facts = Facts::HttpServer(Server { method, scheme, version, slot });
    start(
        parent,
        || Cow::Borrowed(method),
        1,
        facts,
        |rec, _| {
            if !rec.recording() {
                return;
            }
            record_method(rec, method, &raw_method);
            rec.str("url.path", &text(&f.path));
            rec.str("url.scheme", scheme);
            let query = text(&f.query);
            if !query.is_empty() {
                rec.str("url.query", &redact_query(&query));
            }
            rec.str("network.protocol.version", version);
            let host = text(&f.host);
            let (address, port) = split_host(&host);
            rec.str("server.address", address);
            if port != 0 {
                rec.i64("server.port", port);
            }
            rec.str("client.address", &text(&f.client_address));
            rec.str("user_agent.original", &text(&f.user_agent));
        },
    )
}

/// The outcome of a SERVER call: status (0: none arrived), error, route; metric.
pub fn server_end(rec: &Rec<'_>, call: &Call, seconds: f64, status: u32, given_error: &str, description: &str) {
    let Facts::HttpServer(server) = call.facts() else { return };
    // Claimed from now on: a task that outlives the request (its context still carries this
    // call) must not mistake it for the server of a later in-process request.
    server.slot.offer("");
    let route = server.slot.route();
    if let (Some(route), true) = (&route, rec.recording()) {
        rec.name(server_name(server.method, route));
        rec.str("http.route", route);
    }
    let status_error = status_error(status, 500);
    if status != 0 {
        rec.i64("http.response.status_code", i64::from(status));
    }
    let error = error_type(given_error, &status_error);
    if !error.is_empty() {
        rec.error(error, description);
    }
    let mut attrs = Attrs::new();
    attrs.str("http.request.method", server.method).str("url.scheme", server.scheme);
    attrs.int("http.response.status_code", i64::from(status));
    attrs.str("http.route", route.as_deref().unwrap_or("")).str("network.protocol.version", server.version);
    attrs.str("error.type", error);
    record(rec, SERVER_DURATION, seconds, attrs.as_slice());
}

/// The `error.type` a status implies: the status itself from `from` up (5xx for a server,
/// 4xx and 5xx for a client), formatted only then.
fn status_error(status: u32, from: u32) -> Cow<'static, str> {
    if status >= from { Cow::Owned(status.to_string()) } else { Cow::Borrowed("") }
}

/// `{method} {route}`, interned when it fits the names table (built on the stack: no
/// allocation per request for a known route).
fn server_name(method: &str, route: &str) -> Cow<'static, str> {
    let mut buf = [0u8; crate::intern::MAX_LEN];
    let len = method.len() + 1 + route.len();
    if let Some(name) = buf.get_mut(..len) {
        name[..method.len()].copy_from_slice(method.as_bytes());
        name[method.len()] = b' ';
        name[method.len() + 1..].copy_from_slice(route.as_bytes());
        return span::name(name);
    }
    Cow::Owned(format!("{method} {route}"))
}

/// Start a CLIENT span under the current context: named `{method}`, `url.full` built (and
/// redacted) only when recording. Inside an RPC CLIENT call (gRPC over HTTP/2) the HTTP
/// request is that call's transport: no span (0), so one CLIENT span stands for the RPC;
/// the caller still injects the current context (the RPC's) if the request lacks one.
pub fn client_start(f: &OtelHttpClientV1<'_>) -> u64 {
    if super::rpc::in_client_call() {
        return 0;
    }
    let raw_method = text(&f.method);
    let method = method(&raw_method);
    let (scheme, host) = (text(&f.scheme), text(&f.host));
    let scheme = or(&scheme, "http");
    let port = if f.port != 0 { i64::from(f.port) } else { default_port(scheme) };
    let facts = Facts::HttpClient(Client {
        method,
        scheme: span::short_text(scheme.as_bytes()),
        address: span::short_text(host.as_bytes()),
        port,
    });
    start(
        None,
        || Cow::Borrowed(method),
        2,
        facts,
        |rec, _| {
            if !rec.recording() {
                return;
            }
            record_method(rec, method, &raw_method);
            let url = text(&f.url);
            let full = if url.is_empty() {
                let authority = text(&f.authority);
                let authority = match (authority.is_empty(), f.port) {
                    (false, _) => authority.into_owned(),
                    (true, 0) => host.to_string(),
                    (true, port) => format!("{host}:{port}"),
                };
                Cow::Owned(full_url(scheme, &authority, &text(&f.path), &text(&f.query)))
            } else {
                redact_url(&url)
            };
            rec.str("url.full", &full);
            rec.str("server.address", &host);
            if port != 0 {
                rec.i64("server.port", port);
            }
            if f.resend_count > 0 {
                rec.i64("http.request.resend_count", i64::from(f.resend_count));
            }
        },
    )
}

/// The outcome of a CLIENT call: 4xx/5xx and transport errors are errors; metric.
pub fn client_end(rec: &Rec<'_>, call: &Call, seconds: f64, status: u32, v: &str, given: &str, description: &str) {
    let Facts::HttpClient(client) = call.facts() else { return };
    let status_error = status_error(status, 400);
    // An explicit error type (a timeout that came with a 500) wins over the status.
    let error = error_type(given, &status_error);
    let version = version(v);
    if status != 0 {
        rec.i64("http.response.status_code", i64::from(status));
    }
    rec.str("network.protocol.version", version);
    if !error.is_empty() {
        rec.error(error, description);
    }
    let mut attrs = Attrs::new();
    attrs.str("http.request.method", client.method).str("url.scheme", &client.scheme);
    attrs.int("http.response.status_code", i64::from(status)).str("network.protocol.version", version);
    attrs.str("error.type", error).str("server.address", &client.address).int("server.port", client.port);
    record(rec, CLIENT_DURATION, seconds, attrs.as_slice());
}

/// Set or claim the route (see the module docs).
pub fn route(handle: u64, route: &str) -> bool {
    let slot = match unsafe { super::call(handle) } {
        Some(call) => match call.facts() {
            Facts::HttpServer(server) => Some(server.slot.clone()),
            _ => None,
        },
        None if handle == 0 => super::find_marker(
            |call| match call.facts() {
                Facts::HttpServer(server) => Some(server.slot.clone()),
                _ => None,
            },
            |cx| cx.get::<CurrentServer>().map(|c| c.0.clone()),
        ),
        None => None,
    };
    slot.is_some_and(|slot| slot.offer(route))
}

/// The identity of the HTTP server call in the current context (its route slot's address;
/// 0 when there is none): unique among live calls, the same in every context derived from the
/// span's, so the owner of a span can find it again in a task that carries that context.
pub fn current_id() -> u64 {
    super::find_marker(
        |call| match call.facts() {
            Facts::HttpServer(server) => Some(Arc::as_ptr(&server.slot) as u64),
            _ => None,
        },
        |cx| cx.get::<CurrentServer>().map(|c| Arc::as_ptr(&c.0) as u64),
    )
    .unwrap_or(0)
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_server_current() -> u64 {
    if lifecycle::state() == lifecycle::DISABLED {
        return 0;
    }
    guard(0, current_id)
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_server_start(parent: u64, fields: *const OtelHttpServerV1<'_>) -> u64 {
    if lifecycle::state() == lifecycle::DISABLED || fields.is_null() {
        return 0;
    }
    guard(0, || {
        let parent = (parent != 0).then(|| unsafe { context::borrow(parent) });
        server_start(parent, unsafe { &*fields })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_server_route(span: u64, route_ptr: *const u8, route_len: usize) -> u32 {
    if lifecycle::state() == lifecycle::DISABLED {
        return 0;
    }
    guard(0, || u32::from(route(span, &unsafe { crate::exports::text(route_ptr, route_len) })))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_server_end(
    span: u64,
    status: u32,
    error_type: OtelStrV1<'_>,
    description: OtelStrV1<'_>,
) {
    if span == 0 {
        return;
    }
    guard((), || {
        finish(span, |rec, call, seconds| {
            server_end(rec, call, seconds, status, &text(&error_type), &text(&description))
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_client_start(fields: *const OtelHttpClientV1<'_>) -> u64 {
    if lifecycle::state() == lifecycle::DISABLED || fields.is_null() {
        return 0;
    }
    guard(0, || client_start(unsafe { &*fields }))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_http_client_end(
    span: u64,
    status: u32,
    protocol_version: OtelStrV1<'_>,
    error_type: OtelStrV1<'_>,
    description: OtelStrV1<'_>,
) {
    if span == 0 {
        return;
    }
    guard((), || {
        finish(span, |rec, call, seconds| {
            let (v, e, d) = (text(&protocol_version), text(&error_type), text(&description));
            client_end(rec, call, seconds, status, &v, &e, &d)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::OtelStrV1 as S;
    use crate::semconv::testing::{self, attr, span};

    #[test]
    fn methods_versions_and_hosts() {
        assert_eq!(method("GET"), "GET");
        assert_eq!(method("get"), "_OTHER");
        assert_eq!(method("PURGE"), "_OTHER");
        assert_eq!(version("HTTP/1.1"), "1.1");
        assert_eq!(version("HTTP/2.0"), "2");
        assert_eq!(version("2"), "2");
        assert_eq!(version("HTTP/9"), "");
        assert_eq!(split_host("example.com:8080"), ("example.com", 8080));
        assert_eq!(split_host("[::1]:3000"), ("[::1]", 3000));
        assert_eq!(split_host("[::1]"), ("[::1]", 0));
        assert_eq!(split_host("example.com"), ("example.com", 0));
    }

    #[test]
    fn the_fast_host_split_agrees_with_the_general_one() {
        for host in [
            "a:1",
            "127.0.0.1:33903",
            "h:65535",
            "h:123456",
            "h:",
            ":80",
            "h:0080",
            "h:+80",
            "[::1]:80",
            "[a]b:80",
            "::1",
            "h:8x",
            "",
            ":",
            "8080",
            "host.example:443",
        ] {
            assert_eq!(split_host(host), split_host_general(host), "{host}");
        }
    }

    #[test]
    fn urls_are_redacted() {
        let url = full_url("https", "user:pw@example.com:8443", "/a/b", "q=1&token=abc");
        assert_eq!(url, "https://REDACTED:REDACTED@example.com:8443/a/b?q=1&token=REDACTED");
        assert_eq!(full_url("http", "user@h", "/", ""), "http://REDACTED@h/");
        assert_eq!(full_url("", "", "/only/path", ""), "/only/path");
        assert_eq!(
            redact_url("https://u:p@h:1/x?Signature=s&a=1#frag"),
            "https://REDACTED:REDACTED@h:1/x?Signature=REDACTED&a=1"
        );
        assert_eq!(redact_url("http://h?code=1"), "http://h?code=REDACTED");
        // Borrowed exactly when rebuilding would give the same text.
        for url in [
            "http://127.0.0.1:3001/inventory/1",
            "https://h/p?a=1&b=2",
            "https://h/p?a=1&Token=2",
            "https://h/p?",
            "https://u@h/p",
            "https://h/p#top",
            "https://h/users/a@b",
            "h/p?key",
            "",
        ] {
            let got = redact_url(url);
            assert_eq!(got, rebuild_url(url), "{url}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), rebuild_url(url) == url && !url.contains('@'), "{url}");
        }
        assert_eq!(redact_query("a=1&key&password=x"), "a=1&key&password=REDACTED");
    }

    #[test]
    fn server_span_names_routes_and_maps_5xx_only() {
        server_span_names_routes_and_maps_5xx_only_in(false);
    }

    /// The same with the span's context kept pending (as a build with the opentelemetry
    /// pack's doors runs): the route hand-off, the call's identity and a child's parent are
    /// read from the pending call itself.
    #[test]
    fn server_span_names_routes_and_maps_5xx_only_with_the_context_pending() {
        server_span_names_routes_and_maps_5xx_only_in(true);
    }

    fn server_span_names_routes_and_maps_5xx_only_in(pending: bool) {
        testing::install();
        crate::context::assume_doors_woven(pending);
        let fields = OtelHttpServerV1 {
            method: S::new("GET"),
            path: S::new("/users/7"),
            query: S::new("a=1&token=t"),
            host: S::new("svc:8080"),
            protocol_version: S::new("HTTP/1.1"),
            user_agent: S::new("ua-server-test"),
            ..Default::default()
        };
        let h = __otel_v1_http_server_start(0, &fields);
        assert_ne!(h, 0);
        // A framework under the span claims it once, then sets the route once.
        assert_eq!(__otel_v1_http_server_current(), 0, "no server call is current yet");
        let token = crate::exports::__otel_v1_span_attach(h);
        assert_eq!(crate::context::pending(), usize::from(pending), "kept pending only with the doors");
        let id = __otel_v1_http_server_current();
        assert_ne!(id, 0);
        let child = crate::exports::__otel_v1_span_start(0, "child".as_ptr(), 5, 0);
        let inner = crate::exports::__otel_v1_span_attach(child);
        assert_eq!(__otel_v1_http_server_current(), id, "a child's context carries the same call");
        let mut ids = crate::abi::OtelIdsV1::default();
        assert_eq!(crate::exports::__otel_v1_ctx_current_ids(&mut ids), 1);
        assert_eq!(crate::context::pending(), 2 * usize::from(pending), "read in place, nothing published");
        let child_id = crate::exports::__otel_v1_span_is_recording(child);
        assert_eq!(child_id, 1, "a recording child of the server span");
        crate::exports::__otel_v1_ctx_detach(inner);
        crate::exports::__otel_v1_span_end(child);
        let other = __otel_v1_http_server_start(0, &OtelHttpServerV1 { method: S::new("PUT"), ..Default::default() });
        let inner = crate::exports::__otel_v1_span_attach(other);
        assert_ne!(__otel_v1_http_server_current(), id, "another live call has another identity");
        crate::exports::__otel_v1_ctx_detach(inner);
        crate::exports::__otel_v1_span_end(other);
        assert!(route(0, ""), "unclaimed");
        assert!(!route(0, ""), "claimed once");
        assert!(route(0, "/users/{id}"));
        assert!(!route(0, "/other"), "set once");
        __otel_v1_http_server_end(h, 404, S::default(), S::default());
        crate::exports::__otel_v1_ctx_detach(token);
        crate::exports::__otel_v1_span_end(h);
        let s = span("GET /users/{id}", "user_agent.original", "ua-server-test");
        assert_eq!(s.span_kind, opentelemetry::trace::SpanKind::Server);
        assert_eq!(attr(&s, "http.route").as_deref(), Some("/users/{id}"));
        assert_eq!(attr(&s, "url.query").as_deref(), Some("a=1&token=REDACTED"));
        assert_eq!(attr(&s, "server.address").as_deref(), Some("svc"));
        assert_eq!(attr(&s, "server.port").as_deref(), Some("8080"));
        assert_eq!(attr(&s, "network.protocol.version").as_deref(), Some("1.1"));
        assert_eq!(attr(&s, "http.response.status_code").as_deref(), Some("404"));
        assert_eq!(s.status, opentelemetry::trace::Status::Unset, "4xx is not a server error");

        let fields = OtelHttpServerV1 { method: S::new("BREW"), user_agent: S::new("ua-5xx"), ..Default::default() };
        let h = __otel_v1_http_server_start(0, &fields);
        let token = crate::exports::__otel_v1_span_attach(h);
        __otel_v1_http_server_end(h, 503, S::default(), S::default());
        assert!(!route(0, ""), "an ended server call cannot be claimed");
        crate::exports::__otel_v1_ctx_detach(token);
        crate::exports::__otel_v1_span_end(h);
        let s = span("_OTHER", "user_agent.original", "ua-5xx");
        assert_eq!(attr(&s, "http.request.method_original").as_deref(), Some("BREW"));
        assert_eq!(attr(&s, "error.type").as_deref(), Some("503"));
        assert!(matches!(s.status, opentelemetry::trace::Status::Error { .. }));
        crate::context::assume_doors_woven(false);
    }

    #[test]
    fn no_http_client_span_inside_an_rpc_client_call() {
        testing::install();
        let rpc = crate::abi::OtelRpcV1 { method: S::new("shop.Stand/Back"), ..Default::default() };
        let call = super::super::rpc::__otel_v1_rpc_start(0, 2, &rpc);
        let token = crate::exports::__otel_v1_span_attach(call);
        let fields =
            OtelHttpClientV1 { method: S::new("POST"), host: S::new("rpc-transport.test"), ..Default::default() };
        assert_eq!(__otel_v1_http_client_start(&fields), 0, "the RPC span stands for the call");
        // The injection that follows carries the RPC call's context.
        let mut headers = std::collections::HashMap::<String, String>::new();
        let rt = crate::lifecycle::runtime().expect("installed");
        use opentelemetry::propagation::TextMapPropagator;
        Context::map_current(|cx| rt.propagator.inject_context(cx, &mut headers));
        crate::exports::__otel_v1_ctx_detach(token);
        let traceparent = headers.get("traceparent").expect("injected under the RPC span");
        super::super::rpc::__otel_v1_rpc_end(call, 0, S::default(), S::default());
        crate::exports::__otel_v1_span_end(call);
        let s = span("shop.Stand/Back", "rpc.method", "shop.Stand/Back");
        assert!(traceparent.contains(&s.span_context.span_id().to_string()), "{traceparent}");
        // Outside it (a server span under the RPC's remote child, or any other caller): a span.
        let h = __otel_v1_http_client_start(&fields);
        assert_ne!(h, 0);
        crate::exports::__otel_v1_span_end(h);
    }

    #[test]
    fn client_span_maps_4xx_and_transport_errors() {
        testing::install();
        let fields = OtelHttpClientV1 {
            method: S::new("POST"),
            scheme: S::new("https"),
            host: S::new("client-4xx.test"),
            url: S::new("https://me:secret@client-4xx.test/p?api_key=k"),
            ..Default::default()
        };
        let h = __otel_v1_http_client_start(&fields);
        __otel_v1_http_client_end(h, 404, S::new("HTTP/2.0"), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("POST", "server.address", "client-4xx.test");
        assert_eq!(s.span_kind, opentelemetry::trace::SpanKind::Client);
        assert_eq!(
            attr(&s, "url.full").as_deref(),
            Some("https://REDACTED:REDACTED@client-4xx.test/p?api_key=REDACTED")
        );
        assert_eq!(attr(&s, "server.port").as_deref(), Some("443"));
        assert_eq!(attr(&s, "error.type").as_deref(), Some("404"));
        assert_eq!(attr(&s, "network.protocol.version").as_deref(), Some("2"));

        let fields = OtelHttpClientV1 {
            method: S::new("GET"),
            host: S::new("client-err.test"),
            port: 81,
            path: S::new("/x"),
            ..Default::default()
        };
        let h = __otel_v1_http_client_start(&fields);
        __otel_v1_http_client_end(h, 0, S::default(), S::new("connect"), S::new("refused"));
        // A second end and the final free are harmless.
        __otel_v1_http_client_end(h, 200, S::default(), S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("GET", "server.address", "client-err.test");
        assert_eq!(attr(&s, "url.full").as_deref(), Some("http://client-err.test:81/x"));
        assert_eq!(attr(&s, "error.type").as_deref(), Some("connect"));
        assert_eq!(attr(&s, "http.response.status_code"), None);
        assert!(
            matches!(s.status, opentelemetry::trace::Status::Error { ref description } if description == "refused")
        );
    }
}
