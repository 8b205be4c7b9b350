//! Adapters: how a source's user document becomes the three things the platform keeps
//! (user name, mobile, nickname). `jsonapi` reads a JSON:API `users` resource (the
//! shape of our own user lookup, and of the third seed document); `json` picks each
//! field from any JSON document by a JSON Pointer set in the source's config.

use std::time::Duration;

use opengate_shared::source;
use serde::Deserialize;
use serde_json::Value;

use super::Source;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adapter {
    JsonApi,
    Json(Pointers),
}

/// JSON Pointers (RFC 6901) into a `json` source's user document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pointers {
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub nickname: Option<String>,
}

/// What the platform takes from a partner's user: never a password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub nickname: Option<String>,
}

pub use opengate_shared::ids::is_mobile;

fn clean_text(v: &str, what: &str, max: usize) -> Result<Option<String>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(format!("{what}: must be 1..{max} characters without control characters"));
    }
    Ok(Some(v.to_owned()))
}

impl Adapter {
    /// From the stored kind and config (checked again when the operator sets them).
    pub fn parse(kind: &str, config: &str) -> Result<Adapter, String> {
        match kind {
            "jsonapi" => {
                let v: Value = serde_json::from_str(config).map_err(|e| format!("adapter config: {e}"))?;
                match v {
                    Value::Object(m) if m.is_empty() => Ok(Adapter::JsonApi),
                    _ => Err("adapter config: the jsonapi adapter takes no config ({})".into()),
                }
            }
            "json" => {
                let p: Pointers = serde_json::from_str(config).map_err(|e| {
                    format!("adapter config: {e}; expected {{\"mobile\":\"/ptr\",\"username\":\"/ptr\",\"nickname\":\"/ptr\"}}")
                })?;
                if p.mobile.is_none() && p.username.is_none() {
                    return Err("adapter config: give a JSON Pointer for mobile or username (or both)".into());
                }
                for ptr in [&p.username, &p.mobile, &p.nickname].into_iter().flatten() {
                    if !(ptr.is_empty() || ptr.starts_with('/')) {
                        return Err(format!("adapter config: {ptr:?} is not a JSON Pointer (they start with /)"));
                    }
                }
                Ok(Adapter::Json(p))
            }
            other => Err(format!("adapter {other:?}: use jsonapi or json")),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Adapter::JsonApi => "jsonapi",
            Adapter::Json(_) => "json",
        }
    }

    /// The profile in a user document, checked: a mobile must look like one, and
    /// there must be a mobile or a user name to key the account by.
    pub fn profile(&self, doc: &Value) -> Result<Profile, String> {
        let pick = |v: Option<&Value>, what: &str| -> Result<Option<String>, String> {
            match v {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => clean_text(s, what, 64),
                Some(Value::Number(n)) => clean_text(&n.to_string(), what, 64),
                Some(_) => Err(format!("{what}: must be a string")),
            }
        };
        let (username, mobile, nickname) = match self {
            Adapter::JsonApi => {
                let data = match doc.get("data") {
                    Some(Value::Array(items)) if items.len() == 1 => &items[0],
                    Some(Value::Array(items)) if items.is_empty() => return Err("no such user at the source".into()),
                    Some(Value::Array(_)) => return Err("the source answered several users for one uid".into()),
                    Some(d @ Value::Object(_)) => d,
                    _ => return Err("not a JSON:API document with a users resource in data".into()),
                };
                if data.get("type").and_then(Value::as_str) != Some("users") {
                    return Err("data.type: must be \"users\"".into());
                }
                let attrs = data.get("attributes").ok_or("data.attributes: missing")?;
                (
                    pick(attrs.get("userName"), "userName")?,
                    pick(attrs.get("cellPhone"), "cellPhone")?,
                    pick(attrs.get("nickName"), "nickName")?,
                )
            }
            Adapter::Json(p) => {
                let at = |ptr: &Option<String>| ptr.as_deref().and_then(|ptr| doc.pointer(ptr));
                (pick(at(&p.username), "username")?, pick(at(&p.mobile), "mobile")?, pick(at(&p.nickname), "nickname")?)
            }
        };
        if let Some(m) = &mobile {
            if !is_mobile(m) {
                return Err("mobile: must be 6..15 digits, optionally with a leading +".into());
            }
        }
        if mobile.is_none() && username.is_none() {
            return Err("the user has neither a mobile nor a user name".into());
        }
        Ok(Profile { username, mobile, nickname })
    }
}

