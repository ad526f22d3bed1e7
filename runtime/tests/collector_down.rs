//! An unreachable collector (closed port) neither blocks the application nor grows memory:
//! spans keep being created at full speed, the queue stays bounded (dropped spans are
//! counted), and shutdown returns within the configured timeout.

mod common;

#[test]
fn closed_port_does_not_block() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    common::run_against(&format!("http://{closed}"), None);
}
