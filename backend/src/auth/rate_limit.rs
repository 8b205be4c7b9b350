//! Per-app request limits for `/open/v1/*` (SPEC §10 `U0401`, §12): one GCRA bucket
//! per app, checked only once a request's signature and nonce verified, so nobody
//! without the secret key can spend a partner's allowance. Each node counts its own
//! requests: behind a load balancer of N nodes an app gets up to N × the limit
//! (docs/OPERATIONS.md says so).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct AppLimiter {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for AppLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppLimiter").field("enabled", &self.limiter.is_some()).finish()
    }
}

impl AppLimiter {
    /// `per_second` requests per second and app on average, `burst` at once;
    /// `per_second = 0` turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> AppLimiter {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        AppLimiter { limiter }
    }

    /// `Err(wait)` when the app is over its limit: the time until one more request
    /// would pass.
    pub fn check(&self, app_id: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        limiter.check_key(&app_id.to_owned()).map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

/// Whole seconds for `Retry-After`, never 0 (a client told 0 would retry at once).
pub fn retry_after_secs(wait: Duration) -> u64 {
    u64::try_from(wait.as_nanos().div_ceil(1_000_000_000)).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_app_waits_and_other_apps_do_not() {
        let l = AppLimiter::new(1, 3);
        for _ in 0..3 {
            assert!(l.check("shop1").is_ok());
        }
        let wait = l.check("shop1").expect_err("over the burst");
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.check("shop2").is_ok(), "each app has its own bucket");
    }

    #[test]
    fn zero_turns_it_off() {
        let l = AppLimiter::new(0, 0);
        assert!((0..10_000).all(|_| l.check("shop1").is_ok()));
    }

    #[test]
    fn retry_after_rounds_up_and_is_at_least_one() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
    }
}
