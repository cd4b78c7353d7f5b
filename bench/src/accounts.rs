//! Crowds of accounts, inserted straight into the server's database: users, their sessions and board
//! memberships in a few batched statements, and each session's token minted with the server's own `TokenKeys`.
//!
//! Signing up through the API costs an Argon2id hash per account (and is rate limited per address), which would
//! make 5,000 accounts take minutes; what sign-up costs is `login-flood`'s measurement, not setup's. Every bulk
//! user shares one precomputed hash of `client::PASSWORD`, so they can still sign in for real.

use anyhow::{Context, anyhow};
use corkboard_protocol::Role;
use corkboard_server::auth::{HashingPool, PoolSize, TokenKeys};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::Common;
use crate::client::{PASSWORD, User};

/// Rows per insert statement: one round trip per 5,000 accounts.
const BATCH: usize = 5000;

/// Writes accounts, sessions and memberships into the server's database and signs tokens it accepts.
pub struct Accounts {
    db: PgPool,
    keys: TokenKeys,
    password_hash: String,
}

impl Accounts {
    /// Needs the server's database (`--database-url`) and its token secret (`BENCH_JWT_SECRET`).
    pub async fn connect(common: &Common) -> anyhow::Result<Self> {
        let url = common
            .database_url
            .as_deref()
            .ok_or_else(|| anyhow!("crowds of users need --database-url (or BENCH_DATABASE_URL)"))?;
        let secret = common.jwt_secret.as_deref().ok_or_else(|| {
            anyhow!("crowds of users need the server's CORKBOARD_JWT_SECRET as --jwt-secret (or BENCH_JWT_SECRET)")
        })?;
        let db = PgPoolOptions::new().max_connections(2).connect(url).await.context("connect to the database")?;
        // The server's own hasher (one worker, used once), so the stored hash is exactly what it would write.
        let hasher =
            HashingPool::start(PoolSize { workers: 1, queue_per_worker: 1, wait: std::time::Duration::from_secs(10) })?;
        let password_hash = hasher.hash_patiently(PASSWORD.to_owned()).await.map_err(|err| anyhow!("hash: {err:?}"))?;
        Ok(Self { db, keys: TokenKeys::new(secret.as_bytes()), password_hash })
    }

    /// `n` users named `<prefix>_<i>` (display name the same), each with one live session and its token.
    pub async fn create_users(&self, prefix: &str, n: usize) -> anyhow::Result<Vec<User>> {
        let expires_at = OffsetDateTime::now_utc() + Duration::days(2);
        let mut users = Vec::with_capacity(n);
        let indices: Vec<usize> = (0..n).collect();
        for chunk in indices.chunks(BATCH) {
            let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::new_v4()).collect();
            let sessions: Vec<Uuid> = chunk.iter().map(|_| Uuid::new_v4()).collect();
            let names: Vec<String> = chunk.iter().map(|i| format!("{prefix}_{i}")).collect();
            let mut tx = self.db.begin().await?;
            sqlx::query(
                "insert into users (id, username, display_name, password_hash)
                 select id, name, name, $3 from unnest($1::uuid[], $2::text[]) as t (id, name)",
            )
            .bind(&ids)
            .bind(&names)
            .bind(&self.password_hash)
            .execute(&mut *tx)
            .await
            .map_err(|err| anyhow!("insert users: {err:?}"))?;
            sqlx::query(
                "insert into sessions (id, user_id, expires_at)
                 select sid, uid, $3 from unnest($1::uuid[], $2::uuid[]) as t (sid, uid)",
            )
            .bind(&sessions)
            .bind(&ids)
            .bind(expires_at)
            .execute(&mut *tx)
            .await
            .map_err(|err| anyhow!("insert sessions: {err:?}"))?;
            tx.commit().await?;
            for ((id, sid), name) in ids.into_iter().zip(sessions).zip(names) {
                let token = self.keys.issue(id, sid, expires_at)?;
                users.push(User { id, name, token });
            }
        }
        Ok(users)
    }

    /// Makes each of `users` a member of `board` with `role`.
    pub async fn add_members(&self, board: Uuid, users: &[User], role: Role) -> anyhow::Result<()> {
        for chunk in users.chunks(BATCH) {
            let ids: Vec<Uuid> = chunk.iter().map(|u| u.id).collect();
            sqlx::query(
                "insert into board_members (board_id, user_id, role)
                 select $1, uid, $3 from unnest($2::uuid[]) as t (uid) on conflict do nothing",
            )
            .bind(board)
            .bind(&ids)
            .bind(role.as_str())
            .execute(&self.db)
            .await
            .map_err(|err| anyhow!("insert board members: {err:?}"))?;
        }
        Ok(())
    }

    /// The users of `seating` (named `<prefix>_<i>`), each a viewer of its board: their tokens, board by board.
    pub async fn seat_crowd(
        &self,
        prefix: &str,
        seating: &Seating,
        boards: &[Uuid],
    ) -> anyhow::Result<Vec<Vec<String>>> {
        anyhow::ensure!(boards.len() == seating.boards, "{} boards for a seating of {}", boards.len(), seating.boards);
        eprintln!("inserting {} users over {} boards…", seating.users, boards.len());
        let users = self.create_users(prefix, seating.users).await?;
        let mut by_board = Vec::with_capacity(boards.len());
        for (b, &board) in boards.iter().enumerate() {
            let members: Vec<User> = seating.users_of(b).map(|u| users[u].clone()).collect();
            self.add_members(board, &members, Role::Viewer).await?;
            by_board.push(members.into_iter().map(|u| u.token).collect());
        }
        Ok(by_board)
    }
}

/// How a crowd of sockets is seated: `users` accounts over `boards` boards, user `u` a member of board
/// `u % boards` only, and each board's sockets opened with its users' tokens in turn. So no one holds more than
/// `per_user` sockets, and a person's sockets (two tabs) watch the same board.
#[derive(Debug, Clone, Copy)]
pub struct Seating {
    pub users: usize,
    pub boards: usize,
}

impl Seating {
    pub fn new(sockets: usize, per_user: usize, boards: usize) -> Self {
        let boards = boards.max(1);
        // At least one user per board, and enough that each board's share divides over its own users.
        let per_board = sockets.div_ceil(boards).div_ceil(per_user.max(1)).max(1);
        Self { users: per_board * boards, boards }
    }

    /// The users (indices) that watch board `b`.
    pub fn users_of(&self, b: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.users).filter(move |u| u % self.boards == b)
    }

    /// How many of `total` sockets watch board `b`.
    pub fn sockets_on(&self, b: usize, total: usize) -> usize {
        total / self.boards + usize::from(b < total % self.boards)
    }
}
