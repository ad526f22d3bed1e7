//! The span of the one-call rows, shared by `benches/span.rs` (criterion) and
//! `examples/span_cost.rs` (callgrind) so both measure the same thing: the form woven code
//! uses (span rules, the semconv starts), `'static` name and keys, one dynamic value.

use otel_runtime::__prelude as otel;
use std::hint::black_box;

pub fn one_call_span() -> otel::Span {
    otel::Span::start_attrs(
        black_box("GET /users/{id}"),
        otel::SERVER,
        &[
            otel::Attr::lit("http.request.method", "GET"),
            otel::Attr::str("url.path", black_box("/users/42")),
            otel::Attr::i64("http.response.status_code", 200),
            otel::Attr::bool("cached", false),
        ],
    )
}
