//! Payment wire types (SPEC §6, §8, §12) and the one pricing rule: a fixed rate from
//! an app's pricing currency to its settlement asset, with the settle amount rounded
//! **up** to the settlement asset's smallest unit. Integer arithmetic only.

use serde::{Deserialize, Serialize};

use crate::amount::{AmountError, MAX_MINOR};

/// Most significant digits a rate may have (keeps every product inside `i128`).
pub const RATE_MAX_DIGITS: usize = 15;
/// Most decimals a rate may have.
pub const RATE_MAX_DECIMALS: u32 = 12;

/// A positive decimal exchange rate, `units / 10^scale` settlement units per pricing unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    units: i64,
    scale: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("must be a positive decimal string like \"0.01\" (at most {RATE_MAX_DIGITS} digits and {RATE_MAX_DECIMALS} decimals)")]
    Format,
    #[error("must be greater than zero")]
    NotPositive,
}

impl Rate {
    /// Parses `^(0|[1-9][0-9]*)(\.[0-9]{1,12})?$`, > 0, at most 15 significant digits.
    /// Trailing zeros of the fraction are dropped (`"0.010"` is `"0.01"`).
    pub fn parse(s: &str) -> Result<Rate, RateError> {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (int.len() > 1 && int.starts_with('0')) {
            return Err(RateError::Format);
        }
        if s.contains('.') && frac.is_empty() {
            return Err(RateError::Format);
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > RATE_MAX_DECIMALS as usize {
            return Err(RateError::Format);
        }
        let all = format!("{int}{frac}");
        let significant = all.trim_start_matches('0');
        if significant.is_empty() {
            return Err(RateError::NotPositive);
        }
        if significant.len() > RATE_MAX_DIGITS {
            return Err(RateError::Format);
        }
        let units: i64 = significant.parse().map_err(|_| RateError::Format)?;
        Ok(Rate { units, scale: frac.len() as u32 })
    }
}

impl std::fmt::Display for Rate {
    /// The shortest decimal form: `"0.01"`, `"2"`, `"1.5"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::amount::format_amount(self.units, self.scale))
    }
}

/// `amount × rate`, converted from `price_decimals` to `settle_decimals` and rounded
/// up to the settlement asset's smallest unit. Never zero for a positive amount.
pub fn settle_amount(
    amount_minor: i64,
    price_decimals: u32,
    rate: Rate,
    settle_decimals: u32,
) -> Result<i64, AmountError> {
    if amount_minor <= 0 {
        return Err(AmountError::NotPositive);
    }
    let pow = |d: u32| 10i128.checked_pow(d).ok_or(AmountError::TooLarge);
    let num = i128::from(amount_minor)
        .checked_mul(i128::from(rate.units))
        .and_then(|v| v.checked_mul(pow(settle_decimals).ok()?))
        .ok_or(AmountError::TooLarge)?;
    let den = pow(price_decimals)?.checked_mul(pow(rate.scale)?).ok_or(AmountError::TooLarge)?;
    let q = num / den + i128::from(num % den != 0);
    if q > i128::from(MAX_MINOR) {
        return Err(AmountError::TooLarge);
    }
    i64::try_from(q).map_err(|_| AmountError::TooLarge)
}

/// Body of `POST /open/v1/pay/orders`. Amounts are decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOrder {
    pub trade_no: String,
    pub amount: String,
    pub currency: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_seconds: Option<i64>,
}

/// An order attempt as `/open/v1/pay/orders*` answers it (`data`). The SPEC's fields
/// plus `subject`, `fail_reason`, `open_id`, `created_at` and `paid_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub order_id: String,
    pub trade_no: String,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// `expired`, `cancelled` or `closed`; null unless failed.
    pub fail_reason: Option<String>,
    pub amount: String,
    pub currency: String,
    pub settle_amount: String,
    pub settle_currency: String,
    pub rate: String,
    pub subject: String,
    pub pay_url: String,
    /// The payer's `open_id` for this app once paid (or the one the order is restricted to).
    pub open_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    /// How much of `amount` was refunded so far (SPEC §13), e.g. `"0.00"`.
    #[serde(default)]
    pub refunded_amount: String,
}

/// `data` of a notification (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationData {
    pub order_id: String,
    pub trade_no: String,
    pub app_id: String,
    pub open_id: Option<String>,
    pub amount: String,
    pub currency: String,
    pub settle_amount: String,
    pub settle_currency: String,
    pub status: String,
    pub fail_reason: Option<String>,
    pub paid_at: Option<i64>,
}

/// The JSON body POSTed to the partner's notify URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// `evt_…`, equal to the `webhook-id` header; kept across retries.
    pub id: String,
    /// `payment.succeeded` or `payment.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created_at: i64,
    pub data: NotificationData,
}

/// The settlement share of one refund (SPEC §13): `refund × settled ÷ amount`,
/// rounded **down**, except that the refund which brings the refunded total to the
/// whole amount takes whatever is left, so the shares add up to `settled` exactly.
/// `refunded_before` and `settled_before` are the totals of the earlier refunds.
/// None when the refund does not fit (zero, negative, or beyond the amount).
pub fn refund_share(refund: i64, amount: i64, refunded_before: i64, settled: i64, settled_before: i64) -> Option<i64> {
    if refund <= 0 || amount <= 0 || refunded_before < 0 || settled_before < 0 || settled_before > settled {
        return None;
    }
    let after = refunded_before.checked_add(refund)?;
    if after > amount {
        return None;
    }
    if after == amount {
        return Some(settled - settled_before);
    }
    let share = i128::from(refund) * i128::from(settled) / i128::from(amount);
    // Never more than is left (the floors of earlier shares keep it so; be sure).
    Some(i64::try_from(share).ok()?.min(settled - settled_before))
}

