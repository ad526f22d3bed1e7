// The otel-runtime link-time ABI, version 1. This file is the one source of truth:
// - the runtime `include!`s it to check that every `#[unsafe(no_mangle)]` definition has
//   exactly the declared signature (see `runtime/src/exports.rs`);
// - the weaver embeds it, with `declare.rs` and `prelude.rs`, as the `mod __otel` it splices
//   into every woven crate, where it expands to an `unsafe extern "C"` block.
//
// Rules: only FFI-plain types (pointers + lengths, integers, floats, opaque `u64` handles,
// `#[repr(C)]` structs); no panic crosses it; a handle of 0 means "nothing" and every entry
// point accepts it as a cheap no-op. A breaking change is a new `__otel_v2_*` set, never an
// edit of a v1 signature.
//
// Span kinds: 0 internal, 1 server, 2 client, 3 producer, 4 consumer.
// Status codes: 0 unset, 1 ok, 2 error.
// Instruments: 1 http.server.request.duration, 2 http.client.request.duration,
//              3 db.client.operation.duration (all in seconds).

otel_abi_v1! {
    /// The ABI version the linked runtime serves (1).
    fn __otel_v1_abi_version() -> u32;
    /// Initialise from the `OTEL_*` environment; idempotent. Injected at the start of `main`.
    fn __otel_v1_init();
    /// Flush and shut down exporters; idempotent. Also runs at process exit.
    fn __otel_v1_shutdown();
    /// 1 when the SDK is enabled and instrumentation `pack` is switched on, else 0.
    fn __otel_v1_enabled(pack_ptr: *const u8, pack_len: usize) -> u32;
    /// Start a span. `parent` is a context handle, or 0 for the current context.
    /// Returns a span handle, 0 when nothing is recorded or propagated.
    fn __otel_v1_span_start(parent: u64, name_ptr: *const u8, name_len: usize, kind: u32) -> u64;
    fn __otel_v1_span_set_str(span: u64, key_ptr: *const u8, key_len: usize, val_ptr: *const u8, val_len: usize);
    fn __otel_v1_span_set_i64(span: u64, key_ptr: *const u8, key_len: usize, val: i64);
    fn __otel_v1_span_set_f64(span: u64, key_ptr: *const u8, key_len: usize, val: f64);
    fn __otel_v1_span_set_bool(span: u64, key_ptr: *const u8, key_len: usize, val: u32);
    fn __otel_v1_span_update_name(span: u64, name_ptr: *const u8, name_len: usize);
    fn __otel_v1_span_add_event(span: u64, name_ptr: *const u8, name_len: usize);
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
    /// Inject the current context through the configured propagators: `set` is called once
    /// per header with (carrier, key, key_len, value, value_len).
    fn __otel_v1_inject(carrier: *mut u8, set: extern "C" fn(*mut u8, *const u8, usize, *const u8, usize));
    /// Extract a context from a carrier: `get` returns the value's pointer (null when absent)
    /// and writes its length. Returns a context handle (0 when nothing was found).
    fn __otel_v1_extract(carrier: *mut u8, get: extern "C" fn(*mut u8, *const u8, usize, *mut usize) -> *const u8) -> u64;
    /// Record one measurement on a built-in instrument (see ids above).
    fn __otel_v1_metric_record(instrument: u32, value: f64, attrs: *const OtelAttrV1, attrs_len: usize);
}

/// One metric attribute. `kind`: 0 string (`str_ptr`/`str_len`), 1 i64 (`int`),
/// 2 f64 (`float`), 3 bool (`int` != 0).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct OtelAttrV1 {
    pub key_ptr: *const u8,
    pub key_len: usize,
    pub kind: u32,
    pub str_ptr: *const u8,
    pub str_len: usize,
    pub int: i64,
    pub float: f64,
}
