// Advice for ureq 3.x, spliced as `mod __otel_advice_ureq` at ureq's crate root. ureq 3 has no
// `http` dependency of its own (it re-exports ureq-proto's as `crate::http`), so the shared
// `../http/request.rs` (which names `::http`) cannot be listed; the few carrier lines it
// would give are here, over `crate::http`.

use crate::http::header::{HeaderName, HeaderValue};
use crate::http::{HeaderMap, Request, Response, Version};
use crate::{Body, Error};

/// Header names of the propagation formats: a request that already carries one is traced by
/// the application itself, and is left alone.
const TRACE_CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

/// Outgoing headers as the prelude's `Injector` (replaces a value already set).
struct Carrier<'a>(&'a mut HeaderMap);

impl<'a> __otel::Injector for Carrier<'a> {
    fn set(&mut self, key: &str, value: &str) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::from_str(value)) {
            self.0.insert(name, value);
        }
    }
}

fn protocol_version(version: Version) -> &'static str {
    if version == Version::HTTP_11 {
        "1.1"
    } else if version == Version::HTTP_10 {
        "1.0"
    } else if version == Version::HTTP_2 {
        "2"
    } else if version == Version::HTTP_09 {
        "0.9"
    } else if version == Version::HTTP_3 {
        "3"
    } else {
        ""
    }
}

/// OnEnter of `Agent::run_via_middleware`: start the CLIENT span, inject it into the request's
/// headers, keep it current for the (synchronous) call.
pub fn run_enter(request: &mut Request<()>) -> Option<__otel::SpanGuard> {
    if !__otel::enabled("ureq") || TRACE_CONTEXT_HEADERS.iter().any(|h| request.headers().contains_key(*h)) {
        return None;
    }
    let span = {
        let uri = request.uri();
        __otel::HttpClient {
            method: request.method().as_str().into(),
            scheme: uri.scheme_str().unwrap_or("").into(),
            host: uri.host().unwrap_or("").into(),
            port: uri.port_u16().map_or(0, u32::from),
            authority: uri.authority().map_or("", |a| a.as_str()).into(),
            path: uri.path().into(),
            query: uri.query().unwrap_or("").into(),
            ..Default::default()
        }
        .start()
    };
    let guard = __otel::SpanGuard::new(span);
    __otel::inject(&mut Carrier(request.headers_mut()));
    Some(guard)
}

/// OnExit of `Agent::run_via_middleware`: status, protocol version, or the error's kind.
pub fn run_exit(guard: Option<__otel::SpanGuard>, out: &Result<Response<Body>, Error>) {
    let Some(guard) = guard else { return };
    match out {
        Ok(response) => {
            let version = protocol_version(response.version());
            guard.span.http_client_end(response.status().as_u16(), version, "", "");
        }
        Err(Error::StatusCode(status)) => guard.span.http_client_end(*status, "", "", ""),
        Err(e) => guard.span.http_client_end(0, "", &error_type(e), &description(e)),
    }
}

/// The error's message, without the URI the two URI errors carry (its query may hold secrets).
fn description(e: &Error) -> String {
    match e {
        Error::BadUri(_) => "bad uri".to_string(),
        Error::RequireHttpsOnly(_) => "configured for https only".to_string(),
        _ => e.to_string(),
    }
}

/// `error.type` of a transport error: the `io::ErrorKind` of an I/O error
/// (`ConnectionRefused`), else the name of ureq's `Error` variant (`HostNotFound`, `Timeout`).
fn error_type(e: &Error) -> String {
    if let Error::Io(io) = e {
        return format!("{:?}", io.kind());
    }
    let debug = format!("{:?}", e);
    let end = debug.find(|c: char| !c.is_alphanumeric()).unwrap_or(debug.len());
    debug[..end].to_string()
}
