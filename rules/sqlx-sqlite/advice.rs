// Advice for sqlx-sqlite 0.7 and 0.8; spliced after `../sqlx/query.rs`. Queries run on the
// connection's worker thread; the spans are the caller's, around sending the command and
// reading its rows. A connection's facts are kept by its worker's shared state (an `Arc`).

pub type SqlxError = ::sqlx_core::error::Error;

/// Backends keep no per-poll state.
pub struct NoMark;

impl Drop for NoMark {
    fn drop(&mut self) {}
}

pub fn polling(_span: &__otel::Span) -> NoMark {
    NoMark
}

fn key(conn: &crate::SqliteConnection) -> usize {
    ::std::sync::Arc::as_ptr(&conn.worker.shared) as usize
}

fn facts(conn: &crate::SqliteConnection) -> ConnFacts {
    recall(key(conn), "sqlite")
}

/// OnEnter of `<SqliteConnectOptions as ConnectOptions>::connect`: `db.namespace` is the
/// database file's name (none in memory), as in the rusqlite pack.
pub fn connect_enter(options: &crate::SqliteConnectOptions) -> ConnFacts {
    let namespace = if options.in_memory {
        None
    } else {
        options.filename.file_name().and_then(|n| n.to_str()).map(str::to_string)
    };
    ConnFacts { system: "sqlite", namespace: namespace.unwrap_or_default(), ..Default::default() }
}

pub fn connected<'a>(
    facts: ConnFacts,
    connecting: ::futures_core::future::BoxFuture<'a, Result<crate::SqliteConnection, SqlxError>>,
) -> ::futures_core::future::BoxFuture<'a, Result<crate::SqliteConnection, SqlxError>> {
    ::std::boxed::Box::pin(async move {
        let result = Quiet(connecting).await;
        if let Ok(conn) = &result {
            remember(key(conn), facts);
        }
        result
    })
}

pub fn query_enter<'q, E: ::sqlx_core::executor::Execute<'q, crate::Sqlite>>(
    conn: &crate::SqliteConnection,
    query: &E,
) -> Call {
    call(query.sql(), &facts(conn))
}

/// The worker keeps the transaction depth on its own thread: the statements are named at
/// depth 0 (`BEGIN`, `COMMIT`, `ROLLBACK`), savepoints included.
pub fn begin_enter(conn: &crate::SqliteConnection) -> Call {
    call("BEGIN", &facts(conn))
}

pub fn commit_enter(conn: &crate::SqliteConnection) -> Call {
    call("COMMIT", &facts(conn))
}

pub fn rollback_enter(conn: &crate::SqliteConnection) -> Call {
    call("ROLLBACK", &facts(conn))
}
