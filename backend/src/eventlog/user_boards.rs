//! The `user_boards` doorbell: tells the users whose list of boards a change affects (added, removed, renamed,
//! deleted) that it changed, so their "my boards" streams on every instance can say so. Rung by `BoardTx` in the
//! transaction of the change, so it is delivered on commit and never for a change that rolled back.

use corkboard_protocol::BoardChange;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;

/// Postgres channel carrying `<board_id>:<change>:<user_id>,<user_id>,...`.
pub const USER_BOARDS_CHANNEL: &str = "user_boards";

/// Users per notification: a NOTIFY payload must stay under 8000 bytes, and a user id takes 37 of them.
const USERS_PER_NOTIFY: i64 = 100;

/// Whose list of boards a change affects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// One user (the one added, removed, or given another role).
    User(Uuid),
    /// Every member of the board as of the transaction (a rename, a deletion: membership rows outlive it).
    Members,
}

/// Sends the doorbell in the caller's transaction, in notifications of at most `USERS_PER_NOTIFY` users.
pub(super) async fn ring(
    conn: &mut PgConnection,
    board_id: Uuid,
    change: BoardChange,
    audience: Audience,
) -> AppResult<()> {
    let users = match audience {
        Audience::User(user_id) => Some(vec![user_id]),
        Audience::Members => None,
    };
    sqlx::query!(
        r#"select pg_notify($1, $2 || string_agg(u::text, ','))
           from (select u, (row_number() over (order by u) - 1) / $5 as chunk
                 from unnest(coalesce($3::uuid[], array(select user_id from board_members where board_id = $4))) as u
                ) as audience
           group by chunk"#,
        USER_BOARDS_CHANNEL,
        format!("{board_id}:{}:", change.as_str()),
        users.as_deref(),
        board_id,
        USERS_PER_NOTIFY,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The board, the change and the users of a `user_boards` payload; `None` when it is not one.
pub fn parse(payload: &str) -> Option<(Uuid, BoardChange, Vec<Uuid>)> {
    let mut parts = payload.splitn(3, ':');
    let board_id = parts.next()?.parse().ok()?;
    let change = BoardChange::parse(parts.next()?)?;
    let users = parts.next()?.split(',').map(str::parse).collect::<Result<Vec<Uuid>, _>>().ok()?;
    Some((board_id, change, users))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_as_its_board_change_and_users() {
        let (board, ann, bob) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let payload = format!("{board}:deleted:{ann},{bob}");
        assert_eq!(parse(&payload), Some((board, BoardChange::Deleted, vec![ann, bob])));
        assert_eq!(parse(&format!("{board}:exploded:{ann}")), None);
        assert_eq!(parse(&format!("{board}:added:not-a-user")), None);
        assert_eq!(parse(&board.to_string()), None);
    }
}
