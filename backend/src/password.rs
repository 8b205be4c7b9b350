//! Password hashing: argon2id with the crate's default (OWASP-recommended) parameters.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Fewest characters of a new password.
pub const MIN_CHARS: usize = 8;
/// Most bytes of a password: the login refuses longer ones, so a longer password
/// could be set but never used.
pub const MAX_BYTES: usize = 1024;

/// The rule for a new password (the operator's `user create` and `user set-password`):
/// 8 characters or more, at most [`MAX_BYTES`] bytes, no control characters (a line
/// break or tab cannot be typed into the login form). The message never repeats it.
pub fn check_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!("password must have at least {MIN_CHARS} characters"));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("password must have at most {MAX_BYTES} bytes (the login refuses longer ones)"));
    }
    if password.chars().any(char::is_control) {
        return Err("password must not contain control characters such as a line break or a tab".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_follow_one_rule() {
        check_new("correct horse").expect("ok");
        check_new("비밀번호비밀번호").expect("characters, not bytes");
        assert!(check_new("short").is_err_and(|e| e.contains("at least 8")));
        assert!(check_new(&"x".repeat(MAX_BYTES + 1)).is_err_and(|e| e.contains("at most 1024")));
        assert!(check_new("two\nlines here").is_err_and(|e| e.contains("control")));
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash("correct horse").expect("hash");
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsE", &h));
        assert!(!verify("correct horse", "not a phc string"));
    }
}
