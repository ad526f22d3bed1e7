// Advice for r2d2, spliced as `mod __otel_advice_r2d2` at r2d2's crate root after
// `rules/db/pool_wait.rs`.

/// OnEnter of `Pool::get_timeout`: the start of the wait, inside a trace only.
pub fn get_enter() -> Option<std::time::Instant> {
    wait_start("r2d2")
}

/// OnExit: `db.client.connection.acquired` with `db.client.connection.wait_time` (seconds).
pub fn get_exit<T, E>(started: Option<std::time::Instant>, result: &Result<T, E>) {
    wait_end(started, result.is_ok());
}
