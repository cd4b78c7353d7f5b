-- Exactly-once also for refusals: a move that was refused for good (stale neighbour, no longer an editor, card
-- gone) is remembered under its client_op_id, so a late duplicate of the same operation (a request still in
-- flight from a dropped socket, a resend after a lost answer) gets the same refusal instead of being applied after
-- the client already rolled it back.
create table refused_ops (
    board_id uuid not null references boards (id) on delete cascade,
    actor_id uuid not null references users (id) on delete cascade,
    client_op_id text not null check (char_length(client_op_id) between 1 and 64),
    code text not null,
    at timestamptz not null default now(),
    primary key (board_id, actor_id, client_op_id)
);
