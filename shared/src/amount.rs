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

/// Inserts `,` every three digits in the integer part of a decimal string, for the
/// eye only (`"1234567.50"` → `"1,234,567.50"`, `"-1234"` → `"-1,234"`). The digits are
/// never parsed, so the amount stays exact; a string that is not `-?digits(.digits)?`
/// comes back unchanged.
pub fn group_digits(amount: &str) -> String {
    let (sign, rest) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return amount.to_owned();
    }
    let mut out = String::with_capacity(amount.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
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

    #[test]
    fn groups_integer_digits_by_three() {
        assert_eq!(group_digits("1234567.50"), "1,234,567.50");
        assert_eq!(group_digits("-1234"), "-1,234");
        assert_eq!(group_digits("12.5"), "12.5");
        assert_eq!(group_digits("999"), "999");
        assert_eq!(group_digits("1000"), "1,000");
        assert_eq!(group_digits("100000.123456"), "100,000.123456");
        assert_eq!(group_digits("0.01"), "0.01");
        assert_eq!(group_digits("92233720368.54775807"), "92,233,720,368.54775807");
        // Not a plain decimal: shown as it came.
        for odd in ["", "-", "1,000", "abc", "1.", ".5", "1e9", "--1", "1.2.3"] {
            assert_eq!(group_digits(odd), odd);
        }
    }
}
