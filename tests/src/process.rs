//! The `corkboard` binary as a child process, for the tests that need what only the real binary has: its
//! signal handling, a `kill -9`, its own memory. The caller names the binary: `env!("CARGO_BIN_EXE_corkboard")`
//! exists only in the backend package's tests, where these tests live.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::JWT_SECRET;

/// A `corkboard` process on a fixed address against a database; killed (-9) when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

/// A loopback address with a port free right now (for a process that binds it itself).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

impl ServerProcess {
    /// Starts `binary` on `addr` against `db_url` (it runs the migrations itself) and waits until it is ready.
    /// It signs with the harness's secret, so tokens from an in-process `TestApp` on the same database stay valid.
    pub async fn start(binary: &str, db_url: &str, addr: SocketAddr) -> Self {
        Self::start_with(binary, db_url, addr, |_| {}).await
    }

    /// Like `start`, with the log at `level` written (plain text, one line per record) to `log`.
    pub async fn start_logging(binary: &str, db_url: &str, addr: SocketAddr, level: &str, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::start_with(binary, db_url, addr, |command| {
            command.env("RUST_LOG", level).env("CORKBOARD_LOG_FORMAT", "text").stdout(file);
        })
        .await
    }

    /// Like `start`, with `configure` adding to the command (its environment, say) before it runs.
    pub async fn start_with(
        binary: &str,
        db_url: &str,
        addr: SocketAddr,
        configure: impl FnOnce(&mut Command),
    ) -> Self {
        let mut command = Command::new(binary);
        command
            .env("DATABASE_URL", db_url)
            .env("CORKBOARD_BIND", addr.to_string())
            .env("CORKBOARD_PUBLIC_URL", format!("http://{addr}"))
            .env("CORKBOARD_JWT_SECRET", JWT_SECRET)
            .env("CORKBOARD_DB_MAX_CONNECTIONS", "10")
            .env("RUST_LOG", "error")
            .stdin(Stdio::null());
        configure(&mut command);
        let child = command.spawn().expect("start corkboard");
        let server = Self { child, addr };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !client.get(format!("http://{addr}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the server at {addr} did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// `http://<addr>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM, as an orchestrator stops a container; the process is left to exit on its own.
    pub fn terminate(&self) {
        self.signal("-TERM");
    }

    /// SIGKILL: the process ends at once, mid-request, mid-transaction, without a close frame.
    pub fn kill9(&mut self) {
        self.signal("-KILL");
        let _ = self.child.wait();
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success(), "kill {signal} failed");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
