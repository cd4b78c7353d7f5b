//! The integration-test harness: `spawn_app()` starts the real server on a free port against a fresh Postgres
//! database, and `TestApp` speaks the API through typed helpers so tests read as what a user does.
//!
//! Postgres comes from `DATABASE_URL` (any database on the server: each test creates its own), defaulting to
//! the local server at 127.0.0.1:5432.

pub mod chaos;
pub mod pg;
pub mod process;
mod rest;
pub mod ws;

use std::net::SocketAddr;

use clap::Parser;
use corkboard_protocol::{
    AuthResponse, Board, Card, ErrorBody, ErrorCode, List, Member, MoveCardResponse, Role, Snapshot,
};
use corkboard_server::{AppState, Config};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";
/// The signing secret of test servers (tests forge tokens with it and with others).
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// A running server and its private database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`, also the server's public URL (so it is the allowed Origin).
    pub base_url: String,
    pub db: PgPool,
    /// URL of this test's database, for a second instance or a raw connection.
    pub db_url: String,
    pub db_name: String,
    /// The Postgres server the database lives on.
    pub server_url: String,
    /// A plain client: no cookie store, so each request says how it authenticates.
    pub client: reqwest::Client,
    server: Option<ServerHandle>,
}

/// One server instance; dropping or `stop`ping it shuts it down.
pub struct ServerHandle {
    pub addr: SocketAddr,
    /// The instance's realtime hub, for tests that look at its counters.
    pub hub: corkboard_server::realtime::Hub,
    /// The instance's password-hashing pool, for tests that look at how many hashes ran at once.
    pub hasher: corkboard_server::auth::HashingPool,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl ServerHandle {
    /// Graceful shutdown, waiting until the server has stopped.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A registered user and their bearer token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub username: String,
    pub token: String,
}

fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `url` with its database name replaced.
fn with_database(url: &str, db_name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db_name}?{q}"),
        None => format!("{base}/{db_name}"),
    }
}

/// A fresh, migrated database for one test on the shared server.
pub async fn fresh_database() -> (String, String) {
    fresh_database_on(&server_url()).await
}

/// A fresh, migrated database on the Postgres server at `server` (any database URL of that server).
pub async fn fresh_database_on(server: &str) -> (String, String) {
    let db_name = format!("corkboard_test_{}", Uuid::new_v4().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&with_database(server, "postgres"))
        .await
        .expect("Postgres must be reachable at DATABASE_URL (or 127.0.0.1:5432) for the integration tests");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {db_name}")))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let db_url = with_database(server, &db_name);
    let pool = PgPoolOptions::new().max_connections(1).connect(&db_url).await.expect("connect test database");
    corkboard_server::migrate(&pool).await.expect("migrations");
    pool.close().await;
    (db_url, db_name)
}

/// The test server's configuration: what `corkboard` would parse from flags.
pub fn test_config(db_url: &str, public_url: &str) -> Config {
    Config::parse_from([
        "corkboard",
        "--database-url",
        db_url,
        "--public-url",
        public_url,
        "--jwt-secret",
        JWT_SECRET,
        "--static-dir",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../frontend/dist"),
        "--db-max-connections",
        "10",
    ])
}

/// Starts the real server on a free loopback port against `db_url`; `configure` may adjust its config.
pub async fn start_server(db_url: &str, configure: impl FnOnce(&mut Config)) -> ServerHandle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
    let addr = listener.local_addr().expect("local addr");
    let mut config = test_config(db_url, &format!("http://{addr}"));
    configure(&mut config);
    let db = corkboard_server::connect(&config).await.expect("server pool");
    let state = AppState::new(config, db).await.expect("app state");
    let hub = state.hub.clone();
    let hasher = state.hasher.clone();
    let (shutdown, shutdown_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(corkboard_server::serve(listener, state, async move {
        let _ = shutdown_rx.await;
    }));
    ServerHandle { addr, hub, hasher, shutdown: Some(shutdown), task: Some(task) }
}

/// For apps where one test signs up more people than one address may at once (10): all of a test's people
/// sign up from 127.0.0.1. `spawn_app_with(no_signup_limit)`.
pub fn no_signup_limit(config: &mut Config) {
    config.signup_burst = 0;
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// `spawn_app` with an adjusted configuration (allowed origins, session length, …).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(&server_url(), configure).await
}

