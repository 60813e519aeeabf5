//! The real `casetrail` binary as a child process: for tests that read its
//! logs, kill it, or run several of them on one database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness::{jwt, TEST_SECRET};

/// A running `casetrail serve`, its address and everything it logged.
pub struct ServerProcess {
    child: Child,
    pub address: String,
    log: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// Starts `casetrail serve` on port 0 and waits until it says where it listens.
    pub fn start(binary: &str, database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(binary);
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .env("CASETRAIL_JWT_SECRET", TEST_SECRET)
            .env("CASETRAIL_JWT_ISSUER", jwt().issuer)
            .env("CASETRAIL_JWT_AUDIENCE", jwt().audience)
            .env("CASETRAIL_MASTER_KEY", "07".repeat(32))
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // An empty value removes the variable (e.g. the HS256 secret when testing RS256).
        for (k, v) in extra_env {
            if v.is_empty() {
                command.env_remove(k);
            } else {
                command.env(k, v);
            }
        }
        let mut child = command.spawn().expect("casetrail serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let (lines, incoming) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = sink.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match incoming.recv_timeout(left) {
                Ok(line) => {
                    if let Some(address) = Self::address_in(&line) {
                        return Self {
                            child,
                            address,
                            log,
                        };
                    }
                }
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    panic!(
                        "casetrail serve did not start (exit: {status:?}):\n{}",
                        log.lock().map(|l| l.clone()).unwrap_or_default()
                    );
                }
            }
        }
    }

    fn address_in(line: &str) -> Option<String> {
        if !line.contains("casetrail is serving") {
            return None;
        }
        let at = line.find("addr=")? + "addr=".len();
        let addr: String = line[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect();
        Some(format!("http://{addr}"))
    }

    /// Everything the process wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// SIGTERM, as an orchestrator stopping the server.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM delivered");
    }

    /// Waits up to `guard` for the process to exit; its status, or `None`
    /// if it is still running (a hang).
    pub fn wait_exit(&mut self, guard: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + guard;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// SIGKILL: no graceful shutdown, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the suites ask a server process over GraphQL, or read in its log.
impl ServerProcess {
    /// How many projections this process has said it runs.
    pub fn projections_held(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("running projection here"))
            .count()
    }

    /// Takes a call through this server, as a COUNSELLOR.
    pub async fn receive_call(&self) {
        crate::harness::post_graphql(
            &crate::harness::client(),
            &self.address,
            Some(&crate::harness::token(domain::values::Role::Counsellor)),
            &crate::fixtures::receive_call_doc(),
            serde_json::json!({"input": {"receivedAt": crate::fixtures::ago(5), "channel": "ZALO",
                "region": "NORTHWEST", "callerType": "CITIZEN", "category": "REFERRAL_REQUEST"}}),
        )
        .await
        .data("receiveCall");
    }

    /// The calls list's total as this server answers it (its read model).
    pub async fn calls_listed(&self) -> i64 {
        crate::harness::post_graphql(
            &crate::harness::client(),
            &self.address,
            Some(&crate::harness::token(domain::values::Role::Supervisor)),
            "query { calls(first: 1) { totalCount } }",
            serde_json::json!({}),
        )
        .await
        .data("calls")["totalCount"]
            .as_i64()
            .unwrap_or(-1)
    }
}
