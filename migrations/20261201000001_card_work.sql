-- What a card carries beyond its title: labels, members, dates, checklists, comments; and archive instead of
-- delete. Every table carries `board_id`, so each statement is one board's and the board's row lock orders it.

alter table cards
    add column start_at timestamptz,
    add column due_at timestamptz,
    add column completed boolean not null default false,
    -- An archived card keeps its list and its position key, so it comes back where it was; the key stays taken
    -- while it is archived, which keeps every other card's key unique around it.
    add column archived_at timestamptz,
    add constraint cards_start_before_due check (start_at is null or due_at is null or start_at <= due_at);

alter table lists add column archived_at timestamptz;

-- The operation that created a board, so that a repeat of it answers with that board (boards have no event of
-- their own to carry it).
alter table boards
    add column created_by uuid references users (id) on delete set null,
    add column created_op text check (char_length(created_op) between 1 and 64);
create unique index boards_created_op_key on boards (created_by, created_op) where created_op is not null;

-- A refusal is answered again with the same body (code, message, fields), not only the same code.
alter table refused_ops add column detail jsonb;

create table labels (
    id uuid primary key,
    board_id uuid not null references boards (id) on delete cascade,
    name text not null default '' check (char_length(name) <= 64),
    color text not null check (color in ('green', 'yellow', 'orange', 'red', 'purple', 'blue', 'sky', 'lime', 'pink', 'gray')),
    position text collate "C" not null check (position <> ''),
    created_at timestamptz not null default now(),
    constraint labels_position_key unique (board_id, position) deferrable initially deferred,
    constraint labels_id_board_key unique (id, board_id)
);

-- Set semantics: two people adding two labels at once both stay; adding one twice is one row.
create table card_labels (
    card_id uuid not null references cards (id) on delete cascade,
    label_id uuid not null,
    board_id uuid not null,
    primary key (card_id, label_id),
    constraint card_labels_label_fkey foreign key (label_id, board_id) references labels (id, board_id) on delete cascade
);
create index card_labels_board_id on card_labels (board_id);
create index card_labels_label_id on card_labels (label_id);

create table card_members (
    card_id uuid not null references cards (id) on delete cascade,
    user_id uuid not null,
    board_id uuid not null,
    added_at timestamptz not null default clock_timestamp(),
    primary key (card_id, user_id),
    -- Only members of the board; leaving the board takes them off its cards.
    constraint card_members_member_fkey foreign key (board_id, user_id)
        references board_members (board_id, user_id) on delete cascade
);
create index card_members_board_id on card_members (board_id);

create table checklists (
    id uuid primary key,
    card_id uuid not null references cards (id) on delete cascade,
    board_id uuid not null references boards (id) on delete cascade,
    title text not null check (char_length(title) between 1 and 512),
    position text collate "C" not null check (position <> ''),
    created_at timestamptz not null default now(),
    constraint checklists_position_key unique (card_id, position) deferrable initially deferred
);
create index checklists_board_id on checklists (board_id);

create table checklist_items (
    id uuid primary key,
    checklist_id uuid not null references checklists (id) on delete cascade,
    card_id uuid not null references cards (id) on delete cascade,
    board_id uuid not null references boards (id) on delete cascade,
    text text not null check (char_length(text) between 1 and 512),
    done boolean not null default false,
    position text collate "C" not null check (position <> ''),
    created_at timestamptz not null default now(),
    constraint checklist_items_position_key unique (checklist_id, position) deferrable initially deferred
);
create index checklist_items_card_id on checklist_items (card_id);
-- The snapshot counts items per card of one board in one pass over this index.
create index checklist_items_board_card on checklist_items (board_id, card_id) include (done);

create table comments (
    id uuid primary key,
    card_id uuid not null references cards (id) on delete cascade,
    board_id uuid not null references boards (id) on delete cascade,
    author_id uuid references users (id) on delete set null,
    body text not null check (char_length(body) between 1 and 10000),
    -- One render per change, not one per reader.
    body_html text not null,
    created_at timestamptz not null default now(),
    edited_at timestamptz
);
create index comments_card_created on comments (card_id, created_at desc, id desc);
create index comments_board_card on comments (board_id, card_id);

-- Every existing board gets the six unnamed labels a new board starts with.
insert into labels (id, board_id, color, position)
select gen_random_uuid(), b.id, c.color, c.position
from boards b
cross join (values ('green', 'a0'), ('yellow', 'a1'), ('orange', 'a2'), ('red', 'a3'), ('purple', 'a4'), ('blue', 'a5'))
    as c(color, position);
