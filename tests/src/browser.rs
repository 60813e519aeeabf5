//! Headless Chromium driven over the DevTools protocol, for the browser
//! suites: click, read the DOM, record every request the page makes.
//!
//! The protocol runs over `--remote-debugging-pipe` (JSON messages ending in
//! NUL, commands on fd 3, answers and events on fd 4), reached through two
//! named pipes that `sh` opens as those descriptors: no WebSocket client, no
//! extra crate, no unsafe code.
//!
//! Needs Debian's `chromium` (installed on first use when missing) or
//! `CASETRAIL_CHROMIUM` pointing at a Chromium binary.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

/// A guard against a hang, not a performance bound.
const PATIENCE: Duration = Duration::from_secs(30);

/// Debian's Chromium, installed on first use when missing (this machine kind
/// runs tests as root with Debian's registry reachable), so that the README's
/// test command works on a fresh machine; one installation for all tests.
pub fn chromium() -> PathBuf {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let path = std::env::var_os("CASETRAIL_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !path.exists() {
        let _one_at_a_time = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        if !path.exists() {
            let installed = std::process::Command::new("sh")
                .args(["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"])
                .status();
            eprintln!("installing chromium for the browser tests: {installed:?}");
        }
    }
    assert!(
        path.exists(),
        "{} is missing: apt-get update && apt-get install -y chromium",
        path.display()
    );
    path
}

/// Flags that leave the browser no network but 127.0.0.1: every host name
/// resolves to nothing, and every connection not to 127.0.0.1 goes to a
/// proxy at 127.0.0.1:9 (discard; nothing listens), so a literal IP fails too.
pub const OFFLINE: [&str; 3] = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
];

/// A running headless Chromium and the protocol session to it.
pub struct Browser {
    child: tokio::process::Child,
    commands: tokio::fs::File,
    answers: BufReader<tokio::fs::File>,
    next_id: u64,
    /// Every event received so far, in order (`method`, `params`, `sessionId`).
    pub events: Vec<Value>,
    dir: PathBuf,
}

impl Browser {
    /// Starts Chromium with a fresh profile and `extra` flags.
    pub async fn launch(extra: &[&str]) -> Browser {
        let dir = std::env::temp_dir().join(format!("casetrail-browser-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let (to, from) = (dir.join("to-browser"), dir.join("from-browser"));
        let made = std::process::Command::new("mkfifo")
            .arg(&to)
            .arg(&from)
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo failed");
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<"$CDP_TO" 4>"$CDP_FROM""#)
            .arg(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .args([
                "--disable-background-networking",
                "--disable-component-update",
            ])
            .args([
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=1400,900",
            ])
            .arg("--remote-debugging-pipe")
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .args(extra)
            .arg("about:blank")
            .env("CDP_TO", &to)
            .env("CDP_FROM", &from)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().expect("chromium starts");
        // Opening a named pipe waits for the other end: the shell opens
        // `to` first, then `from`, and so do we.
        let pipes = async {
            let commands = tokio::fs::OpenOptions::new().write(true).open(&to).await?;
            let answers = tokio::fs::File::open(&from).await?;
            Ok::<_, std::io::Error>((commands, answers))
        };
        let (commands, answers) = tokio::time::timeout(PATIENCE, pipes)
            .await
            .expect("chromium opens its debugging pipe within 30 s")
            .expect("the debugging pipe opens");
        Browser {
            child,
            commands,
            answers: BufReader::new(answers),
            next_id: 0,
            events: Vec::new(),
            dir,
        }
    }

    /// Sends `method` (to a page when `session` is given) and returns its result.
    pub async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .await
            .expect("the browser reads");
        self.commands.flush().await.expect("the browser reads");
        loop {
            let mut raw = Vec::new();
            let read = tokio::time::timeout(PATIENCE, self.answers.read_until(0, &mut raw))
                .await
                .unwrap_or_else(|_| panic!("{method}: no answer within 30 s"))
                .expect("the browser answers");
            assert!(read > 0, "the browser closed its pipe during {method}");
            if raw.last() == Some(&0) {
                raw.pop();
            }
            let answer: Value = serde_json::from_slice(&raw).expect("protocol messages are JSON");
            if answer["id"] == json!(id) {
                assert!(answer.get("error").is_none(), "{method} failed: {answer}");
                return answer["result"].clone();
            }
            self.events.push(answer);
        }
    }

    /// Opens a new blank page and returns its session id.
    pub async fn new_page(&mut self) -> String {
        let target = self
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string()
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    pub async fn eval(&mut self, session: &str, expression: &str) -> Value {
        let result = self
            .call(
                Some(session),
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression} threw: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is truthy (30 s at most) and returns its value.
    pub async fn wait_for(&mut self, session: &str, expression: &str) -> Value {
        self.try_wait_for(session, expression)
            .await
            .unwrap_or_else(|| panic!("{expression} still false after 30 s"))
    }

    /// As [`Browser::wait_for`], `None` when it is still false after 30 s.
    pub async fn try_wait_for(&mut self, session: &str, expression: &str) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let value = self.eval(session, expression).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            if truthy {
                return Some(value);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The URL of every request the pages sent (from `Network.requestWillBeSent`).
    pub fn requested_urls(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str())
            .map(str::to_string)
            .collect()
    }

    /// Closes the browser and removes its profile.
    pub async fn close(mut self) {
        self.next_id += 1;
        let close = json!({ "id": self.next_id, "method": "Browser.close" }).to_string();
        let _ = self
            .commands
            .write_all(format!("{close}\0").as_bytes())
            .await;
        let _ = tokio::time::timeout(PATIENCE, self.child.wait()).await;
        // Removed once the browser has exited, so that it writes nothing after.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Browser {
    /// On a failed test: stop the browser (waiting up to 2 s for it to exit,
    /// so that it writes nothing after) and remove its profile.
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        for _ in 0..40 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
