//! Orders from the partner's side: create with the `trade_no` rules of SPEC §6.1,
//! query, close, and re-send the notification.

use opengate_shared::amount::{parse_amount, AmountError};
use opengate_shared::pay::{settle_amount, Rate};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{PayError, Result};
use crate::state::AppState;
use crate::storage::pay::{self as store, OrderRow, Pricing};
use crate::storage::{apps, is_unique_violation, notify};

pub const DEFAULT_EXPIRE_SECS: i64 = 900;
const EXPIRE_RANGE: std::ops::RangeInclusive<i64> = 60..=86_400;
const FIELDS: &[&str] =
    &["trade_no", "amount", "currency", "subject", "return_url", "notify_url", "open_id", "expire_seconds"];

/// A create request after every field check.
#[derive(Debug, Clone)]
struct Checked {
    trade_no: String,
    amount: i64,
    currency: String,
    subject: String,
    return_url: Option<String>,
    notify_url: Option<String>,
    open_id: Option<String>,
    expire_seconds: Option<i64>,
}

impl Checked {
    /// "Same parameters" (SPEC §12) is every field of the request, compared after
    /// parsing (so `"12.5"` and `"12.50"` are the same amount).
    fn hash(&self) -> String {
        let canonical = serde_json::json!([
            self.trade_no,
            self.amount,
            self.currency,
            self.subject,
            self.return_url,
            self.notify_url,
            self.open_id,
            self.expire_seconds
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

fn invalid(field: &str, why: impl std::fmt::Display) -> PayError {
    PayError::Invalid(format!("{field}: {why}"))
}

fn opt_string(m: &Map<String, Value>, field: &str) -> Result<Option<String>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(field, "must be a string")),
    }
}

fn req_string(m: &Map<String, Value>, field: &str) -> Result<String> {
    opt_string(m, field)?.ok_or_else(|| invalid(field, "is required"))
}

/// `trade_no`: 1..64 of `[A-Za-z0-9_-]` (SPEC §6.1).
pub fn check_trade_no(s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(invalid("trade_no", "must be 1..64 characters of A-Z a-z 0-9 _ -"));
    }
    Ok(())
}

/// True when `u` is the app's registered notify URL, or an http(s) URL whose host
/// (or host:port) is one of the app's registered hosts.
fn url_allowed(u: &str, registered_url: Option<&str>, hosts: &[String]) -> bool {
    if registered_url == Some(u) {
        return true;
    }
    let Ok(parsed) = url::Url::parse(u) else { return false };
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.username().is_empty() || parsed.password().is_some() {
        return false;
    }
    let Some(host) = parsed.host_str() else { return false };
    let host = host.to_ascii_lowercase();
    let with_port = parsed.port().map(|p| format!("{host}:{p}"));
    hosts.iter().any(|h| *h == host || Some(h) == with_port.as_ref())
}

