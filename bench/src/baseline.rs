//! The bare limit: a tokio-tungstenite broadcast server with no auth, no database and no JSON parsing. A frame
//! from any client is broadcast as-is to every connection (one shared buffer) and acked to its sender. The
//! bench runs it as a child process (`corkboard-bench serve-baseline`) and drives it with the same watcher and
//! mover code, the same frame size and the same receive timestamping as the real server.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use anyhow::{Context, anyhow};
use corkboard_protocol::{Event, EventKind, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use uuid::Uuid;

use crate::client::str_field;

/// Serves until killed. Prints `listening <addr>` once bound.
pub async fn serve(port: u16) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?);
    let (tx, _) = broadcast::channel::<Utf8Bytes>(256);
    let seq = Arc::new(AtomicI64::new(0));
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, tx.clone(), Arc::clone(&seq)));
    }
}

async fn connection(stream: TcpStream, tx: broadcast::Sender<Utf8Bytes>, seq: Arc<AtomicI64>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else { return };
    let (mut sink, mut source) = ws.split();
    let mut rx = tx.subscribe();
    if sink.send(Message::Text(Utf8Bytes::from_static(r#"{"type":"hello","seq":0}"#))).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            pushed = rx.recv() => match pushed {
                Ok(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = source.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let n = seq.fetch_add(1, Ordering::Relaxed) + 1;
                    let op = str_field(text.as_str(), "client_op_id").unwrap_or("").to_owned();
                    let _ = tx.send(text);
                    let ack = format!(r#"{{"type":"ack","client_op_id":"{op}","seq":{n}}}"#);
                    if sink.send(Message::Text(ack.into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// A running baseline server (killed when dropped).
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

pub async fn spawn() -> anyhow::Result<Server> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(["serve-baseline", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("spawn the baseline server")?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(10), lines.next_line())
        .await
        .context("baseline server did not start")??
        .ok_or_else(|| anyhow!("baseline server exited"))?;
    let addr = line.strip_prefix("listening ").ok_or_else(|| anyhow!("unexpected line {line:?}"))?.to_owned();
    Ok(Server { child, addr: format!("http://{addr}") })
}

/// An event frame shaped and sized like the real server's `card_moved` frame, with `op` as its client_op_id.
pub fn event_frame(op: &str, seq: i64) -> String {
    let event = Event {
        seq,
        at: time::OffsetDateTime::now_utc(),
        actor_id: Some(Uuid::new_v4()),
        client_op_id: Some(op.to_owned()),
        kind: EventKind::CardMoved {
            card_id: Uuid::new_v4(),
            from_list_id: Uuid::new_v4(),
            to_list_id: Uuid::new_v4(),
            position: "Zz".into(),
            version: 42,
        },
    };
    serde_json::to_string(&ServerMsg::Event(event)).unwrap_or_default()
}
