//! Extractors whose rejections are `AppError`, so malformed requests get the documented error shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use corkboard_protocol::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::AppError;

/// JSON in and out, with our error body for every way a body can be wrong.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // First the body as raw JSON: content type, size and syntax, each with its own error.
        let axum::Json(raw) = axum::Json::<Box<RawValue>>::from_request(req, state).await.map_err(json_rejection)?;
        // Serde would also read a struct from an array, by position; every body of the API is an object.
        if !raw.get().trim_start().starts_with('{') {
            return Err(AppError::bad_request(ErrorCode::InvalidBody, "The request body must be a JSON object."));
        }
        match axum::Json::<T>::from_bytes(raw.get().as_bytes()) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(err) => {
            // serde's text names the field and the problem ("missing field `title`"), never our internals.
            AppError::bad_request(ErrorCode::InvalidBody, format!("The request body does not fit: {}", err.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => {
            AppError::bad_request(ErrorCode::MalformedJson, "The request body is not valid JSON.")
        }
        JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
        JsonRejection::BytesRejection(err) if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge
        }
        other => AppError::bad_request(ErrorCode::BadRequest, other.body_text()),
    }
}

/// Path parameters (ids) with our error body when they do not parse.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(AppError::bad_request(ErrorCode::InvalidPath, "An id in the URL is not a valid UUID."))
            }
            Err(other) => Err(AppError::internal(other.body_text())),
        }
    }
}

/// Query strings with our error body when they do not parse.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => {
                Err(AppError::bad_request(ErrorCode::InvalidQuery, err.body_text()))
            }
            Err(other) => Err(AppError::bad_request(ErrorCode::InvalidQuery, other.body_text())),
        }
    }
}
