// sqlx-mysql 0.7: the connection is not boxed and has no stable address of its own, so no
// facts are kept: spans carry the system (MariaDB or MySQL, from the handshake) only.

fn keep(_conn: &crate::MySqlConnection, _facts: ConnFacts) {}

fn facts(conn: &crate::MySqlConnection) -> ConnFacts {
    ConnFacts { system: system_of(conn.stream.server_version), ..Default::default() }
}

fn depth(conn: &crate::MySqlConnection) -> usize {
    conn.transaction_depth
}
