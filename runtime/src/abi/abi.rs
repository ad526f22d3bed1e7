// The otel-runtime link-time ABI, version 1, and its one source of truth: the runtime checks
// its `#[unsafe(no_mangle)]` definitions against it (lib.rs); the weaver embeds it with
// `declare.rs` and `prelude.rs` as the `mod __otel` of woven crates (an `unsafe extern "C"` block).
// Only FFI-plain types (pointers + lengths, integers, `u64` handles, `#[repr(C)]` structs); no
// panic crosses it; handle 0 means "nothing", a cheap no-op everywhere. Within v1 only new
// symbols are added; a breaking change is a new `__otel_v2_*` set.
// Span kinds: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. Status: 0 unset, 1 ok, 2 error.
// Instruments (seconds): 1 http.server.request.duration, 2 http.client.request.duration,
// 3 db.client.operation.duration, 4 rpc.server.call.duration, 5 rpc.client.call.duration,
// 6 messaging.client.operation.duration, 7 messaging.process.duration.

otel_abi_v1! {
    /// The ABI version the linked runtime serves (1).
    fn __otel_v1_abi_version() -> u32;
    /// Initialise from the `OTEL_*` environment; idempotent. Injected at the start of `main`.
    fn __otel_v1_init();
    /// Flush and shut down exporters; idempotent. Also runs at process exit.
    fn __otel_v1_shutdown();
    /// 1 when the SDK is enabled and instrumentation `pack` is switched on, else 0.
    fn __otel_v1_enabled(pack_ptr: *const u8, pack_len: usize) -> u32;
    /// Start a span under `parent` (a context handle; 0: current). 0 when nothing is recorded or propagated.
    fn __otel_v1_span_start(parent: u64, name_ptr: *const u8, name_len: usize, kind: u32) -> u64;
    fn __otel_v1_span_set_str(span: u64, key_ptr: *const u8, key_len: usize, val_ptr: *const u8, val_len: usize);
    fn __otel_v1_span_set_i64(span: u64, key_ptr: *const u8, key_len: usize, val: i64);
    fn __otel_v1_span_set_f64(span: u64, key_ptr: *const u8, key_len: usize, val: f64);
    fn __otel_v1_span_set_bool(span: u64, key_ptr: *const u8, key_len: usize, val: u32);
    fn __otel_v1_span_update_name(span: u64, name_ptr: *const u8, name_len: usize);
    fn __otel_v1_span_add_event(span: u64, name_ptr: *const u8, name_len: usize);
    /// An event with attributes (`OtelAttrV1`, as for metrics), e.g. a pool wait on a query span; `current_…`: on the current context's span.
    fn __otel_v1_span_add_event_attrs(span: u64, name_ptr: *const u8, name_len: usize, attrs: *const OtelAttrV1, attrs_len: usize);
    fn __otel_v1_current_span_add_event_attrs(name_ptr: *const u8, name_len: usize, attrs: *const OtelAttrV1, attrs_len: usize);
    /// Set the status (see codes above); `desc` is kept for errors only.
    fn __otel_v1_span_set_status(span: u64, code: u32, desc_ptr: *const u8, desc_len: usize);
    /// 1 when the span is recording (attributes will be kept), else 0.
    fn __otel_v1_span_is_recording(span: u64) -> u32;
    /// End the span and free its handle. The handle must not be used afterwards.
    fn __otel_v1_span_end(span: u64);
    /// Make the span current on this thread; returns a token for `ctx_detach`.
    fn __otel_v1_span_attach(span: u64) -> u64;
    /// Capture the current context as an owned handle (0 when it is empty).
    fn __otel_v1_ctx_current() -> u64;
    fn __otel_v1_ctx_clone(ctx: u64) -> u64;
    /// Make a captured context current on this thread; returns a token for `ctx_detach`.
    fn __otel_v1_ctx_attach(ctx: u64) -> u64;
    /// Restore what was current before the matching attach. Tokens detach in LIFO order.
    fn __otel_v1_ctx_detach(token: u64);
    fn __otel_v1_ctx_drop(ctx: u64);
    /// Inject the current context through the propagators: `set(carrier, key, len, value, len)` per header (both UTF-8: the runtime's `&str`s).
    fn __otel_v1_inject(carrier: *mut u8, set: extern "C" fn(*mut u8, *const u8, usize, *const u8, usize));
    /// Extract a context handle (0: none found); `get(carrier, key, len, &mut len)` (the key UTF-8: a `&str` of the runtime) returns a value's pointer (null: absent), writes its length.
    fn __otel_v1_extract(carrier: *mut u8, get: extern "C" fn(*mut u8, *const u8, usize, *mut usize) -> *const u8) -> u64;
    /// Record one measurement on a built-in instrument (see ids above).
    fn __otel_v1_metric_record(instrument: u32, value: f64, attrs: *const OtelAttrV1, attrs_len: usize);
    // The semconv ABI (docs/rules.md): packs pass plain facts; the runtime names the span, redacts, maps the status, records the duration metric.
    // `*_start` returns a span handle for every `span_*` call (0 only when disabled); `*_end` records outcome and metric and ends the span; `span_end` frees the handle (alone: ends it with no outcome, no metric).
    /// HTTP SERVER span under `parent` (0: current).
    fn __otel_v1_http_server_start(parent: u64, fields: *const OtelHttpServerV1) -> u64;
    /// Route of `span`'s server call, or (span 0) the current context's: empty claims it for a framework (1 if unclaimed); else sets it if unset (1 if set). Names it `{method} {route}`.
    fn __otel_v1_http_server_route(span: u64, route_ptr: *const u8, route_len: usize) -> u32;
    /// `status` 0: no response. Server errors: 5xx, or `error_type`.
    fn __otel_v1_http_server_end(span: u64, status: u32, error_type: OtelStrV1, description: OtelStrV1);
    /// Identity of the current context's server call (0: none), to find a span again in a task.
    fn __otel_v1_http_server_current() -> u64;
    /// HTTP CLIENT span under the current context. Errors: 4xx, 5xx, or `error_type`.
    fn __otel_v1_http_client_start(fields: *const OtelHttpClientV1) -> u64;
    fn __otel_v1_http_client_end(span: u64, status: u32, protocol_version: OtelStrV1, error_type: OtelStrV1, description: OtelStrV1);
    /// Database CLIENT span under the current context; `status_code`: SQLSTATE or driver code.
    fn __otel_v1_db_start(fields: *const OtelDbV1) -> u64;
    fn __otel_v1_db_end(span: u64, status_code: OtelStrV1, error_type: OtelStrV1, description: OtelStrV1);
    /// RPC span, `kind` 1 server (under `parent`, 0: current) or 2 client; `status`: the gRPC code (0 OK … 16 UNAUTHENTICATED), -1 when none arrived.
    fn __otel_v1_rpc_start(parent: u64, kind: u32, fields: *const OtelRpcV1) -> u64;
    fn __otel_v1_rpc_end(span: u64, status: i32, error_type: OtelStrV1, description: OtelStrV1);
    /// Messaging span: PRODUCER for send/create, else CONSUMER, under `parent` (0: current).
    fn __otel_v1_messaging_start(parent: u64, fields: *const OtelMessagingV1) -> u64;
    fn __otel_v1_messaging_end(span: u64, error_type: OtelStrV1, description: OtelStrV1);
    /// Start a span with its attributes in one crossing. Strings whose length carries `OTEL_STATIC` are `'static` and kept as they are (no copy, no lookup).
    fn __otel_v1_span_start_attrs(args: *const OtelSpanStartV1) -> u64;
    /// Set several attributes in one crossing (`OTEL_STATIC` as for `span_start_attrs`).
    fn __otel_v1_span_set_attrs(span: u64, attrs: *const OtelAttrV1, attrs_len: usize);
    /// The index of instrumentation scope `name` (`version` empty: cargo-otel's); 0 is the default scope.
    fn __otel_v1_scope(name: OtelStrV1, version: OtelStrV1) -> u32;
    /// Make `scope` the one spans started on this thread get (0: default); returns the previous. `u32::MAX` only reads it.
    fn __otel_v1_scope_swap(scope: u32) -> u32;
    /// The current span context's ids into `out`: 1 when one is valid, else 0 (`out` untouched).
    fn __otel_v1_ctx_current_ids(out: *mut OtelIdsV1) -> u32;
    fn __otel_v1_ctx_sync(); // Publish to opentelemetry's context stack what woven code attached on this thread and the API has not seen yet: the woven `Context::map_current` and `Context::attach` of the opentelemetry crate call it first (rules/opentelemetry).
    /// A log record under the current span context: severity 1–24 (9 INFO, 17 ERROR), `target` the logger's name.
    fn __otel_v1_log_emit(severity: u32, body: OtelStrV1, target: OtelStrV1, attrs: *const OtelAttrV1, attrs_len: usize);
}

