//! The management API of the broker under test as guest, through `curl` (no client of our own to
//! trust, and usable from `Drop`): vhosts made for one test and removed when it ends, passed or
//! not, and the few calls tests make behind Warren's back.

use std::process::Command;

use serde_json::{json, Value};

use crate::broker::{enc, management_url, unique};

/// `METHOD /api/<path>` with an optional JSON body; the HTTP status (0 when curl failed).
pub fn api(method: &str, path: &str, body: Option<&Value>) -> u16 {
    let url = format!("{}/api/{path}", management_url());
    let mut c = Command::new("curl");
    c.args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .args(["-u", "guest:guest", "-X", method, &url]);
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "-d", &b.to_string()]);
    }
    let out = c.output().expect("curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// `api`, asserting a 2xx answer.
pub fn api_ok(method: &str, path: &str, body: Option<&Value>) {
    let status = api(method, path, body);
    assert!(
        (200..300).contains(&status),
        "{method} /api/{path}: HTTP {status}"
    );
}

/// `GET /api/<path>` as JSON (`Null` when there is no JSON answer).
pub fn api_get(path: &str) -> Value {
    let out = Command::new("curl")
        .args(["-s", "-u", "guest:guest"])
        .arg(format!("{}/api/{path}", management_url()))
        .output()
        .expect("curl");
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

/// Full permissions for `user` on `vhost`.
pub fn grant(user: &str, vhost: &str) {
    api_ok(
        "PUT",
        &format!("permissions/{}/{}", enc(vhost), enc(user)),
        Some(&json!({"configure": ".*", "write": ".*", "read": ".*"})),
    );
}

/// Deletes its vhost when dropped, also when the test panics half-way (a failed test must not
/// leave thousands of queues behind).
pub struct VhostGuard(pub String);

impl Drop for VhostGuard {
    fn drop(&mut self) {
        // A 4.3 broker cuts a request at 60 s and then stops deleting: a vhost of 50,000 queues
        // was left with 24,000 of them. Ask again until it is gone (404) or the broker says done.
        for _ in 0..10 {
            match api("DELETE", &format!("vhosts/{}", enc(&self.0)), None) {
                200..=299 | 404 => return,
                _ => continue,
            }
        }
    }
}

/// A fresh vhost for one test (guest may use it), deleted when dropped.
pub struct Vhost {
    pub name: String,
    _cleanup: VhostGuard,
}

impl Vhost {
    pub fn new(prefix: &str) -> Vhost {
        let name = unique(prefix);
        api_ok("PUT", &format!("vhosts/{}", enc(&name)), Some(&json!({})));
        let cleanup = VhostGuard(name.clone());
        grant("guest", &name);
        Vhost {
            name,
            _cleanup: cleanup,
        }
    }

    /// A durable queue with these `x-` arguments, declared over the management API.
    pub fn queue(&self, name: &str, arguments: Value) {
        api_ok(
            "PUT",
            &format!("queues/{}/{}", enc(&self.name), enc(name)),
            Some(&json!({"durable": true, "arguments": arguments})),
        );
    }

    /// `n` messages `m0…` published to `queue` through the default exchange over the API.
    pub fn publish(&self, queue: &str, n: usize) {
        let path = format!("exchanges/{}/amq.default/publish", enc(&self.name));
        for i in 0..n {
            let message = json!({"properties": {}, "routing_key": queue, "payload": format!("m{i}"), "payload_encoding": "string"});
            api_ok("POST", &path, Some(&message));
        }
    }
}

/// Puts a policy on `vhost`; the HTTP status (4.x refuses some).
pub fn put_policy(vhost: &str, name: &str, policy: &Value) -> u16 {
    api(
        "PUT",
        &format!("policies/{}/{}", enc(vhost), enc(name)),
        Some(policy),
    )
}

/// Closes, from the broker's side, every connection to `vhost` whose client name starts with
/// `prefix`; how many it closed.
pub fn close_connections(vhost: &str, prefix: &str) -> usize {
    let list = api_get(&format!("vhosts/{}/connections", enc(vhost)));
    let mut closed = 0;
    for c in list.as_array().into_iter().flatten() {
        let client = c["client_properties"]["connection_name"]
            .as_str()
            .unwrap_or_default();
        if client.starts_with(prefix) {
            let name = c["name"].as_str().unwrap_or_default();
            api("DELETE", &format!("connections/{}", enc(name)), None);
            closed += 1;
        }
    }
    closed
}

/// A user with the given tags (comma-separated, may be empty) and password, no permissions.
pub fn create_user(name: &str, password: &str, tags: &str) {
    api_ok(
        "PUT",
        &format!("users/{}", enc(name)),
        Some(&json!({"password": password, "tags": tags})),
    );
}

pub fn delete_user(name: &str) {
    api_ok("DELETE", &format!("users/{}", enc(name)), None);
}
