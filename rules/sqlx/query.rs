// Shared by the sqlx packs (sqlx-core's and each backend's): one query's CLIENT span, the
// stream and future wrappers that keep it open until the rows end, and the error mapping.
// Each pack's own advice file defines, before this one is read:
// - `SqlxError`: sqlx's error type as that crate names it;
// - `fn polling(span: &__otel::Span) -> impl Drop`: a marker held while the span's operation
//   is polled (sqlx-core's records which pool query an acquire belongs to; backends: `()`-like).
// Names std by full path (the file is spliced into several crates' advice modules).

/// The connection facts of a span (from the connect options, kept per connection).
#[derive(Clone, Default)]
pub struct ConnFacts {
    pub system: &'static str,
    pub namespace: ::std::string::String,
    pub address: ::std::string::String,
    pub port: u16,
}

::std::thread_local! {
    /// A query join point runs on this thread (synchronously, e.g. MySQL's `fetch_optional`
    /// calling its own `fetch_many`): inner ones add nothing.
    static ENTERED: ::std::cell::Cell<bool> = ::std::cell::Cell::new(false);
}

/// One query (or transaction statement) being traced: its span, and whether this join point
/// is the outermost on its thread (clears `ENTERED` when the call context is dropped).
pub struct Call {
    pub span: __otel::Span,
    outer: bool,
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.outer {
            let _ = ENTERED.try_with(|e| e.set(false));
        }
    }
}

/// A connect future: the statements a driver sends while connecting (MySQL's `SET`,
/// SQLite's `PRAGMA`s) belong to connecting, not to the application's queries: no spans.
pub struct Quiet<F>(pub F);

impl<F: ::std::future::Future + ::std::marker::Unpin> ::std::future::Future for Quiet<F> {
    type Output = F::Output;
    fn poll(self: ::std::pin::Pin<&mut Self>, cx: &mut ::std::task::Context<'_>) -> ::std::task::Poll<F::Output> {
        let before = ENTERED.try_with(|e| e.replace(true)).unwrap_or(true);
        let polled = ::std::pin::Pin::new(&mut self.get_mut().0).poll(cx);
        let _ = ENTERED.try_with(|e| e.set(before));
        polled
    }
}

/// No span (a `COMMIT` outside a transaction runs nothing).
pub fn no_call() -> Call {
    Call { span: __otel::Span::none(), outer: false }
}

/// Connection facts by a stable address of the connection's state (a `Box` or `Arc` it
/// owns), for backends whose connection has no room for them: recorded when the connect
/// future is ready, so an address reused by a later connection is overwritten first.
/// Bounded: past 256 live entries the oldest goes.
static BY_CONN: ::std::sync::Mutex<::std::vec::Vec<(usize, ConnFacts)>> =
    ::std::sync::Mutex::new(::std::vec::Vec::new());

pub fn remember(key: usize, facts: ConnFacts) {
    if let Ok(mut all) = BY_CONN.lock() {
        all.retain(|(k, _)| *k != key);
        if all.len() >= 256 {
            all.remove(0);
        }
        all.push((key, facts));
    }
}

pub fn recall(key: usize, system: &'static str) -> ConnFacts {
    let found = BY_CONN.lock().ok().and_then(|all| all.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone()));
    found.unwrap_or(ConnFacts { system, ..Default::default() })
}

/// Start the span of `sql` (as sent: the runtime derives summary, operation and collection
/// and replaces literals; parameters are bound apart and never read) inside a trace only.
pub fn call(sql: &str, facts: &ConnFacts) -> Call {
    let nested = ENTERED.try_with(|e| e.replace(true)).unwrap_or(true);
    if nested || !__otel::enabled("sqlx") || __otel::Context::current().is_empty() {
        return Call { span: __otel::Span::none(), outer: !nested };
    }
    let span = __otel::Db {
        system: facts.system.into(),
        namespace: facts.namespace.as_str().into(),
        query_text: sql.into(),
        server_address: facts.address.as_str().into(),
        server_port: u32::from(facts.port),
        ..Default::default()
    }
    .start();
    Call { span, outer: true }
}