/// Body of `POST /open/v1/pay/orders/{trade_no}/refunds` (SPEC §13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRefund {
    pub refund_no: String,
    pub amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A refund as `/open/v1/pay/…/refunds*` answers it (`data`, SPEC §13), plus its
/// `reason` and, once failed, why (`fail_reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub refund_id: String,
    pub refund_no: String,
    pub trade_no: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub amount: String,
    pub currency: String,
    pub settle_amount: String,
    pub settle_currency: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub fail_reason: Option<String>,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
}

/// `data` of a `refund.succeeded` / `refund.failed` notification: the refund plus
/// the order and who was refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundEventData {
    #[serde(flatten)]
    pub refund: RefundView,
    pub order_id: String,
    pub app_id: String,
    pub open_id: Option<String>,
}

/// A refund notification (SPEC §13), signed and delivered like §8's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotification {
    pub id: String,
    /// `refund.succeeded` or `refund.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: i64,
    pub data: RefundEventData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_shares_add_up_to_the_payment() {
        // 10.00 settled as 3 units, refunded 3.33 + 3.33 + 3.34: each share rounds
        // down to 0 and the last refund takes all 3.
        let (amount, settled) = (1000, 3);
        let a = refund_share(333, amount, 0, settled, 0);
        let b = refund_share(333, amount, 333, settled, 0);
        let c = refund_share(334, amount, 666, settled, 0);
        assert_eq!((a, b, c), (Some(0), Some(0), Some(3)));
        assert_eq!(refund_share(500, 1000, 0, 1001, 0), Some(500));
        assert_eq!(refund_share(500, 1000, 500, 1001, 500), Some(501));
        assert_eq!(refund_share(1000, 1000, 0, 7, 0), Some(7));
        for bad in [(0, 0), (-1, 0), (1001, 0), (1, 1000)] {
            assert_eq!(refund_share(bad.0, 1000, bad.1, 7, 0), None, "{bad:?}");
        }
        assert_eq!(refund_share(1, 1000, 0, 7, 8), None);
    }

    #[test]
    fn rates_parse_and_print_short() {
        assert_eq!(Rate::parse("0.01").map(|r| r.to_string()), Ok("0.01".into()));
        assert_eq!(Rate::parse("0.0100").map(|r| r.to_string()), Ok("0.01".into()));
        assert_eq!(Rate::parse("2").map(|r| r.to_string()), Ok("2".into()));
        assert_eq!(Rate::parse("1.5").map(|r| r.to_string()), Ok("1.5".into()));
        assert_eq!(Rate::parse("0.000000000001").map(|r| r.to_string()), Ok("0.000000000001".into()));
        for bad in ["", "1.", ".5", "-1", "+1", "1e3", "01", "0.0000000000001", "1234567890123456", " 1", "1,5"] {
            assert_eq!(Rate::parse(bad), Err(RateError::Format), "{bad}");
        }
        assert_eq!(Rate::parse("0"), Err(RateError::NotPositive));
        assert_eq!(Rate::parse("0.000"), Err(RateError::NotPositive));
    }

    fn settle(amount: i64, pd: u32, rate: &str, sd: u32) -> Result<i64, AmountError> {
        settle_amount(amount, pd, Rate::parse(rate).expect("rate"), sd)
    }

    #[test]
    fn settle_rounds_up_to_the_smallest_unit() {
        // 12.50 PTS at 0.01 → 0.125 OGC → 0.13 OGC.
        assert_eq!(settle(1250, 2, "0.01", 2), Ok(13));
        // Exact results are not rounded.
        assert_eq!(settle(1200, 2, "0.01", 2), Ok(12));
        assert_eq!(settle(100, 2, "1", 2), Ok(100));
        // A tiny amount still costs one smallest unit, never zero.
        assert_eq!(settle(1, 2, "0.000001", 2), Ok(1));
        // Different decimals on each side.
        assert_eq!(settle(7, 0, "1.5", 2), Ok(1050));
        assert_eq!(settle(1, 8, "3", 0), Ok(1));
        // 3.33 × 0.333333333333 = 1.10999999999889 → 1.11000000 (up, not to nearest).
        assert_eq!(settle(333, 2, "0.333333333333", 8), Ok(111_000_000));
        assert_eq!(settle(333, 2, "0.333333333333", 12), Ok(1_109_999_999_999));
    }

    #[test]
    fn settle_refuses_overflow_instead_of_panicking() {
        assert_eq!(settle(MAX_MINOR, 0, "999999999999999", 8), Err(AmountError::TooLarge));
        assert_eq!(settle(MAX_MINOR, 2, "1000", 2), Err(AmountError::TooLarge));
        assert_eq!(settle(MAX_MINOR, 0, "1", 0), Ok(MAX_MINOR));
        assert_eq!(settle(0, 2, "1", 2), Err(AmountError::NotPositive));
    }
}