/// One metric attribute. `kind`: 0 string (`str_ptr`/`str_len`), 1 i64 (`int`), 2 f64 (`float`), 3 bool (`int` != 0).
#[repr(C)] #[derive(Clone, Copy)]
pub struct OtelAttrV1 { pub key_ptr: *const u8, pub key_len: usize, pub kind: u32, pub str_ptr: *const u8, pub str_len: usize, pub int: i64, pub float: f64 }

/// Bit of a string's length marking it `'static` (and UTF-8): the runtime keeps the pointer.
pub const OTEL_STATIC: usize = 1 << (usize::BITS - 1);
/// The span handle of an unsampled child of the current context: nothing to end, set or free.
pub const OTEL_SPAN_CURRENT: u64 = 8;
/// A span start: `parent` 0 is the current context; `scope` from `__otel_v1_scope` (0: the thread's).
#[repr(C)] #[derive(Clone, Copy)]
pub struct OtelSpanStartV1<'a> { pub parent: u64, pub name: OtelStrV1<'a>, pub kind: u32, pub scope: u32, pub attrs: *const OtelAttrV1, pub attrs_len: usize }
/// A span context's ids (big-endian bytes, as W3C `traceparent` writes them in hex) and trace flags.
#[repr(C)] #[derive(Clone, Copy, Default)] pub struct OtelIdsV1 { pub trace_id: [u8; 16], pub span_id: [u8; 8], pub flags: u8 }
/// A string of the semconv structs (empty: absent). Private fields: safe code builds one only from a `&str` that outlives it (so it is UTF-8).
#[repr(C)] #[derive(Clone, Copy)]
pub struct OtelStrV1<'a> { ptr: *const u8, len: usize, life: std::marker::PhantomData<&'a str> }
impl<'a> OtelStrV1<'a> {
    pub fn new(s: &'a str) -> OtelStrV1<'a> { OtelStrV1 { ptr: s.as_ptr(), len: s.len(), life: std::marker::PhantomData } }
    pub fn parts(&self) -> (*const u8, usize) { (self.ptr, self.len & !OTEL_STATIC) }
    pub fn is_static(&self) -> bool { self.len & OTEL_STATIC != 0 }
}
impl OtelStrV1<'static> { pub fn from_static(s: &'static str) -> OtelStrV1<'static> { OtelStrV1 { ptr: s.as_ptr(), len: s.len() | OTEL_STATIC, life: std::marker::PhantomData } } }
impl<'a> Default for OtelStrV1<'a> { fn default() -> OtelStrV1<'a> { OtelStrV1::new("") } }
impl<'a> From<&'a str> for OtelStrV1<'a> { fn from(s: &'a str) -> OtelStrV1<'a> { OtelStrV1::new(s) } }

