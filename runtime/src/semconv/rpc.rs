//! RPC spans (gRPC, semconv 1.40 release candidate): named `{rpc.method}`
//! (`package.Service/Method`), `rpc.system.name`, `rpc.response.status_code` as the status
//! name, error status per side (client: every non-OK code; server: the codes that mean a
//! server fault), `rpc.{server,client}.call.duration`.

use super::{Attrs, Call, Facts, Rec, error_type, finish, or, record, start, text};
use crate::abi::{OtelRpcV1, OtelStrV1};
use crate::context;
use crate::exports::guard;
use crate::lifecycle;
use opentelemetry::Context;
use std::borrow::Cow;

pub const SERVER_DURATION: u32 = 4;
pub const CLIENT_DURATION: u32 = 5;

pub struct Rpc {
    pub(super) server: bool,
    system: Box<str>,
    method: Box<str>,
    address: Box<str>,
    port: i64,
}

/// The context value of an RPC CLIENT call: an HTTP client started under it (the transport
/// of that call) makes no span of its own (`http::client_start`).
#[derive(Clone, Copy)]
pub struct CurrentRpcClient;

/// Whether the current context is inside an RPC CLIENT call.
pub fn in_client_call() -> bool {
    super::find_marker(
        |call| matches!(call.facts(), super::Facts::Rpc(Rpc { server: false, .. })).then_some(()),
        |cx| cx.get::<CurrentRpcClient>().map(|_| ()),
    )
    .is_some()
}

/// gRPC status names by code.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The status name of a gRPC code (`None` for -1 and unknown codes).
pub fn status_name(code: i32) -> Option<&'static str> {
    usize::try_from(code).ok().and_then(|c| CODES.get(c)).copied()
}

/// Whether `code` marks the span as failed on this side.
pub fn is_error(server: bool, code: i32) -> bool {
    if server {
        // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
        matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
    } else {
        code != 0
    }
}

pub fn rpc_start(parent: Option<&Context>, server: bool, f: &OtelRpcV1<'_>) -> u64 {
    let system = text(&f.system);
    let system = or(&system, "grpc");
    let method = text(&f.method);
    let name = or(&method, system).to_owned();
    let facts = Facts::Rpc(Rpc {
        server,
        system: system.into(),
        method: method.as_ref().into(),
        address: text(&f.server_address).as_ref().into(),
        port: i64::from(f.server_port),
    });
    let kind = if server { 1 } else { 2 };
    start(
        parent,
        || Cow::Owned(name),
        kind,
        facts,
        |rec, facts| {
            let Facts::Rpc(rpc) = facts else { return };
            rec.str("rpc.system.name", &rpc.system);
            rec.str("rpc.method", &rpc.method);
            rec.str("server.address", &rpc.address);
            if rpc.port != 0 {
                rec.i64("server.port", rpc.port);
            }
        },
    )
}

pub fn rpc_end(rec: &Rec<'_>, call: &Call, seconds: f64, code: i32, given: &str, description: &str) {
    let Facts::Rpc(rpc) = call.facts() else { return };
    let status = status_name(code).unwrap_or("");
    rec.str("rpc.response.status_code", status);
    let from_status = if is_error(rpc.server, code) { status } else { "" };
    let error = error_type(from_status, given);
    if !error.is_empty() {
        rec.error(error, description);
    }
    let mut attrs = Attrs::new();
    attrs.str("rpc.system.name", &rpc.system).str("rpc.method", &rpc.method);
    attrs.str("rpc.response.status_code", status).str("error.type", error);
    attrs.str("server.address", &rpc.address).int("server.port", rpc.port);
    record(rec, if rpc.server { SERVER_DURATION } else { CLIENT_DURATION }, seconds, attrs.as_slice());
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_rpc_start(parent: u64, kind: u32, fields: *const OtelRpcV1<'_>) -> u64 {
    if lifecycle::state() == lifecycle::DISABLED || fields.is_null() {
        return 0;
    }
    guard(0, || {
        let parent = (parent != 0).then(|| unsafe { context::borrow(parent) });
        rpc_start(parent, kind == 1, unsafe { &*fields })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_rpc_end(span: u64, status: i32, error_type: OtelStrV1<'_>, description: OtelStrV1<'_>) {
    if span == 0 {
        return;
    }
    guard((), || finish(span, |rec, call, s| rpc_end(rec, call, s, status, &text(&error_type), &text(&description))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::OtelStrV1 as S;
    use crate::semconv::testing::{self, attr, span};
    use opentelemetry::trace::{SpanKind, Status};

    #[test]
    fn status_mapping_differs_by_side() {
        assert_eq!(status_name(0), Some("OK"));
        assert_eq!(status_name(16), Some("UNAUTHENTICATED"));
        assert_eq!(status_name(17), None);
        assert_eq!(status_name(-1), None);
        assert!(!is_error(true, 5) && is_error(false, 5), "NOT_FOUND fails the client only");
        assert!(is_error(true, 13) && is_error(false, 13));
        assert!(!is_error(true, 0) && !is_error(false, 0));
    }

    #[test]
    fn server_and_client_spans() {
        testing::install();
        let fields = OtelRpcV1 {
            method: S::new("shop.Inventory/Get"),
            server_address: S::new("rpc-server.test"),
            server_port: 50051,
            ..Default::default()
        };
        let h = __otel_v1_rpc_start(0, 1, &fields);
        __otel_v1_rpc_end(h, 5, S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("shop.Inventory/Get", "server.address", "rpc-server.test");
        assert_eq!(s.span_kind, SpanKind::Server);
        assert_eq!(attr(&s, "rpc.system.name").as_deref(), Some("grpc"));
        assert_eq!(attr(&s, "rpc.response.status_code").as_deref(), Some("NOT_FOUND"));
        assert_eq!(attr(&s, "server.port").as_deref(), Some("50051"));
        assert_eq!(s.status, Status::Unset);

        let fields = OtelRpcV1 {
            method: S::new("shop.Inventory/Get"),
            server_address: S::new("rpc-client.test"),
            ..Default::default()
        };
        let h = __otel_v1_rpc_start(0, 2, &fields);
        __otel_v1_rpc_end(h, 14, S::default(), S::new("connection refused"));
        crate::exports::__otel_v1_span_end(h);
        let s = span("shop.Inventory/Get", "server.address", "rpc-client.test");
        assert_eq!(s.span_kind, SpanKind::Client);
        assert_eq!(attr(&s, "error.type").as_deref(), Some("UNAVAILABLE"));
        assert!(matches!(s.status, Status::Error { .. }));

        // No status at all (a transport failure): the caller's error type.
        let h = __otel_v1_rpc_start(0, 2, &OtelRpcV1 { method: S::new("shop.Inventory/Gone"), ..Default::default() });
        __otel_v1_rpc_end(h, -1, S::new("timeout"), S::default());
        crate::exports::__otel_v1_span_end(h);
        let s = span("shop.Inventory/Gone", "error.type", "timeout");
        assert_eq!(attr(&s, "rpc.response.status_code"), None);
    }
}
