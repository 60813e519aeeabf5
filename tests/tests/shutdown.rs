//! SIGTERM drains in-flight requests for the shutdown grace, then the
//! process exits even if a client went silent mid-request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use casetrail_tests::harness::{token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use domain::values::Role;

/// A failure guard against a hang, well above the grace (not a timing).
const GUARD: Duration = Duration::from_secs(60);

/// Opens a connection and sends a POST /graphql whose body is cut after `sent` bytes.
fn partial_request(address: &str, body: &str, sent: usize) -> TcpStream {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connects");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        token(Role::Counsellor),
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head sent");
    stream
        .write_all(&body.as_bytes()[..sent])
        .expect("part of the body sent");
    stream.flush().expect("flushed");
    stream
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_despite_a_stuck_client() {
    let db = TestDatabase::create().await;
    let mut server = ServerProcess::start(
        env!("CARGO_BIN_EXE_casetrail"),
        &db.url,
        &[("CASETRAIL_SHUTDOWN_GRACE_SECONDS", "3")],
    );
    let body = r#"{"query":"{ __typename }"}"#;
    // A client that sent headers and half a body, then went silent.
    let _stuck = partial_request(&server.address, body, body.len() / 2);
    // A normal request in flight: the rest of its body arrives after SIGTERM.
    let mut in_flight = partial_request(&server.address, body, body.len() / 2);
    // A whole request answered on a third connection: the listener's queue is
    // first in, first out, so the two connections above were accepted too.
    let mut probe = partial_request(&server.address, body, body.len());
    probe.set_read_timeout(Some(GUARD)).expect("timeout set");
    let mut first = [0u8; 12];
    probe.read_exact(&mut first).expect("the probe is answered");
    assert_eq!(&first, b"HTTP/1.1 200", "the server answers before SIGTERM");

    server.terminate();
    // The rest of the body is sent only once the server is draining: it has
    // stopped accepting connections.
    let host = server.address.trim_start_matches("http://").to_string();
    let draining = std::time::Instant::now();
    while TcpStream::connect(&host).is_ok() {
        assert!(
            draining.elapsed() < GUARD,
            "the server stops accepting after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    in_flight
        .write_all(&body.as_bytes()[body.len() / 2..])
        .expect("the rest of the body is accepted during the grace");
    in_flight
        .set_read_timeout(Some(GUARD))
        .expect("timeout set");
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read until the JSON body is complete (the server closes after answering).
    while let Ok(n) = in_flight.read(&mut chunk) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
        if String::from_utf8_lossy(&answer).contains(r#""__typename":"Query""#) {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""__typename":"Query""#), "{answer}");

    let status = server
        .wait_exit(GUARD)
        .unwrap_or_else(|| panic!("the server still runs after SIGTERM:\n{}", server.log()));
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert!(
        server.log().contains("shutdown grace ended"),
        "the stuck client was abandoned at the end of the grace:\n{}",
        server.log()
    );
}
