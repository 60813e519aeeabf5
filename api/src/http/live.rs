//! Subscriptions over WebSocket: `GET /graphql` speaking graphql-transport-ws
//! (the protocol of GraphiQL, Apollo and urql).
//!
//! Written here rather than with async-graphql's `http::WebSocket`, whose
//! protocol handler closes a refused `connection_init` with 1002 (the
//! protocol says 4403), lets a second `subscribe` with the same id replace
//! the first (4409), has no initialisation timeout (4408), never sends an
//! `error` message, and runs a request with no way to price it first. The
//! schema's own `execute_stream` runs each operation.
//!
//! The rules of `POST /graphql` hold: the token (in `connection_init`'s
//! payload as `Authorization: Bearer …`, or on the upgrade request) is
//! verified by `auth`, and its expiry closes the socket (4401); each
//! `subscribe` is counted by the rate limit and priced by `cost` before it
//! runs. Nothing is buffered without bound: a subscriber whose updates wait
//! longer than its buffer in the log's tail, or a socket that takes no
//! message for `SEND_TIMEOUT`, is closed with 1013 (resume with `after`).

use std::collections::HashMap;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_graphql::Response as GraphqlResponse;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

use super::HttpState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::graphql::{LiveConnection, RequestContext};
use crate::metrics::live::{self as counted, Closed};

/// The one subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client has to send `connection_init` (then 4408).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one message may wait for the client to take it (then 1013).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Subscriptions one socket may run at once.
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// Largest message accepted from a client.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn subscribe(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let upgrade = upgrade
        .protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES);
    let agreed = upgrade.selected_protocol().is_some();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let span = tracing::info_span!("subscriptions", connection = %Uuid::now_v7());
    upgrade.on_upgrade(move |socket| {
        async move {
            let mut connection = Connection {
                state,
                socket,
                authorization,
                principal: None,
                initialised: false,
                streams: HashMap::new(),
                live: LiveConnection::default(),
                _open: counted::SocketOpen::opened(),
            };
            let (code, reason) = if agreed {
                connection.run().await
            } else {
                (Some(4406), "Subprotocol not acceptable")
            };
            if let Some(code) = code {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                let _ = tokio::time::timeout(
                    SEND_TIMEOUT,
                    connection.socket.send(Message::Close(Some(frame))),
                )
                .await;
            }
        }
        .instrument(span)
    })
}

/// One running operation of a socket.
struct Running {
    stream: BoxStream<'static, GraphqlResponse>,
    /// Whether a `next` went out (an error before any is an `error` message).
    started: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        counted::subscriptions(-1);
    }
}

struct Connection {
    state: Arc<HttpState>,
    socket: WebSocket,
    /// The upgrade request's Authorization header, if it had one.
    authorization: Option<String>,
    /// Who, and until when (the token's `exp`), once `connection_init` was accepted.
    principal: Option<(Principal, i64)>,
    initialised: bool,
    streams: HashMap<String, Running>,
    live: LiveConnection,
    _open: counted::SocketOpen,
}

