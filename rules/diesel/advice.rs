// Advice for diesel 2.x, spliced as `mod __otel_advice_diesel` at diesel's crate root.
//
// One CLIENT span per query (see pack.toml for the join points):
// - the connection funnels (`batch_execute`, `execute_returning_count`, `load`) start a
//   span, unless one of them is already running on this thread (`CALL`: the outermost wins);
// - `execute_returning_count` and `batch_execute` end it when they return;
// - `load` hands it to `OPEN`, keyed by what the returned cursor holds (PostgreSQL: the
//   PGresult; SQLite: the connection, which the cursor borrows mutably), and the cursor's
//   end (`RawResult::drop`, `BoundStatement::drop`) ends it. Cursors are `Send` (PostgreSQL),
//   so `OPEN` is global, behind a count that keeps the drop path to one atomic load.
// The SQL is built from the query with the backend's QueryBuilder: placeholders, never
// values; the runtime derives summary, operation and collection and replaces literals.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The funnel call running on this thread.
struct Call {
    span: __otel::Span,
    /// PostgreSQL: SQLSTATE of the last failed result.
    sqlstate: String,
    /// PostgreSQL: results made during the call and still alive (the cursor's is the last).
    results: Vec<usize>,
    /// SQLite: the connection handle.
    sqlite: usize,
}

thread_local! {
    static CALL: RefCell<Option<Call>> = const { RefCell::new(None) };
}

/// Spans of loads whose cursor is alive, by key (`PG`/`SQLITE` tag, pointer).
static OPEN: Mutex<Vec<((u8, usize), __otel::Span)>> = Mutex::new(Vec::new());
static OPEN_COUNT: AtomicUsize = AtomicUsize::new(0);
const PG: u8 = 0;
const SQLITE: u8 = 1;

/// The call context of a funnel: whether this call owns `CALL` (cleared on unwind too).
pub struct Outer(bool);

impl Drop for Outer {
    fn drop(&mut self) {
        if self.0 {
            let _ = CALL.try_with(|c| c.borrow_mut().take());
        }
    }
}

fn busy() -> bool {
    CALL.try_with(|c| c.try_borrow().map(|c| c.is_some()).unwrap_or(true)).unwrap_or(true)
}

fn begin(system: &str, namespace: &str, sql: impl FnOnce() -> String, sqlite: usize) -> Outer {
    if busy() || !__otel::enabled("diesel") || __otel::Context::current().is_empty() {
        return Outer(false);
    }
    let sql = sql();
    let span = __otel::Db {
        system: system.into(),
        namespace: namespace.into(),
        query_text: sql.as_str().into(),
        ..Default::default()
    }
    .start();
    let call = Call { span, sqlstate: String::new(), results: Vec::new(), sqlite };
    let stored = CALL.try_with(|c| c.try_borrow_mut().map(|mut c| *c = Some(call)).is_ok()).unwrap_or(false);
    Outer(stored)
}

/// OnEnter of `Connection::establish`: the session set-up statements it sends get no span.
pub fn quiet() -> Outer {
    if busy() {
        return Outer(false);
    }
    let call = Call { span: __otel::Span::none(), sqlstate: String::new(), results: Vec::new(), sqlite: 0 };
    let stored = CALL.try_with(|c| c.try_borrow_mut().map(|mut c| *c = Some(call)).is_ok()).unwrap_or(false);
    Outer(stored)
}

/// OnExit of `Connection::establish`.
pub fn quiet_exit<R>(outer: Outer, _result: &R) {
    drop(outer);
}

fn take(outer: &mut Outer) -> Option<Call> {
    if !outer.0 {
        return None;
    }
    outer.0 = false;
    CALL.try_with(|c| c.try_borrow_mut().ok().and_then(|mut c| c.take())).ok().flatten()
}

/// `error.type` (the `DatabaseErrorKind` name or the error's variant) of a diesel error.
fn error_type(e: &crate::result::Error) -> String {
    let name = match e {
        crate::result::Error::DatabaseError(kind, _) => format!("{kind:?}"),
        other => format!("{other:?}"),
    };
    let name = name.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string();
    if name.is_empty() {
        "diesel::result::Error".to_string()
    } else {
        name
    }
}

