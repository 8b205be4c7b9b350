//! Money on the wire: decimal strings, never floats (SPEC §6, §12). Inside, integers
//! of minor units. Parsing and formatting are written once, here.

/// Largest amount accepted on input, in minor units.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("must be a decimal string like \"12.50\" with at most {0} decimals")]
    Format(u32),
    #[error("must be greater than zero")]
    NotPositive,
    #[error("is too large")]
    TooLarge,
}

/// Parses `^(0|[1-9][0-9]*)(\.[0-9]{1,D})?$` into minor units; > 0 and ≤ 10^15 minor units.
pub fn parse_amount(s: &str, decimals: u32) -> Result<i64, AmountError> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return Err(AmountError::Format(decimals));
    }
    if let Some(f) = frac {
        if !digits(f) || f.len() > decimals as usize {
            return Err(AmountError::Format(decimals));
        }
    }
    if int.len() > 18 {
        return Err(AmountError::TooLarge);
    }
    let scale = 10i64.checked_pow(decimals).ok_or(AmountError::TooLarge)?;
    let whole: i64 = int.parse().map_err(|_| AmountError::TooLarge)?;
    let mut minor = whole.checked_mul(scale).ok_or(AmountError::TooLarge)?;
    if let Some(f) = frac {
        let padded = format!("{f:0<width$}", width = decimals as usize);
        let part: i64 = padded.parse().map_err(|_| AmountError::Format(decimals))?;
        minor = minor.checked_add(part).ok_or(AmountError::TooLarge)?;
    }
    if minor == 0 {
        return Err(AmountError::NotPositive);
    }
    if minor > MAX_MINOR {
        return Err(AmountError::TooLarge);
    }
    Ok(minor)
}

/// Formats minor units with exactly `decimals` decimals (`1250, 2` → `"12.50"`).
pub fn format_amount(minor: i64, decimals: u32) -> String {
    let neg = minor < 0;
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(decimals);
    let sign = if neg { "-" } else { "" };
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = decimals as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec_shapes() {
        assert_eq!(parse_amount("12.50", 2), Ok(1250));
        assert_eq!(parse_amount("12.5", 2), Ok(1250));
        assert_eq!(parse_amount("0.01", 2), Ok(1));
        assert_eq!(parse_amount("7", 0), Ok(7));
        assert_eq!(parse_amount("10000000000000", 2), Ok(MAX_MINOR));
        for bad in ["", "01", "1.", ".5", "-1", "+1", "1e3", "1.234", " 1", "1,00", "0x10", "１"] {
            assert!(parse_amount(bad, 2).is_err(), "{bad}");
        }
        assert_eq!(parse_amount("0", 2), Err(AmountError::NotPositive));
        assert_eq!(parse_amount("0.00", 2), Err(AmountError::NotPositive));
        assert_eq!(parse_amount("10000000000000.01", 2), Err(AmountError::TooLarge));
        assert_eq!(parse_amount("99999999999999999999999", 2), Err(AmountError::TooLarge));
        assert_eq!(parse_amount("1.5", 0), Err(AmountError::Format(0)));
    }

    #[test]
    fn formats_with_exact_decimals() {
        assert_eq!(format_amount(1250, 2), "12.50");
        assert_eq!(format_amount(1, 2), "0.01");
        assert_eq!(format_amount(7, 0), "7");
        assert_eq!(format_amount(-5, 3), "-0.005");
        assert_eq!(format_amount(i64::MAX, 8), "92233720368.54775807");
    }
}
