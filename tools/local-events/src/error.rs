//! The crate's one error type: start-up failures and the API errors a request is answered
//! with.

use std::net::SocketAddr;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The response header AppSync uses to name the error type of a failed request.
pub const ERROR_TYPE_HEADER: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// Everything that can go wrong in the stand-in.
///
/// The start-up variants stop the process; [`BadRequest`](Error::BadRequest),
/// [`Unauthorized`](Error::Unauthorized), [`InvalidSignature`](Error::InvalidSignature)
/// and [`NotFound`](Error::NotFound) are answers to one request, rendered the way AppSync
/// renders them (see [`IntoResponse`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A command-line argument or environment variable has an invalid value.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The argument (`--listen`) or variable (`LOCAL_EVENTS_LISTEN`) at fault.
        name: String,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source} (is another local-events already running?)")]
    Bind {
        /// The address we tried.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The `--template` file cannot be read or interpreted.
    #[error("cannot use template {path}: {reason}")]
    Template {
        /// The file.
        path: String,
        /// What is wrong, naming the resource and property.
        reason: String,
    },
    /// The development certificate cannot be created or loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// A `subscribe` / `publish` command failed (talking to a running endpoint).
    #[error("{0}")]
    Client(String),
    /// A SigV4 signature does not verify (HTTP 403 `InvalidSignatureException`).
    #[error("{0}")]
    InvalidSignature(String),
    /// The request is malformed (HTTP 400 `BadRequestException`).
    #[error("{0}")]
    BadRequest(String),
    /// The request carries no usable credentials (HTTP 401 `UnauthorizedException`).
    #[error("{0}")]
    Unauthorized(String),
    /// No such route (HTTP 404 `NotFoundException`).
    #[error("{0}")]
    NotFound(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::InvalidSignature(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::InvalidArgument { .. }
            | Self::Bind { .. }
            | Self::Serve(_)
            | Self::Template { .. }
            | Self::Tls(_)
            | Self::Client(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The AppSync error type (`errorType` in the body, `x-amzn-ErrorType` header).
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "BadRequestException",
            Self::Unauthorized(_) => "UnauthorizedException",
            Self::InvalidSignature(_) => "InvalidSignatureException",
            Self::NotFound(_) => "NotFoundException",
            Self::InvalidArgument { .. }
            | Self::Bind { .. }
            | Self::Serve(_)
            | Self::Template { .. }
            | Self::Tls(_)
            | Self::Client(_) => "InternalFailureException",
        }
    }
}

/// Renders `{"errors":[{"errorType":…,"message":…}]}` with the `x-amzn-ErrorType` header,
/// the GraphQL-style error body AppSync clients (amplify-js `isGraphQLResponseWithErrors`)
/// look for.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let error_type = self.error_type();
        let body = json!({"errors": [{"errorType": error_type, "message": self.to_string()}]});
        let mut response = (self.status(), axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(ERROR_TYPE_HEADER, HeaderValue::from_static(error_type));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_map_to_appsync_status_and_type() {
        let cases = [
            (Error::BadRequest("x".into()), 400, "BadRequestException"),
            (
                Error::Unauthorized("x".into()),
                401,
                "UnauthorizedException",
            ),
            (
                Error::InvalidSignature("x".into()),
                403,
                "InvalidSignatureException",
            ),
            (Error::NotFound("x".into()), 404, "NotFoundException"),
        ];
        for (error, status, error_type) in cases {
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(error.error_type(), error_type);
            let response = error.into_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()[ERROR_TYPE_HEADER], error_type);
        }
    }

    #[test]
    fn invalid_argument_names_the_argument() {
        let error = Error::invalid_argument("--listen", "not an address");
        assert_eq!(error.to_string(), "invalid --listen: not an address");
    }
}
