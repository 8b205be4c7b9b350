//! The H5 in Chinese, Korean and English, in real headless Chromium at 390×844: for
//! each language the partner's login link → login → consent → redirect, a payment
//! (a wrong PIN first, with the tries left in that language, then the right one) and
//! the "Authorized apps" page, asserting visible text and saving screenshots
//! (`test-output/i18n-<lang>-*.png`). Each language is chosen a different way: the
//! browser's language (zh), `?lang=` once and then remembered (ko), the switcher (en).

use std::time::Duration;

use fantoccini::Locator;
use opengate_e2e::browser::{self, Browser};
use opengate_e2e::login::{authorize_query, PASSWORD, REDIRECT_URI};
use opengate_e2e::pay::{enable_pay, new_order, order, payer};
use opengate_e2e::{create_partner, spawn_app, Partner, TestApp};

const WAIT: Duration = Duration::from_secs(20);
const PIN: &str = opengate_e2e::pay::PIN;

/// What a user of one language must read.
struct Expect {
    code: &'static str,
    login_title: &'static str,
    approve: &'static str,
    pay_confirm: &'static str,
    wrong_pin_4_left: &'static str,
    paid: &'static str,
    apps_title: &'static str,
    html_lang: &'static str,
}

const ZH: Expect = Expect {
    code: "zh",
    login_title: "登录 OpenGate",
    approve: "同意",
    pay_confirm: "立即支付",
    wrong_pin_4_left: "支付密码错误，还可输入 4 次。",
    paid: "支付成功",
    apps_title: "已授权的应用",
    html_lang: "zh-CN",
};

const KO: Expect = Expect {
    code: "ko",
    login_title: "OpenGate 로그인",
    approve: "동의하고 계속하기",
    pay_confirm: "결제하기",
    wrong_pin_4_left: "결제 비밀번호가 올바르지 않습니다. 남은 입력 횟수: 4회",
    paid: "결제 완료",
    apps_title: "연결된 앱",
    html_lang: "ko",
};

const EN: Expect = Expect {
    code: "en",
    login_title: "Log in to OpenGate",
    approve: "Agree",
    pay_confirm: "Pay now",
    wrong_pin_4_left: "Wrong payment PIN. 4 tries left before it locks.",
    paid: "Payment successful",
    apps_title: "Authorized apps",
    html_lang: "en",
};

async fn wait_for(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.element(css, WAIT).await
}

async fn html_lang(b: &Browser) -> String {
    let v = b.client.execute("return document.documentElement.lang", vec![]).await.expect("lang");
    v.as_str().unwrap_or_default().to_owned()
}

async fn tap_pin(b: &Browser, pin: &str) {
    for d in pin.chars() {
        wait_for(b, &format!("button.pin-key[data-key=\"{d}\"]:not([disabled])")).await.click().await.expect("key");
    }
}

/// How the language is chosen before the flow starts.
enum Choose {
    BrowserLanguage,
    QueryOnce,
    Switcher,
}

