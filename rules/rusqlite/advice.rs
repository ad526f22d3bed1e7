// Advice for rusqlite, spliced as `mod __otel_advice_rusqlite` at rusqlite's crate root.
//
// One CLIENT span per query, named `{db.operation.name} {db.collection.name}`:
// - calls that run a whole query (`Connection::execute`, `query_row`, …, `Statement::execute`,
//   `query_row`, …) get a span around the call; a thread-local flag makes the outermost one
//   the only one (`Connection::execute` → `prepare` + `Statement::execute` is one span);
// - `Statement::query` (and `query_map`/`query_and_then`, which go through it) returns a lazy
//   `Rows`: its span starts at the call and ends when the rows are reset — iteration finished,
//   a step failed, or the `Rows` was dropped — so it covers the stepping where SQLite works.
// The SQL is recorded as written (`db.query.text`): rusqlite binds parameters separately,
// so values never appear in it.

use std::cell::{Cell, RefCell};
use std::time::Instant;

thread_local! {
    /// A query span is open on this thread: inner join points add nothing.
    static ACTIVE: Cell<bool> = Cell::new(false);
    /// Spans of `Statement::query` calls whose `Rows` are still alive, by statement address.
    static ROWS: RefCell<Vec<(usize, DbCall)>> = RefCell::new(Vec::new());
}

/// One query being traced.
pub struct DbCall {
    span: __otel::Span,
    operation: Option<&'static str>,
    collection: Option<String>,
    namespace: Option<String>,
    started: Instant,
}

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

const OPERATIONS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "WITH", "VALUES", "CREATE", "DROP", "ALTER",
    "PRAGMA", "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "ATTACH", "DETACH", "VACUUM",
    "ANALYZE", "REINDEX", "EXPLAIN",
];

/// Words of `sql` (identifiers, keywords, quoted names unquoted), skipping comments.
fn words(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .flat_map(|line| line.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';'))
        .filter(|w| !w.is_empty())
}

fn unquote(name: &str) -> &str {
    name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
}

/// `db.operation.name` (the first keyword, from a fixed list: bounded cardinality) and
/// `db.collection.name` (the first name after FROM, INTO, UPDATE or TABLE), cheaply: no parser.
pub fn parse(sql: &str) -> (Option<&'static str>, Option<String>) {
    const BEFORE_NAME: &[&str] = &["FROM", "INTO", "UPDATE", "TABLE"];
    const SKIPPED: &[&str] = &["IF", "NOT", "EXISTS", "OR", "ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE", "ONLY"];
    let is = |word: &str, list: &[&str]| list.iter().any(|k| word.eq_ignore_ascii_case(k));
    let mut words = words(sql);
    let Some(first) = words.next() else { return (None, None) };
    let operation = OPERATIONS.iter().copied().find(|op| first.eq_ignore_ascii_case(op));
    let mut collection = None;
    let mut pending = is(first, BEFORE_NAME);
    for word in words {
        if pending {
            if is(word, SKIPPED) {
                continue;
            }
            if !word.starts_with('?') && !is(word, OPERATIONS) {
                collection = Some(unquote(word).to_string());
            }
            break;
        }
        pending = is(word, BEFORE_NAME);
    }
    (operation, collection)
}

/// `db.namespace`: the database file's name (`Connection::path` is `&str` in some versions,
/// `&Path` in others); none for in-memory and temporary databases.
fn file_name<P: AsRef<std::path::Path>>(path: Option<P>) -> Option<String> {
    let path = path?;
    path.as_ref().file_name().and_then(|n| n.to_str()).filter(|n| !n.is_empty()).map(str::to_string)
}

fn start<P: AsRef<std::path::Path>>(sql: &str, path: Option<P>) -> Option<DbCall> {
    if !__otel::enabled("rusqlite") || __otel::Context::current().is_empty() {
        return None;
    }
    let (operation, collection) = parse(sql);
    let name = match (operation, &collection) {
        (Some(op), Some(coll)) => format!("{op} {coll}"),
        (Some(op), None) => op.to_string(),
        (None, _) => "sqlite".to_string(),
    };
    let span = __otel::Span::start(&name, __otel::CLIENT);
    let namespace = file_name(path);
    if span.is_recording() {
        span.str("db.system.name", "sqlite");
        if let Some(ns) = &namespace {
            span.str("db.namespace", ns);
        }
        span.str("db.query.text", sql);
        if let Some(op) = operation {
            span.str("db.operation.name", op);
        }
        if let Some(coll) = &collection {
            span.str("db.collection.name", coll);
        }
    }
    Some(DbCall { span: span, operation: operation, collection: collection, namespace: namespace, started: Instant::now() })
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
    let mut attributes: Vec<(&str, __otel::Value)> = vec![("db.system.name", __otel::Value::Str("sqlite"))];
    if let Some(op) = call.operation {
        attributes.push(("db.operation.name", __otel::Value::Str(op)));
    }
    if let Some(coll) = &call.collection {
        attributes.push(("db.collection.name", __otel::Value::Str(coll)));
    }
    if let Some(ns) = &call.namespace {
        attributes.push(("db.namespace", __otel::Value::Str(ns)));
    }
    if let Some((error_type, code)) = &failure {
        if let Some(code) = code {
            call.span.str("db.response.status_code", code);
            attributes.push(("db.response.status_code", __otel::Value::Str(code)));
        }
        call.span.error(error_type, description);
        attributes.push(("error.type", __otel::Value::Str(error_type)));
    }
    __otel::record(__otel::DB_CLIENT_DURATION, call.started.elapsed().as_secs_f64(), &attributes);
    drop(call);
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
