// Advice for rusqlite, spliced as `mod __otel_advice_rusqlite` at rusqlite's crate root.
//
// One CLIENT span per query, named `{db.operation.name} {db.collection.name}`:
// - calls that run a whole query (`Connection::execute`, `query_row`, …, `Statement::execute`,
//   `query_row`, …) get a span around the call; a thread-local flag makes the outermost one
//   the only one (`Connection::execute` → `prepare` + `Statement::execute` is one span);
// - `Statement::query` (and `query_map`/`query_and_then`, which go through it) returns a lazy
//   `Rows`: its span starts at the call and ends when the rows are reset — iteration finished,
//   a step failed, or the `Rows` was dropped — so it covers the stepping where SQLite works.
// The SQL is handed to the runtime as written; it derives the summary, operation and
// collection and replaces literals (rusqlite binds parameters separately, but an application
// may still inline values) in `db.query.text`.

use std::cell::{Cell, RefCell};

thread_local! {
    /// A query span is open on this thread: inner join points add nothing.
    static ACTIVE: Cell<bool> = Cell::new(false);
    /// Spans of `Statement::query` calls whose `Rows` are still alive, by statement address.
    static ROWS: RefCell<Vec<(usize, DbCall)>> = RefCell::new(Vec::new());
}

/// One query being traced: a runtime database call (it keeps what the end and the metric need).
pub type DbCall = __otel::Span;

/// Clears `ACTIVE` when the outermost call returns or unwinds.
pub struct Outer(Option<DbCall>);

impl Drop for Outer {
    fn drop(&mut self) {
        if self.0.is_some() {
            let _ = ACTIVE.try_with(|a| a.set(false));
        }
    }
}

fn active() -> bool {
    ACTIVE.try_with(|a| a.get()).unwrap_or(true)
}

/// `db.namespace`: the database file's name (`Connection::path` is `&str` in some versions,
/// `&Path` in others), borrowed; empty for in-memory and temporary databases.
fn file_name<P: AsRef<std::path::Path>>(path: &Option<P>) -> &str {
    path.as_ref().and_then(|p| p.as_ref().file_name()).and_then(|n| n.to_str()).unwrap_or("")
}

/// Start the query's span: the runtime derives operation, collection and summary from the
/// SQL, names the span and replaces literals in `db.query.text`.
fn start<P: AsRef<std::path::Path>>(sql: &str, path: Option<P>) -> Option<DbCall> {
    if !__otel::enabled("rusqlite") || __otel::Context::current().is_empty() {
        return None;
    }
    let fields = __otel::Db {
        system: "sqlite".into(),
        namespace: file_name(&path).into(),
        query_text: sql.into(),
        ..Default::default()
    };
    Some(fields.start())
}

/// `error.type` and `db.response.status_code` of a rusqlite error; `None` for outcomes that
/// are not failures of the query (`QueryReturnedNoRows`: the row was simply absent).
fn classify(e: &crate::Error) -> Option<(String, Option<String>)> {
    match e {
        crate::Error::QueryReturnedNoRows => None,
        crate::Error::SqliteFailure(failure, _) => {
            Some((format!("{:?}", failure.code), Some(failure.extended_code.to_string())))
        }
        other => {
            let debug = format!("{other:?}");
            let variant = debug.split(|c: char| c == '(' || c == ' ' || c == '{').next().unwrap_or("").to_string();
            Some((if variant.is_empty() { "rusqlite::Error".to_string() } else { variant }, None))
        }
    }
}

fn finish(call: DbCall, failure: Option<(String, Option<String>)>, description: &str) {
    match &failure {
        Some((error_type, code)) => call.db_end(code.as_deref().unwrap_or(""), error_type, description),
        None => call.db_end("", "", ""),
    }
}

fn outer<P: AsRef<std::path::Path>>(sql: &str, path: Option<P>) -> Outer {
    if active() {
        return Outer(None);
    }
    let call = start(sql, path);
    if call.is_some() {
        let _ = ACTIVE.try_with(|a| a.set(true));
    }
    Outer(call)
}

