//! The `warren` binary run as a script runs it, with a config and data dir of its own (so
//! parallel tests never share a config file or an audit log). The binary's path comes from the
//! test crate: `Cli::new(env!("CARGO_BIN_EXE_warren"))`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::broker::{amqp_url, management_url};

pub struct Cli {
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    password: Option<String>,
}

impl Cli {
    /// A fresh config dir; nothing run yet (the first command writes `local`).
    pub fn new(bin: &str) -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
            bin: bin.into(),
            password: None,
        }
    }

    /// A fresh config dir whose `local` (made by this first start) points at the broker under test.
    pub fn at_broker(bin: &str) -> Cli {
        let cli = Cli::new(bin);
        cli.ok(&[
            "env",
            "edit",
            "local",
            "--management-url",
            management_url(),
            "--amqp-url",
            amqp_url(),
        ]);
        cli
    }

    /// Every run gets `WARREN_PASSWORD` (no keyring needed); without it, it is removed.
    pub fn with_password(mut self, password: &str) -> Cli {
        self.password = Some(password.into());
        self
    }

    /// `warren` with this dir's environment, stdin empty, stdout and stderr captured.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("WARREN_CONFIG_DIR", self.dir.path())
            .env("WARREN_DATA_DIR", self.data())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match &self.password {
            Some(p) => c.env("WARREN_PASSWORD", p),
            None => c.env_remove("WARREN_PASSWORD"),
        };
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// `run`, asserting that it succeeded.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "warren {args:?}: {}", text(&out));
        out
    }

    /// `run` with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        stdin_fed(self.cmd().args(args), input)
    }

    /// The run's output and its stdout as JSON (panics when it is not JSON).
    pub fn run_json(&self, args: &[&str]) -> (Output, Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)));
        (out, v)
    }

    /// Stdout as JSON, whatever the exit code.
    pub fn json(&self, args: &[&str]) -> Value {
        self.run_json(args).1
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The audit log.
    pub fn log(&self) -> PathBuf {
        self.data().join("audit.jsonl")
    }

    /// The config file's text ("" before the first start).
    pub fn config(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("environments.toml")).unwrap_or_default()
    }
}

/// Spawns `cmd` with `input` written to its stdin, then waits for its output.
pub fn stdin_fed(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Stdout then stderr, for assertion messages and `contains` checks.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `--management-url … --amqp-url … --username guest`: the broker under test, as guest, for
/// `warren env add`.
pub fn broker_as_guest() -> [&'static str; 6] {
    [
        "--management-url",
        management_url(),
        "--amqp-url",
        amqp_url(),
        "--username",
        "guest",
    ]
}
