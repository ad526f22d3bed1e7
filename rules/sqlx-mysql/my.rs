// Advice for sqlx-mysql shared by its two packs; spliced after `../sqlx/query.rs`, and before
// `layout.rs`, which says where (if anywhere) a connection's facts are kept in that layout.

pub type SqlxError = ::sqlx_core::error::Error;

/// Backends keep no per-poll state.
pub struct NoMark;

impl Drop for NoMark {
    fn drop(&mut self) {}
}

pub fn polling(_span: &__otel::Span) -> NoMark {
    NoMark
}

/// `mariadb` or `mysql` from the handshake's version: MariaDB 10 and 11 announce themselves
/// as `5.5.5-10.11.19-MariaDB…`, which sqlx reads as (5, 5, 0) (the third part, `5-10`, is
/// no number); MariaDB 12 may drop the prefix. MySQL had no 5.5.0 release in use, nor a 10-12.
fn system_of(version: (u16, u16, u16)) -> &'static str {
    match version {
        (5, 5, 0) | (5, 5, 5) | (10..=12, _, _) => "mariadb",
        _ => "mysql",
    }
}

/// OnEnter of `<MySqlConnectOptions as ConnectOptions>::connect`: the facts to keep.
pub fn connect_enter(options: &crate::MySqlConnectOptions) -> ConnFacts {
    let address = match &options.socket {
        Some(path) => path.display().to_string(),
        None => options.host.clone(),
    };
    ConnFacts {
        system: "mysql",
        namespace: options.database.clone().unwrap_or_default(),
        address,
        port: options.port,
    }
}

/// Wrap_return of `connect`: keep the facts for the new connection.
pub fn connected<'a>(
    facts: ConnFacts,
    connecting: ::futures_core::future::BoxFuture<'a, Result<crate::MySqlConnection, SqlxError>>,
) -> ::futures_core::future::BoxFuture<'a, Result<crate::MySqlConnection, SqlxError>> {
    ::std::boxed::Box::pin(async move {
        let result = Quiet(connecting).await;
        if let Ok(conn) = &result {
            keep(conn, facts);
        }
        result
    })
}

/// OnEnter of the connection's `Executor::fetch_many` / `fetch_optional`.
pub fn query_enter<'q, E: ::sqlx_core::executor::Execute<'q, crate::MySql>>(
    conn: &crate::MySqlConnection,
    query: &E,
) -> Call {
    call(query.sql(), &facts(conn))
}

/// OnEnter of `MySqlTransactionManager::begin`: `BEGIN`, or `SAVEPOINT …` when nested.
pub fn begin_enter(conn: &crate::MySqlConnection) -> Call {
    call(&::sqlx_core::transaction::begin_ansi_transaction_sql(depth(conn)), &facts(conn))
}

pub fn commit_enter(conn: &crate::MySqlConnection) -> Call {
    match depth(conn) {
        0 => no_call(),
        d => call(&::sqlx_core::transaction::commit_ansi_transaction_sql(d), &facts(conn)),
    }
}

pub fn rollback_enter(conn: &crate::MySqlConnection) -> Call {
    match depth(conn) {
        0 => no_call(),
        d => call(&::sqlx_core::transaction::rollback_ansi_transaction_sql(d), &facts(conn)),
    }
}
