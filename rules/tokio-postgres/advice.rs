// Advice for tokio-postgres, spliced as `mod __otel_advice_tokio_postgres` at its crate root.
//
// One CLIENT span per logical operation, opened at the `Client` method the application
// called (pack.toml says why) and carried by the future that method returns (`Traced`):
// while it is polled its span is current and `ACTIVE` is set, so the instrumented methods it
// calls (`query_one` → `query_opt` → `query_raw`, the implicit `prepare` of `query(&str)`)
// add nothing. `ACTIVE` is per poll, not per thread: futures polled concurrently on one
// thread (`tokio::join!`) each open their own span.
// The SQL is handed to the runtime as sent; it derives the summary, operation and collection
// and replaces literals in `db.query.text`. Parameter values are never read.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};

use crate::client::InnerClient;

thread_local! {
    /// A traced operation's future is being polled on this thread: inner join points add nothing.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// Set while the advice converts a statement argument: `converted` records its SQL then.
    static WANT: Cell<bool> = const { Cell::new(false) };
    static CONVERTED: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// What a connection's `Config` says about where it goes.
#[derive(Default)]
pub struct ConnInfo {
    namespace: String,
    address: String,
    port: u16,
}

/// SQL of prepared statements by name (names are unique in the process: `s{counter}`).
fn texts() -> &'static Mutex<HashMap<String, Arc<str>>> {
    static TEXTS: OnceLock<Mutex<HashMap<String, Arc<str>>>> = OnceLock::new();
    TEXTS.get_or_init(Default::default)
}

/// Connection facts by client (the `InnerClient` allocation, kept alive by the `Weak` so
/// its address is not reused while the entry exists).
type Clients = HashMap<usize, (Weak<InnerClient>, Arc<ConnInfo>)>;

fn clients() -> &'static Mutex<Clients> {
    static CLIENTS: OnceLock<Mutex<Clients>> = OnceLock::new();
    CLIENTS.get_or_init(Default::default)
}

fn active() -> bool {
    ACTIVE.try_with(Cell::get).unwrap_or(true)
}

fn wanted() -> bool {
    !active() && __otel::enabled("tokio-postgres") && !__otel::Context::current().is_empty()
}

fn conn_info(client: &InnerClient) -> Option<Arc<ConnInfo>> {
    let key = client as *const InnerClient as usize;
    let clients = clients().lock().ok()?;
    clients.get(&key).map(|(_, info)| info.clone())
}

/// Start the span of one operation on `client`.
fn start(client: &InnerClient, sql: &str, operation: &str, summary: &str) -> Option<__otel::Span> {
    let info = conn_info(client).unwrap_or_default();
    let fields = __otel::Db {
        system: "postgresql".into(),
        namespace: info.namespace.as_str().into(),
        query_text: sql.into(),
        operation: operation.into(),
        summary: summary.into(),
        server_address: info.address.as_str().into(),
        server_port: u32::from(info.port),
        ..Default::default()
    };
    let span = fields.start();
    if span.is_none() {
        None
    } else {
        Some(span)
    }
}

/// The SQL of a `&str`, `String` or `Statement` argument (every `ToStatement` type).
pub trait StatementText {
    fn otel_text(&self) -> Option<Arc<str>>;
}

impl StatementText for str {
    fn otel_text(&self) -> Option<Arc<str>> {
        Some(Arc::from(self))
    }
}

impl StatementText for String {
    fn otel_text(&self) -> Option<Arc<str>> {
        Some(Arc::from(self.as_str()))
    }
}

impl StatementText for crate::Statement {
    fn otel_text(&self) -> Option<Arc<str>> {
        texts().lock().ok()?.get(self.name()).cloned()
    }
}

/// OnEnter of `ToStatement::__convert` (each impl): hand the SQL to `enter_statement`.
pub fn converted<S: ?Sized + StatementText>(statement: &S) {
    if WANT.try_with(Cell::get).unwrap_or(false) {
        let text = statement.otel_text();
        let _ = CONVERTED.try_with(|c| *c.borrow_mut() = text);
    }
}

/// OnEnter of the `Client` methods taking a `ToStatement`.
pub fn enter_statement<T: ?Sized + crate::ToStatement>(
    client: &crate::Client,
    statement: &T,
) -> Option<__otel::Span> {
    if !wanted() {
        return None;
    }
    let _ = WANT.try_with(|w| w.set(true));
    let _ = statement.__convert();
    let _ = WANT.try_with(|w| w.set(false));
    let text = CONVERTED.try_with(|c| c.borrow_mut().take()).ok().flatten();
    start(client.inner(), text.as_deref().unwrap_or(""), "", "")
}

/// OnEnter of `simple_query` and `batch_execute`.
pub fn enter_sql(client: &crate::Client, sql: &str) -> Option<__otel::Span> {
    if !wanted() {
        return None;
    }
    start(client.inner(), sql, "", "")
}

