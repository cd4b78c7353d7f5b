//! The REST API: one module per feature, each with its `router()`, handlers, request/response types and the SQL
//! of the rows it owns; the extractors and the OpenAPI description they share; liveness and the web app's files.
//!
//! A new feature is one new module and one line in [`FEATURES`]: its routes and its OpenAPI paths come with it.

pub mod boards;
pub mod card_detail;
pub mod card_members;
pub mod cards;
pub mod checklists;
pub mod comments;
pub mod extract;
pub mod health;
pub mod labels;
pub mod lists;
pub mod members;
pub mod openapi;
pub mod users;
pub mod web;

use axum::Router;
use axum::routing::any;
use utoipa::OpenApi;

use crate::auth;
use crate::error::{AppError, Resource};
use crate::realtime;
use crate::state::AppState;

/// A REST feature: its routes, and the OpenAPI description of exactly those routes.
pub struct Feature {
    pub router: fn() -> Router<AppState>,
    pub openapi: fn() -> utoipa::openapi::OpenApi,
}

/// Every REST feature of the API.
pub const FEATURES: &[Feature] = &[
    Feature { router: auth::router, openapi: auth::Api::openapi },
    Feature { router: boards::router, openapi: boards::Api::openapi },
    Feature { router: members::router, openapi: members::Api::openapi },
    Feature { router: lists::router, openapi: lists::Api::openapi },
    Feature { router: cards::router, openapi: cards::Api::openapi },
    Feature { router: labels::router, openapi: labels::Api::openapi },
    Feature { router: card_members::router, openapi: card_members::Api::openapi },
    Feature { router: checklists::router, openapi: checklists::Api::openapi },
    Feature { router: comments::router, openapi: comments::Api::openapi },
    Feature { router: card_detail::router, openapi: card_detail::Api::openapi },
    Feature { router: users::router, openapi: users::Api::openapi },
];

/// Everything under `/api`: the features, the OpenAPI document, the realtime streams, and JSON answers for
/// unknown paths and methods.
pub fn api() -> Router<AppState> {
    FEATURES
        .iter()
        .fold(Router::new(), |api, feature| api.merge((feature.router)()))
        .merge(openapi::router())
        .merge(realtime::router())
        // Unknown API paths answer in JSON, never with the web app's index.html.
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn api_not_found() -> AppError {
    AppError::NotFound(Resource::Route)
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