async fn check(st: &AppState, app: &apps::AppRow, pricing: &Pricing, body: &[u8]) -> Result<Checked> {
    if body.is_empty() {
        return Err(PayError::Invalid("body: a JSON object is required".into()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| PayError::Invalid(format!("body: not JSON ({e})")))?;
    let Value::Object(m) = v else { return Err(PayError::Invalid("body: must be a JSON object".into())) };
    if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(k, "unknown field"));
    }
    let trade_no = req_string(&m, "trade_no")?;
    check_trade_no(&trade_no)?;
    let currency = req_string(&m, "currency")?;
    if currency != pricing.currency {
        return Err(invalid("currency", format!("must be {} (this app's pricing currency)", pricing.currency)));
    }
    let amount = match m.get("amount") {
        Some(Value::String(s)) => {
            parse_amount(s, super::decimals(pricing.price_decimals)).map_err(|e: AmountError| invalid("amount", e))?
        }
        None | Some(Value::Null) => return Err(invalid("amount", "is required")),
        Some(_) => return Err(invalid("amount", "must be a decimal string like \"12.50\", not a number")),
    };
    let subject = req_string(&m, "subject")?;
    let subject_len = subject.chars().count();
    if subject.trim().is_empty() || subject_len > 256 || subject.chars().any(char::is_control) {
        return Err(invalid("subject", "must be 1..256 characters without control characters"));
    }
    let hosts = apps::list_urls(&st.db.pool, apps::UrlList::ReturnHosts, &app.id).await?;
    let return_url = opt_string(&m, "return_url")?;
    if let Some(u) = &return_url {
        if u.len() > 2048 || !url_allowed(u, None, &hosts) {
            return Err(invalid("return_url", "must be an http(s) URL on one of the app's registered hosts"));
        }
    }
    let notify_url = opt_string(&m, "notify_url")?;
    if let Some(u) = &notify_url {
        if u.len() > 2048 || !url_allowed(u, app.notify_url.as_deref(), &hosts) {
            return Err(invalid("notify_url", "must be the app's registered notify URL or on a registered host"));
        }
    }
    let open_id = opt_string(&m, "open_id")?;
    if let Some(o) = &open_id {
        if o.is_empty() || o.len() > 64 || !known_open_id(st, &app.id, o).await? {
            return Err(invalid("open_id", "no user of this app has that open_id"));
        }
    }
    let expire_seconds = match m.get("expire_seconds") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(s) if EXPIRE_RANGE.contains(&s) => Some(s),
            _ => return Err(invalid("expire_seconds", "must be an integer within 60..=86400")),
        },
        Some(_) => return Err(invalid("expire_seconds", "must be an integer within 60..=86400")),
    };
    Ok(Checked { trade_no, amount, currency, subject, return_url, notify_url, open_id, expire_seconds })
}

async fn known_open_id(st: &AppState, app_id: &str, open_id: &str) -> Result<bool> {
    let row: Option<(String,)> = sqlx::query_as("SELECT user_id FROM open_ids WHERE app_id = $1 AND open_id = $2")
        .bind(app_id)
        .bind(open_id)
        .fetch_optional(&st.db.pool)
        .await?;
    Ok(row.is_some())
}

/// The app, its `pay` permission and its pricing, or the error a partner should see.
async fn payable_app(st: &AppState, app_id: &str) -> Result<(apps::AppRow, Pricing)> {
    if !apps::has_permission(&st.db.pool, app_id, "pay").await? {
        return Err(PayError::NoPermission);
    }
    let app = apps::get_app(&st.db.pool, app_id).await?.ok_or(PayError::NotFound)?;
    let pricing = store::pricing(&st.db.pool, app_id).await?.ok_or_else(|| {
        invalid("currency", "this app has no pricing currency yet; ask the operator to set one (opengate app pricing)")
    })?;
    Ok((app, pricing))
}

/// `POST /open/v1/pay/orders`: a new order, or the same pending one for an identical
/// repeat (SPEC §6.1).
pub async fn create(st: &AppState, app_id: &str, body: &[u8]) -> Result<OrderRow> {
    let (app, pricing) = payable_app(st, app_id).await?;
    let c = check(st, &app, &pricing, body).await?;
    let rate = Rate::parse(&pricing.rate).map_err(|e| PayError::Internal(anyhow::anyhow!("stored rate: {e}")))?;
    let settle = settle_amount(
        c.amount,
        super::decimals(pricing.price_decimals),
        rate,
        super::decimals(pricing.settle_decimals),
    )
    .map_err(|e| invalid("amount", format!("{e} once converted to {}", pricing.settle_currency)))?;
    let hash = c.hash();
    // A concurrent create of the same trade_no loses on the unique index; the retry
    // then sees the winner and answers as for a repeat.
    for _ in 0..3 {
        match try_create(st, app_id, &pricing, &c, settle, &hash).await {
            Err(PayError::Internal(e)) if e.downcast_ref::<sqlx::Error>().is_some_and(is_unique_violation) => continue,
            other => return other,
        }
    }
    Err(PayError::Internal(anyhow::anyhow!("order creation kept colliding")))
}