/// `spawn_app_with` on another Postgres server, e.g. a `pg::PrivatePostgres` that the test may stop.
pub async fn spawn_app_on(postgres: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    let (db_url, db_name) = fresh_database_on(postgres).await;
    let server = start_server(&db_url, configure).await;
    let db = PgPoolOptions::new().max_connections(4).connect(&db_url).await.expect("test pool");
    TestApp {
        addr: server.addr,
        base_url: format!("http://{}", server.addr),
        db,
        db_url,
        db_name,
        server_url: postgres.to_owned(),
        client: reqwest::Client::new(),
        server: Some(server),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.server.take());
        // Drop the database from a thread of its own: Drop cannot await, and the test's runtime may be gone.
        let db_name = self.db_name.clone();
        let admin_url = with_database(&self.server_url, "postgres");
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                if let Ok(admin) = PgPoolOptions::new().max_connections(1).connect(&admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists {db_name} with (force)")))
                        .execute(&admin)
                        .await;
                }
            });
        })
        .join();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Ends every connection to this test's database but the one asking (the server's pool and its listener
    /// among them): what a Postgres restart does to the server, for this database only.
    pub async fn terminate_database_connections(&self) {
        terminate_connections(&self.db).await;
    }

    /// Stops the app's server; the database stays, so `start_server(&app.db_url, ..)` can start another on it.
    pub async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// The running server's realtime hub.
    pub fn hub(&self) -> &corkboard_server::realtime::Hub {
        &self.server.as_ref().expect("the server is running").hub
    }

    /// The running server's password-hashing pool.
    pub fn hasher(&self) -> &corkboard_server::auth::HashingPool {
        &self.server.as_ref().expect("the server is running").hasher
    }

    /// A second server instance on this app's database.
    pub async fn start_instance(&self) -> ServerHandle {
        start_server(&self.db_url, |_| {}).await
    }

    /// A request with a bearer token (or none) and an optional JSON body.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req
    }

    /// Sends a request as `user` and returns status and parsed JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&TestUser>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let resp = self
            .request(method, path, user.map(|u| u.token.as_str()), body.as_ref())
            .send()
            .await
            .expect("request sent");
        read(resp).await
    }

    pub async fn register(&self, username: &str) -> TestUser {
        let (status, body) = self
            .call(Method::POST, "/api/auth/register", None, Some(json!({"username": username, "password": PASSWORD})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {username}: {body}");
        let auth: AuthResponse = serde_json::from_value(body).expect("auth response");
        TestUser { id: auth.user.id, username: auth.user.username, token: auth.token }
    }

    pub async fn create_board(&self, user: &TestUser, title: &str) -> Board {
        self.expect(StatusCode::CREATED, Method::POST, "/api/boards", user, json!({"title": title})).await
    }

    pub async fn create_list(&self, user: &TestUser, board_id: Uuid, title: &str) -> List {
        let path = format!("/api/boards/{board_id}/lists");
        self.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"title": title})).await
    }

    pub async fn create_card(&self, user: &TestUser, list_id: Uuid, title: &str) -> Card {
        let path = format!("/api/lists/{list_id}/cards");
        self.expect(StatusCode::CREATED, Method::POST, &path, user, json!({"title": title})).await
    }

    /// Moves a card and expects success.
    pub async fn move_card(
        &self,
        user: &TestUser,
        card_id: Uuid,
        list_id: Uuid,
        after_id: Option<Uuid>,
    ) -> MoveCardResponse {
        let path = format!("/api/cards/{card_id}/move");
        self.expect(StatusCode::OK, Method::POST, &path, user, json!({"list_id": list_id, "after_id": after_id})).await
    }

    /// Archives a card (the step before deleting it for good).
    pub async fn archive_card(&self, user: &TestUser, card_id: Uuid) -> Card {
        let path = format!("/api/cards/{card_id}/archive");
        let (status, body) = self.call(Method::POST, &path, Some(user), None).await;
        assert_eq!(status, StatusCode::OK, "archive card: {body}");
        serde_json::from_value(body).expect("a card")
    }

    /// Archives a list with its cards (the step before deleting it for good).
    pub async fn archive_list(&self, user: &TestUser, list_id: Uuid) -> List {
        let path = format!("/api/lists/{list_id}/archive");
        let (status, body) = self.call(Method::POST, &path, Some(user), None).await;
        assert_eq!(status, StatusCode::OK, "archive list: {body}");
        serde_json::from_value(body).expect("a list")
    }

    pub async fn add_member(&self, admin: &TestUser, board_id: Uuid, member: &TestUser, role: Role) -> Member {
        let path = format!("/api/boards/{board_id}/members");
        self.expect(StatusCode::CREATED, Method::POST, &path, admin, json!({"username": member.username, "role": role}))
            .await
    }

    pub async fn snapshot(&self, user: &TestUser, board_id: Uuid) -> Snapshot {
        self.snapshot_at(self.addr, user, board_id).await
    }

    /// The snapshot as the instance at `addr` serves it (another instance, or a `corkboard` process).
    pub async fn snapshot_at(&self, addr: SocketAddr, user: &TestUser, board_id: Uuid) -> Snapshot {
        let url = format!("http://{addr}/api/boards/{board_id}");
        let (status, body) =
            read(self.client.get(url).bearer_auth(&user.token).send().await.expect("request sent")).await;
        assert_eq!(status, StatusCode::OK, "snapshot: {body}");
        serde_json::from_value(body).expect("snapshot shape")
    }

    /// A board with `lists` lists named L0, L1, … each holding `cards_per_list` cards named L<i>C<j>.
    pub async fn board_with(
        &self,
        user: &TestUser,
        lists: usize,
        cards_per_list: usize,
    ) -> (Board, Vec<List>, Vec<Vec<Card>>) {
        let board = self.create_board(user, "Test board").await;
        let mut all_lists = Vec::new();
        let mut all_cards = Vec::new();
        for i in 0..lists {
            let list = self.create_list(user, board.id, &format!("L{i}")).await;
            let mut cards = Vec::new();
            for j in 0..cards_per_list {
                cards.push(self.create_card(user, list.id, &format!("L{i}C{j}")).await);
            }
            all_lists.push(list);
            all_cards.push(cards);
        }
        (board, all_lists, all_cards)
    }

    /// Sends and expects `status`, parsing the body as `T`.
    pub async fn expect<T: DeserializeOwned>(
        &self,
        status: StatusCode,
        method: Method,
        path: &str,
        user: &TestUser,
        body: impl Serialize,
    ) -> T {
        let body = serde_json::to_value(body).expect("serialisable body");
        let (got, value) = self.call(method.clone(), path, Some(user), Some(body)).await;
        assert_eq!(got, status, "{method} {path}: {value}");
        serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{method} {path}: unexpected body {value}: {e}"))
    }

    /// The event log of a board as (seq, kind), straight from the database.
    pub async fn event_log(&self, board_id: Uuid) -> Vec<(i64, String)> {
        sqlx::query_as("select seq, kind from events where board_id = $1 order by seq")
            .bind(board_id)
            .fetch_all(&self.db)
            .await
            .expect("read event log")
    }

    /// The board's seq as stored.
    pub async fn board_seq(&self, board_id: Uuid) -> i64 {
        sqlx::query_scalar("select seq from boards where id = $1")
            .bind(board_id)
            .fetch_one(&self.db)
            .await
            .expect("board seq")
    }
}

