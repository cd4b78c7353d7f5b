//! Labels: the board's label set and the labels on cards. Owns the `labels` and `card_labels` rows.

use axum::Router;
use corkboard_protocol::{Label, LabelColor};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;
use crate::ordering::positions::spread;
use crate::state::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths())]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
}

/// The board's labels in position order.
pub async fn board_labels(conn: &mut PgConnection, board_id: Uuid) -> AppResult<Vec<Label>> {
    Ok(sqlx::query_as!(
        Label,
        r#"select id, board_id, name, color as "color: LabelColor", position from labels
           where board_id = $1 order by position"#,
        board_id,
    )
    .fetch_all(conn)
    .await?)
}

/// The unnamed labels a new board starts with (part of its state before the first event, like its owner).
pub async fn insert_defaults(conn: &mut PgConnection, board_id: Uuid) -> AppResult<()> {
    let colors: Vec<String> = LabelColor::NEW_BOARD.iter().map(|c| c.as_str().to_owned()).collect();
    let positions: Vec<String> = spread().take(colors.len()).collect();
    let ids: Vec<Uuid> = colors.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        "insert into labels (id, board_id, color, position)
         select id, $1, color, position from unnest($2::uuid[], $3::text[], $4::text[]) as l(id, color, position)",
        board_id,
        &ids,
        &colors,
        &positions,
    )
    .execute(conn)
    .await?;
    Ok(())
}
