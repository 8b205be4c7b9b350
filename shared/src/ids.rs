//! Identifiers of SPEC §2 and the header values of §4, parsed once into types so
//! that a value that made it past the edge is valid everywhere after it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct IdError {
    pub field: &'static str,
    pub rule: &'static str,
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `^[a-z][a-z0-9]{5,31}$`: the shape of both `company_id` and `app_id`.
fn is_platform_id(s: &str) -> bool {
    let b = s.as_bytes();
    (6..=32).contains(&b.len()) && b[0].is_ascii_lowercase() && b.iter().all(|&c| is_lower_alnum(c))
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $field:literal, $rule:literal, $check:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError { field: $field, rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// One per partner company; every app of the company shares it.
    CompanyId, "company_id", "must match ^[a-z][a-z0-9]{5,31}$", is_platform_id
);
id_type!(
    /// One per app; globally unique and never reused.
    AppId, "app_id", "must match ^[a-z][a-z0-9]{5,31}$", is_platform_id
);
id_type!(
    /// The public half of a key pair: `ak` + 22 of `[a-z0-9]`.
    AccessKey, "X-OG-AccessKey", "must match ^ak[a-z0-9]{22}$",
    |s| s.len() == 24 && s.starts_with("ak") && s.bytes().all(is_lower_alnum)
);
id_type!(
    /// `X-OG-Nonce`: 16..64 of `[A-Za-z0-9_-]`.
    Nonce, "X-OG-Nonce", "must be 16..64 characters of [A-Za-z0-9_-]",
    |s| (16..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
);
id_type!(
    /// An incoming `X-Request-Id` we keep: 1..64 of `[A-Za-z0-9._-]`.
    RequestId, "X-Request-Id", "must be 1..64 characters of [A-Za-z0-9._-]",
    |s| (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
);

id_type!(
    /// A device id bound to a login grant (SPEC §5.11): 1..64 of `[A-Za-z0-9._-]`.
    DeviceId, "device_id", "must be 1..64 characters of [A-Za-z0-9._-]",
    |s| (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
);

/// Masks a mobile number for display (SPEC §12): 11 digits → first 3, `****`, last 4;
/// otherwise first 2, one `*` per hidden digit, last 2. A leading `+` is kept.
/// A mobile number as SPEC §12 has it: `^\+?[0-9]{6,15}$`.
pub fn is_mobile(m: &str) -> bool {
    let digits = m.strip_prefix('+').unwrap_or(m);
    (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

pub fn mask_mobile(mobile: &str) -> String {
    let (plus, digits) = match mobile.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", mobile),
    };
    let chars: Vec<char> = digits.chars().collect();
    let n = chars.len();
    let (head, tail) = if n == 11 { (3, 4) } else { (2, 2) };
    if n <= head + tail {
        return format!("{plus}{}", "*".repeat(n));
    }
    let stars = if n == 11 { 4 } else { n - head - tail };
    let first: String = chars[..head].iter().collect();
    let last: String = chars[n - tail..].iter().collect();
    format!("{plus}{first}{}{last}", "*".repeat(stars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_ids_follow_spec_section_2() {
        for ok in ["abcdef", "a00000", "demoapp1", "a234567890123456789012345678901b"] {
            assert!(AppId::parse(ok).is_ok(), "{ok}");
            assert!(CompanyId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "abcde",
            "1abcdef",
            "Abcdef",
            "abcDef",
            "abc_def",
            "abc-def",
            "abcdéf",
            "a2345678901234567890123456789012c",
            " abcdef",
        ] {
            assert!(AppId::parse(bad).is_err(), "{bad}");
            assert!(CompanyId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_keys_and_nonces() {
        assert!(AccessKey::parse("akexample000000000000001").is_ok());
        assert!(AccessKey::parse("akexample00000000000001").is_err());
        assert!(AccessKey::parse("bkexample000000000000001").is_err());
        assert!(AccessKey::parse("akEXAMPLE000000000000001").is_err());
        assert!(Nonce::parse("n0nce-0123456789ABCDEF").is_ok());
        assert!(Nonce::parse("short").is_err());
        assert!(Nonce::parse(&"x".repeat(65)).is_err());
        assert!(Nonce::parse("n0nce 0123456789ABCDEF").is_err());
        assert!(RequestId::parse("abc.DEF_1-2").is_ok());
        assert!(RequestId::parse("a/b").is_err());
        assert!(RequestId::parse(&"r".repeat(65)).is_err());
    }

    #[test]
    fn mobile_masks_follow_spec_section_12() {
        assert_eq!(mask_mobile("13812345678"), "138****5678");
        assert_eq!(mask_mobile("0123456789"), "01******89");
        assert_eq!(mask_mobile("+821012345678"), "+82********78");
        assert_eq!(mask_mobile("1234"), "****");
        assert!(DeviceId::parse("dev-1.A_b").is_ok());
        assert!(DeviceId::parse("").is_err());
        assert!(DeviceId::parse("a b").is_err());
    }

    #[test]
    fn serde_refuses_invalid_ids() {
        assert!(serde_json::from_str::<AppId>("\"Bad\"").is_err());
        let id: AppId = serde_json::from_str("\"demoapp1\"").expect("valid");
        assert_eq!(id.as_str(), "demoapp1");
    }
}
