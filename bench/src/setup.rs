//! Setup, not measured: the few owners, boards, lists, cards and members through the REST API; crowds of
//! accounts inserted into the database (`accounts`).

use std::sync::Arc;

use corkboard_protocol::{ClientMsg, MoveTarget, Role};
use uuid::Uuid;

use crate::accounts::{Accounts, Seating};
use crate::client::{Api, Dialer, User};
use crate::scenario::fanout;

/// A board with two lists; `cards` cards in the first, one per mover, which bounce between the lists.
#[derive(Debug, Clone)]
pub struct BoardSetup {
    pub board: Uuid,
    pub lists: [Uuid; 2],
    pub cards: Vec<Uuid>,
}

impl BoardSetup {
    pub fn ws_path(&self) -> String {
        format!("/api/boards/{}/ws", self.board)
    }

    /// Mover `m`'s `n`-th move: its own card to the other list, first (the card starts in list 0).
    pub fn move_frame(&self, m: usize, n: usize, op: &str) -> String {
        let msg = ClientMsg::move_card(
            op.to_owned(),
            self.cards[m % self.cards.len()],
            self.lists[(n + 1) % 2],
            MoveTarget::First,
        );
        serde_json::to_string(&msg).unwrap_or_default()
    }
}

pub async fn board(api: &Api, owner: &User, members: &[User], title: &str, cards: usize) -> anyhow::Result<BoardSetup> {
    let board = api.create_board(&owner.token, title).await?;
    let a = api.create_list(&owner.token, board, "Doing").await?;
    let b = api.create_list(&owner.token, board, "Done").await?;
    let mut ids = Vec::with_capacity(cards);
    for i in 0..cards.max(1) {
        ids.push(api.create_card(&owner.token, a, &format!("Card {i}")).await?);
    }
    for member in members {
        api.add_member(&owner.token, board, &member.name, "editor").await?;
    }
    Ok(BoardSetup { board, lists: [a, b], cards: ids })
}

pub struct FanoutSetup {
    pub watcher_tokens: Vec<String>,
    /// One account per mover socket, editors of the board.
    pub mover_tokens: Vec<String>,
    pub board: BoardSetup,
}

impl FanoutSetup {
    pub fn target(&self, dialer: Arc<Dialer>) -> fanout::Target {
        let board = self.board.clone();
        fanout::Target {
            name: "corkboard",
            dialer,
            path: self.board.ws_path(),
            watcher_tokens: self.watcher_tokens.clone(),
            mover_tokens: self.mover_tokens.clone(),
            frame: Box::new(move |m, n, op| board.move_frame(m, n, op)),
        }
    }
}

/// One board with a card per mover: its owner registered through the API, a mover account per mover socket
/// (editors) and enough watcher accounts (viewers) that none holds more than `per_user` of the `watchers`
/// sockets, inserted.
pub async fn fanout_board(
    api: &Api,
    accounts: &Accounts,
    run_id: &str,
    watchers: usize,
    per_user: usize,
    movers: usize,
) -> anyhow::Result<FanoutSetup> {
    let owner = api.register_many(&format!("{run_id}_fo"), 1).await?.remove(0);
    let board = board(api, &owner, &[], "Fan-out bench", movers).await?;
    let mover_users = accounts.create_users(&format!("{run_id}_m"), movers.max(1)).await?;
    accounts.add_members(board.board, &mover_users, Role::Editor).await?;
    let seating = Seating::new(watchers, per_user, 1);
    let watcher_tokens = accounts.seat_crowd(&format!("{run_id}_w"), &seating, &[board.board]).await?.remove(0);
    let mover_tokens = mover_users.into_iter().map(|u| u.token).collect();
    Ok(FanoutSetup { watcher_tokens, mover_tokens, board })
}
