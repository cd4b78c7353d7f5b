//! Typed configuration from flags and environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Clone, Parser)]
#[command(name = "corkboard", version, about = "Corkboard: a self-hosted realtime kanban board")]
pub struct Config {
    /// Postgres connection URL, e.g. postgres://corkboard:secret@db:5432/corkboard
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "CORKBOARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The URL people open in their browser. Its origin is always allowed; https makes cookies `Secure`.
    #[arg(long, env = "CORKBOARD_PUBLIC_URL", default_value = "http://localhost:8080")]
    pub public_url: String,

    /// Further origins allowed to send cookie-authenticated changes and open streams (comma-separated).
    #[arg(long, env = "CORKBOARD_ALLOWED_ORIGINS", value_delimiter = ',', default_value = "")]
    pub allowed_origins: Vec<String>,

    /// Secret that signs session tokens (HS256); at least 32 bytes. Required unless --dev.
    #[arg(long, env = "CORKBOARD_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Development mode: without a JWT secret, a random one is made (sessions end when the server restarts).
    #[arg(long, env = "CORKBOARD_DEV", default_value_t = false)]
    pub dev: bool,

    /// Directory with the built web app (index.html and assets/).
    #[arg(long, env = "CORKBOARD_STATIC_DIR", default_value = "frontend/dist")]
    pub static_dir: PathBuf,

    /// Log format.
    #[arg(long, env = "CORKBOARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// How long a session lasts, in hours.
    #[arg(long, env = "CORKBOARD_SESSION_HOURS", default_value_t = 24 * 30)]
    pub session_hours: u32,

    /// Largest number of Postgres connections this instance opens.
    #[arg(long, env = "CORKBOARD_DB_MAX_CONNECTIONS", default_value_t = 20)]
    pub db_max_connections: u32,

    /// Live streams (WebSockets and SSE together) one user may hold on one instance. A person has a few tabs and
    /// devices; hundreds are a runaway script, refused with 429 `too_many_connections` before the upgrade.
    #[arg(long, env = "CORKBOARD_MAX_STREAMS_PER_USER", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_user: u32,

    /// The server pings each WebSocket this often (milliseconds); keep it below your proxy's idle timeout.
    #[arg(long, env = "CORKBOARD_WS_PING_MS", default_value_t = 25_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub ws_ping_ms: u64,

    /// A WebSocket peer silent this long (no pong, no frame; milliseconds) is dropped. More than the ping interval.
    #[arg(long, env = "CORKBOARD_WS_IDLE_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(200..))]
    pub ws_idle_ms: u64,

    /// Threads that hash passwords (Argon2id, 19 MiB each, kept for reuse). Default: one per CPU. Sign-ups and
    /// sign-ins beyond what they keep up with wait briefly, then get 503 `server_busy`.
    #[arg(long, env = "CORKBOARD_HASH_WORKERS", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub hash_workers: Option<u32>,

    /// Internal, for tests: requests that may wait per hashing worker. The wait bounds how long a person waits;
    /// this only bounds what waiting costs (a password each), so it is generous: a rush of people signing in at
    /// once is served within the wait instead of being told "busy".
    #[arg(long, hide = true, default_value_t = 32)]
    pub hash_queue_per_worker: u32,

    /// Internal, for tests: how long a request waits for a hashing worker (milliseconds).
    #[arg(long, hide = true, default_value_t = 2_000)]
    pub hash_wait_ms: u64,

    /// Sign-ups one client address may make at once, before they are limited to one every 30 s. 0 turns the
    /// limit off (for test rigs that register many users from one address).
    #[arg(long, env = "CORKBOARD_SIGNUP_BURST", default_value_t = 10)]
    pub signup_burst: u32,

