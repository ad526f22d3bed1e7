// Advice for sqlx-core, spliced as `mod __otel_advice_sqlx` at its crate root after the
// shared `query.rs`: queries run on `&Pool` (the span starts before the pool's acquire, so
// it covers the wait, and the acquire is a `db.client.connection.acquired` event on it) and
// the acquire's wait time. The connection's own funnel, in the backend crate, runs inside
// this span: the runtime makes it add no span of its own and lets it refine this one with the
// connection's facts (namespace, server address and port, `mariadb`).

pub type SqlxError = crate::error::Error;

::std::thread_local! {
    /// The pool query whose future or stream is being polled on this thread.
    static POOL_QUERY: ::std::cell::Cell<*const __otel::Span> = ::std::cell::Cell::new(::std::ptr::null());
}

/// Restores the previous pool query when a poll ends.
pub struct Polling(*const __otel::Span);

impl Drop for Polling {
    fn drop(&mut self) {
        let _ = POOL_QUERY.try_with(|q| q.set(self.0));
    }
}

pub fn polling(span: &__otel::Span) -> Polling {
    Polling(POOL_QUERY.try_with(|q| q.replace(span as *const __otel::Span)).unwrap_or(::std::ptr::null()))
}

/// `db.system.name` from `Database::NAME`; the connection's funnel refines it (MariaDB).
fn system(name: &str) -> &'static str {
    match name {
        "PostgreSQL" => "postgresql",
        "MySQL" => "mysql",
        "SQLite" => "sqlite",
        _ => "",
    }
}

/// OnEnter of `<&Pool as Executor>::fetch_many` and `fetch_optional`.
pub fn pool_enter<'q, DB, E>(_pool: &crate::pool::Pool<DB>, query: &E) -> Call
where
    DB: crate::database::Database,
    E: crate::executor::Execute<'q, DB>,
{
    let facts = ConnFacts { system: system(<DB as crate::database::Database>::NAME), ..Default::default() };
    call(query.sql(), &facts)
}

/// The future of `Pool::acquire`: when it is ready inside a pool query, the wait is an event
/// on that query's span. An acquire outside a query (`Pool::acquire`, `Pool::begin` by the
/// application) has no query span to carry it and records nothing.
pub struct Acquire<F> {
    inner: F,
    started: ::std::time::Instant,
}

pub fn acquire<F: ::std::future::Future>(inner: F) -> Acquire<F> {
    Acquire { inner, started: ::std::time::Instant::now() }
}

impl<F: ::std::future::Future> ::std::future::Future for Acquire<F> {
    type Output = F::Output;
    fn poll(self: ::std::pin::Pin<&mut Self>, cx: &mut ::std::task::Context<'_>) -> ::std::task::Poll<F::Output> {
        // Safety: `inner` is structurally pinned and never moved; `started` is plain data.
        let this = unsafe { self.get_unchecked_mut() };
        let polled = unsafe { ::std::pin::Pin::new_unchecked(&mut this.inner) }.poll(cx);
        if polled.is_ready() {
            let waited = this.started.elapsed().as_secs_f64();
            let query = POOL_QUERY.try_with(|q| q.get()).unwrap_or(::std::ptr::null());
            // Safety: set only for the duration of the query span's own poll, which this is in.
            if let Some(span) = unsafe { query.as_ref() } {
                span.event_with(
                    "db.client.connection.acquired",
                    &[("db.client.connection.wait_time", __otel::Value::F64(waited))],
                );
            }
        }
        polled
    }
}
