// Advice for deadpool, spliced as `mod __otel_advice_deadpool` at deadpool's crate root.
//
// `Pool::timeout_get` (which `Pool::get` calls): when it returns a connection, an event on
// the current span with the time it took. The pool's `get()` is a separate call before the
// query, so there is no query span yet to put it on.

/// OnEnter: the start of the wait, inside a trace only.
pub fn get_enter() -> Option<std::time::Instant> {
    if __otel::enabled("deadpool") && !__otel::Context::current().is_empty() {
        Some(std::time::Instant::now())
    } else {
        None
    }
}

/// OnExit: `db.client.connection.acquired` with `db.client.connection.wait_time` (seconds).
pub fn get_exit<T, E>(started: Option<std::time::Instant>, result: &Result<T, E>) {
    if let (Some(started), Ok(_)) = (started, result) {
        let waited = started.elapsed().as_secs_f64();
        __otel::Span::event_on_current(
            "db.client.connection.acquired",
            &[("db.client.connection.wait_time", __otel::Value::F64(waited))],
        );
    }
}
