//! `OPENGATE_*` variables that name no configuration key. figment would refuse them
//! too (the configuration denies unknown keys), but with a message that neither says
//! which variable it was nor what to do; an operator who followed old advice
//! (`OPENGATE_NEW_PASSWORD=…`) should learn where commands read their secrets.

use super::{Config, ConfigError};

/// Environment variables `OPENGATE_<KEY>` set configuration keys.
pub const ENV_PREFIX: &str = "OPENGATE_";

/// `OPENGATE_*` variables that are not configuration keys: `OPENGATE_CONFIG` is the
/// command line's `--config`. Nothing else may share the prefix; commands read their
/// own secrets from `OG_*` variables (see `cli`).
pub(super) const NOT_CONFIG_KEYS: &[&str] = &["config"];

/// Refuses an `OPENGATE_*` variable that names no configuration key (by name only:
/// a value is never read, it may be a secret), as figment would, but saying which
/// variable and what to do instead. Prefix and key match without regard to case, as
/// figment matches them; `KEY.sub` sets a part of `key`.
pub fn check_variables(names: impl IntoIterator<Item = String>) -> Result<(), ConfigError> {
    let known = config_keys();
    for name in names {
        let name = name.trim();
        let Some(head) = name.get(..ENV_PREFIX.len()) else { continue };
        if !head.eq_ignore_ascii_case(ENV_PREFIX) {
            continue;
        }
        let key = name[ENV_PREFIX.len()..].to_ascii_lowercase();
        let top = key.split('.').next().unwrap_or_default();
        if top.is_empty() || NOT_CONFIG_KEYS.contains(&key.as_str()) || known.iter().any(|k| k == top) {
            continue;
        }
        return Err(ConfigError::UnknownVariable(unknown_variable_message(name, top, &known)));
    }
    Ok(())
}

/// Every configuration key, from the defaults' serialisation (so it cannot drift).
fn config_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

fn unknown_variable_message(name: &str, key: &str, known: &[String]) -> String {
    let secret_like = ["password", "pin", "secret", "passwd"].iter().any(|w| key.split('_').any(|p| p == *w));
    let what_to_do = if secret_like {
        "unset it: commands read their secrets from --password-stdin / --pin-stdin, a prompt, or \
         OG_NEW_PASSWORD / OG_NEW_PIN (see `opengate user --help`)"
            .to_owned()
    } else {
        match closest_key(key, known) {
            Some(k) => format!("did you mean {ENV_PREFIX}{}? Unset or rename it", k.to_ascii_uppercase()),
            None => "unset it; the keys are listed in docs/OPERATIONS.md".to_owned(),
        }
    };
    format!("{name} is not a configuration key; {what_to_do}")
}

/// The known key nearest to a misspelt one (at most 2 edits away), if any.
fn closest_key<'k>(key: &str, known: &'k [String]) -> Option<&'k str> {
    known.iter().map(|k| (edit_distance(key, k), k.as_str())).filter(|(d, _)| *d <= 2).min().map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(names: &[&str]) -> Result<(), String> {
        check_variables(names.iter().map(|n| (*n).to_owned())).map_err(|e| e.to_string())
    }

    #[test]
    fn unknown_opengate_variables_are_named_with_what_to_do() {
        check(&["OPENGATE_LISTEN", "opengate_log_format", "OPENGATE_CONFIG", "OG_NEW_PASSWORD", "PATH", "OPENGATE"])
            .expect("known keys, --config's variable and other prefixes pass");
        check(&["OPENGATE_TRUSTED_PROXIES.0"]).expect("a part of a key");
        let err = check(&["OPENGATE_LISTEN", "OPENGATE_NEW_PASSWORD"]).expect_err("not a key");
        assert!(err.contains("OPENGATE_NEW_PASSWORD is not a configuration key"), "{err}");
        assert!(err.contains("--password-stdin") && err.contains("OG_NEW_PASSWORD"), "{err}");
        let err = check(&["OPENGATE_LOG_FORMATS"]).expect_err("misspelt");
        assert!(
            err.contains("OPENGATE_LOG_FORMATS is not a configuration key; did you mean OPENGATE_LOG_FORMAT?"),
            "{err}"
        );
        let err = check(&["OPENGATE_WHATEVER"]).expect_err("unknown");
        assert!(err.contains("OPENGATE_WHATEVER is not a configuration key; unset it"), "{err}");
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("listen", "listen"), 0);
    }
}
