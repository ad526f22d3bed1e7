// Advice for sqlx-postgres shared by its two packs (the connection's layout changed in
// 0.8.3: `layout.rs` of each pack reaches the fields). Spliced after `../sqlx/query.rs`.
//
// Connection facts ride in the connection itself: when the connect future is ready, the
// connect options' host (or socket path), port and database are put among the connection's
// server parameter statuses under `otel.*` keys, which sqlx only reads by other names.

pub type SqlxError = ::sqlx_core::error::Error;

/// Backends keep no per-poll state.
pub struct NoMark;

impl Drop for NoMark {
    fn drop(&mut self) {}
}

pub fn polling(_span: &__otel::Span) -> NoMark {
    NoMark
}

const ADDRESS: &str = "otel.server.address";
const PORT: &str = "otel.server.port";
const NAMESPACE: &str = "otel.db.namespace";

fn facts(conn: &crate::PgConnection) -> ConnFacts {
    let statuses = statuses(conn);
    let get = |key: &str| statuses.get(key).cloned().unwrap_or_default();
    ConnFacts {
        system: "postgresql",
        namespace: get(NAMESPACE),
        address: get(ADDRESS),
        port: statuses.get(PORT).and_then(|p| p.parse().ok()).unwrap_or(0),
    }
}

/// OnEnter of `<PgConnectOptions as ConnectOptions>::connect`: the facts to keep.
pub fn connect_enter(options: &crate::PgConnectOptions) -> ConnFacts {
    let address = match &options.socket {
        Some(path) => path.display().to_string(),
        None => options.host.clone(),
    };
    ConnFacts {
        system: "postgresql",
        namespace: options.database.clone().unwrap_or_default(),
        address,
        port: options.port,
    }
}

/// Wrap_return of `connect`: store the facts in the new connection.
pub fn connected<'a>(
    facts: ConnFacts,
    connecting: ::futures_core::future::BoxFuture<'a, Result<crate::PgConnection, SqlxError>>,
) -> ::futures_core::future::BoxFuture<'a, Result<crate::PgConnection, SqlxError>> {
    ::std::boxed::Box::pin(async move {
        let mut result = Quiet(connecting).await;
        if let Ok(conn) = &mut result {
            let statuses = statuses_mut(conn);
            statuses.insert(ADDRESS.into(), facts.address);
            statuses.insert(PORT.into(), facts.port.to_string());
            statuses.insert(NAMESPACE.into(), facts.namespace);
        }
        result
    })
}

/// OnEnter of the connection's `Executor::fetch_many` / `fetch_optional`.
pub fn query_enter<'q, E: ::sqlx_core::executor::Execute<'q, crate::Postgres>>(
    conn: &crate::PgConnection,
    query: &E,
) -> Call {
    call(query.sql(), &facts(conn))
}

/// OnEnter of `PgTransactionManager::begin`: `BEGIN`, or `SAVEPOINT …` when nested.
pub fn begin_enter(conn: &crate::PgConnection) -> Call {
    call(&::sqlx_core::transaction::begin_ansi_transaction_sql(depth(conn)), &facts(conn))
}

/// OnEnter of `commit`: `COMMIT` or `RELEASE SAVEPOINT …`; none outside a transaction.
pub fn commit_enter(conn: &crate::PgConnection) -> Call {
    match depth(conn) {
        0 => no_call(),
        d => call(&::sqlx_core::transaction::commit_ansi_transaction_sql(d), &facts(conn)),
    }
}

/// OnEnter of `rollback`: `ROLLBACK` or `ROLLBACK TO SAVEPOINT …`.
pub fn rollback_enter(conn: &crate::PgConnection) -> Call {
    match depth(conn) {
        0 => no_call(),
        d => call(&::sqlx_core::transaction::rollback_ansi_transaction_sql(d), &facts(conn)),
    }
}
