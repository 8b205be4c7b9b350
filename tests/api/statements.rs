//! Daily statements (SPEC §13): the CSV of a UTC day's payments and refunds, parsed
//! with the `csv` crate and checked against the ledger; fixed once the day is over.

use opengate_e2e::login::signed_get;
use opengate_e2e::pay::*;
use opengate_e2e::{assert_error, spawn_app, Partner, Signed, TestApp};
use serde_json::json;

fn day_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).expect("time").date().to_string()
}

/// The statement's raw answer: (status, content type, final header, body).
async fn statement(app: &TestApp, p: &Partner, query: &str) -> (u16, String, String, String) {
    let path = if query.is_empty() {
        "/open/v1/pay/statements".to_owned()
    } else {
        format!("/open/v1/pay/statements?{query}")
    };
    let mut s = Signed::new(p, "GET", &path, b"");
    s.timestamp = app.clock.now_secs();
    let resp = s.request(app).send().await.expect("statement");
    let status = resp.status().as_u16();
    let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (ct, fin) = (header("content-type"), header("x-og-statement-final"));
    (status, ct, fin, resp.text().await.expect("body"))
}

fn rows(csv_text: &str) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().expect("header line").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "type",
            "time",
            "order_id",
            "trade_no",
            "refund_id",
            "refund_no",
            "open_id",
            "payments",
            "refunds",
            "amount",
            "currency",
            "settle_amount",
            "settle_currency"
        ]
    );
    r.records().map(|x| x.expect("record")).collect()
}

/// "-1.26" → -126 (two decimals).
fn minor(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let v: i64 = s.trim_start_matches('-').replace('.', "").parse().expect("amount");
    if neg {
        -v
    } else {
        v
    }
}

#[tokio::test]
async fn a_days_statement_lists_payments_and_refunds_and_adds_up_to_the_ledger() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let other = opengate_e2e::create_partner(&app).await;
    enable_pay(&app, &other).await;
    let today = day_of(app.clock.now_ms());
    let mut paid = Vec::new();
    for (i, amount) in ["12.55", "3.00", "7.10"].iter().enumerate() {
        let o = new_order(&app, &s.partner, &order(&format!("T-S{i}"), amount)).await;
        let id = o["order_id"].as_str().expect("id").to_owned();
        assert_eq!(confirm(&app, &s.h5, &id, PIN).await.0, 200);
        paid.push(id);
    }
    // Another app's payment is not in this app's statement.
    let o = new_order(&app, &other, &order("T-OTHER", "1.00")).await;
    assert_eq!(confirm(&app, &s.h5, o["order_id"].as_str().expect("id"), PIN).await.0, 200);
    // A pending order is not either.
    new_order(&app, &s.partner, &order("T-PENDING", "5.00")).await;
    let r = opengate_e2e::login::signed_post(
        &app,
        &s.partner,
        "/open/v1/pay/orders/T-S0/refunds",
        &json!({"refund_no": "RF-S0", "amount": "5.00"}),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.2);

    let (status, ct, fin, body) = statement(&app, &s.partner, &format!("date={today}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert_eq!(fin, "false", "today can still grow");
    let recs = rows(&body);
    assert_eq!(recs.len(), 5, "{body}");
    let kinds: Vec<&str> = recs.iter().map(|r| &r[0]).collect();
    assert_eq!(kinds, ["payment", "payment", "payment", "refund", "total"]);
    let payments: Vec<_> = recs.iter().filter(|r| &r[0] == "payment").collect();
    assert_eq!(payments.iter().map(|r| r[2].to_owned()).collect::<Vec<_>>(), paid);
    assert_eq!((&payments[0][3], &payments[0][9], &payments[0][11]), ("T-S0", "12.55", "1.26"));
    assert!(payments[0][6].starts_with("oid_"));
    let refund = &recs[3];
    assert_eq!((&refund[3], &refund[5], &refund[9], &refund[11]), ("T-S0", "RF-S0", "-5.00", "-0.50"));
    assert!(refund[4].starts_with("rf_"));
    let times: Vec<i64> = recs[..4].iter().map(|r| r[1].parse().expect("unix seconds")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "rows in time order");

    // The closing line sums every numeric column and agrees with the merchant journal.
    let total = &recs[4];
    assert_eq!(&total[1], today.as_str());
    assert_eq!((&total[7], &total[8]), ("3", "1"));
    let amount_sum: i64 = recs[..4].iter().map(|r| minor(&r[9])).sum();
    let settle_sum: i64 = recs[..4].iter().map(|r| minor(&r[11])).sum();
    assert_eq!(minor(&total[9]), amount_sum);
    assert_eq!(minor(&total[11]), settle_sum);
    assert_eq!((&total[10], &total[12]), ("PTS", "OGC"));
    let (journal,): (Option<i64>,) =
        sqlx::query_as("SELECT CAST(SUM(delta) AS BIGINT) FROM merchant_entries WHERE app_id = $1")
            .bind(&s.partner.app_id)
            .fetch_one(&app.state.db.pool)
            .await
            .expect("journal");
    assert_eq!(Some(settle_sum), journal);
    assert_eq!(settle_sum, merchant_balance(&app, &s.partner.app_id, "OGC").await);

    // The day ends: its file is final and never changes, whatever happens next.
    app.clock.advance_secs(86_400);
    let (_, _, fin, yesterday) = statement(&app, &s.partner, &format!("date={today}")).await;
    assert_eq!(fin, "true");
    assert_eq!(yesterday, body);
    let r = opengate_e2e::login::signed_post(
        &app,
        &s.partner,
        "/open/v1/pay/orders/T-S1/refunds",
        &json!({"refund_no": "RF-S1", "amount": "3.00"}),
    )
    .await;
    assert_eq!(r.0, 200, "{}", r.2);
    assert_eq!(statement(&app, &s.partner, &format!("date={today}")).await.3, body);
    let next = rows(&statement(&app, &s.partner, &format!("date={}", day_of(app.clock.now_ms()))).await.3);
    assert_eq!(next.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>(), ["refund", "total"]);

    // A day with nothing: just the header and a zero total in the app's currencies.
    let quiet = rows(&statement(&app, &s.partner, "date=2020-01-01").await.3);
    assert_eq!(quiet.len(), 1);
    assert_eq!((&quiet[0][7], &quiet[0][8], &quiet[0][9], &quiet[0][11]), ("0", "0", "0.00", "0.00"));
}

#[tokio::test]
async fn statement_requests_are_checked() {
    let app = spawn_app().await;
    let s = setup(&app, "1.00").await;
    let tomorrow = day_of(app.clock.now_ms() + 86_400_000);
    for q in ["", "date=", "date=2026-1-5", "date=2026-02-30", "date=yesterday", "date=2026-12-05&x=1"] {
        let path =
            if q.is_empty() { "/open/v1/pay/statements".to_owned() } else { format!("/open/v1/pay/statements?{q}") };
        let got = signed_get(&app, &s.partner, &path).await;
        assert_error(&got, 400, "U0029");
    }
    let future = signed_get(&app, &s.partner, &format!("/open/v1/pay/statements?date={tomorrow}")).await;
    assert_error(&future, 400, "U0029");
    let no_pay = opengate_e2e::create_partner(&app).await;
    assert_error(&signed_get(&app, &no_pay, "/open/v1/pay/statements?date=2026-01-01").await, 403, "U0076");
}
