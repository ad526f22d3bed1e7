// sqlx-mysql 0.8: the connection's state is boxed in `inner`, a stable address to keep its
// facts by; the system (MariaDB or MySQL) is read from the handshake's version.

fn key(conn: &crate::MySqlConnection) -> usize {
    &*conn.inner as *const _ as usize
}

fn keep(conn: &crate::MySqlConnection, facts: ConnFacts) {
    let system = system_of(conn.inner.stream.server_version);
    remember(key(conn), ConnFacts { system, ..facts });
}

fn facts(conn: &crate::MySqlConnection) -> ConnFacts {
    recall(key(conn), system_of(conn.inner.stream.server_version))
}

fn depth(conn: &crate::MySqlConnection) -> usize {
    conn.inner.transaction_depth
}
