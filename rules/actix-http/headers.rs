// actix-http's own `HeaderMap` (not the `http` crate's) as the prelude's carriers, shared by
// the actix-http pack (server: extract) and the awc pack (client: inject). The files of a pack
// are one module: each pack's `advice.rs` imports `HeaderMap`, `HeaderName`, `HeaderValue` and
// `Version` (actix-http's `crate::header`/`crate::Version`, awc's `crate::http::…`: the same
// types), so this file imports nothing and names std items by full path.

/// Incoming headers as the prelude's `Extractor`.
struct ActixHeaders<'a>(&'a HeaderMap);

impl<'a> __otel::Extractor for ActixHeaders<'a> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
}

/// Outgoing headers as the prelude's `Injector`: a value that is not a valid header is
/// skipped, never a panic.
struct ActixCarrier<'a>(&'a mut HeaderMap);

impl<'a> __otel::Injector for ActixCarrier<'a> {
    fn set(&mut self, key: &str, value: &str) {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(key.as_bytes()), HeaderValue::from_str(value)) {
            self.0.insert(name, value);
        }
    }
}

/// `network.protocol.version` of a `Version` (the `http` 0.2 type actix-http re-exports).
fn actix_protocol_version(version: Version) -> &'static str {
    if version == Version::HTTP_11 {
        "1.1"
    } else if version == Version::HTTP_2 {
        "2"
    } else if version == Version::HTTP_10 {
        "1.0"
    } else if version == Version::HTTP_3 {
        "3"
    } else if version == Version::HTTP_09 {
        "0.9"
    } else {
        ""
    }
}
