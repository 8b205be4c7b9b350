//! Properties of the money rules, over many generated cases (proptest): amounts
//! print and parse back exactly; the settle amount is the exact product rounded up
//! to one smallest unit; refunds of any partition of a payment, in any order, add up
//! to its settle amount exactly, each share rounded down, never running past it.

use opengate_shared::amount::{format_amount, parse_amount, MAX_MINOR};
use opengate_shared::pay::{refund_share, settle_amount, Rate};
use proptest::prelude::*;

fn rate() -> impl Strategy<Value = (String, i128, u32)> {
    // units / 10^scale with at most 9 significant digits and 6 decimals.
    (1u64..1_000_000_000, 0u32..=6).prop_map(|(units, scale)| {
        let s = format_amount(units as i64, scale);
        (s, i128::from(units), scale)
    })
}

proptest! {
    // Failures print their minimal case; none is written to disk (the crate has no
    // src/lib.rs beside tests/ for proptest's regression files).
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn amounts_print_and_parse_back(minor in 1..=MAX_MINOR, decimals in 0u32..=6) {
        let text = format_amount(minor, decimals);
        prop_assert_eq!(parse_amount(&text, decimals), Ok(minor));
        // Exactly `decimals` digits after the point (none without decimals).
        let frac = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(frac, decimals as usize);
    }

    #[test]
    fn settle_amounts_round_up_to_one_unit(
        amount in 1i64..=10_000_000_000,
        price_d in 0u32..=4,
        (rate_text, units, scale) in rate(),
        settle_d in 0u32..=4,
    ) {
        let r = Rate::parse(&rate_text).expect("generated rates parse");
        let Ok(settle) = settle_amount(amount, price_d, r, settle_d) else { return Ok(()) };
        // exact = amount × units × 10^settle_d / (10^price_d × 10^scale)
        let num = i128::from(amount) * units * 10i128.pow(settle_d);
        let den = 10i128.pow(price_d) * 10i128.pow(scale);
        let s = i128::from(settle);
        prop_assert!(s * den >= num, "never less than the exact amount");
        prop_assert!((s - 1) * den < num, "at most one smallest unit more");
        prop_assert!(settle >= 1);
    }

    #[test]
    fn refunds_of_any_partition_add_up_to_the_settle_amount(
        amount in 1i64..=1_000_000_000,
        settled in 0i64..=1_000_000_000,
        cuts in proptest::collection::vec(0.0f64..1.0, 0..20),
    ) {
        // Split `amount` at the sorted cut points into 1..=20 positive parts.
        let mut points: Vec<i64> = cuts.iter().map(|c| (c * amount as f64) as i64).filter(|p| *p > 0 && *p < amount).collect();
        points.sort_unstable();
        points.dedup();
        let mut parts = Vec::new();
        let mut prev = 0;
        for p in points.into_iter().chain([amount]) {
            parts.push(p - prev);
            prev = p;
        }
        let (mut refunded, mut paid_back) = (0i64, 0i64);
        for (i, part) in parts.iter().enumerate() {
            let share = refund_share(*part, amount, refunded, settled, paid_back).expect("a part fits");
            prop_assert!(share >= 0);
            if i + 1 < parts.len() {
                // Rounded down: never more than the exact pro-rata share.
                prop_assert!(i128::from(share) * i128::from(amount) <= i128::from(*part) * i128::from(settled));
            }
            refunded += part;
            paid_back += share;
            prop_assert!(paid_back <= settled, "never past the settle amount");
        }
        prop_assert_eq!(refunded, amount);
        prop_assert_eq!(paid_back, settled, "the last refund takes the remainder");
        // Nothing more fits once everything is refunded.
        prop_assert_eq!(refund_share(1, amount, refunded, settled, paid_back), None);
    }

    #[test]
    fn a_refund_beyond_what_is_left_never_fits(
        (amount, refunded) in (1i64..=1_000_000).prop_flat_map(|a| (Just(a), 0..=a)),
        extra in 1i64..=1_000,
    ) {
        let left = amount - refunded;
        prop_assert_eq!(refund_share(left + extra, amount, refunded, 100, 0), None);
        if left > 0 {
            prop_assert!(refund_share(left, amount, refunded, 100, 0).is_some());
        }
    }
}
