//! The H5 in Chinese, Korean and English, in real headless Chromium at 390×844: for
//! each language the partner's login link → login → consent → redirect, a payment
//! (a wrong PIN first, with the tries left in that language, then the right one) and
//! the "Authorized apps" page, asserting visible text and saving screenshots
//! (`test-output/i18n-<lang>-*.png`). Each language is chosen a different way: the
//! browser's language (zh), `?lang=` once and then remembered (ko), the switcher (en).

use std::time::Duration;

use fantoccini::Locator;
use opengate_e2e::browser::{self, Browser};
use opengate_e2e::demo_partner::tap_pin;
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

/// What an app's admin reads in the developer console, per language.
struct ConsoleExpect {
    code: &'static str,
    browser_lang: &'static str,
    title: &'static str,
    keys: &'static str,
    permissions: &'static str,
    delivery_log: &'static str,
}

const CONSOLE: [ConsoleExpect; 3] = [
    ConsoleExpect {
        code: "zh",
        browser_lang: "zh-CN",
        title: "开发者控制台",
        keys: "密钥管理",
        permissions: "接口权限",
        delivery_log: "通知记录",
    },
    ConsoleExpect {
        code: "ko",
        browser_lang: "ko-KR",
        title: "개발자 콘솔",
        keys: "키 관리",
        permissions: "권한",
        delivery_log: "알림 전송 기록",
    },
    ConsoleExpect {
        code: "en",
        browser_lang: "en-US",
        title: "Developer console",
        keys: "Key pairs",
        permissions: "Permissions",
        delivery_log: "Delivery log",
    },
];

