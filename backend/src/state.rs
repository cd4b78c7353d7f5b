//! The state every handler shares. Built once at startup; cheap to clone (everything is behind an Arc or a pool).

use std::sync::Arc;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::auth::ratelimit::LoginLimiter;
use crate::auth::{TokenKeys, hash_password};
use crate::config::{Config, ConfigError};
use crate::db_health::DbHealth;
use crate::realtime::{Hub, UserStreams};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    /// Origins allowed to send cookie-authenticated changes: the public one and the configured extras.
    pub allowed_origins: Arc<Vec<String>>,
    /// A real Argon2id hash that login checks unknown usernames against, so they cost as much as known ones.
    pub dummy_password_hash: String,
    /// Failed-login throttling per account and per address.
    pub login_limiter: Arc<LoginLimiter>,
    /// Whether Postgres is known to be down (told by the realtime listener): changes then fail fast.
    pub db_health: Arc<DbHealth>,
    /// This instance's realtime hub: the boards being watched and their subscribers.
    pub hub: Hub,
    /// This instance's "my boards" streams, by user.
    pub user_streams: UserStreams,
    /// Cancelled when the server shuts down: sockets close with 1001, streams end, the listener stops.
    pub shutdown: CancellationToken,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not prepare the password hasher: {0}")]
    Hasher(String),
}

impl AppState {
    pub async fn new(config: Config, db: PgPool) -> Result<Self, StartupError> {
        let tokens = TokenKeys::new(&config.jwt_secret_bytes()?);
        let allowed_origins = config.allowed_origin_list()?;
        let dummy_password_hash =
            hash_password(uuid::Uuid::now_v7().to_string()).await.map_err(|e| StartupError::Hasher(e.to_string()))?;
        let db_health = Arc::new(DbHealth::default());
        Ok(Self {
            hub: Hub::new(db.clone(), Arc::clone(&db_health), config.max_streams_per_user as usize),
            db_health,
            user_streams: UserStreams::default(),
            shutdown: CancellationToken::new(),
            db,
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            allowed_origins: Arc::new(allowed_origins),
            dummy_password_hash,
            login_limiter: Arc::new(LoginLimiter::default()),
        })
    }
}