/// Status and JSON body of a response (Null for an empty body, a string for non-JSON).
pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}

/// Asserts a documented error: the status, the code, and the `{"error": {"code", "message"}}` shape.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: ErrorCode) {
    let (got_status, body) = got;
    assert_eq!(*got_status, status, "expected {status} {code}, got {got_status}: {body}");
    let parsed: ErrorBody =
        serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not an error body: {body} ({e})"));
    assert_eq!(parsed.error.code, code, "{body}");
    assert!(!parsed.error.message.is_empty(), "an error explains itself: {body}");
}

/// Cards of a snapshot grouped per list, titles in display order: the board as a person sees it.
pub fn columns(snapshot: &Snapshot) -> Vec<(String, Vec<String>)> {
    snapshot
        .lists
        .iter()
        .map(|list| {
            let titles = snapshot.cards.iter().filter(|c| c.list_id == list.id).map(|c| c.title.clone()).collect();
            (list.title.clone(), titles)
        })
        .collect()
}

/// Card ids per list of a snapshot, in display order.
pub fn card_ids(snapshot: &Snapshot) -> Vec<Vec<Uuid>> {
    snapshot
        .lists
        .iter()
        .map(|list| snapshot.cards.iter().filter(|c| c.list_id == list.id).map(|c| c.id).collect())
        .collect()
}

/// Ends every connection to `db`'s database except the one running this statement.
pub async fn terminate_connections(db: &PgPool) {
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()",
    )
    .execute(db)
    .await
    .expect("terminate backends");
}
