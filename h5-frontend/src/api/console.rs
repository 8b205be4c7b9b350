//! The developer console's calls (`/api/console/*`, see `shared::console`): same
//! session cookie and CSRF rule as the H5's own calls. Every change answers the app
//! as it now is.

use opengate_shared::console::{
    ConsoleApp, ConsoleApps, CreatedKey, DeliveryLog, NotifyUrlRequest, OrderPage, RotatedSecret, ValueRequest,
};
use opengate_shared::h5api::H5Error;

use super::{bad_response, request_json, send, Method};
use crate::nav::encode_uri_component;

/// How many orders one page of the order list holds.
pub const ORDER_PAGE: u32 = 20;

/// `/api/console/apps/{app}{rest}`.
fn app_path(app_id: &str, rest: &str) -> String {
    format!("/api/console/apps/{}{rest}", encode_uri_component(app_id))
}

async fn get<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, H5Error> {
    request_json(Method::Get, path, None).await
}

/// `GET /api/console/apps`: the apps this account administers.
pub async fn apps() -> Result<ConsoleApps, H5Error> {
    get("/api/console/apps").await
}

/// `GET /api/console/apps/{app}`.
pub async fn app(app_id: &str) -> Result<ConsoleApp, H5Error> {
    get(&app_path(app_id, "")).await
}

/// `GET …/orders`: newest first, [`ORDER_PAGE`] at a time; `before` is the previous
/// page's `next_before`; `trade_no` keeps only that order.
pub async fn orders(app_id: &str, before: Option<&str>, trade_no: Option<&str>) -> Result<OrderPage, H5Error> {
    let mut path = app_path(app_id, &format!("/orders?limit={ORDER_PAGE}"));
    for (name, value) in [("before", before), ("trade_no", trade_no)] {
        if let Some(value) = value {
            path.push_str(&format!("&{name}={}", encode_uri_component(value)));
        }
    }
    get(&path).await
}

/// `GET …/orders/{order_id}/deliveries`: every notification of the order and its attempts.
pub async fn deliveries(app_id: &str, order_id: &str) -> Result<DeliveryLog, H5Error> {
    get(&app_path(app_id, &format!("/orders/{}/deliveries", encode_uri_component(order_id)))).await
}

/// One change of an app (`POST /api/console/apps/{app}/…`).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `…/keys`: a new key pair; its secret key is in this answer only.
    CreateKey,
    /// `…/keys/{key}/{action}`: `enable`, `disable` or `delete`.
    Key { key: String, action: &'static str },
    /// `…/keys/{key}/ip-bindings` (or `…/remove`): an address or CIDR range.
    Ip { key: String, rule: String, remove: bool },
    /// `…/{list}` (or `…/remove`), `list` being `redirect-uris` or `return-hosts`.
    List { list: &'static str, value: String, remove: bool },
    /// `…/notify-url`: sets it, or clears it with `None`.
    NotifyUrl(Option<String>),
    /// `…/notify-secret/rotate`: the new secret is in this answer only.
    Rotate,
    /// `…/permissions/{permission}/apply`.
    Apply(String),
}

/// What a change answers.
pub enum Changed {
    App(ConsoleApp),
    Key(CreatedKey),
    Rotated(RotatedSecret),
}

fn value_json(value: &str) -> Option<String> {
    serde_json::to_string(&ValueRequest { value: value.to_owned() }).ok()
}

impl Change {
    /// The path after the app's, and the JSON body.
    fn path_and_body(&self) -> (String, Option<String>) {
        let remove = |r: bool| if r { "/remove" } else { "" };
        match self {
            Change::CreateKey => ("/keys".into(), None),
            Change::Key { key, action } => (format!("/keys/{}/{action}", encode_uri_component(key)), None),
            Change::Ip { key, rule, remove: r } => {
                (format!("/keys/{}/ip-bindings{}", encode_uri_component(key), remove(*r)), value_json(rule))
            }
            Change::List { list, value, remove: r } => (format!("/{list}{}", remove(*r)), value_json(value)),
            Change::NotifyUrl(url) => {
                ("/notify-url".into(), serde_json::to_string(&NotifyUrlRequest { notify_url: url.clone() }).ok())
            }
            Change::Rotate => ("/notify-secret/rotate".into(), None),
            Change::Apply(p) => (format!("/permissions/{}/apply", encode_uri_component(p)), None),
        }
    }
}

/// An answer's JSON as `T`.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, H5Error> {
    serde_json::from_str(text).map_err(bad_response)
}

/// Sends one change.
pub async fn change(csrf: &str, app_id: &str, change: &Change) -> Result<Changed, H5Error> {
    let (rest, body) = change.path_and_body();
    let text = send(Method::Post { csrf }, &app_path(app_id, &rest), body).await?;
    Ok(match change {
        Change::CreateKey => Changed::Key(parse(&text)?),
        Change::Rotate => Changed::Rotated(parse(&text)?),
        _ => Changed::App(parse(&text)?),
    })
}