/// What the loop does next: go on, or close (with a code, or silently).
type Flow = Result<(), (Option<u16>, &'static str)>;

fn close(code: u16, reason: &'static str, why: Closed) -> Flow {
    counted::closed(why);
    Err((Some(code), reason))
}

impl Connection {
    async fn run(&mut self) -> (Option<u16>, &'static str) {
        let init_deadline = Instant::now() + INIT_TIMEOUT;
        loop {
            let deadline = match &self.principal {
                Some((_, exp)) => expiry(*exp),
                None => init_deadline,
            };
            let flow = tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(message)) => self.on_message(message).await,
                    // Gone (or a broken frame): nobody to tell.
                    Some(Err(_)) | None => Err((None, "")),
                },
                Some((id, response)) = next_response(&mut self.streams), if !self.streams.is_empty() => {
                    self.on_response(id, response).await
                }
                () = tokio::time::sleep_until(deadline) => match self.principal {
                    Some(_) => close(4401, "Unauthorized: the token has expired", Closed::Expired),
                    None => close(4408, "Connection initialisation timeout", Closed::InitTimeout),
                },
                () = self.live.fell_behind() => close(
                    1013,
                    "too slow: updates were dropped; subscribe again with after",
                    Closed::TooSlow,
                ),
            };
            if let Err(closing) = flow {
                return closing;
            }
        }
    }

    async fn send(&mut self, message: Value) -> Flow {
        let sent = tokio::time::timeout(
            SEND_TIMEOUT,
            self.socket.send(Message::text(message.to_string())),
        )
        .await;
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err((None, "")),
            Err(_) => close(1013, "too slow: messages were not taken", Closed::TooSlow),
        }
    }

    async fn on_message(&mut self, message: Message) -> Flow {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return Err((None, "")),
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
            Message::Binary(_) => return close(4400, "Invalid message received", Closed::Protocol),
        };
        let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
            return close(4400, "Invalid message received", Closed::Protocol);
        };
        match message["type"].as_str() {
            Some("connection_init") => self.on_init(&message["payload"]).await,
            Some("ping") => self.send(json!({ "type": "pong" })).await,
            Some("pong") => Ok(()),
            Some("subscribe") => self.on_subscribe(message).await,
            Some("complete") => {
                if let Some(id) = message["id"].as_str() {
                    self.streams.remove(id);
                }
                Ok(())
            }
            _ => close(4400, "Invalid message received", Closed::Protocol),
        }
    }

    async fn on_init(&mut self, payload: &Value) -> Flow {
        if self.initialised {
            return close(4429, "Too many initialisation requests", Closed::Protocol);
        }
        self.initialised = true;
        let given = ["Authorization", "authorization"]
            .iter()
            .find_map(|k| payload[*k].as_str().map(str::to_string))
            .or_else(|| payload["token"].as_str().map(|t| format!("Bearer {t}")))
            .or_else(|| self.authorization.clone());
        let authenticated = match self
            .state
            .tokens
            .authenticate_until(&self.state.jwt, given.as_deref())
        {
            Ok(principal) => crate::auth::check_agency_in_force(&self.state.store, &principal.0)
                .await
                .map(|()| principal),
            Err(e) => Err(e),
        };
        match authenticated {
            Ok(principal) => {
                tracing::info!(actor = %principal.0.subject, "subscriptions socket acknowledged");
                self.principal = Some(principal);
                self.send(json!({ "type": "connection_ack" })).await
            }
            Err(_) => close(4403, "Forbidden", Closed::Unauthorised),
        }
    }

    async fn on_subscribe(&mut self, message: Value) -> Flow {
        let Some((principal, _)) = self.principal.clone() else {
            return close(4401, "Unauthorized", Closed::Protocol);
        };
        let Some(id) = message["id"].as_str().map(str::to_string) else {
            return close(4400, "Invalid message received", Closed::Protocol);
        };
        if self.streams.contains_key(&id) {
            // The protocol's close reason names the id; ids are the client's own words.
            return close(
                4409,
                "Subscriber for this id already exists",
                Closed::Protocol,
            );
        }
        let Ok(mut request) = serde_json::from_value::<async_graphql::Request>(
            message.get("payload").cloned().unwrap_or(Value::Null),
        ) else {
            return close(4400, "Invalid message received", Closed::Protocol);
        };
        if self.streams.len() >= MAX_SUBSCRIPTIONS {
            let e = ApiError::BadUserInput(format!(
                "at most {MAX_SUBSCRIPTIONS} subscriptions run on one socket: complete one first"
            ));
            return self.refuse(&id, &e).await;
        }
        let operation = request.operation_name.clone();
        let variables = std::mem::take(&mut request.variables);
        let analysis = request.parsed_query().ok().and_then(|doc| {
            self.state
                .cost
                .analyse_document(doc, operation.as_deref(), &variables)
        });
        request.variables = variables;
        let weight = analysis.map_or(1, |a| a.root_fields.max(1));
        if !self.state.rate_limiter.allow_n(&principal.subject, weight) {
            return self.refuse(&id, &ApiError::RateLimited).await;
        }
        if let Some(Err(refusal)) = analysis.map(|a| self.state.cost.admit(&a)) {
            let errors = refusal.to_json()["errors"].clone();
            return self
                .send(json!({ "id": id, "type": "error", "payload": errors }))
                .await;
        }
        let context = RequestContext {
            principal,
            correlation_id: Uuid::now_v7().to_string(),
            operation: operation.clone(),
        };
        tracing::info!(
            operation = operation.as_deref().unwrap_or("anonymous"),
            "subscription started"
        );
        let request = request.data(context).data(self.live.clone());
        let stream = self.state.schema.execute_stream(request).boxed();
        counted::subscriptions(1);
        self.streams.insert(
            id,
            Running {
                stream,
                started: false,
            },
        );
        Ok(())
    }

    async fn refuse(&mut self, id: &str, error: &ApiError) -> Flow {
        let errors =
            json!([{ "message": error.to_string(), "extensions": { "code": error.code() } }]);
        self.send(json!({ "id": id, "type": "error", "payload": errors }))
            .await
    }

    async fn on_response(&mut self, id: String, response: Option<GraphqlResponse>) -> Flow {
        let Some(mut response) = response else {
            self.streams.remove(&id);
            return self.send(json!({ "id": id, "type": "complete" })).await;
        };
        super::give_codes(&mut response);
        let started = self
            .streams
            .get_mut(&id)
            .map(|r| std::mem::replace(&mut r.started, true))
            .unwrap_or(true);
        let refused =
            matches!(response.data, async_graphql::Value::Null) && !response.errors.is_empty();
        if !started && refused {
            // Refused before it ran (validation, role, bad argument): `error`, and no `complete`.
            self.streams.remove(&id);
            let errors = serde_json::to_value(&response.errors).unwrap_or(Value::Null);
            return self
                .send(json!({ "id": id, "type": "error", "payload": errors }))
                .await;
        }
        let payload = serde_json::to_value(&response).unwrap_or(Value::Null);
        counted::delivered();
        self.send(json!({ "id": id, "type": "next", "payload": payload }))
            .await
    }
}

/// The next answer of any running operation (`None`: it ended).
async fn next_response(
    streams: &mut HashMap<String, Running>,
) -> Option<(String, Option<GraphqlResponse>)> {
    futures::future::poll_fn(|cx| {
        for (id, running) in streams.iter_mut() {
            if let Poll::Ready(item) = running.stream.poll_next_unpin(cx) {
                return Poll::Ready(Some((id.clone(), item)));
            }
        }
        Poll::Pending
    })
    .await
}

/// The instant a token's `exp` (Unix seconds) falls, on Tokio's clock.
fn expiry(exp: i64) -> Instant {
    let left = exp.saturating_sub(chrono::Utc::now().timestamp()).max(0);
    Instant::now() + Duration::from_secs(u64::try_from(left).unwrap_or(0))
}