/// Fetches one user from the source's user API (`user_url` with `{uid}` replaced by
/// the percent-encoded uid), signed with the source's secret, and reads it with the
/// source's adapter. Errors are sentences for the operator's log and the error page.
pub async fn fetch_profile(st: &AppState, src: &Source, uid: &str) -> Result<Profile, String> {
    let template = src.user_url.as_deref().ok_or("the source has no user API URL")?;
    let mut enc = String::new();
    opengate_shared::signing::rfc3986_encode(uid.as_bytes(), &mut enc);
    let url = template.replace("{uid}", &enc);
    let parsed = url::Url::parse(&url).map_err(|e| format!("user API URL: {e}"))?;
    let mut path_and_query = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        path_and_query.push('?');
        path_and_query.push_str(q);
    }
    let ts = st.clock.now_secs();
    let sig = source::sign_call(&src.secret, "GET", &path_and_query, ts, b"");
    let accept = match src.adapter {
        Adapter::JsonApi => "application/vnd.api+json",
        Adapter::Json(_) => "application/json",
    };
    let headers = [
        ("accept", accept.to_owned()),
        (source::HEADER_SOURCE, src.code.clone()),
        (source::HEADER_TIMESTAMP, ts.to_string()),
        (source::HEADER_SIGNATURE, sig),
    ];
    let timeout = Duration::from_millis(st.config.source_timeout_ms);
    let answer = st.notifier.client.call(reqwest::Method::GET, &url, &headers, None, timeout).await?;
    if answer.status == 404 {
        return Err("no such user at the source (HTTP 404)".into());
    }
    if answer.status != 200 {
        return Err(format!("the source's user API answered HTTP {}", answer.status));
    }
    let doc: Value =
        serde_json::from_slice(&answer.body).map_err(|e| format!("the source's answer is not JSON: {e}"))?;
    src.adapter.profile(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonapi_reads_the_seed_document() {
        let doc = json!({"data": {"type": "users", "id": "13", "attributes": {
            "cellPhone": "15202939422", "nickName": "15202939422", "userName": "ACaY1475853051",
            "status": 0, "createTime": 1475853051, "openId": ""}}});
        let p = Adapter::JsonApi.profile(&doc).expect("accepted");
        assert_eq!(p.mobile.as_deref(), Some("15202939422"));
        assert_eq!(p.username.as_deref(), Some("ACaY1475853051"));
        let none = json!({"data": []});
        assert!(Adapter::JsonApi.profile(&none).expect_err("refused").contains("no such user"));
        let wrong_type = json!({"data": {"type": "shops", "id": "1", "attributes": {}}});
        assert!(Adapter::JsonApi.profile(&wrong_type).is_err());
        let bad_mobile = json!({"data": {"type": "users", "id": "1", "attributes": {"cellPhone": "12ab"}}});
        assert!(Adapter::JsonApi.profile(&bad_mobile).expect_err("refused").starts_with("mobile"));
    }

    #[test]
    fn json_picks_by_pointer() {
        let a = Adapter::parse("json", r#"{"mobile":"/u/phone","username":"/u/login","nickname":"/u/name"}"#)
            .expect("accepted");
        let doc = json!({"u": {"phone": "+8613800000001", "login": "alice", "name": " Alice "}});
        let p = a.profile(&doc).expect("accepted");
        assert_eq!(
            p,
            Profile {
                username: Some("alice".into()),
                mobile: Some("+8613800000001".into()),
                nickname: Some("Alice".into())
            }
        );
        assert!(Adapter::parse("json", r#"{"nickname":"/n"}"#).is_err());
        assert!(Adapter::parse("json", r#"{"mobile":"phone"}"#).is_err());
        assert!(Adapter::parse("json", r#"{"mobile":"/p","extra":"/x"}"#).is_err());
        assert!(Adapter::parse("jsonapi", r#"{"x":1}"#).is_err());
        assert!(Adapter::parse("xml", "{}").is_err());
    }
}