/// The console in each language: log in as the app's admin → app list → app page →
/// a new key (its secret shown once and it signs) → an IP binding added and removed →
/// disable and enable → a redirect URI → notify-secret rotation → a permission
/// application → orders → the delivery log of a paid order.
#[tokio::test]
async fn developer_console_in_three_languages() {
    use opengate_e2e::pay::{confirm, Receiver};
    let app = spawn_app().await;
    let (p, _) = opengate_e2e::console::admin_partner(&app).await;
    enable_pay(&app, &p).await;
    let admin = opengate::admin::app_report(&app.state, &p.app_id).await.expect("report").admin_user_id;
    let admin_email = opengate::admin::find_user(&app.state, &admin).await.expect("admin").email.expect("email");
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &p.app_id, Some(&rx.url())).await.expect("notify url");
    let (_, _, payer_h5) = payer(&app, "100.00").await;
    let o = new_order(&app, &p, &order("CONSOLE-1", "3.00")).await;
    let order_id = o["order_id"].as_str().expect("id").to_owned();
    assert_eq!(confirm(&app, &payer_h5, &order_id, PIN).await.0, 200);
    rx.wait_for(1, WAIT).await;

    for e in &CONSOLE {
        let Some(b) = browser::start_in(390, 844, e.browser_lang).await else { return };
        let shot = |n: &str| format!("i18n-{}-console-{n}", e.code);
        b.client.goto(&app.url("/h5/login?next=%2Fh5%2Fconsole")).await.expect("login page");
        wait_for(&b, "#account").await.send_keys(&admin_email).await.expect("account");
        wait_for(&b, "#password").await.send_keys(PASSWORD).await.expect("password");
        wait_for(&b, "#login-submit").await.click().await.expect("log in");
        b.wait_text("main h1", |t| t == e.title, WAIT).await;
        b.screenshot(&shot("1-list")).await;
        wait_for(&b, &format!("a.console-app[data-app=\"{}\"]", p.app_id)).await.click().await.expect("open app");
        b.wait_text("#keys h2", |t| t == e.keys, WAIT).await;
        b.wait_text("#permissions h2", |t| t == e.permissions, WAIT).await;

        // A new key: the secret is shown once, and it signs.
        wait_for(&b, "#create-key").await.click().await.expect("create key");
        let ak = b.wait_text("#new-secret-access-key", |t| t.starts_with("ak"), WAIT).await;
        let sk = b.wait_text("#new-secret-value", |t| t.len() == 43, WAIT).await;
        b.screenshot(&shot("2-new-key")).await;
        let k = Partner { access_key: ak.clone(), secret_key: sk.clone(), ..p.clone() };
        let ping = opengate_e2e::send(opengate_e2e::Signed::new(&k, "GET", "/open/v1/ping", b"").request(&app)).await;
        assert_eq!(ping.0, 200, "the key made in the console signs: {:?}", ping.1);
        wait_for(&b, "#new-secret-done").await.click().await.expect("done");
        let page = b.client.source().await.expect("source");
        assert!(!page.contains(&sk), "the secret is gone from the page once acknowledged");

        // IP binding, disable and enable on the new key.
        let row = format!("li.key[data-key=\"{ak}\"]");
        wait_for(&b, &format!("{row} input.ip-input")).await.send_keys("10.0.0.0/8").await.expect("rule");
        wait_for(&b, &format!("{row} button.ip-add")).await.click().await.expect("bind");
        wait_for(&b, &format!("{row} li.ip[data-rule=\"10.0.0.0/8\"] button.ip-remove"))
            .await
            .click()
            .await
            .expect("rm");
        wait_for(&b, &format!("{row} .ip-none")).await;
        wait_for(&b, &format!("{row} button[data-action=\"disable\"]")).await.click().await.expect("disable");
        wait_for(&b, &format!("{row}[data-enabled=\"false\"] button[data-action=\"enable\"]"))
            .await
            .click()
            .await
            .expect("on");
        wait_for(&b, &format!("{row}[data-enabled=\"true\"]")).await;

        // A redirect URI; a notify-secret rotation; a permission application.
        let uri = format!("https://{}.shop.example/cb", e.code);
        wait_for(&b, "#redirect-uri-input").await.send_keys(&uri).await.expect("uri");
        wait_for(&b, "#redirect-uri-add").await.click().await.expect("add uri");
        wait_for(&b, &format!("li.redirect-uri[data-value=\"{uri}\"]")).await;
        wait_for(&b, "#rotate-secret").await.click().await.expect("rotate");
        wait_for(&b, "#rotate-secret-confirm").await.click().await.expect("confirm rotate");
        let secret = b.wait_text("#new-notify-secret", |t| t.starts_with("whsec_"), WAIT).await;
        let signing = opengate::admin::notify_secrets(&app.state, &p.app_id).await.expect("secrets");
        assert_eq!(signing[0], secret, "the secret shown is the one that signs now");
        wait_for(&b, "#new-notify-secret-done").await.click().await.expect("done");
        wait_for(&b, "#previous-secret-until").await;
        if e.code == "zh" {
            wait_for(&b, "li.permission[data-permission=\"user_lookup\"] button.apply")
                .await
                .click()
                .await
                .expect("apply");
            wait_for(&b, "li.permission[data-permission=\"user_lookup\"][data-status=\"applied\"]").await;
        }
        b.screenshot(&shot("3-app")).await;

        // Orders and the delivery log of the paid one.
        let paid =
            format!("li.order[data-order=\"{order_id}\"][data-status=\"paid\"][data-notification=\"delivered\"]");
        wait_for(&b, &format!("{paid} a.deliveries")).await.click().await.expect("open log");
        b.wait_text("main h1", |t| t == e.delivery_log, WAIT).await;
        b.wait_text("#delivery-log li.notification[data-status=\"delivered\"] li.attempt", |t| t.contains("200"), WAIT)
            .await;
        b.screenshot(&shot("4-deliveries")).await;
        b.close().await;
    }
    let uris = opengate::admin::app_report(&app.state, &p.app_id).await.expect("report").redirect_uris;
    assert_eq!(uris.len(), 3, "one redirect URI added per language: {uris:?}");
}
