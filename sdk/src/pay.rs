//! "Pay with OpenGate" on the partner server (SPEC §6, §13): create, query, close an
//! order and ask for its notification again; refund it; fetch a day's statement.
//! The wire types are `shared`'s.

use serde::{Deserialize, Serialize};

use crate::client::{decode_envelope, encode};
use crate::client::{segment, Call, Client};
use crate::error::Result;
use crate::{CreateOrder, CreateRefund, OrderView, RefundView};

/// A minimal order request; set the optional fields on the result.
///
/// ```
/// let mut o = opengate_sdk::order("T-1001", "12.50", "PTS", "Green tea");
/// o.return_url = Some("https://shop.example/orders/T-1001".into());
/// o.expire_seconds = Some(600);
/// assert_eq!(o.amount, "12.50");
/// ```
pub fn order(trade_no: &str, amount: &str, currency: &str, subject: &str) -> CreateOrder {
    CreateOrder {
        trade_no: trade_no.to_owned(),
        amount: amount.to_owned(),
        currency: currency.to_owned(),
        subject: subject.to_owned(),
        return_url: None,
        notify_url: None,
        open_id: None,
        expire_seconds: None,
    }
}

/// A refund request of `amount` (in the order's currency) under your `refund_no`.
///
/// ```
/// let mut r = opengate_sdk::refund("RF-1001-1", "5.00");
/// r.reason = Some("one cup returned".into());
/// assert_eq!(r.amount, "5.00");
/// ```
pub fn refund(refund_no: &str, amount: &str) -> CreateRefund {
    CreateRefund { refund_no: refund_no.to_owned(), amount: amount.to_owned(), reason: None }
}

/// A day's statement (`GET /open/v1/pay/statements`): the CSV text as sent, and
/// whether the day is over (then the file never changes again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// RFC 4180 CSV: a header line, one line per payment or refund, a `total` line
    /// per currency pair.
    pub csv: String,
    /// `X-OG-Statement-Final`: the UTC day is over.
    pub is_final: bool,
}

/// The answer of a re-send: the new notification's id (`evt_…`) and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResentNotification {
    /// `evt_…`, the `webhook-id` it will carry.
    pub notification_id: String,
    /// `payment.succeeded` or `payment.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `queued`.
    pub status: String,
}

fn order_path(trade_no: &str, action: &str) -> Result<String> {
    Ok(format!("/open/v1/pay/orders/{}{action}", segment("trade_no", trade_no)?))
}

impl Client {
    /// `POST /open/v1/pay/orders`: a pending order and its `pay_url`. The same
    /// `trade_no` with the same fields while pending answers the same order.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client) -> opengate_sdk::Result<()> {
    /// let o = og.create_order(&opengate_sdk::order("T-1001", "12.50", "PTS", "Green tea")).await?;
    /// println!("{} costs {} {}; pay at {}", o.trade_no, o.settle_amount, o.settle_currency, o.pay_url);
    /// # Ok(()) }
    /// ```
    pub async fn create_order(&self, order: &CreateOrder) -> Result<OrderView> {
        self.call(&Call::post_json("/open/v1/pay/orders", order)?).await
    }

    /// `GET /open/v1/pay/orders/{trade_no}`: the latest attempt, whatever its status.
    /// Unknown (or another app's) `trade_no` → `U0303`.
    pub async fn query_order(&self, trade_no: &str) -> Result<OrderView> {
        self.call(&Call::get(order_path(trade_no, "")?)).await
    }

    /// `POST …/{trade_no}/close`: a pending order becomes failed (`closed`).
    pub async fn close_order(&self, trade_no: &str) -> Result<OrderView> {
        self.call(&Call::post(order_path(trade_no, "/close")?)).await
    }

    /// `POST …/{trade_no}/notify`: sends the order's current state to the notify URL
    /// again now, as a new notification with a new id.
    pub async fn resend_notification(&self, trade_no: &str) -> Result<ResentNotification> {
        self.call(&Call::post(order_path(trade_no, "/notify")?)).await
    }

