//! Sessions: owns the `sessions` rows and the `session_revoked` doorbell. A token names its session, so the row
//! decides whether a token still works: logout revokes it, and every instance closes the streams opened with it.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppResult;

/// Postgres channel on which a revoked session id is announced, so every instance closes its sockets.
pub const SESSION_REVOKED_CHANNEL: &str = "session_revoked";

/// A new session for `user_id`, in the caller's transaction; returns its id.
pub async fn start(conn: &mut PgConnection, user_id: Uuid, expires_at: OffsetDateTime) -> AppResult<Uuid> {
    let session_id = Uuid::now_v7();
    sqlx::query!("insert into sessions (id, user_id, expires_at) values ($1, $2, $3)", session_id, user_id, expires_at)
        .execute(conn)
        .await?;
    Ok(session_id)
}

/// Revokes a session and announces it, in one transaction: the NOTIFY is delivered on commit to every instance,
/// which closes the sockets opened with this session.
pub async fn revoke(db: &PgPool, session_id: Uuid) -> AppResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query!("update sessions set revoked_at = now() where id = $1 and revoked_at is null", session_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("select pg_notify($1, $2)", SESSION_REVOKED_CHANNEL, session_id.to_string()).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `session_id` is a live session of `user_id` (the check behind every authenticated request).
pub async fn is_live_for(db: &PgPool, session_id: Uuid, user_id: Uuid) -> AppResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"select exists(
               select 1 from sessions
               where id = $1 and user_id = $2 and revoked_at is null and expires_at > now()
           ) as "live!""#,
        session_id,
        user_id,
    )
    .fetch_one(db)
    .await?)
}

/// Whether a session is still live (a stream's check once it has joined the hub).
pub async fn is_live(db: &PgPool, session_id: Uuid) -> AppResult<bool> {
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from sessions where id = $1 and revoked_at is null and expires_at > now()) as "live!""#,
        session_id,
    )
    .fetch_one(db)
    .await?)
}

/// Those of `sessions` that were revoked or have expired.
pub async fn dead_among(db: &PgPool, sessions: &[Uuid]) -> AppResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "select id from sessions where id = any($1) and (revoked_at is not null or expires_at <= now())",
        sessions,
    )
    .fetch_all(db)
    .await?)
}
