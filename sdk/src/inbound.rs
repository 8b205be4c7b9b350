//! Partner users coming in (SPEC §9): joint login (the partner pushes its user and
//! gets a single-use H5 link) and user lookup, which answers in JSON:API
//! (`application/vnd.api+json`) rather than the usual envelope.

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::client::{api_error, decode_envelope, encode, request_id_header, segment, Call, Client};
use crate::error::{Error, Result};

/// Body of `POST /open/v1/joint-login`, with the partner's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JointLogin {
    /// The partner's own user id.
    pub open_id: String,
    /// The partner's merchant number, given by the operator.
    pub merchant_no: String,
    /// The user's mobile, `^\+?[0-9]{6,15}$`.
    pub mob: String,
    /// Market code given by the operator.
    pub source_mc: String,
    /// Channel code given by the operator.
    pub source_af: String,
    /// Extra parameters (e.g. `{"name": "…"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<serde_json::Map<String, serde_json::Value>>,
}

/// How to look users up (`filter[…]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// `filter[cellPhone]`: the full mobile number.
    CellPhone(String),
    /// `filter[userName]`.
    UserName(String),
}

impl UserFilter {
    fn query(&self) -> String {
        let (name, value) = match self {
            UserFilter::CellPhone(v) => ("cellPhone", v),
            UserFilter::UserName(v) => ("userName", v),
        };
        format!("filter[{name}]={}", encode(value))
    }
}

/// A platform user as user lookup shows it (JSON:API type `users`). Never a
/// password or PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupUser {
    /// The resource id (use it with [`Client::get_user`]).
    pub id: String,
    /// The account name (the user's own, else the mobile or the id).
    pub user_name: Option<String>,
    /// The display name.
    pub nick_name: String,
    /// Unmasked; `None` when the user has no mobile.
    pub cell_phone: Option<String>,
    /// 0 active, 1 frozen.
    pub status: i64,
    /// Unix seconds.
    pub create_time: i64,
    /// Unix seconds.
    pub update_time: i64,
    /// The user's `open_id` for the calling app.
    pub open_id: String,
}

impl LookupUser {
    /// `status == 0` (not frozen).
    pub fn is_active(&self) -> bool {
        self.status == 0
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    nick_name: Option<String>,
    #[serde(default)]
    cell_phone: Option<String>,
    status: i64,
    create_time: i64,
    update_time: i64,
    open_id: String,
}

#[derive(Debug, Deserialize)]
struct Resource {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    attributes: Attributes,
}

impl Resource {
    fn into_user(self) -> std::result::Result<LookupUser, String> {
        if self.kind != "users" {
            return Err(format!("resource type {:?}, expected \"users\"", self.kind));
        }
        let a = self.attributes;
        Ok(LookupUser {
            id: self.id,
            user_name: a.user_name,
            nick_name: a.nick_name.unwrap_or_default(),
            cell_phone: a.cell_phone,
            status: a.status,
            create_time: a.create_time,
            update_time: a.update_time,
            open_id: a.open_id,
        })
    }
}

#[derive(Deserialize)]
struct JsonApiError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// `data` of a JSON:API document, or its first error as an [`ApiError`](crate::ApiError).
/// An envelope answer (e.g. `U0404` from a platform without the endpoint) is
/// understood too.
pub(crate) fn decode_jsonapi<T: serde::de::DeserializeOwned>(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T> {
    let protocol =
        |detail: String| Error::Protocol { http_status: status, request_id: request_id_header(headers), detail };
    let doc: serde_json::Value = serde_json::from_slice(body).map_err(|e| protocol(format!("not JSON: {e}")))?;
    if doc.get("success").is_some() {
        return decode_envelope(status, headers, body);
    }
    let request_id = request_id_header(headers)
        .or_else(|| doc.pointer("/meta/requestId").and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_default();
    if let Some(errors) = doc.get("errors") {
        let errors: Vec<JsonApiError> =
            serde_json::from_value(errors.clone()).map_err(|e| protocol(format!("errors: {e}")))?;
        let first = errors.into_iter().next().ok_or_else(|| protocol("errors is empty".into()))?;
        let code = first.code.ok_or_else(|| protocol("error without a code".into()))?;
        let message = first.detail.or(first.title).unwrap_or_default();
        return Err(api_error(status, headers, &code, message, request_id));
    }
    let data = doc.get("data").cloned().ok_or_else(|| protocol("neither data nor errors".into()))?;
    serde_json::from_value(data).map_err(|e| Error::Protocol {
        http_status: status,
        request_id: Some(request_id),
        detail: format!("data: {e}"),
    })
}

impl Client {
    /// `POST /open/v1/joint-login` (permission `joint_login`): a single-use H5 URL,
    /// valid 5 minutes, that brings this user into the platform's pages.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client) -> opengate_sdk::Result<()> {
    /// let url = og.joint_login(&opengate_sdk::JointLogin {
    ///     open_id: "partner-user-42".into(),
    ///     merchant_no: "M001".into(),
    ///     mob: "13800138000".into(),
    ///     source_mc: "mc01".into(),
    ///     source_af: "af01".into(),
    ///     map: None,
    /// }).await?;
    /// println!("open {url} in the webview");
    /// # Ok(()) }
    /// ```
    pub async fn joint_login(&self, req: &JointLogin) -> Result<String> {
        self.call(&Call::post_json("/open/v1/joint-login", req)?).await
    }

    /// `GET /open/v1/users?filter[…]=…` (permission `user_lookup`): every match, an
    /// empty list when none.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client) -> opengate_sdk::Result<()> {
    /// use opengate_sdk::UserFilter;
    /// for u in og.find_users(&UserFilter::CellPhone("13800138000".into())).await? {
    ///     println!("{} is {} (open_id {})", u.id, u.nick_name, u.open_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn find_users(&self, filter: &UserFilter) -> Result<Vec<LookupUser>> {
        let call = Call { query: filter.query(), ..Call::get("/open/v1/users") };
        let (status, headers, body) = self.send(&call).await?;
        let resources: Vec<Resource> = decode_jsonapi(status, &headers, &body)?;
        resources
            .into_iter()
            .map(Resource::into_user)
            .collect::<std::result::Result<_, _>>()
            .map_err(|detail| Error::Protocol { http_status: status, request_id: request_id_header(&headers), detail })
    }

    /// `GET /open/v1/users/{id}` (permission `user_lookup`).
    pub async fn get_user(&self, id: &str) -> Result<LookupUser> {
        let call = Call::get(format!("/open/v1/users/{}", segment("id", id)?));
        let (status, headers, body) = self.send(&call).await?;
        let resource: Resource = decode_jsonapi(status, &headers, &body)?;
        resource.into_user().map_err(|detail| Error::Protocol {
            http_status: status,
            request_id: request_id_header(&headers),
            detail,
        })
    }
}

#[cfg(test)]
mod tests;
