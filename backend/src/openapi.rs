//! The OpenAPI 3 description of the REST API, generated from the handlers' annotations and the protocol types,
//! served at `GET /api/openapi.json`. (The WebSocket and SSE streams are described in docs/API.md.)

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::extract::Json;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Corkboard", description = "A self-hosted realtime kanban board. See docs/API.md for the whole contract."),
    paths(
        crate::auth::register,
        crate::auth::login,
        crate::auth::logout,
        crate::auth::me,
        crate::boards::list_boards,
        crate::boards::create_board,
        crate::boards::snapshot,
        crate::boards::update_board,
        crate::boards::delete_board,
        crate::members::list_members,
        crate::members::add_member,
        crate::members::update_member,
        crate::members::remove_member,
        crate::lists::create_list,
        crate::lists::update_list,
        crate::lists::move_list,
        crate::lists::delete_list,
        crate::cards::create_card,
        crate::cards::update_card,
        crate::cards::delete_card,
        crate::cards::move_card_handler,
    ),
    modifiers(&Security)
)]
pub struct ApiDoc;

/// Bearer tokens for API clients; the session cookie for browsers.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
