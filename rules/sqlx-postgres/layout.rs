// sqlx-postgres 0.8.3 and later: the connection's state is boxed in `inner`.

fn statuses(conn: &crate::PgConnection) -> &::std::collections::BTreeMap<String, String> {
    &conn.inner.stream.parameter_statuses
}

fn statuses_mut(conn: &mut crate::PgConnection) -> &mut ::std::collections::BTreeMap<String, String> {
    &mut conn.inner.stream.parameter_statuses
}

fn depth(conn: &crate::PgConnection) -> usize {
    conn.inner.transaction_depth
}
