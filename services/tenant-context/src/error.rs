//! One error type for handlers: the client gets a status and a plain message; the detail of an
//! internal failure goes to the log, never to the client. Never 200 on an error.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    Unavailable(String),
    /// The detail is logged; the client sees only that something failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, self.to_string()),
            AppError::Unavailable(m) => {
                tracing::warn!(detail = %m, "unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "the service is not ready".to_owned())
            }
            AppError::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error".to_owned())
            }
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `Json<T>` whose rejections are clear 400s (413 for an oversized body) in our error shape.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::BytesRejection(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::PayloadTooLarge)
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(AppError::BadRequest("send the body as JSON with Content-Type: application/json".into()))
            }
            Err(JsonRejection::JsonSyntaxError(err)) => {
                Err(AppError::BadRequest(format!("the body is not valid JSON: {}", err.body_text())))
            }
            Err(JsonRejection::JsonDataError(err)) => {
                Err(AppError::BadRequest(format!("the body does not fit: {}", err.body_text())))
            }
            Err(other) if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::PayloadTooLarge),
            Err(other) => Err(AppError::BadRequest(other.body_text())),
        }
    }
}
