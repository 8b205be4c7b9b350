//! The demo shop's pages: plain server-rendered HTML, mobile first, no script.
//! Every value from outside (names, ids, messages) goes through [`esc`].

use opengate_sdk::OrderView;

use opengate_sdk::RefundNotification;

use crate::store::{Stored, User};

/// The one product the demo sells.
pub const PRODUCT: &str = "Green tea";
pub const PRICE: &str = "12.50";

/// HTML-escapes text for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;background:#f4f5f7}\
main{max-width:480px;margin:0 auto;padding:16px}header{background:#0f5132;color:#fff;padding:14px 16px}\
header a{color:#fff;text-decoration:none;font-weight:600}.card{background:#fff;border-radius:12px;padding:16px;margin:0 0 16px;\
box-shadow:0 1px 3px rgba(0,0,0,.08)}h1{font-size:1.3rem;margin:0 0 8px}h2{font-size:1.1rem;margin:0 0 8px}\
.button{display:block;width:100%;min-height:48px;padding:12px;border:0;border-radius:10px;background:#1a73e8;color:#fff;\
font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}.button.secondary{background:#e8eaed;color:#1d2330}\
.muted{color:#5f6673;font-size:.9rem}code{word-break:break-all;font-size:.85rem}dl{margin:0}dt{color:#5f6673;font-size:.85rem}\
dd{margin:0 0 8px}.status{font-size:1.4rem;font-weight:700}.status.paid{color:#0f7b3f}.status.failed{color:#b3261e}\
.status.pending{color:#9a6700}ul{padding-left:20px}form{margin:0}";

/// A whole page around `body`; `refresh` reloads it after that many seconds.
pub fn page(title: &str, body: &str, refresh: Option<u32>) -> String {
    let refresh = refresh.map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">")).unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{refresh}\
         <title>{} · Demo Shop</title><style>{STYLE}</style></head><body>\
         <header><a href=\"/\">Demo Shop</a> <span class=\"muted\" style=\"color:#cfe\">· an OpenGate partner</span></header>\
         <main>{body}</main></body></html>",
        esc(title)
    )
}

pub fn home(user: Option<&User>, csrf: &str, currency: &str, orders: &[OrderView]) -> String {
    let account = match user {
        None => "<section class=\"card\"><h1>Welcome</h1><p>Log in with your OpenGate account to see who you are \
                 here, then buy something with OpenGate.</p>\
                 <a id=\"login\" class=\"button\" href=\"/login\">Log in with OpenGate</a></section>"
            .to_owned(),
        Some(u) => format!(
            "<section class=\"card\" id=\"account\"><h1>Hello, <span id=\"user-nickname\">{}</span></h1><dl>\
             <dt>open_id (you, for this shop)</dt><dd><code id=\"user-open-id\">{}</code></dd>\
             <dt>union_id (you, for this company)</dt><dd><code id=\"user-union-id\">{}</code></dd></dl>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button id=\"logout\" class=\"button secondary\">Log out</button></form></section>",
            esc(u.nickname.as_deref().unwrap_or("(no nickname shared)")),
            esc(&u.open_id),
            esc(&u.union_id),
            esc(csrf),
        ),
    };
    let product = format!(
        "<section class=\"card\"><h2>{PRODUCT}</h2><p><strong>{PRICE} {}</strong></p>\
         <form method=\"post\" action=\"/buy\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button id=\"buy\" class=\"button\">Buy with OpenGate</button></form>{}</section>",
        esc(currency),
        esc(csrf),
        if user.is_some() { "<p class=\"muted\">Only you can pay this order.</p>" } else { "" },
    );
    let list = if orders.is_empty() {
        String::new()
    } else {
        let items: String = orders
            .iter()
            .map(|o| {
                format!(
                    "<li><a href=\"/orders/{0}\">{0}</a> · {1} {2}</li>",
                    esc(&o.trade_no),
                    esc(&o.amount),
                    esc(&o.currency)
                )
            })
            .collect();
        format!("<section class=\"card\"><h2>Your recent orders</h2><ul>{items}</ul></section>")
    };
    page("Home", &format!("{account}{product}{list}"), None)
}

/// What proved an order's status to the shop.
#[derive(Debug, Clone)]
pub enum Proof {
    /// A notification whose signature the SDK verified.
    Notification(Box<Stored>),
    /// The signed query API (the notification has not arrived yet).
    Query,
    /// Nothing yet (still pending, or the query failed).
    None,
}

pub struct OrderPage<'a> {
    pub order: &'a OrderView,
    pub status: &'a str,
    pub fail_reason: Option<&'a str>,
    pub proof: Proof,
    /// What the platform's redirect claimed (`status=` of the return URL).
    pub returned: Option<&'a str>,
    /// A problem asking the query API, shown but not fatal.
    pub query_error: Option<String>,
    pub refresh: bool,
    /// Verified refund notifications of the order, with when they arrived.
    pub refunds: &'a [(RefundNotification, i64)],
    /// This browser's CSRF token, for the refund form.
    pub csrf: &'a str,
}

pub fn order(p: &OrderPage<'_>) -> String {
    let o = p.order;
    let (proof_kind, proof_text) = match &p.proof {
        Proof::Notification(s) => (
            "notification",
            format!(
                "Confirmed by the signed notification <code id=\"notification-id\">{}</code> ({}), verified by \
                 the SDK; it arrived {} s after the order was created.",
                esc(&s.notification.id),
                esc(&s.notification.kind),
                (s.received_at - o.created_at).max(0)
            ),
        ),
        Proof::Query => {
            ("query", "Confirmed by the signed query API; the notification has not arrived yet.".to_owned())
        }
        Proof::None => ("none", "Not confirmed yet.".to_owned()),
    };
    let reason = p.fail_reason.map(|r| format!(" <span id=\"fail-reason\">({})</span>", esc(r))).unwrap_or_default();
    let returned = p
        .returned
        .map(|r| {
            format!(
                "<p class=\"muted\" id=\"returned\">The platform sent you back saying “{}”. A redirect alone \
                 proves nothing; the shop trusts only what is below.</p>",
                esc(r)
            )
        })
        .unwrap_or_default();
    let query_error =
        p.query_error.as_ref().map(|e| format!("<p class=\"muted\">Query API: {}</p>", esc(e))).unwrap_or_default();
    let pay_again = if p.status == "pending" {
        format!("<a class=\"button\" id=\"pay\" href=\"{}\">Pay now</a>", esc(&o.pay_url))
    } else {
        String::new()
    };
    let refresh_note = if p.refresh { "<p class=\"muted\">This page refreshes itself.</p>" } else { "" };
    let refunds: String = p
        .refunds
        .iter()
        .map(|(n, _)| {
            let r = &n.data.refund;
            format!(
                "<li class=\"refund\" data-status=\"{}\"><code class=\"refund-no\">{}</code> {}: {} {} \
                 ({} {} back to the payer), confirmed by the signed notification <code class=\"refund-notification\">{}</code></li>",
                esc(&r.status),
                esc(&r.refund_no),
                esc(&r.status),
                esc(&r.amount),
                esc(&r.currency),
                esc(&r.settle_amount),
                esc(&r.settle_currency),
                esc(&n.id)
            )
        })
        .collect();
    let refunds = if refunds.is_empty() {
        String::new()
    } else {
        format!("<section class=\"card\" id=\"refunds\"><h2>Refunds</h2><ul>{refunds}</ul></section>")
    };
    let refund_form = if p.status == "paid" && p.refunds.iter().all(|(n, _)| n.data.refund.status == "failed") {
        format!(
            "<form method=\"post\" action=\"/orders/{}/refund\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button id=\"refund\" class=\"button secondary\">Refund {} {}</button></form>",
            esc(&o.trade_no),
            esc(p.csrf),
            esc(&o.amount),
            esc(&o.currency)
        )
    } else {
        String::new()
    };
    let body = format!(
        "<section class=\"card\"><h1>Order {}</h1>{returned}\
         <p class=\"status {status}\" id=\"order-status\" data-status=\"{status}\">{status}{reason}</p>\
         <p id=\"order-proof\" data-proof=\"{proof_kind}\">{proof_text}</p>{query_error}\
         <dl><dt>Item</dt><dd>{}</dd><dt>Amount</dt><dd>{} {}</dd><dt>You pay</dt><dd>{} {}</dd>\
         <dt>Platform order</dt><dd><code>{}</code></dd></dl>{pay_again}{refund_form}{refresh_note}</section>\
         {refunds}<a class=\"button secondary\" href=\"/\">Back to the shop</a>",
        esc(&o.trade_no),
        esc(&o.subject),
        esc(&o.amount),
        esc(&o.currency),
        esc(&o.settle_amount),
        esc(&o.settle_currency),
        esc(&o.order_id),
        status = esc(p.status),
    );
    page(&format!("Order {}", o.trade_no), &body, p.refresh.then_some(2))
}

pub fn error(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<section class=\"card\"><h1 id=\"error-title\">{}</h1><p id=\"error-message\">{}</p>\
             <a class=\"button secondary\" href=\"/\">Back to the shop</a></section>",
            esc(title),
            esc(message)
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_break_out() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        let u = User { open_id: "oid_<1>".into(), union_id: "uid".into(), nickname: Some("<script>".into()) };
        let html = home(Some(&u), "c\"srf", "PTS", &[]);
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(html.contains("value=\"c&quot;srf\""));
        assert!(error("Oops", "<b>").contains("&lt;b&gt;"));
    }
}
