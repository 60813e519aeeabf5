//! A graphql-transport-ws client over a real WebSocket (tokio-tungstenite,
//! the crate axum's `ws` runs on), for the subscription suites and bench.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest a suite waits for one message before it fails (a hang guard, not an assertion on time).
const GUARD: Duration = Duration::from_secs(60);

/// `livePosition`: where a subscription with it as `after` starts (the
/// suites subscribe from it, so that an event recorded right after the
/// `subscribe` message is never before the subscription's start).
pub async fn live_position(app: &crate::harness::TestApp, token: &str) -> String {
    app.gql(token, "{ livePosition }", json!({}))
        .await
        .data("livePosition")
        .as_str()
        .expect("a position")
        .to_string()
}

/// What the server said.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    Message(Value),
    /// The server closed the socket with this code and reason.
    Closed(u16, String),
}

pub struct LiveClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// `ws://…/graphql` of a server at `http://…`.
pub fn ws_url(address: &str) -> String {
    format!("{}/graphql", address.replacen("http://", "ws://", 1))
}

impl LiveClient {
    /// Opens a socket offering `protocol` (`Some("graphql-transport-ws")` as clients do).
    pub async fn connect_with(address: &str, protocol: Option<&str>) -> Self {
        let mut request = ws_url(address)
            .into_client_request()
            .expect("a WebSocket request");
        if let Some(protocol) = protocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(protocol).expect("a header value"),
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the server upgrades");
        Self { socket }
    }

    pub async fn connect(address: &str) -> Self {
        Self::connect_with(address, Some("graphql-transport-ws")).await
    }

    /// Connects and is acknowledged with `token`.
    pub async fn open(address: &str, token: &str) -> Self {
        let mut client = Self::connect(address).await;
        client.init(token).await;
        assert_eq!(
            client.said().await,
            Said::Message(json!({"type": "connection_ack"}))
        );
        client
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("the socket takes the message");
    }

    pub async fn init(&mut self, token: &str) {
        self.send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}))
            .await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// The next protocol message or close (WebSocket pings are answered by the library).
    pub async fn said(&mut self) -> Said {
        loop {
            let frame = tokio::time::timeout(GUARD, self.socket.next())
                .await
                .expect("the server says something in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Said::Message(serde_json::from_str(text.as_str()).expect("JSON"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(f) => Said::Closed(f.code.into(), f.reason.to_string()),
                        None => Said::Closed(1005, String::new()),
                    }
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Said::Closed(1006, e.to_string()),
                None => return Said::Closed(1006, "ended".into()),
            }
        }
    }

    /// The next message, which must be a `next` for `id`: its `payload.data`.
    pub async fn next_data(&mut self, id: &str) -> Value {
        match self.said().await {
            Said::Message(m) if m["type"] == "next" && m["id"] == id => {
                assert!(m["payload"].get("errors").is_none(), "errors in {m}");
                m["payload"]["data"].clone()
            }
            other => panic!("expected next for {id}, got {other:?}"),
        }
    }

    /// The code the server closes with (reading past anything before it).
    pub async fn close_code(&mut self) -> u16 {
        loop {
            if let Said::Closed(code, _) = self.said().await {
                return code;
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
