// Glue for connection pools whose `get()` runs before the query's span exists (deadpool,
// r2d2), shared by their packs: the time spent getting a connection, as a
// `db.client.connection.acquired` event with `db.client.connection.wait_time` (seconds) on the
// span current at the call (the request's, or the fn's that asked for the connection). Pools
// that acquire inside a query (sqlx's) put the event on the query's span themselves.

/// The start of a `get()` inside a trace, when `pack` is switched on.
fn wait_start(pack: &str) -> Option<::std::time::Instant> {
    if __otel::enabled(pack) && !__otel::Context::current().is_empty() {
        Some(::std::time::Instant::now())
    } else {
        None
    }
}

/// A successful `get()`: the event (a failed one adds none; the caller's error says why).
fn wait_end(started: Option<::std::time::Instant>, acquired: bool) {
    if let (Some(started), true) = (started, acquired) {
        __otel::Span::event_on_current(
            "db.client.connection.acquired",
            &[("db.client.connection.wait_time", __otel::Value::F64(started.elapsed().as_secs_f64()))],
        );
    }
}