async fn try_create(
    st: &AppState,
    app_id: &str,
    pricing: &Pricing,
    c: &Checked,
    settle: i64,
    hash: &str,
) -> Result<OrderRow> {
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let prev = store::latest_attempt(&mut *w.tx, app_id, &c.trade_no).await?;
    let attempt = match &prev {
        None => 1,
        Some(p) if p.status == "paid" => return Err(PayError::AlreadyPaid),
        Some(p) if p.status == "pending" && p.expires_at > now => {
            return if p.request_hash == hash { Ok(p.clone()) } else { Err(PayError::Conflict(c.trade_no.clone())) };
        }
        Some(p) => {
            if p.status == "pending" {
                store::fail_pending(&mut *w.tx, &p.id, "expired", now).await?;
            }
            p.attempt + 1
        }
    };
    let expire = c.expire_seconds.unwrap_or(DEFAULT_EXPIRE_SECS);
    let order = OrderRow {
        id: crate::crypto::new_id("ord"),
        app_id: app_id.to_owned(),
        trade_no: c.trade_no.clone(),
        attempt,
        status: "pending".into(),
        fail_reason: None,
        amount: c.amount,
        currency: c.currency.clone(),
        price_decimals: pricing.price_decimals,
        settle_amount: settle,
        settle_currency: pricing.settle_currency.clone(),
        settle_decimals: pricing.settle_decimals,
        rate: pricing.rate.clone(),
        subject: c.subject.clone(),
        return_url: c.return_url.clone(),
        notify_url: c.notify_url.clone(),
        payer_open_id: c.open_id.clone(),
        expire_seconds: c.expire_seconds,
        request_hash: hash.to_owned(),
        payer_user_id: None,
        created_at: now,
        expires_at: now + expire * 1000,
        paid_at: None,
        refunded_amount: 0,
        refunded_settle: 0,
        deduction_id: None,
    };
    store::insert_order(&mut *w.tx, &order, now).await.map_err(|e| PayError::Internal(e.into()))?;
    w.commit().await?;
    Ok(order)
}

/// The latest attempt of `trade_no` in this app; a pending one whose time ran out
/// is marked failed (`expired`) first, so every reader sees the same state.
pub async fn latest(st: &AppState, app_id: &str, trade_no: &str) -> Result<OrderRow> {
    if !apps::has_permission(&st.db.pool, app_id, "pay").await? {
        return Err(PayError::NoPermission);
    }
    check_trade_no(trade_no).map_err(|_| PayError::NotFound)?;
    let o = store::latest_attempt(&st.db.pool, app_id, trade_no).await?.ok_or(PayError::NotFound)?;
    settle_expiry(st, o).await
}

/// Marks a pending order whose time ran out as failed (`expired`) and returns it.
pub async fn settle_expiry(st: &AppState, o: OrderRow) -> Result<OrderRow> {
    let now = st.clock.now_ms();
    if o.status != "pending" || o.expires_at > now {
        return Ok(o);
    }
    store::fail_pending(&st.db.pool, &o.id, "expired", now).await?;
    store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)
}

/// `POST …/{trade_no}/close`: a pending order becomes failed (`closed`).
pub async fn close(st: &AppState, app_id: &str, trade_no: &str) -> Result<OrderRow> {
    let o = latest(st, app_id, trade_no).await?;
    match o.status.as_str() {
        "pending" => {
            let now = st.clock.now_ms();
            if !store::fail_pending(&st.db.pool, &o.id, "closed", now).await? {
                // A payment or expiry won the race; report the state it left.
                let now_state = store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)?;
                return Err(not_closable(&now_state));
            }
            store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)
        }
        _ => Err(not_closable(&o)),
    }
}

