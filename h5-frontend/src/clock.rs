//! The browser's clock, for what the page can tell by itself (an order past its
//! `expires_at`, a PIN lock that is over). The server decides; this only shapes the page.

/// Unix seconds now; 0 when the browser has no clock to ask (nothing looks expired).
pub fn now_secs() -> i64 {
    // `Date.now()` without a js-sys dependency: the page's time origin plus its age.
    web_sys::window().and_then(|w| w.performance()).map_or(0, |p| ((p.time_origin() + p.now()) / 1000.0) as i64)
}