    /// Proxies whose `X-Forwarded-For` is believed (comma-separated IP addresses; empty for none). Behind one,
    /// the client address that the sign-up and sign-in limits count is the proxy's forwarded one.
    #[arg(long, env = "CORKBOARD_TRUSTED_PROXIES", value_delimiter = ',', default_value = "127.0.0.1,::1")]
    pub trusted_proxies: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Secrets stay out of logs: Debug prints everything except the JWT secret and the database password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url_password(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("allowed_origins", &self.allowed_origins)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<redacted>"))
            .field("dev", &self.dev)
            .field("static_dir", &self.static_dir)
            .field("log_format", &self.log_format)
            .field("session_hours", &self.session_hours)
            .field("db_max_connections", &self.db_max_connections)
            .field("max_streams_per_user", &self.max_streams_per_user)
            .field("ws_ping_ms", &self.ws_ping_ms)
            .field("ws_idle_ms", &self.ws_idle_ms)
            .field("hash_workers", &self.hash_workers)
            .field("hash_queue_per_worker", &self.hash_queue_per_worker)
            .field("hash_wait_ms", &self.hash_wait_ms)
            .field("signup_burst", &self.signup_burst)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

fn redact_url_password(url: &str) -> String {
    // postgres://user:password@host/db → postgres://user:<redacted>@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:<redacted>{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Why the configuration cannot start a server.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "CORKBOARD_JWT_SECRET is not set. Set it to a random string of at least 32 characters \
         (for example: `openssl rand -base64 48`), or run with CORKBOARD_DEV=true for a throwaway development secret"
    )]
    MissingJwtSecret,
    #[error("CORKBOARD_JWT_SECRET is too short: use at least 32 characters")]
    ShortJwtSecret,
    #[error("CORKBOARD_PUBLIC_URL must be an http:// or https:// URL, got {0:?}")]
    BadPublicUrl(String),
    #[error("CORKBOARD_TRUSTED_PROXIES must list IP addresses separated by commas, got {0:?}")]
    BadTrustedProxy(String),
}

impl Config {
    /// The secret that signs tokens: the configured one, or in dev mode a random one.
    pub fn jwt_secret_bytes(&self) -> Result<Vec<u8>, ConfigError> {
        match &self.jwt_secret {
            Some(secret) if secret.len() >= 32 => Ok(secret.as_bytes().to_vec()),
            Some(_) => Err(ConfigError::ShortJwtSecret),
            None if self.dev => {
                tracing::warn!("no CORKBOARD_JWT_SECRET: using a random development secret; sessions end on restart");
                Ok(rand::random::<[u8; 32]>().to_vec())
            }
            None => Err(ConfigError::MissingJwtSecret),
        }
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> Result<String, ConfigError> {
        origin_of(&self.public_url).ok_or_else(|| ConfigError::BadPublicUrl(self.public_url.clone()))
    }

    /// Every origin allowed to send cookie-authenticated changes: the public one and the configured extras.
    pub fn allowed_origin_list(&self) -> Result<Vec<String>, ConfigError> {
        let mut origins = vec![self.public_origin()?];
        for extra in self.allowed_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            origins.push(origin_of(extra).ok_or_else(|| ConfigError::BadPublicUrl(extra.to_owned()))?);
        }
        Ok(origins)
    }

    /// The proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxy_list(&self) -> Result<Vec<IpRange>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| IpRange::parse(p).ok_or_else(|| ConfigError::BadTrustedProxy(p.to_owned())))
            .collect()
    }

    /// How many password-hashing workers to start: the configured number, or one per CPU.
    pub fn hash_worker_count(&self) -> usize {
        self.hash_workers
            .map_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get), |n| n as usize)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// An address, or a CIDR range of them (`10.0.0.0/8`, `fd00::/8`): how trusted proxies are named, so a
