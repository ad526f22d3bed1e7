// sqlx-postgres 0.7.0 to 0.8.2: the connection's state is its own fields.

fn statuses(conn: &crate::PgConnection) -> &::std::collections::BTreeMap<String, String> {
    &conn.stream.parameter_statuses
}

fn statuses_mut(conn: &mut crate::PgConnection) -> &mut ::std::collections::BTreeMap<String, String> {
    &mut conn.stream.parameter_statuses
}

fn depth(conn: &crate::PgConnection) -> usize {
    conn.transaction_depth
}
