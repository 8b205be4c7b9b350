//! The error codes of SPEC §10 and the response envelope of `/open/v1/*`.

use serde::{Deserialize, Serialize};

/// Stable error codes partners branch on. The string form (`"U0029"`) is the wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    U0029,
    U0076,
    U9999,
    U0101,
    U0102,
    U0103,
    U0104,
    U0105,
    U0106,
    U0201,
    U0202,
    U0203,
    U0204,
    U0301,
    U0302,
    U0303,
    U0304,
    U0401,
    U0404,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::U0029,
        ErrorCode::U0076,
        ErrorCode::U9999,
        ErrorCode::U0101,
        ErrorCode::U0102,
        ErrorCode::U0103,
        ErrorCode::U0104,
        ErrorCode::U0105,
        ErrorCode::U0106,
        ErrorCode::U0201,
        ErrorCode::U0202,
        ErrorCode::U0203,
        ErrorCode::U0204,
        ErrorCode::U0301,
        ErrorCode::U0302,
        ErrorCode::U0303,
        ErrorCode::U0304,
        ErrorCode::U0401,
        ErrorCode::U0404,
    ];

    /// The HTTP status that goes with the code (SPEC §10).
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            U0029 | U0201 => 400,
            U0101 | U0102 | U0104 | U0105 | U0106 | U0202 | U0203 => 401,
            U0076 | U0103 | U0204 => 403,
            U0303 | U0404 => 404,
            U0301 | U0302 | U0304 => 409,
            U0401 => 429,
            U9999 => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            U0029 => "U0029",
            U0076 => "U0076",
            U9999 => "U9999",
            U0101 => "U0101",
            U0102 => "U0102",
            U0103 => "U0103",
            U0104 => "U0104",
            U0105 => "U0105",
            U0106 => "U0106",
            U0201 => "U0201",
            U0202 => "U0202",
            U0203 => "U0203",
            U0204 => "U0204",
            U0301 => "U0301",
            U0302 => "U0302",
            U0303 => "U0303",
            U0304 => "U0304",
            U0401 => "U0401",
            U0404 => "U0404",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one envelope of every `/open/v1/*` answer (SPEC §4).
///
/// `{"success":true,"data":…,"requestId":"…"}` or
/// `{"success":false,"errorCode":"U0029","errorMsg":"…","requestId":"…"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiEnvelope<T> {
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<ErrorCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    pub request_id: String,
}

impl<T> ApiEnvelope<T> {
    pub fn ok(data: T, request_id: String) -> Self {
        ApiEnvelope { success: true, data: Some(data), error_code: None, error_msg: None, request_id }
    }

    pub fn err(code: ErrorCode, msg: impl Into<String>, request_id: String) -> Self {
        ApiEnvelope { success: false, data: None, error_code: Some(code), error_msg: Some(msg.into()), request_id }
    }
}

/// `data` of `GET /open/v1/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingData {
    pub app_id: String,
    pub access_key: String,
    pub client_ip: String,
    pub server_time: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_map_to_spec_statuses() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("serialize");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(ErrorCode::U0106.http_status(), 401);
        assert_eq!(ErrorCode::U0103.http_status(), 403);
        assert_eq!(ErrorCode::U0401.http_status(), 429);
    }

    #[test]
    fn envelope_has_spec_field_names() {
        let e: ApiEnvelope<()> = ApiEnvelope::err(ErrorCode::U0029, "amount: must be positive", "r1".into());
        let v = serde_json::to_value(&e).expect("serialize");
        assert_eq!(
            v,
            serde_json::json!({"success":false,"errorCode":"U0029","errorMsg":"amount: must be positive","requestId":"r1"})
        );
        let ok = ApiEnvelope::ok(1, "r2".into());
        assert_eq!(
            serde_json::to_value(&ok).expect("serialize"),
            serde_json::json!({"success":true,"data":1,"requestId":"r2"})
        );
    }
}
