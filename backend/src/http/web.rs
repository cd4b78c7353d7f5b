//! The built web app: files from the static directory, `index.html` for every other browser route (the SPA
//! decides), and cache headers that can never serve a stale app after an upgrade.

use axum::Router;
use axum::http::{HeaderValue, header};
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// Content-hashed assets never change under their name; everything else (index.html above all) is revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

pub fn router(state: &AppState) -> Router<AppState> {
    let dir = &state.config.static_dir;
    let index = dir.join("index.html");
    let assets = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)))
        .service(ServeDir::new(dir.join("assets")));
    let app = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)))
        .service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    Router::new().nest_service("/assets", assets).fallback_service(app)
}
