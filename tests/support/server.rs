//! A `matdiff serve` on a free port for the duration of a test, and a small
//! HTTP client for it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A running `matdiff serve --port 0`; stopped when dropped.
pub struct Server {
    child: Child,
    /// The URL it printed, ending in `/`.
    pub url: String,
    agent: ureq::Agent,
}

/// An answer: the status and the body as JSON (or `Value::String` of the
/// body when it is not JSON).
pub struct Reply {
    pub status: u16,
    pub json: Value,
}

impl Server {
    /// Starts the server with extra arguments (`--jobs`, `--timeout`) and
    /// waits for the URL it prints.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_matdiff"))
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("matdiff serve starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("matdiff serve prints a line");
        let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(str::to_string)
        else {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.kill();
            panic!("no URL on the first line {line:?}; standard error:\n{err}");
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Server { child, url, agent }
    }

    /// The process id, for sending signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit and returns its status code and
    /// standard error.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().expect("the server exits");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status.code(), err)
    }

    /// `POST /api/{command}` with `body` as it is (not necessarily JSON).
    pub fn post_raw(&self, command: &str, body: &[u8]) -> Reply {
        let response = self
            .agent
            .post(format!("{}api/{command}", self.url))
            .header("content-type", "application/json")
            .send(body);
        reply(response)
    }

    /// `POST /api/{command}` with a JSON body.
    pub fn post(&self, command: &str, body: &Value) -> Reply {
        self.post_raw(command, body.to_string().as_bytes())
    }

    /// `GET path`: the status, the content type and the body.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        let mut r = self
            .agent
            .get(format!("{}{}", self.url, path.trim_start_matches('/')))
            .call()
            .expect("the server answers");
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = r.body_mut().read_to_string().unwrap_or_default();
        (status, ctype, body)
    }

    /// A response header of `GET path`.
    pub fn header(&self, path: &str, name: &str) -> Option<String> {
        let r = self
            .agent
            .get(format!("{}{}", self.url, path.trim_start_matches('/')))
            .call()
            .expect("the server answers");
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = response.expect("the server answers");
    let status = r.status().as_u16();
    let text = r
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .expect("a UTF-8 body");
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, json }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
