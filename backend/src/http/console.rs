//! `/api/console/*`: the developer console (`shared::console` lists the routes). The
//! H5 session and CSRF rules apply; the use-cases and the ownership check live in
//! [`crate::console`].

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use opengate_shared::console::{CreatedKey, NotifyUrlRequest, RotatedSecret, ValueRequest};

use super::h5api::{checked, current, json_body, no_store, user_of, H5ApiError, H5Result};
use crate::admin::AdminError;
use crate::console::{self, KeyAction, UrlAction};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/console/apps", get(list_apps))
        .route("/api/console/apps/{app}", get(get_app))
        .route("/api/console/apps/{app}/keys", post(create_key))
        .route("/api/console/apps/{app}/keys/{key}/{action}", post(change_key))
        .route("/api/console/apps/{app}/keys/{key}/ip-bindings", post(bind_ip))
        .route("/api/console/apps/{app}/keys/{key}/ip-bindings/remove", post(unbind_ip))
        .route("/api/console/apps/{app}/redirect-uris", post(add_redirect_uri))
        .route("/api/console/apps/{app}/redirect-uris/remove", post(remove_redirect_uri))
        .route("/api/console/apps/{app}/return-hosts", post(add_return_host))
        .route("/api/console/apps/{app}/return-hosts/remove", post(remove_return_host))
        .route("/api/console/apps/{app}/notify-url", post(set_notify_url))
        .route("/api/console/apps/{app}/notify-secret/rotate", post(rotate_secret))
        .route("/api/console/apps/{app}/permissions/{permission}/apply", post(apply))
        .route("/api/console/apps/{app}/orders", get(orders))
        .route("/api/console/apps/{app}/orders/{order_id}/deliveries", get(deliveries))
        .route("/api/console/apps/{app}/statement", get(statement))
}

impl From<AdminError> for H5ApiError {
    fn from(e: AdminError) -> H5ApiError {
        match e {
            AdminError::Invalid(m) => H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m),
            AdminError::NotFound(m) => H5ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            AdminError::Conflict(m) => H5ApiError::new(StatusCode::CONFLICT, "conflict", m),
            AdminError::Db(e) => e.into(),
            AdminError::Other(e) => {
                tracing::error!(error = %format!("{e:#}"), "console request failed");
                H5ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong; try again")
            }
        }
    }
}

/// The logged-in user of a read.
async fn reader(st: &AppState, headers: &HeaderMap) -> H5Result<String> {
    Ok(user_of(current(st, headers).await?)?.1)
}

/// The logged-in user of a change, after the CSRF check.
async fn writer(st: &AppState, headers: &HeaderMap) -> H5Result<String> {
    Ok(user_of(Some(checked(st, headers).await?))?.1)
}

/// The app as it is after a change.
async fn app_now(st: &AppState, user: &str, app: &str) -> H5Result<Response> {
    Ok(no_store(console::app(st, user, app).await?))
}

async fn list_apps(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    let user = reader(&st, &headers).await?;
    Ok(no_store(console::my_apps(&st, &user).await?))
}