/// OnEnter of an explicit `prepare`/`prepare_typed`: a `PREPARE` span with the statement's text.
pub fn enter_prepare(client: &crate::Client, sql: &str) -> Option<__otel::Span> {
    if !wanted() {
        return None;
    }
    start(client.inner(), sql, "PREPARE", "PREPARE")
}

/// OnEnter of `query::query_typed`/`execute_typed` (`Client::query_typed*`, `execute_typed`).
pub fn enter_inner(client: &Arc<InnerClient>, sql: &str) -> Option<__otel::Span> {
    if !wanted() {
        return None;
    }
    start(client, sql, "", "")
}

/// The future of a traced operation: its span is current and `ACTIVE` set during each poll;
/// the outcome ends the span.
pub struct Traced<F> {
    inner: F,
    span: Option<__otel::Span>,
}

/// `wrap_return` of every operation.
pub fn traced<F, T>(span: Option<__otel::Span>, inner: F) -> Traced<F>
where
    F: Future<Output = Result<T, crate::Error>>,
{
    Traced { inner, span }
}

/// Restores `ACTIVE` when a poll returns or unwinds.
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0;
        let _ = ACTIVE.try_with(|a| a.set(previous));
    }
}

impl<F, T> Future for Traced<F>
where
    F: Future<Output = Result<T, crate::Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Safety: only `inner` is structurally pinned; the span is a plain handle.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        let Some(span) = &this.span else { return inner.poll(cx) };
        let polled = {
            let _entered = span.enter();
            let _restore = Restore(ACTIVE.try_with(|a| a.replace(true)).unwrap_or(false));
            inner.poll(cx)
        };
        if let Poll::Ready(result) = &polled {
            if let Some(span) = this.span.take() {
                finish(span, result);
            }
        }
        polled
    }
}

fn finish<T>(span: __otel::Span, result: &Result<T, crate::Error>) {
    let Err(e) = result else {
        span.db_end("", "", "");
        return;
    };
    if let Some(code) = e.code() {
        // The server's message only: its DETAIL can hold the values of the row.
        let message = std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<crate::error::DbError>())
            .map(|db| db.message().to_string())
            .unwrap_or_default();
        span.db_end(code.code(), code.code(), &message);
        return;
    }
    let class = error_class(e);
    if class == "row_count" {
        // `query_one` found no row (or several): the query itself ran.
        span.db_end("", "", "");
        return;
    }
    // Display without the cause (`error serializing parameter 0: …` → the part before `: `).
    let display = e.to_string();
    let description = display.split(": ").next().unwrap_or("");
    span.db_end("", &class, description);
}

/// `Kind` of a client-side error in snake case (`Closed` → `closed`, `ToSql(0)` → `to_sql`),
/// read from `Debug` (`Error { kind: Closed, cause: None }`): the kind is private.
fn error_class(e: &crate::Error) -> String {
    let debug = format!("{e:?}");
    let kind = debug
        .split("kind: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .unwrap_or("");
    let mut class = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            class.push('_');
        }
        class.push(c.to_ascii_lowercase());
    }
    if class.is_empty() {
        "tokio_postgres::Error".to_string()
    } else {
        class
    }
}

/// OnEnter of `prepare::prepare`: keep the SQL for the statement it makes.
pub fn prepare_text(sql: &str) -> Option<Arc<str>> {
    if __otel::enabled("tokio-postgres") {
        Some(Arc::from(sql))
    } else {
        None
    }
}

/// OnExit of `prepare::prepare`: remember the statement's SQL by its name.
pub fn prepared(sql: Option<Arc<str>>, result: &Result<crate::Statement, crate::Error>) {
    if let (Some(sql), Ok(statement)) = (sql, result) {
        if statement.name().is_empty() {
            return;
        }
        if let Ok(mut texts) = texts().lock() {
            texts.insert(statement.name().to_string(), sql);
        }
    }
}

/// OnEnter of `StatementInner::drop`: forget its SQL.
pub fn statement_dropped(name: &str) {
    if name.is_empty() {
        return;
    }
    if let Ok(mut texts) = texts().lock() {
        texts.remove(name);
    }
}

/// OnEnter of `connect_raw`: what the `Config` says (database, and the host when it is the only one).
pub fn connect_enter(config: &crate::Config) -> ConnInfo {
    let namespace = config.get_dbname().or_else(|| config.get_user()).unwrap_or("").to_string();
    let mut info = ConnInfo { namespace, ..Default::default() };
    if let [crate::config::Host::Tcp(host)] = config.get_hosts() {
        info.address = host.clone();
        info.port = config.get_ports().first().copied().unwrap_or(5432);
    }
    info
}

/// OnExit of `connect_raw`: map the new client to its connection facts.
pub fn connected<C>(info: ConnInfo, result: &Result<(crate::Client, C), crate::Error>) {
    let Ok((client, _)) = result else { return };
    let inner = client.inner();
    let key = Arc::as_ptr(inner) as usize;
    if let Ok(mut clients) = clients().lock() {
        clients.retain(|_, (weak, _)| weak.strong_count() > 0);
        clients.insert(key, (Arc::downgrade(inner), Arc::new(info)));
    }
}
