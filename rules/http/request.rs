// Glue between the `http` crate (0.2 and 1.x) and the runtime's HTTP semantic conventions,
// shared by the hyper, hyper-0.14, hyper-util, reqwest and axum packs (each lists this file
// before its own advice; the files of a pack are one module, so this file names std items by
// full path and imports nothing). Only mechanics live here: headers as carriers and the
// request facts handed to `__otel::HttpServer` / `__otel::HttpClient`. Naming, redaction,
// status mapping and the duration metrics are the runtime's (runtime/src/semconv/http.rs).

/// The propagation headers, parsed once: a `&str` name is parsed and validated by each lookup
/// or insert, and these are used on every request. (Not `const`: `HeaderName::from_static`
/// is a `const fn` only from http 0.2.7.)
fn propagation_header(key: &str) -> Option<&'static ::http::header::HeaderName> {
    static NAMES: ::std::sync::OnceLock<[::http::header::HeaderName; 3]> = ::std::sync::OnceLock::new();
    let index = match key {
        "traceparent" => 0,
        "tracestate" => 1,
        "baggage" => 2,
        _ => return None,
    };
    let names = NAMES.get_or_init(|| {
        [
            ::http::header::HeaderName::from_static("traceparent"),
            ::http::header::HeaderName::from_static("tracestate"),
            ::http::header::HeaderName::from_static("baggage"),
        ]
    });
    Some(&names[index])
}

/// Header names of the propagation formats. An outgoing request that already carries one was
/// traced by someone else (reqwest's advice, an application propagating by hand): the
/// lower-level client packs (hyper-util, hyper 0.14) leave it alone.
const TRACE_CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

/// Incoming headers as the prelude's `Extractor`.
struct Headers<'a>(&'a ::http::HeaderMap);

/// Up to this many headers, a lookup compares names instead of hashing the key: a request
/// that carries no trace context still pays one lookup per propagation field, and on a
/// request with a few headers the comparisons (lengths, mostly) cost a tenth of the hashed
/// lookup (docs/benchmarks.md).
const SCANNED_HEADERS: usize = 16;

impl<'a> __otel::Extractor for Headers<'a> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = if self.0.len() <= SCANNED_HEADERS {
            // Header names are stored lower case; the key may not be.
            self.0.iter().find(|(name, _)| name.as_str().eq_ignore_ascii_case(key)).map(|(_, v)| v)
        } else {
            match propagation_header(key) {
                Some(name) => self.0.get(name),
                None => self.0.get(key),
            }
        };
        value.and_then(|v| v.to_str().ok())
    }
}

/// Outgoing headers as the prelude's `Injector`.
struct Carrier<'a>(&'a mut ::http::HeaderMap);

impl<'a> __otel::Injector for Carrier<'a> {
    fn set(&mut self, key: &str, value: &str) {
        let value = match ::http::header::HeaderValue::from_str(value) {
            Ok(value) => value,
            Err(_) => return,
        };
        if let Some(name) = propagation_header(key) {
            self.0.insert(name.clone(), value);
        } else if let Ok(name) = ::http::header::HeaderName::from_bytes(key.as_bytes()) {
            self.0.insert(name, value);
        }
    }
}

/// `network.protocol.version` of an `http::Version`.
fn protocol_version(version: ::http::Version) -> &'static str {
    if version == ::http::Version::HTTP_11 {
        "1.1"
    } else if version == ::http::Version::HTTP_2 {
        "2"
    } else if version == ::http::Version::HTTP_10 {
        "1.0"
    } else if version == ::http::Version::HTTP_3 {
        "3"
    } else if version == ::http::Version::HTTP_09 {
        "0.9"
    } else {
        ""
    }
}

fn header<'a>(headers: &'a ::http::HeaderMap, name: ::http::header::HeaderName) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Start the SERVER span of an incoming request, parented on the context its headers carry.
fn server_start<B>(req: &::http::Request<B>) -> __otel::Span {
    let uri = req.uri();
    let headers = req.headers();
    let parent = __otel::extract(&Headers(headers));
    let host = match uri.authority() {
        Some(authority) => authority.as_str(),
        None => header(headers, ::http::header::HOST),
    };
    __otel::HttpServer {
        method: req.method().as_str().into(),
        scheme: uri.scheme_str().unwrap_or("").into(),
        path: uri.path().into(),
        query: uri.query().unwrap_or("").into(),
        host: host.into(),
        user_agent: header(headers, ::http::header::USER_AGENT).into(),
        protocol_version: protocol_version(req.version()).into(),
        ..Default::default()
    }
    .start(&parent)
}

/// Start the CLIENT span of an outgoing request and inject it into its headers, unless pack
/// `pack` is off or the request already carries a trace context (someone else's span).
fn client_start<B>(pack: &str, req: &mut ::http::Request<B>) -> Option<__otel::Span> {
    if !__otel::enabled(pack) || TRACE_CONTEXT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
        return None;
    }
    let span = {
        let uri = req.uri();
        __otel::HttpClient {
            method: req.method().as_str().into(),
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
    {
        let _entered = span.enter();
        __otel::inject(&mut Carrier(req.headers_mut()));
    }
    Some(span)
}