    /// `POST …/{trade_no}/refunds`: refunds all or part of a paid order. The same
    /// `refund_no` with the same fields answers the same refund (retry freely);
    /// other fields → `U0301`; beyond what is left, or an unpaid order → `U0304`.
    /// A refund through a partner source may answer `pending` first.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client) -> opengate_sdk::Result<()> {
    /// let r = og.refund("T-1001", &opengate_sdk::refund("RF-1001-1", "5.00")).await?;
    /// println!("{} {}: {} {} back to the user", r.refund_no, r.status, r.settle_amount, r.settle_currency);
    /// # Ok(()) }
    /// ```
    pub async fn refund(&self, trade_no: &str, refund: &CreateRefund) -> Result<RefundView> {
        self.call(&Call::post_json(order_path(trade_no, "/refunds")?, refund)?).await
    }

    /// `GET …/{trade_no}/refunds`: every refund of the order, oldest first.
    pub async fn refunds_of(&self, trade_no: &str) -> Result<Vec<RefundView>> {
        self.call(&Call::get(order_path(trade_no, "/refunds")?)).await
    }

    /// `GET /open/v1/pay/refunds/{refund_no}`: one refund (unknown → `U0303`).
    pub async fn query_refund(&self, refund_no: &str) -> Result<RefundView> {
        self.call(&Call::get(format!("/open/v1/pay/refunds/{}", segment("refund_no", refund_no)?))).await
    }

    /// `POST /open/v1/pay/refunds/{refund_no}/notify`: sends the refund's current
    /// state (`refund.succeeded` or `refund.failed`) again now, as a new notification.
    pub async fn resend_refund_notification(&self, refund_no: &str) -> Result<ResentNotification> {
        self.call(&Call::post(format!("/open/v1/pay/refunds/{}/notify", segment("refund_no", refund_no)?))).await
    }

    /// `GET /open/v1/pay/statements?date=YYYY-MM-DD`: the UTC day's payments and
    /// refunds as CSV (parse it with any CSV reader; see docs/API.md for the columns).
    pub async fn statement(&self, date: &str) -> Result<Statement> {
        let call = Call { query: format!("date={}", encode(date)), ..Call::get("/open/v1/pay/statements") };
        let (status, headers, body) = self.send(&call).await?;
        let is_csv = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"));
        if status != 200 || !is_csv {
            return decode_envelope::<serde_json::Value>(status, &headers, &body).and_then(|_| {
                Err(crate::Error::Protocol {
                    http_status: status,
                    request_id: crate::client::request_id_header(&headers),
                    detail: "a statement answer that is not CSV".into(),
                })
            });
        }
        let is_final = headers.get("x-og-statement-final").and_then(|v| v.to_str().ok()) == Some("true");
        let csv = String::from_utf8(body).map_err(|e| crate::Error::Protocol {
            http_status: status,
            request_id: crate::client::request_id_header(&headers),
            detail: format!("statement: {e}"),
        })?;
        Ok(Statement { csv, is_final })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::tests::{assert_signed, body, client, header};

    #[test]
    fn create_sends_the_json_body_it_signs() {
        let mut o = order("T-1", "12.50", "PTS", "Tea");
        o.open_id = Some("oid_1".into());
        let call = Call::post_json("/open/v1/pay/orders", &o).expect("call");
        let req = client().build(&call, 1763784000, "n0nce-0123456789ABCDEF").expect("build");
        let sent: serde_json::Value = serde_json::from_slice(&body(&req)).expect("json body");
        assert_eq!(
            sent,
            serde_json::json!({"trade_no":"T-1","amount":"12.50","currency":"PTS","subject":"Tea","open_id":"oid_1"})
        );
        assert_eq!(header(&req, "content-type"), "application/json; charset=utf-8");
        assert_signed(&req);
    }

    #[test]
    fn trade_numbers_cannot_escape_their_path_segment() {
        assert_eq!(order_path("T-1_a", "/close").expect("path"), "/open/v1/pay/orders/T-1_a/close");
        let evil = order_path("../../ping?x=1#", "").expect("path");
        assert_eq!(evil, "/open/v1/pay/orders/..%2F..%2Fping%3Fx%3D1%23");
        for bad in ["", ".", ".."] {
            assert!(matches!(order_path(bad, ""), Err(crate::Error::InvalidInput(_))), "{bad:?}");
        }
        let path = order_path("a/b", "/notify").expect("path");
        let req = client().build(&Call::post(path), 1763784000, "n0nce-0123456789ABCDEF");
        let req = req.expect("build");
        assert_eq!(req.url().path(), "/open/v1/pay/orders/a%2Fb/notify");
        assert!(req.body().is_none(), "close and notify take an empty body");
        assert_signed(&req);
    }
}
