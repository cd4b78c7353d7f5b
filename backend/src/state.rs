//! The state every handler shares. Built once at startup; cheap to clone (everything is behind an Arc or a pool).

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::auth::ratelimit::AttemptLimiter;
use crate::auth::{HashingPool, PoolSize, TokenKeys};
use crate::config::{Config, ConfigError, IpRange};
use crate::db_health::DbHealth;
use crate::realtime::{Hub, UserStreams};

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub config: Arc<Config>,
    pub tokens: Arc<TokenKeys>,
    /// Origins allowed to send cookie-authenticated changes: the public one and the configured extras.
    pub allowed_origins: Arc<Vec<String>>,
    /// The password-hashing workers every sign-up and sign-in waits its turn for.
    pub hasher: HashingPool,
    /// A real Argon2id hash that login checks unknown usernames against, so they cost as much as known ones.
    pub dummy_password_hash: String,
    /// Sign-up throttling per address, failed-login throttling per account and per address.
    pub limiter: Arc<AttemptLimiter>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<Vec<IpRange>>,
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
    #[error("could not start the password hashers: {0}")]
    Hasher(String),
}

impl AppState {
    pub async fn new(config: Config, db: PgPool) -> Result<Self, StartupError> {
        let tokens = TokenKeys::new(&config.jwt_secret_bytes()?);
        let allowed_origins = config.allowed_origin_list()?;
        let trusted_proxies = config.trusted_proxy_list()?;
        let hasher = HashingPool::start(PoolSize {
            workers: config.hash_worker_count(),
            queue_per_worker: config.hash_queue_per_worker as usize,
            wait: Duration::from_millis(config.hash_wait_ms),
        })
        .map_err(|e| StartupError::Hasher(e.to_string()))?;
        let dummy_password_hash = hasher
            .hash_patiently(uuid::Uuid::now_v7().to_string())
            .await
            .map_err(|e| StartupError::Hasher(e.to_string()))?;
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
            hasher,
            dummy_password_hash,
            limiter: Arc::new(AttemptLimiter::default()),
            trusted_proxies: Arc::new(trusted_proxies),
        })
    }
}
