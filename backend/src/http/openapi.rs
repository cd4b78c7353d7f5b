//! The OpenAPI 3 description of the REST API, generated from the handlers' annotations and the protocol types,
//! served at `GET /api/openapi.json`. (The WebSocket and SSE streams are described in docs/API.md.)

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::extract::Json;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Corkboard", description = "A self-hosted realtime kanban board. See docs/API.md for the whole contract."),
    modifiers(&Security)
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The whole document: the info and security schemes here, and every feature's paths.
    pub fn document() -> utoipa::openapi::OpenApi {
        super::FEATURES.iter().fold(ApiDoc::openapi(), |doc, feature| doc.merge_from((feature.openapi)()))
    }
}

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
    Router::new().route("/api/openapi.json", get(|| async { Json(ApiDoc::document()) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rest_route_is_described() {
        let doc = ApiDoc::document();
        let mut described: Vec<String> = doc
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                [
                    ("get", item.get.is_some()),
                    ("post", item.post.is_some()),
                    ("patch", item.patch.is_some()),
                    ("delete", item.delete.is_some()),
                ]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(move |(method, _)| format!("{method} {path}"))
            })
            .collect();
        described.sort();
        let expected = [
            "delete /api/boards/{board_id}",
            "delete /api/boards/{board_id}/members/{user_id}",
            "delete /api/cards/{card_id}",
            "delete /api/cards/{card_id}/labels/{label_id}",
            "delete /api/cards/{card_id}/members/{user_id}",
            "delete /api/checklist-items/{item_id}",
            "delete /api/checklists/{checklist_id}",
            "delete /api/comments/{comment_id}",
            "delete /api/labels/{label_id}",
            "delete /api/lists/{list_id}",
            "get /api/auth/me",
            "get /api/auth/session",
            "get /api/boards",
            "get /api/boards/{board_id}",
            "get /api/boards/{board_id}/archive",
            "get /api/boards/{board_id}/members",
            "get /api/cards/{card_id}",
            "get /api/cards/{card_id}/comments",
            "get /api/users",
            "patch /api/boards/{board_id}",
            "patch /api/boards/{board_id}/members/{user_id}",
            "patch /api/cards/{card_id}",
            "patch /api/checklist-items/{item_id}",
            "patch /api/checklists/{checklist_id}",
            "patch /api/comments/{comment_id}",
            "patch /api/labels/{label_id}",
            "patch /api/lists/{list_id}",
            "post /api/auth/login",
            "post /api/auth/logout",
            "post /api/auth/register",
            "post /api/boards",
            "post /api/boards/{board_id}/labels",
            "post /api/boards/{board_id}/lists",
            "post /api/boards/{board_id}/members",
            "post /api/cards/{card_id}/archive",
            "post /api/cards/{card_id}/checklists",
            "post /api/cards/{card_id}/comments",
            "post /api/cards/{card_id}/labels",
            "post /api/cards/{card_id}/members",
            "post /api/cards/{card_id}/move",
            "post /api/cards/{card_id}/restore",
            "post /api/checklist-items/{item_id}/move",
            "post /api/checklists/{checklist_id}/items",
            "post /api/lists/{list_id}/archive",
            "post /api/lists/{list_id}/cards",
            "post /api/lists/{list_id}/move",
            "post /api/lists/{list_id}/restore",
        ];
        assert_eq!(described, expected);
        let components = doc.components.expect("components");
        assert!(
            components.security_schemes.contains_key("bearer") && components.security_schemes.contains_key("cookie")
        );
        assert!(components.schemas.contains_key("ErrorBody"), "the error shape is a schema");
    }
}