fn fail(call: Call, e: &crate::result::Error) {
    let code = if !call.sqlstate.is_empty() {
        call.sqlstate.clone()
    } else if call.sqlite != 0 && matches!(e, crate::result::Error::DatabaseError(..)) {
        sqlite_code(call.sqlite)
    } else {
        String::new()
    };
    call.span.db_end(&code, &error_type(e), &e.to_string());
}

/// OnExit of `batch_execute` and `execute_returning_count`.
pub fn exit<T>(mut outer: Outer, result: &Result<T, crate::result::Error>) {
    if let Some(call) = take(&mut outer) {
        match result {
            Ok(_) => call.span.db_end("", "", ""),
            Err(e) => fail(call, e),
        }
    }
}

/// OnExit of `load`: on success the span waits for the cursor's end.
pub fn load_exit<C>(mut outer: Outer, result: &Result<C, crate::result::Error>) {
    let Some(call) = take(&mut outer) else { return };
    match result {
        Err(e) => fail(call, e),
        Ok(_) => {
            let key = match (call.sqlite, call.results.last()) {
                (0, Some(&result)) => (PG, result),
                (0, None) => return call.span.db_end("", "", ""),
                (db, _) => (SQLITE, db),
            };
            park(key, call.span);
        }
    }
}

fn park(key: (u8, usize), span: __otel::Span) {
    let Ok(mut open) = OPEN.lock() else { return span.db_end("", "", "") };
    if let Some(at) = open.iter().position(|(k, _)| *k == key) {
        // A cursor that was leaked (never dropped) left its span: end it now.
        let (_, stale) = open.swap_remove(at);
        stale.db_end("", "", "");
    } else {
        OPEN_COUNT.fetch_add(1, Ordering::Relaxed);
    }
    open.push((key, span));
}

fn unpark(key: (u8, usize)) {
    if OPEN_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let span = {
        let Ok(mut open) = OPEN.lock() else { return };
        let Some(at) = open.iter().position(|(k, _)| *k == key) else { return };
        OPEN_COUNT.fetch_sub(1, Ordering::Relaxed);
        open.swap_remove(at).1
    };
    span.db_end("", "", "");
}

// PostgreSQL

#[cfg(feature = "postgres")]
fn pg_sql<T: crate::query_builder::QueryFragment<crate::pg::Pg> + ?Sized>(source: &T) -> String {
    use crate::query_builder::QueryBuilder;
    let mut builder = crate::pg::PgQueryBuilder::default();
    match source.to_sql(&mut builder, &crate::pg::Pg) {
        Ok(()) => builder.finish(),
        Err(_) => String::new(),
    }
}

/// OnEnter of `PgConnection::batch_execute`.
#[cfg(feature = "postgres")]
pub fn pg_simple(query: &str) -> Outer {
    begin("postgresql", "", || query.to_string(), 0)
}

/// OnEnter of `PgConnection::execute_returning_count`.
#[cfg(feature = "postgres")]
pub fn pg_query<T: crate::query_builder::QueryFragment<crate::pg::Pg> + ?Sized>(source: &T) -> Outer {
    begin("postgresql", "", || pg_sql(source), 0)
}

/// OnEnter of `PgConnection::load`.
#[cfg(feature = "postgres")]
pub fn pg_load<T: crate::query_builder::QueryFragment<crate::pg::Pg> + ?Sized>(source: &T) -> Outer {
    begin("postgresql", "", || pg_sql(source), 0)
}

/// OnEnter of `RawResult::new` (every libpq result, null when the connection failed): inside
/// a funnel, remember the result and, for a failed one, its SQLSTATE.
#[cfg(feature = "postgres")]
#[allow(unsafe_code)]
pub fn pg_result(ptr: usize) {
    if ptr == 0 {
        return;
    }
    let _ = CALL.try_with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else { return };
        let Some(call) = c.as_mut() else { return };
        call.results.push(ptr);
        let result = ptr as *mut ::pq_sys::PGresult;
        // SAFETY: `ptr` is the live, non-null PGresult `RawResult::new` is about to own;
        // libpq returns a NUL-terminated string owned by the result, or null.
        let code = unsafe { ::pq_sys::PQresultErrorField(result, 'C' as std::os::raw::c_int) };
        if !code.is_null() {
            let code = unsafe { std::ffi::CStr::from_ptr(code) };
            if let Ok(code) = code.to_str() {
                call.sqlstate = code.to_string();
            }
        }
    });
}