/// OnEnter of the `Connection` methods that run a whole query.
pub fn conn_enter(conn: &crate::Connection, sql: &str) -> Outer {
    outer(sql, conn.path())
}

fn statement_sql<'a>(stmt: &'a crate::Statement<'_>) -> &'a str {
    stmt.stmt.sql().and_then(|s| s.to_str().ok()).unwrap_or("")
}

/// The statement's database file, asked of SQLite (`Statement::conn` is private in 0.32).
fn statement_path<'a>(stmt: &'a crate::Statement<'_>) -> Option<&'a str> {
    #[allow(unused_unsafe)]
    let filename = unsafe {
        let db = crate::ffi::sqlite3_db_handle(stmt.stmt.ptr());
        if db.is_null() {
            return None;
        }
        crate::ffi::sqlite3_db_filename(db, b"main\0".as_ptr() as *const _)
    };
    if filename.is_null() {
        return None;
    }
    unsafe { std::ffi::CStr::from_ptr(filename) }.to_str().ok()
}

/// OnEnter of the `Statement` methods that run a whole query.
pub fn stmt_enter(stmt: &crate::Statement<'_>) -> Outer {
    if active() {
        return Outer(None);
    }
    outer(statement_sql(stmt), statement_path(stmt))
}

/// OnExit of every whole-query join point returning `rusqlite::Result`.
pub fn exit<T>(mut outer: Outer, result: &crate::Result<T>) {
    if let Some(call) = outer.0.take() {
        let _ = ACTIVE.try_with(|a| a.set(false));
        match result {
            Ok(_) => finish(call, None, ""),
            Err(e) => finish(call, classify(e), &e.to_string()),
        }
    }
}

/// OnExit of `query_row_and_then`, whose error type is the caller's.
pub fn exit_any<T, E>(mut outer: Outer, result: &Result<T, E>) {
    if let Some(call) = outer.0.take() {
        let _ = ACTIVE.try_with(|a| a.set(false));
        match result {
            Ok(_) => finish(call, None, ""),
            Err(_) => {
                let name = std::any::type_name::<E>();
                let short = name.rsplit("::").next().unwrap_or(name).to_string();
                finish(call, Some((short, None)), "")
            }
        }
    }
}

/// OnEnter of `Statement::query`: start the span of the rows it returns (unless a
/// whole-query call around it already has one).
pub fn query_enter(stmt: &crate::Statement<'_>) -> Option<(usize, DbCall)> {
    if active() {
        return None;
    }
    let key = stmt as *const crate::Statement<'_> as usize;
    start(statement_sql(stmt), statement_path(stmt)).map(|call| (key, call))
}

/// OnExit of `Statement::query`: park the span until the rows are reset, or fail it now.
pub fn query_exit<R>(pending: Option<(usize, DbCall)>, result: &crate::Result<R>) {
    let Some((key, call)) = pending else { return };
    match result {
        Ok(_) => {
            let _ = ROWS.try_with(|rows| {
                let mut rows = rows.borrow_mut();
                if let Some(stale) = rows.iter().position(|(k, _)| *k == key) {
                    let (_, stale) = rows.swap_remove(stale);
                    finish(stale, None, "");
                }
                rows.push((key, call));
            });
        }
        Err(e) => finish(call, classify(e), &e.to_string()),
    }
}

/// OnEnter of `Rows::reset` (end of iteration, a failed step, or drop): take the span.
pub fn rows_reset(rows: &crate::Rows<'_>) -> Option<DbCall> {
    let stmt = rows.stmt?;
    let key = stmt as *const crate::Statement<'_> as usize;
    ROWS.try_with(|rows| {
        let mut rows = rows.borrow_mut();
        let at = rows.iter().position(|(k, _)| *k == key)?;
        Some(rows.swap_remove(at).1)
    })
    .ok()
    .flatten()
}

/// OnExit of `Rows::reset`: SQLite's reset reports the error of the failed step, if any.
pub fn rows_reset_exit(call: Option<DbCall>, result: &crate::Result<()>) {
    if let Some(call) = call {
        match result {
            Ok(()) => finish(call, None, ""),
            Err(e) => finish(call, classify(e), &e.to_string()),
        }
    }
}
