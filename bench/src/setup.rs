//! Setup through the REST API: users, boards, lists, cards, members. Not measured.

use std::sync::Arc;

use corkboard_protocol::{ClientMsg, MoveTarget};
use uuid::Uuid;

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
    pub owner: User,
    pub users: Vec<User>,
    pub board: BoardSetup,
}

impl FanoutSetup {
    pub fn target(&self, dialer: Arc<Dialer>) -> fanout::Target {
        let board = self.board.clone();
        fanout::Target {
            name: "corkboard",
            dialer,
            path: self.board.ws_path(),
            watcher_tokens: self.users.iter().map(|u| u.token.clone()).collect(),
            mover_token: Some(self.owner.token.clone()),
            frame: Box::new(move |m, n, op| board.move_frame(m, n, op)),
        }
    }
}

/// One owner (the movers) and `users` watcher accounts, all on one board with a card per mover.
pub async fn fanout_board(api: &Api, run_id: &str, users: usize, movers: usize) -> anyhow::Result<FanoutSetup> {
    eprintln!("registering {} users…", users + 1);
    let mut all = api.register_many(&format!("{run_id}_f"), users.max(1) + 1).await?;
    let owner = all.remove(0);
    let board = board(api, &owner, &all, "Fan-out bench", movers).await?;
    Ok(FanoutSetup { owner, users: all, board })
}
