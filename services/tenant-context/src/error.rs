//! One error type for handlers: the client gets a status and a plain message; the detail of an
//! internal failure goes to the log, never to the client. Never 200 on an error, and every
//! error in one shape, `{"error": "..."}`: extractor rejections too ([`JsonBody`], [`QueryParams`],
//! [`PathParams`]), and the router's own 404 and 405 ([`crate::serve::layers`]).

use axum::Json;
use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
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
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unavailable(String),
    /// A client over its rate: the message says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// The issuer's signing keys could not be fetched. Not logged per request: the failed
    /// fetch is logged once, and an outage must not turn every request into a WARN line.
    #[error("the signing keys are not available")]
    KeysUnavailable,
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
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, self.to_string()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, self.to_string()),
            AppError::UnsupportedMediaType(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m.clone()),
            AppError::Unavailable(m) => {
                tracing::warn!(detail = %m, "unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "the service is not ready".to_owned())
            }
            AppError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            AppError::KeysUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "the service is not ready".to_owned()),
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
                Err(AppError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".into()))
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

/// `Query<T>` whose rejections are 400s in our error shape, naming the parameter at fault.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            // The cause reads `limit: invalid digit found in string`: the field, then the problem.
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(AppError::BadRequest(format!(
                "the query string does not fit: {}",
                std::error::Error::source(&err).map_or_else(|| err.body_text(), ToString::to_string)
            ))),
            Err(other) => Err(AppError::BadRequest(format!("the query string does not fit: {}", other.body_text()))),
        }
    }
}

/// `Path<T>` whose rejections are 400s in our error shape, naming the segment at fault.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PathParams(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => Err(AppError::BadRequest(match err.kind() {
                PathErrorKind::InvalidUtf8InPathParam { key } => format!("the path segment `{key}` is not UTF-8"),
                kind => format!("the path does not fit: {kind}"),
            })),
            // Only a route without the parameters its handler reads: a bug, not bad input.
            Err(other) => Err(AppError::Internal(format!("path parameters: {}", other.body_text()))),
        }
    }
}

/// A user store's error as the client sees it: an email another tenant's user holds is 409, a
/// Cognito that refused or failed asks for a retry (503).
#[cfg(feature = "registry")]
impl From<tenancy_registry::UsersError> for AppError {
    fn from(err: tenancy_registry::UsersError) -> Self {
        match err {
            tenancy_registry::UsersError::Taken { .. } => AppError::Conflict(err.to_string()),
            tenancy_registry::UsersError::Unavailable { .. } | tenancy_registry::UsersError::NoSuchGroup { .. } => {
                AppError::Unavailable(err.to_string())
            }
        }
    }
}

/// A registry error as the client sees it: a conflict or an illegal transition names its field
/// or the state (409), a missing tenant is 404, a race or an unreachable table asks for a retry
/// (503), a damaged item is logged and answered 500.
#[cfg(feature = "registry")]
impl From<tenancy_registry::RegistryError> for AppError {
    fn from(err: tenancy_registry::RegistryError) -> Self {
        use tenancy_registry::RegistryError as E;
        match err {
            E::Conflict { .. } | E::Illegal(_) => AppError::Conflict(err.to_string()),
            E::NotFound { .. } => AppError::NotFound(err.to_string()),
            E::Contended { .. } | E::Unavailable { .. } => AppError::Unavailable(err.to_string()),
            E::Corrupt { .. } => AppError::Internal(err.to_string()),
        }
    }
}
