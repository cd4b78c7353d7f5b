//! Snapshot: `GET /api/boards/{id}` of a board with many cards, bare (titles and descriptions only) and busy
//! (every card with labels, a member, a due date, a checklist and comments: `faces`). The rows are inserted
//! straight into the database (setup, not the measured path; no events needed for a snapshot). Measured
//! without compression and with the `Accept-Encoding` a browser sends (the server compresses; what a person
//! waits for). One record per board.

mod busy;

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use corkboard_protocol::Snapshot;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::Common;
use crate::client::{Api, User};
use crate::stats::{self, Dist, new_hist};

/// What the board's cards carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Faces {
    /// A title and a short description.
    Bare,
    /// Besides those: two labels, one member, a due date, a checklist of four items (two done), two comments.
    Busy,
}

impl Faces {
    fn name(self) -> &'static str {
        match self {
            Faces::Bare => "bare",
            Faces::Busy => "busy",
        }
    }
}

#[derive(Args, Clone)]
pub struct SnapshotArgs {
    #[arg(long, default_value_t = 5000)]
    pub cards: usize,
    #[arg(long, default_value_t = 5)]
    pub lists: usize,
    /// Measured GETs per encoding (after 5 warm-up GETs).
    #[arg(long, default_value_t = 100)]
    pub requests: usize,
    /// The boards to measure, one after the other in one run.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "bare,busy")]
    pub faces: Vec<Faces>,
}

/// Base-62 order key `b` + two digits (3,844 keys per list, in byte order).
fn key(i: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let (hi, lo) = (i / 62 % 62, i % 62);
    format!("b{}{}", DIGITS[hi] as char, DIGITS[lo] as char)
}

pub async fn run(common: &Common, args: &SnapshotArgs) -> anyhow::Result<()> {
    let url = common.database_url.as_deref().ok_or_else(|| anyhow!("snapshot needs --database-url"))?;
    let db = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await?;
    let api = Api::new(&common.server)?;
    let owner = api.register_many(&format!("{}_n", common.run_id()), 1).await?.remove(0);
    // Every board is made before any is measured, so each is measured with the same rows in the tables.
    let mut boards = Vec::new();
    for &faces in &args.faces {
        boards.push((faces, make_board(&db, &api, &owner, args, faces).await?));
    }
    for (faces, board) in boards {
        measure(common, &api, &owner, args, faces, board).await?;
    }
    Ok(())
}

/// A board with `args.lists` lists and `args.cards` cards spread over them, carrying `faces`.
async fn make_board(db: &PgPool, api: &Api, owner: &User, args: &SnapshotArgs, faces: Faces) -> anyhow::Result<Uuid> {
    let board = api.create_board(&owner.token, &format!("Snapshot bench ({})", faces.name())).await?;
    let mut lists = Vec::new();
    for l in 0..args.lists.max(1) {
        lists.push(api.create_list(&owner.token, board, &format!("List {l}")).await?);
    }
    let per_list = args.cards.div_ceil(lists.len());
    if per_list > 62 * 62 {
        bail!("at most {} cards per list", 62 * 62);
    }
    let (mut ids, mut list_ids, mut titles, mut descriptions, mut positions) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..args.cards {
        ids.push(Uuid::new_v4());
        list_ids.push(lists[i / per_list]);
        titles.push(format!("Card {i}: follow up on the quarterly planning notes"));
        descriptions.push(format!("Card {i}. A short description, as most cards have: who, what, and a link or two."));
        positions.push(key(i % per_list));
    }
    sqlx::query(
        "insert into cards (id, board_id, list_id, title, description, position)
         select id, $1, list_id, title, description, position
         from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[]) as t(id, list_id, title, description, position)",
    )
    .bind(board)
    .bind(&ids)
    .bind(&list_ids)
    .bind(&titles)
    .bind(&descriptions)
    .bind(&positions)
    .execute(db)
    .await?;
    match faces {
        Faces::Bare => {
            sqlx::query("analyze cards").execute(db).await?;
        }
        Faces::Busy => busy::fill(db, board, owner.id, &ids).await?,
    }
    Ok(board)
}

async fn measure(
    common: &Common,
    api: &Api,
    owner: &User,
    args: &SnapshotArgs,
    faces: Faces,
    board: Uuid,
) -> anyhow::Result<()> {
    let path = format!("/api/boards/{board}");
    let snapshot: Snapshot = serde_json::from_str(&api_get_json(api, &path, &owner.token).await?)?;
    if snapshot.cards.len() != args.cards {
        bail!("the snapshot has {} cards, expected {}", snapshot.cards.len(), args.cards);
    }
    if faces == Faces::Busy {
        busy::check(&snapshot)?;
    }
    let mut results = serde_json::Map::new();
    for (label, encoding) in [("identity", None), ("browser", Some("gzip, deflate, br, zstd"))] {
        let mut hist = new_hist();
        let mut bytes = 0;
        for i in 0..args.requests + 5 {
            let started = Instant::now();
            let (status, len) =
                tokio::time::timeout(Duration::from_secs(10), api.get_bytes(&path, &owner.token, encoding)).await??;
            let micros = started.elapsed().as_micros() as u64;
            if status != 200 {
                bail!("GET {path} → {status}");
            }
            bytes = len;
            if i >= 5 {
                hist.saturating_record(micros.max(1));
            }
        }
        let dist = Dist::of(&hist);
        eprintln!("snapshot ({}, {label}, {bytes} B): {dist}", faces.name());
        results.insert(label.into(), json!({"latency": dist, "body_bytes": bytes}));
    }
    stats::emit(
        common.out.as_deref(),
        "snapshot",
        "corkboard",
        json!({"cards": args.cards, "lists": args.lists.max(1), "requests": args.requests, "faces": faces.name()}),
        serde_json::Value::Object(results),
    );
    Ok(())
}

async fn api_get_json(api: &Api, path: &str, token: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    Ok(client.get(format!("{}{path}", api.base)).bearer_auth(token).send().await?.error_for_status()?.text().await?)
}