async fn walk(app: &TestApp, partner: &Partner, e: &Expect, browser_lang: &str, choose: Choose) {
    let (_, mobile, _) = payer(app, "2000.00").await;
    let Some(b) = browser::start_in(390, 844, browser_lang).await else { return };
    let shot = |n: &str| format!("i18n-{}-{n}", e.code);
    if let Choose::QueryOnce = choose {
        // Asked for once; every later page remembers it.
        b.client.goto(&app.url(&format!("/h5/?lang={}", e.code))).await.expect("open");
        b.wait_text("#status", |t| !t.is_empty(), WAIT).await;
    }

    // 1. The partner's login link → the login page.
    let q = authorize_query(&partner.app_id, "profile", "st-i18n", &[]);
    b.client.goto(&app.url(&format!("/oauth/authorize?{q}"))).await.expect("authorize link");
    wait_for(&b, "#account").await;
    if let Choose::Switcher = choose {
        // The browser prefers another language; the user switches.
        let other = b.client.find(Locator::Css("main h1")).await.expect("h1").text().await.expect("text");
        assert_ne!(other, e.login_title, "starts in the browser's language");
        wait_for(&b, &format!("button[data-lang=\"{}\"]", e.code)).await.click().await.expect("switch");
    }
    b.wait_text("main h1", |t| t == e.login_title, WAIT).await;
    let pressed = wait_for(&b, &format!("button[data-lang=\"{}\"]", e.code)).await;
    assert_eq!(pressed.attr("aria-pressed").await.expect("attr").as_deref(), Some("true"));
    assert_eq!(html_lang(&b).await, e.html_lang);
    wait_for(&b, "#account").await.send_keys(&mobile).await.expect("account");
    wait_for(&b, "#password").await.send_keys(PASSWORD).await.expect("password");
    b.screenshot(&shot("1-login")).await;
    wait_for(&b, "#login-submit").await.click().await.expect("log in");

    // 2. Consent, then the partner's redirect URI (not served here: check the address).
    b.wait_text("#approve", |t| t == e.approve, WAIT).await;
    b.screenshot(&shot("2-consent")).await;
    wait_for(&b, "#approve").await.click().await.expect("agree");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let at = b.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        if at.starts_with(REDIRECT_URI) {
            assert!(at.contains("code=") && at.contains("state=st-i18n"), "{at}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never redirected to the partner; at {at}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 3. A payment: amounts grouped, a wrong PIN in this language, then paid.
    let o = new_order(app, partner, &order(&format!("I18N-{}", e.code), "1234.50")).await;
    let order_id = o["order_id"].as_str().expect("order id");
    b.client.goto(&app.url(&format!("/h5/pay/{order_id}"))).await.expect("pay page");
    b.wait_text("#pay-amount", |t| t == "1,234.50 PTS", WAIT).await;
    b.wait_text("#pay-settle", |t| t == "123.45 OGC", WAIT).await;
    b.wait_text("#pay-balance", |t| t == "2,000.00 OGC", WAIT).await;
    b.wait_text("#pay-confirm", |t| t == e.pay_confirm, WAIT).await;
    b.screenshot(&shot("3-pay")).await;
    tap_pin(&b, "000000").await;
    wait_for(&b, "#pay-confirm:not([disabled])").await.click().await.expect("confirm");
    b.wait_text("#pay-error", |t| t == e.wrong_pin_4_left, WAIT).await;
    b.screenshot(&shot("4-wrong-pin")).await;
    tap_pin(&b, PIN).await;
    wait_for(&b, "#pay-confirm:not([disabled])").await.click().await.expect("confirm");
    wait_for(&b, "#pay-status[data-status=\"paid\"]").await;
    b.wait_text("#pay-status", |t| t.contains(e.paid), WAIT).await;
    b.screenshot(&shot("5-paid")).await;

    // 4. Authorized apps.
    b.client.goto(&app.url("/h5/apps")).await.expect("apps page");
    b.wait_text("main h1", |t| t == e.apps_title, WAIT).await;
    wait_for(&b, &format!(".grant[data-app-id=\"{}\"]", partner.app_id)).await;
    assert_eq!(html_lang(&b).await, e.html_lang, "the language is remembered across pages");
    b.screenshot(&shot("6-apps")).await;
    b.close().await;
}

async fn partner(app: &TestApp) -> Partner {
    let p = create_partner(app).await;
    enable_pay(app, &p).await;
    opengate::admin::add_redirect_uri(&app.state, &p.app_id, REDIRECT_URI).await.expect("redirect uri");
    p
}

#[tokio::test]
async fn chinese_from_the_browser_language() {
    let app = spawn_app().await;
    let p = partner(&app).await;
    walk(&app, &p, &ZH, "zh-CN", Choose::BrowserLanguage).await;
}

#[tokio::test]
async fn korean_from_lang_in_the_link_then_remembered() {
    let app = spawn_app().await;
    let p = partner(&app).await;
    walk(&app, &p, &KO, "en-US", Choose::QueryOnce).await;
}

#[tokio::test]
async fn english_from_the_switcher() {
    let app = spawn_app().await;
    let p = partner(&app).await;
    walk(&app, &p, &EN, "ko-KR", Choose::Switcher).await;
}