/// An incoming request. `host`: URI authority or Host header; `protocol_version`: `1.1` or `HTTP/1.1`.
#[repr(C)] #[derive(Clone, Copy, Default)]
pub struct OtelHttpServerV1<'a> {
    pub method: OtelStrV1<'a>, pub scheme: OtelStrV1<'a>, pub path: OtelStrV1<'a>, pub query: OtelStrV1<'a>, pub route: OtelStrV1<'a>,
    pub host: OtelStrV1<'a>, pub user_agent: OtelStrV1<'a>, pub protocol_version: OtelStrV1<'a>, pub client_address: OtelStrV1<'a>,
}
/// An outgoing request. `url`: the whole URL if known, else built from scheme, `authority` (may hold user info; default host[:port]), path, query; redacted. `port` 0: the scheme's default.
#[repr(C)] #[derive(Clone, Copy, Default)]
pub struct OtelHttpClientV1<'a> {
    pub method: OtelStrV1<'a>, pub scheme: OtelStrV1<'a>, pub host: OtelStrV1<'a>, pub port: u32, pub authority: OtelStrV1<'a>,
    pub path: OtelStrV1<'a>, pub query: OtelStrV1<'a>, pub url: OtelStrV1<'a>, pub resend_count: u32,
}
/// A database operation. `query_text` as sent (literals become `?`); operation, collection and summary if the driver knows them, else derived from the text.
#[repr(C)] #[derive(Clone, Copy, Default)]
pub struct OtelDbV1<'a> {
    pub system: OtelStrV1<'a>, pub namespace: OtelStrV1<'a>, pub query_text: OtelStrV1<'a>, pub operation: OtelStrV1<'a>,
    pub collection: OtelStrV1<'a>, pub summary: OtelStrV1<'a>, pub batch_size: u32, pub server_address: OtelStrV1<'a>, pub server_port: u32,
}
/// An RPC. `method`: `package.Service/Method`; `system` defaults to grpc.
#[repr(C)] #[derive(Clone, Copy, Default)]
pub struct OtelRpcV1<'a> { pub system: OtelStrV1<'a>, pub method: OtelStrV1<'a>, pub server_address: OtelStrV1<'a>, pub server_port: u32 }
/// A messaging operation. `operation_type`: send, create, receive, process, settle.
#[repr(C)] #[derive(Clone, Copy, Default)]
pub struct OtelMessagingV1<'a> {
    pub system: OtelStrV1<'a>, pub operation_type: OtelStrV1<'a>, pub operation_name: OtelStrV1<'a>, pub destination: OtelStrV1<'a>,
    pub message_id: OtelStrV1<'a>, pub batch_count: u32, pub server_address: OtelStrV1<'a>, pub server_port: u32,
}
