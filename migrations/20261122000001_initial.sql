-- Corkboard's schema. Constraints live here too: the database is the last line of defence against a bug above it.

create table users (
    id uuid primary key,
    -- Stored lowercased by the server; the index below makes uniqueness case-insensitive even if a bug forgets.
    username text not null check (username ~ '^[a-z0-9_.-]{3,32}$'),
    display_name text not null check (char_length(display_name) between 1 and 64),
    password_hash text not null,
    created_at timestamptz not null default now()
);
create unique index users_username_key on users (lower(username));

-- A login is a session; the JWT carries its id (`sid`), so logging out (revoking the row) kills the token at once.
create table sessions (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz
);
create index sessions_user_id on sessions (user_id);

create table boards (
    id uuid primary key,
    title text not null check (char_length(title) between 1 and 512),
    -- The seq of the board's newest event. Every change locks this row, which orders all writes of one board.
    seq bigint not null default 0 check (seq >= 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- Deletion is soft so that the `board_deleted` event stays in the log for the sockets still watching.
    deleted_at timestamptz
);

create table board_members (
    board_id uuid not null references boards (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    role text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    created_at timestamptz not null default now(),
    primary key (board_id, user_id)
);
create index board_members_user_id on board_members (user_id);
-- Exactly one owner: at most one here, at least one because the owner cannot be removed or demoted.
create unique index board_members_one_owner on board_members (board_id) where role = 'owner';

-- Positions are compared byte-wise ("C" collation) so that the server's order keys sort the same in SQL,
-- in Rust and in the browser, whatever the database's default collation.
create table lists (
    id uuid primary key,
    board_id uuid not null references boards (id) on delete cascade,
    title text not null check (char_length(title) between 1 and 512),
    position text collate "C" not null check (position <> ''),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- Deferred so that a rebalance may rewrite every key of a board in any order within one transaction.
    constraint lists_position_key unique (board_id, position) deferrable initially deferred,
    -- Lets cards reference (list, board) together, so a card can never sit in another board's list.
    constraint lists_id_board_key unique (id, board_id)
);

create table cards (
    id uuid primary key,
    board_id uuid not null references boards (id) on delete cascade,
    list_id uuid not null,
    title text not null check (char_length(title) between 1 and 512),
    description text not null default '' check (octet_length(description) <= 65536),
    position text collate "C" not null check (position <> ''),
    version bigint not null default 1 check (version >= 1),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint cards_list_fkey foreign key (list_id, board_id) references lists (id, board_id) on delete cascade,
    constraint cards_position_key unique (list_id, position) deferrable initially deferred
);
create index cards_board_id on cards (board_id);

-- The event log: the source of every push and of every resume. Written in the same transaction as the change.
create table events (
    board_id uuid not null references boards (id) on delete cascade,
    seq bigint not null check (seq >= 1),
    kind text not null,
    data jsonb not null,
    -- Kept when the account goes away: the history stays, the actor becomes unknown.
    actor_id uuid references users (id) on delete set null,
    client_op_id text check (char_length(client_op_id) between 1 and 64),
    at timestamptz not null default now(),
    primary key (board_id, seq)
);
-- Exactly-once: an operation id that a user already applied on a board is found here and not applied again.
create unique index events_client_op_key on events (board_id, actor_id, client_op_id) where client_op_id is not null;
