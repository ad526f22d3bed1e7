//! A stalled collector (accepts, never answers) neither blocks the application nor grows
//! memory; shutdown returns within the configured timeout.

mod common;

#[test]
fn stalled_collector_does_not_block() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and hold connections without ever reading or answering.
    let held = std::thread::spawn(move || {
        let mut conns = Vec::new();
        for c in listener.incoming().take(64) {
            conns.push(c);
        }
        conns.len()
    });
    common::run_against(&format!("http://{addr}"), Some(held));
}