fn not_closable(o: &OrderRow) -> PayError {
    match o.status.as_str() {
        "paid" => PayError::BadState("the order is paid; it cannot be closed".into()),
        _ => PayError::BadState(format!(
            "the order is already failed ({}); nothing to close",
            o.fail_reason.as_deref().unwrap_or("failed")
        )),
    }
}

/// The notify URL of an order: its own, else the app's registered one.
pub async fn notify_url_of(st: &AppState, o: &OrderRow) -> Result<Option<String>> {
    if let Some(u) = &o.notify_url {
        return Ok(Some(u.clone()));
    }
    Ok(apps::get_app(&st.db.pool, &o.app_id).await?.and_then(|a| a.notify_url))
}

/// Puts a notification of the order's current state in the outbox (inside the
/// caller's transaction). Returns its id, or None when the order has no notify URL.
pub async fn enqueue(
    conn: &mut sqlx::AnyConnection,
    o: &OrderRow,
    url: Option<&str>,
    now: i64,
) -> Result<Option<String>> {
    let Some(url) = url else { return Ok(None) };
    let id = crate::crypto::new_id("evt");
    let n = super::notification(o, &id, now);
    let payload = serde_json::to_string(&n).map_err(|e| PayError::Internal(e.into()))?;
    notify::insert(
        conn,
        &notify::NewNotification {
            id: &id,
            order_id: &o.id,
            app_id: &o.app_id,
            event_type: &n.kind,
            url,
            payload: &payload,
            now,
        },
    )
    .await?;
    Ok(Some(id))
}

/// `POST …/{trade_no}/notify`: a new notification (new id) of the current state.
pub async fn resend(st: &AppState, app_id: &str, trade_no: &str) -> Result<(String, String)> {
    let o = latest(st, app_id, trade_no).await?;
    if o.status == "pending" {
        return Err(PayError::BadState(
            "the order is pending; notifications are for paid or failed orders (close it first)".into(),
        ));
    }
    let url = notify_url_of(st, &o).await?.ok_or_else(|| {
        PayError::BadState("no notify URL: register one for the app or pass notify_url when ordering".into())
    })?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let id = enqueue(&mut w.tx, &o, Some(&url), now).await?.ok_or(PayError::NotFound)?;
    w.commit().await?;
    st.notifier.wake();
    let kind = if o.status == "paid" { "payment.succeeded" } else { "payment.failed" };
    Ok((id, kind.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_registered() {
        let hosts = vec!["shop.example.com".to_owned(), "127.0.0.1:8081".to_owned()];
        let reg = Some("https://api.example.net/notify");
        assert!(url_allowed("https://api.example.net/notify", reg, &hosts));
        assert!(url_allowed("https://shop.example.com/back?x=1", reg, &hosts));
        assert!(url_allowed("http://127.0.0.1:8081/done", reg, &hosts));
        assert!(!url_allowed("http://127.0.0.1:9999/done", reg, &hosts));
        assert!(!url_allowed("https://api.example.net/other", reg, &hosts));
        assert!(!url_allowed("https://evil.example.com/", reg, &hosts));
        assert!(!url_allowed("https://shop.example.com.evil.io/", reg, &hosts));
        assert!(!url_allowed("https://user@shop.example.com/", reg, &hosts));
        assert!(!url_allowed("javascript:alert(1)", reg, &hosts));
        assert!(!url_allowed("ftp://shop.example.com/", reg, &hosts));
    }

    #[test]
    fn trade_no_shape() {
        assert!(check_trade_no("T-2026_11_23-0001").is_ok());
        assert!(check_trade_no(&"a".repeat(64)).is_ok());
        for bad in ["", "a b", "a/b", "ü", &"a".repeat(65)] {
            assert!(check_trade_no(bad).is_err(), "{bad}");
        }
    }
}