/// `db.response.status_code` and `error.type` of a sqlx error: the database's code
/// (SQLSTATE for PostgreSQL and MySQL, SQLite's extended result code) for both when the
/// database returned one, else the variant's name (`PoolTimedOut`, `Io`, `Protocol`, …).
pub fn classify(e: &SqlxError) -> (::std::string::String, ::std::string::String) {
    if let SqlxError::Database(db) = e {
        if let Some(code) = db.code() {
            return (code.to_string(), code.to_string());
        }
    }
    let debug = ::std::format!("{e:?}");
    let variant: ::std::string::String =
        debug.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (::std::string::String::new(), if variant.is_empty() { "sqlx::Error".into() } else { variant })
}

pub fn finish<T>(span: &__otel::Span, result: &::std::result::Result<T, SqlxError>) {
    match result {
        Ok(_) => span.db_end("", "", ""),
        Err(e) => {
            let (code, error_type) = classify(e);
            span.db_end(&code, &error_type, &e.to_string());
        }
    }
}

/// A query's row stream: the span is current while it is polled and ends when the stream
/// ends (ok), yields an error (failed), or is dropped early (ok: the caller stopped reading).
pub struct Traced<S> {
    inner: S,
    span: __otel::Span,
}

impl<S> Drop for Traced<S> {
    fn drop(&mut self) {
        self.span.db_end("", "", "");
    }
}

impl<T, S> ::futures_core::Stream for Traced<S>
where
    S: ::futures_core::Stream<Item = ::std::result::Result<T, SqlxError>> + ::std::marker::Unpin,
{
    type Item = ::std::result::Result<T, SqlxError>;
    fn poll_next(
        self: ::std::pin::Pin<&mut Self>,
        cx: &mut ::std::task::Context<'_>,
    ) -> ::std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = {
            let _entered = this.span.enter();
            let _polling = polling(&this.span);
            ::std::pin::Pin::new(&mut this.inner).poll_next(cx)
        };
        match &polled {
            ::std::task::Poll::Ready(None) => this.span.db_end("", "", ""),
            ::std::task::Poll::Ready(Some(Err(e))) => {
                let (code, error_type) = classify(e);
                this.span.db_end(&code, &error_type, &e.to_string());
            }
            _ => {}
        }
        polled
    }
}

/// Wrap_return of the `BoxStream` join points.
pub fn stream<'e, T: 'e>(
    call: Call,
    inner: ::futures_core::stream::BoxStream<'e, ::std::result::Result<T, SqlxError>>,
) -> ::futures_core::stream::BoxStream<'e, ::std::result::Result<T, SqlxError>> {
    let mut call = call;
    if call.span.is_none() {
        return inner;
    }
    let span = ::std::mem::replace(&mut call.span, __otel::Span::none());
    ::std::boxed::Box::pin(Traced { inner, span })
}

/// A query's future (`fetch_optional`, `BEGIN`, `COMMIT`, …): the span is current while it
/// is polled and ends with its output.
pub struct TracedFuture<F> {
    inner: F,
    span: __otel::Span,
}

impl<T, F> ::std::future::Future for TracedFuture<F>
where
    F: ::std::future::Future<Output = ::std::result::Result<T, SqlxError>> + ::std::marker::Unpin,
{
    type Output = F::Output;
    fn poll(self: ::std::pin::Pin<&mut Self>, cx: &mut ::std::task::Context<'_>) -> ::std::task::Poll<F::Output> {
        let this = self.get_mut();
        let polled = {
            let _entered = this.span.enter();
            let _polling = polling(&this.span);
            ::std::pin::Pin::new(&mut this.inner).poll(cx)
        };
        if let ::std::task::Poll::Ready(output) = &polled {
            finish(&this.span, output);
        }
        polled
    }
}

/// Wrap_return of the `BoxFuture` join points.
pub fn future<'e, T: 'e>(
    call: Call,
    inner: ::futures_core::future::BoxFuture<'e, ::std::result::Result<T, SqlxError>>,
) -> ::futures_core::future::BoxFuture<'e, ::std::result::Result<T, SqlxError>> {
    let mut call = call;
    if call.span.is_none() {
        return inner;
    }
    let span = ::std::mem::replace(&mut call.span, __otel::Span::none());
    ::std::boxed::Box::pin(TracedFuture { inner, span })
}
