// Advice for deadpool, spliced as `mod __otel_advice_deadpool` at deadpool's crate root after
// `rules/db/pool_wait.rs`.
//
// `Pool::timeout_get` (which `Pool::get` calls): when it returns a connection, an event on
// the current span with the time it took. The pool's `get()` is a separate call before the
// query, so there is no query span yet to put it on.

/// OnEnter: the start of the wait, inside a trace only.
pub fn get_enter() -> Option<std::time::Instant> {
    wait_start("deadpool")
}

/// OnExit: `db.client.connection.acquired` with `db.client.connection.wait_time` (seconds).
pub fn get_exit<T, E>(started: Option<std::time::Instant>, result: &Result<T, E>) {
    wait_end(started, result.is_ok());
}