async fn get_app(State(st): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> H5Result<Response> {
    let user = reader(&st, &headers).await?;
    app_now(&st, &user, &app).await
}

async fn create_key(State(st): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> H5Result<Response> {
    let user = writer(&st, &headers).await?;
    let key = console::create_key(&st, &user, &app).await?;
    let app = console::app(&st, &user, &app).await?;
    Ok(no_store(CreatedKey { access_key: key.access_key, secret_key: key.secret_key, app }))
}

async fn change_key(
    State(st): State<AppState>,
    Path((app, key, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> H5Result<Response> {
    let action = match action.as_str() {
        "enable" => KeyAction::Enable,
        "disable" => KeyAction::Disable,
        "delete" => KeyAction::Delete,
        _ => return Err(H5ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such key action")),
    };
    let user = writer(&st, &headers).await?;
    console::key_action(&st, &user, &app, &key, action).await?;
    app_now(&st, &user, &app).await
}

/// A change that takes one `{"value": …}`.
async fn value_of(st: &AppState, req: Request) -> H5Result<(String, String)> {
    let user = writer(st, req.headers()).await?;
    let body: ValueRequest = json_body(req).await?;
    Ok((user, body.value))
}

async fn bind_ip(
    State(st): State<AppState>,
    Path((app, key)): Path<(String, String)>,
    req: Request,
) -> H5Result<Response> {
    let (user, rule) = value_of(&st, req).await?;
    console::bind_ip(&st, &user, &app, &key, &rule).await?;
    app_now(&st, &user, &app).await
}

async fn unbind_ip(
    State(st): State<AppState>,
    Path((app, key)): Path<(String, String)>,
    req: Request,
) -> H5Result<Response> {
    let (user, rule) = value_of(&st, req).await?;
    console::unbind_ip(&st, &user, &app, &key, &rule).await?;
    app_now(&st, &user, &app).await
}

async fn url_change(st: &AppState, app: &str, req: Request, action: UrlAction) -> H5Result<Response> {
    let (user, value) = value_of(st, req).await?;
    console::url_action(st, &user, app, &value, action).await?;
    app_now(st, &user, app).await
}

async fn add_redirect_uri(State(st): State<AppState>, Path(app): Path<String>, req: Request) -> H5Result<Response> {
    url_change(&st, &app, req, UrlAction::AddRedirectUri).await
}

async fn remove_redirect_uri(State(st): State<AppState>, Path(app): Path<String>, req: Request) -> H5Result<Response> {
    url_change(&st, &app, req, UrlAction::RemoveRedirectUri).await
}

async fn add_return_host(State(st): State<AppState>, Path(app): Path<String>, req: Request) -> H5Result<Response> {
    url_change(&st, &app, req, UrlAction::AddReturnHost).await
}

async fn remove_return_host(State(st): State<AppState>, Path(app): Path<String>, req: Request) -> H5Result<Response> {
    url_change(&st, &app, req, UrlAction::RemoveReturnHost).await
}

async fn set_notify_url(State(st): State<AppState>, Path(app): Path<String>, req: Request) -> H5Result<Response> {
    let user = writer(&st, req.headers()).await?;
    let body: NotifyUrlRequest = json_body(req).await?;
    console::set_notify_url(&st, &user, &app, body.notify_url.as_deref()).await?;
    app_now(&st, &user, &app).await
}

async fn rotate_secret(State(st): State<AppState>, Path(app): Path<String>, headers: HeaderMap) -> H5Result<Response> {
    let user = writer(&st, &headers).await?;
    let notify_secret = console::rotate_notify_secret(&st, &user, &app).await?;
    let app = console::app(&st, &user, &app).await?;
    Ok(no_store(RotatedSecret { notify_secret, app }))
}

async fn apply(
    State(st): State<AppState>,
    Path((app, permission)): Path<(String, String)>,
    headers: HeaderMap,
) -> H5Result<Response> {
    let user = writer(&st, &headers).await?;
    console::apply(&st, &user, &app, &permission).await?;
    app_now(&st, &user, &app).await
}

async fn orders(
    State(st): State<AppState>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> H5Result<Response> {
    let user = reader(&st, &headers).await?;
    let (mut before, mut trade_no, mut limit) = (None, None, None);
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "before" => before = Some(v.into_owned()),
            "trade_no" => trade_no = Some(v.into_owned()),
            "limit" => {
                limit = Some(v.parse::<i64>().map_err(|_| {
                    H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", "limit must be a whole number")
                })?)
            }
            other => {
                return Err(H5ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("unknown parameter {other:?} (before, trade_no, limit)"),
                ))
            }
        }
    }
    let page = console::orders(&st, &user, &app, before.as_deref(), trade_no.as_deref(), limit).await?;
    Ok(no_store(page))
}

async fn deliveries(
    State(st): State<AppState>,
    Path((app, order_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> H5Result<Response> {
    let user = reader(&st, &headers).await?;
    Ok(no_store(console::deliveries(&st, &user, &app, &order_id).await?))
}

/// `GET /api/console/apps/{app}/statement?date=YYYY-MM-DD`: the day's statement CSV as
/// a download (the same file as `/open/v1/pay/statements`). A read: the session is
/// enough, as for the orders.
async fn statement(
    State(st): State<AppState>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> H5Result<Response> {
    let user = reader(&st, &headers).await?;
    let mut date = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "date" if date.is_none() => date = Some(v.into_owned()),
            other => {
                return Err(H5ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("{other:?}: give only date, once"),
                ))
            }
        }
    }
    let Some(date) = date else {
        return Err(H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", "date: is required (YYYY-MM-DD)"));
    };
    let (csv, last) = console::statement(&st, &user, &app, &date).await?;
    let mut resp = csv.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-og-statement-final", HeaderValue::from_static(if last { "true" } else { "false" }));
    // `date` passed `daily`'s parser (YYYY-MM-DD), so it is a safe file name.
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"statement-{app}-{date}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