/// container network whose gateway address is not known in advance can be trusted as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// `a.b.c.d`, `a.b.c.d/n` (n ≤ 32), an IPv6 address, or one with `/n` (n ≤ 128).
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = addr.trim().parse::<IpAddr>().ok()?.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|prefix| *prefix <= bits)?,
            None => bits,
        };
        Some(Self { network, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (network, ip, bits) = match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => (u128::from(u32::from(network)), u128::from(u32::from(ip)), 32),
            (IpAddr::V6(network), IpAddr::V6(ip)) => (u128::from(network), u128::from(ip), 128),
            _ => return false,
        };
        let shift = u32::from(bits - self.prefix);
        // A shift by 128 would overflow: a /0 range holds every address of its family.
        shift == 128 || network >> shift == ip >> shift
    }
}

fn origin_of(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let scheme_end = url.find("://")?;
    let scheme = &url[..scheme_end];
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = &url[scheme_end + 3..];
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_drop_paths_and_case() {
        assert_eq!(origin_of("https://Board.Example.com/app/").as_deref(), Some("https://board.example.com"));
        assert_eq!(origin_of("http://localhost:8080").as_deref(), Some("http://localhost:8080"));
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("localhost"), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let config = Config::parse_from([
            "corkboard",
            "--database-url",
            "postgres://cork:hunter2@db/cork",
            "--jwt-secret",
            "0123456789abcdef0123456789abcdef-secret",
        ]);
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("-secret"), "{printed}");
        assert!(printed.contains("postgres://cork:<redacted>@db/cork"));
    }

    #[test]
    fn trusted_proxies_are_ip_addresses() {
        let base = ["corkboard", "--database-url", "postgres://x/y"];
        let default = Config::parse_from(base);
        let loopback: Vec<IpRange> = vec![IpRange::parse("127.0.0.1").unwrap(), IpRange::parse("::1").unwrap()];
        assert_eq!(default.trusted_proxy_list().unwrap(), loopback);
        let none = Config::parse_from(base.into_iter().chain(["--trusted-proxies", ""]));
        assert!(none.trusted_proxy_list().unwrap().is_empty());
        let two = Config::parse_from(base.into_iter().chain(["--trusted-proxies", "10.0.0.2, fd00::1"]));
        assert_eq!(two.trusted_proxy_list().unwrap().len(), 2);
        let subnet = Config::parse_from(base.into_iter().chain(["--trusted-proxies", "172.16.0.0/12"]));
        assert_eq!(subnet.trusted_proxy_list().unwrap(), [IpRange::parse("172.16.0.0/12").unwrap()]);
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "proxy.local", "10.0.0.1/x"] {
            let config = Config::parse_from(base.into_iter().chain(["--trusted-proxies", bad]));
            assert!(matches!(config.trusted_proxy_list(), Err(ConfigError::BadTrustedProxy(_))), "{bad}");
        }
    }

    #[test]
    fn a_range_holds_the_addresses_under_its_prefix() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let docker = IpRange::parse("172.16.0.0/12").unwrap();
        assert!(docker.contains(ip("172.18.0.1")) && docker.contains(ip("172.31.255.255")));
        assert!(!docker.contains(ip("172.32.0.1")) && !docker.contains(ip("10.0.0.1")));
        assert!(docker.contains(ip("::ffff:172.18.0.1")), "an IPv4 peer on an IPv6 socket");
        assert!(!docker.contains(ip("fd00::1")));
        let one = IpRange::parse("10.0.0.2").unwrap();
        assert!(one.contains(ip("10.0.0.2")) && !one.contains(ip("10.0.0.3")));
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains(ip("198.51.100.4")));
        let v6 = IpRange::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!(IpRange::parse("::/0").unwrap().contains(ip("2001:db8::1")));
    }

    #[test]
    fn a_missing_secret_is_an_error_outside_dev() {
        let config = Config::parse_from(["corkboard", "--database-url", "postgres://x/y"]);
        assert!(matches!(config.jwt_secret_bytes(), Err(ConfigError::MissingJwtSecret)));
        let dev = Config::parse_from(["corkboard", "--database-url", "postgres://x/y", "--dev"]);
        assert_eq!(dev.jwt_secret_bytes().unwrap().len(), 32);
    }
}
