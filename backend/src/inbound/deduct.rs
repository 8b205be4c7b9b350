//! A source's deduction adapter (SPEC §6.2, §9; the third seed document's "海米"):
//! the wire protocol only. What a debit means for an order (claiming it, paying it,
//! retrying it) is `pay::source`'s; this module signs the call, sends it through the
//! guarded outbound client and reads the answer.
//!
//! The debit request: `POST deduct_url`, headers `X-OG-Source`, `X-OG-Timestamp`,
//! `X-OG-Signature` (`shared::source::sign_call`), body
//! `{"id","uid","amount","currency","order_id","subject","created_at"}`. Answers:
//! HTTP 200 `{"success":true}` (taken, now or before under this id), HTTP 200
//! `{"success":false,"message":…}` (refused for good); anything else is unclear.
//! Refunds of source-paid orders are credits to the source's refund URL (`credit`).

use std::time::Duration;

use opengate_shared::amount::format_amount;
use opengate_shared::source;
use serde_json::{json, Value};

use super::Source;
use crate::state::AppState;
use crate::storage::inbound::DeductionRow;
use crate::storage::ledger;

/// What the source said.
#[derive(Debug)]
pub enum Answer {
    /// It took the money (now, or earlier under this id).
    Taken,
    /// It refused for good (its own words).
    Refused(String),
    /// No clear answer: ask again later with the same id.
    Unclear(String),
}

/// A source's amount for a settle amount: × the source's rate, rounded up to the
/// source currency's smallest unit. None when the source takes no payments.
pub async fn source_amount(
    st: &AppState,
    src: &Source,
    settle_amount: i64,
    settle_decimals: i64,
) -> anyhow::Result<Option<(i64, u32)>> {
    let (Some(cur), Some(rate), Some(_)) = (&src.currency, src.rate, &src.deduct_url) else { return Ok(None) };
    let Some(decimals) = ledger::currency_decimals(&st.db.pool, cur).await? else { return Ok(None) };
    let d = u32::try_from(decimals).unwrap_or(0);
    let settle_d = u32::try_from(settle_decimals).unwrap_or(0);
    let amount = opengate_shared::pay::settle_amount(settle_amount, settle_d, rate, d)
        .map_err(|e| anyhow::anyhow!("amount: {e}"))?;
    Ok(Some((amount, d)))
}

/// Posts the debit `d` (for an order about `subject`) to the source, signed.
pub async fn debit(st: &AppState, src: &Source, d: &DeductionRow, subject: &str) -> Answer {
    let Some(url) = src.deduct_url.as_deref() else { return Answer::Unclear("the source has no deduction URL".into()) };
    let decimals = ledger::currency_decimals(&st.db.pool, &d.currency).await.ok().flatten().unwrap_or(0);
    let body = json!({
        "id": d.id, "uid": d.external_id, "amount": format_amount(d.amount, u32::try_from(decimals).unwrap_or(0)),
        "currency": d.currency, "order_id": d.order_id, "subject": subject, "created_at": d.created_at / 1000,
    });
    call(st, src, url, body).await
}

/// A refund of a source-paid order (SPEC §13): posts a credit of `amount` (in the
/// debit's currency) under the refund's own id to the source's refund URL, signed.
/// Body `{"id","type":"credit","debit_id","uid","amount","currency","order_id",
/// "refund_no","created_at"}`; the answers read as for a debit (taken = credited).
pub async fn credit(st: &AppState, src: &Source, d: &DeductionRow, c: &Credit<'_>) -> Answer {
    let Some(url) = src.refund_url.as_deref() else {
        return Answer::Refused(format!("{} takes no refunds (no refund URL)", src.name));
    };
    let decimals = ledger::currency_decimals(&st.db.pool, &d.currency).await.ok().flatten().unwrap_or(0);
    let body = json!({
        "id": c.id, "type": "credit", "debit_id": d.id, "uid": d.external_id,
        "amount": format_amount(c.amount, u32::try_from(decimals).unwrap_or(0)), "currency": d.currency,
        "order_id": d.order_id, "refund_no": c.refund_no, "created_at": c.created_at / 1000,
    });
    call(st, src, url, body).await
}

/// One refund credit: its id for life, amount in the source currency, and the
/// partner's refund number.
#[derive(Debug, Clone, Copy)]
pub struct Credit<'a> {
    pub id: &'a str,
    pub amount: i64,
    pub refund_no: &'a str,
    pub created_at: i64,
}

/// One signed POST to the source and its answer, read by SPEC §9's rules.
async fn call(st: &AppState, src: &Source, url: &str, body: Value) -> Answer {
    let body = body.to_string().into_bytes();
    let Ok(parsed) = url::Url::parse(url) else { return Answer::Unclear("the source URL is not a URL".into()) };
    let mut pq = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        pq.push('?');
        pq.push_str(q);
    }
    let ts = st.clock.now_secs();
    let headers = [
        (source::HEADER_SOURCE, src.code.clone()),
        (source::HEADER_TIMESTAMP, ts.to_string()),
        (source::HEADER_SIGNATURE, source::sign_call(&src.secret, "POST", &pq, ts, &body)),
    ];
    let timeout = Duration::from_millis(st.config.source_timeout_ms);
    match st.notifier.client.call(reqwest::Method::POST, url, &headers, Some(body), timeout).await {
        Err(e) => Answer::Unclear(e),
        Ok(a) if a.status != 200 => Answer::Unclear(format!("HTTP {}", a.status)),
        Ok(a) => match serde_json::from_slice::<Value>(&a.body) {
            Ok(v) if v["success"] == true => Answer::Taken,
            Ok(v) if v["success"] == false => {
                let why = v["message"].as_str().or(v["code"].as_str()).unwrap_or("refused").chars().take(200).collect();
                Answer::Refused(why)
            }
            _ => Answer::Unclear("an answer without success true or false".into()),
        },
    }
}