/// OnEnter of `RawResult::drop`: a result of the running funnel freed before it returns is
/// not a cursor's; any other one may be the end of a load's cursor.
#[cfg(feature = "postgres")]
pub fn pg_result_drop(ptr: usize) {
    let mine = CALL
        .try_with(|c| {
            let Ok(mut c) = c.try_borrow_mut() else { return false };
            let Some(call) = c.as_mut() else { return false };
            let before = call.results.len();
            call.results.retain(|r| *r != ptr);
            call.results.len() != before
        })
        .unwrap_or(false);
    if !mine {
        unpark((PG, ptr));
    }
}

// SQLite

#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
fn sqlite_sql<T: crate::query_builder::QueryFragment<crate::sqlite::Sqlite> + ?Sized>(source: &T) -> String {
    use crate::query_builder::QueryBuilder;
    let mut builder = crate::sqlite::SqliteQueryBuilder::default();
    match source.to_sql(&mut builder, &crate::sqlite::Sqlite) {
        Ok(()) => builder.finish(),
        Err(_) => String::new(),
    }
}

/// `db.namespace`: the main database file's name; none for in-memory and temporary ones.
#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
#[allow(unsafe_code)]
fn sqlite_namespace(db: usize) -> String {
    if db == 0 {
        return String::new();
    }
    // SAFETY: `db` is the connection's open handle; SQLite returns a NUL-terminated string
    // owned by the connection, or null.
    let name = unsafe { ::libsqlite3_sys::sqlite3_db_filename(db as *mut _, b"main\0".as_ptr() as *const _) };
    if name.is_null() {
        return String::new();
    }
    let name = unsafe { std::ffi::CStr::from_ptr(name) };
    let path = std::path::Path::new(name.to_str().unwrap_or(""));
    path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string()
}

/// `db.response.status_code` of a failed SQLite call: the extended result code.
#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
#[allow(unsafe_code)]
fn sqlite_code(db: usize) -> String {
    // SAFETY: `db` is the connection's open handle (the call that failed is still running).
    let code = unsafe { ::libsqlite3_sys::sqlite3_extended_errcode(db as *mut _) };
    if code == 0 {
        String::new()
    } else {
        code.to_string()
    }
}

#[cfg(not(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown")))))]
fn sqlite_code(_db: usize) -> String {
    String::new()
}

/// OnEnter of `SqliteConnection::batch_execute`.
#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
pub fn sqlite_simple(db: usize, query: &str) -> Outer {
    begin("sqlite", &sqlite_namespace(db), || query.to_string(), db)
}

/// OnEnter of `SqliteConnection::execute_returning_count`.
#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
pub fn sqlite_query<T: crate::query_builder::QueryFragment<crate::sqlite::Sqlite> + ?Sized>(
    db: usize,
    source: &T,
) -> Outer {
    begin("sqlite", &sqlite_namespace(db), || sqlite_sql(source), db)
}

/// OnEnter of `SqliteConnection::load`.
#[cfg(all(feature = "sqlite", not(all(target_family = "wasm", target_os = "unknown"))))]
pub fn sqlite_load<T: crate::query_builder::QueryFragment<crate::sqlite::Sqlite> + ?Sized>(
    db: usize,
    source: &T,
) -> Outer {
    begin("sqlite", &sqlite_namespace(db), || sqlite_sql(source), db)
}

/// OnEnter of `BoundStatement::drop` (the statement is reset): the end of a load's cursor.
/// The cursor borrows the connection mutably, so while a load's span is parked under the
/// connection, its statement is the only one in use on it.
#[cfg(feature = "sqlite")]
pub fn sqlite_reset(db: usize) {
    unpark((SQLITE, db));
}
