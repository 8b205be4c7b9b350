//! The H5 app served by the backend, rendered by real headless Chromium.

use std::time::Duration;

use opengate_e2e::{browser, spawn_app};

#[tokio::test]
async fn h5_status_page_renders_in_chromium() {
    let app = spawn_app().await;
    let Some(b) = browser::start(390, 844).await else { return };
    b.client.goto(&app.url("/h5/")).await.expect("navigate");
    let text = b.wait_text("#status", |t| t.contains("Platform status"), Duration::from_secs(20)).await;
    assert_eq!(text, "Platform status: ok");
    b.screenshot("h5-status").await;
    // Client-side routes fall back to index.html and render the not-found page.
    b.client.goto(&app.url("/h5/no/such/page")).await.expect("navigate");
    b.wait_text("h1", |t| t == "Page not found", Duration::from_secs(20)).await;
    // Addresses the two bundles might see differently never reload in a loop (the
    // server sends `/h5/console/a/b` to the extra bundle, which has no such page).
    for path in ["/h5", "/h5/account/", "/h5/console/", "/h5/login/", "/h5/console/a/b"] {
        b.client.goto(&app.url(path)).await.expect("navigate");
        tokio::time::sleep(Duration::from_millis(800)).await;
        b.client.execute("window.__og_mark = 1;", vec![]).await.expect("mark");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mark = b.client.execute("return window.__og_mark;", vec![]).await.expect("mark");
        assert_eq!(mark, serde_json::json!(1), "{path} reloads itself");
    }
    b.close().await;
}

#[tokio::test]
async fn root_redirects_to_h5() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/")).send().await.expect("get /");
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/h5/");
}

/// The inline `<script>` bodies of a page (the ones the policy must allow by hash).
fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    html.split("<script")
        .skip(1)
        .filter_map(|part| {
            let (tag, rest) = part.split_once('>')?;
            let (body, _) = rest.split_once("</script>")?;
            (!tag.contains("src="))
                .then(|| base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body.as_bytes())))
        })
        .collect()
}

/// Every `/h5/…` file a page links to (script, style, preload).
fn linked_assets(html: &str) -> Vec<String> {
    let mut out: Vec<String> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/h5/") && s.rsplit('/').next().is_some_and(|n| n.contains('.')))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[tokio::test]
async fn h5_answers_carry_security_headers_and_the_bundle_holds_no_secret() {
    if !browser::dist_built() {
        return;
    }
    let app = spawn_app().await;
    let partner = opengate_e2e::create_partner(&app).await;
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    for path in [
        "/h5/",
        "/h5/login?next=%2Fh5%2Fapps",
        "/h5/pay/ord_123",
        "/h5/authorize?request=x",
        "/h5/console",
        "/h5/account/payments",
    ] {
        let r = app.http.get(app.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        let csp = h["content-security-policy"].to_str().expect("ascii").to_owned();
        for part in [
            "default-src 'none'",
            "script-src 'self' 'wasm-unsafe-eval' 'sha256-",
            "style-src 'self';",
            "connect-src 'self';",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: CSP lacks {part:?}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-cache", "pages are revalidated");
        assert!(h.get("strict-transport-security").is_none(), "plain http test server");
        let html = r.text().await.expect("html");
        let hashes = inline_script_hashes(&html);
        assert!(!hashes.is_empty(), "Trunk's loader is an inline module script");
        for hash in hashes {
            assert!(csp.contains(&format!("'sha256-{hash}'")), "{path}: inline script not allowed by the CSP");
        }
        for asset in linked_assets(&html) {
            let r = app.http.get(app.url(&asset)).send().await.expect("asset");
            assert_eq!(r.status(), 200, "{asset}");
            assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{asset}");
            assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable", "{asset}");
            bodies.push((asset, r.bytes().await.expect("bytes").to_vec()));
        }
        bodies.push((path.to_owned(), html.into_bytes()));
    }
    assert!(bodies.iter().any(|(p, _)| p.ends_with(".wasm")), "the wasm was checked");
    // Also every file of the build as it is on disk.
    let dist = opengate_e2e::workspace_dir().join("dist");
    for dir in [dist.clone(), dist.join("extra")] {
        for entry in std::fs::read_dir(dir).expect("dist") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                bodies.push((path.display().to_string(), std::fs::read(&path).expect("read")));
            }
        }
    }
    let secrets = [
        app.state.config.master_key_str().expect("master key").to_owned(),
        partner.secret_key.clone(),
        partner.notify_secret.clone(),
    ];
    for (name, body) in &bodies {
        for secret in &secrets {
            assert!(!body.windows(secret.len()).any(|w| w == secret.as_bytes()), "{name} contains a configured secret");
        }
    }
}

/// Everything a user's first page (login; consent and pay load the same files)
/// downloads, gzip-compressed. Issue 5 set 250 KB; the split of ADR 0017 (the rarely
/// used pages in a second bundle) brought it under 180 KB, and this keeps it there.
const FIRST_LOAD_BUDGET: usize = 180 * 1000;

/// The first page of a user's journey (`Route::is_extra` is false for it).
const FIRST_PAGE: &str = "/h5/login";

/// GET with `Accept-Encoding: gzip`: the bytes on the wire and the decoded body.
async fn fetch_gzip(app: &opengate_e2e::TestApp, path: &str) -> (usize, Vec<u8>) {
    use std::io::Read as _;
    let r = app.http.get(app.url(path)).header("accept-encoding", "gzip").send().await.expect("get");
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers().get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]), "{path} is served gzip");
    let wire = r.bytes().await.expect("bytes").to_vec();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&wire[..]).read_to_end(&mut plain).expect("valid gzip");
    (wire.len(), plain)
}

#[tokio::test]
async fn first_load_fits_the_size_budget_and_renders_fast() {
    if !browser::dist_built() {
        return;
    }
    let app = spawn_app().await;
    let (html_size, html) = fetch_gzip(&app, FIRST_PAGE).await;
    let html = String::from_utf8(html).expect("utf-8");
    let mut lines = vec![format!("{:<48} {:>8} B", "/h5/login (index.html)", html_size)];
    let mut total = html_size;
    for asset in linked_assets(&html) {
        let (size, plain) = fetch_gzip(&app, &asset).await;
        lines.push(format!("{asset:<48} {size:>8} B gzip ({} B raw)", plain.len()));
        total += size;
    }
    assert!(lines.iter().any(|l| l.contains(".wasm")), "the wasm is part of the first load: {lines:?}");
    lines.push(format!("{:<48} {total:>8} B gzip (budget {FIRST_LOAD_BUDGET} B)", "total first load"));
    // For the record: what a page of the extra bundle downloads (no budget).
    let (extra_html_size, extra_html) = fetch_gzip(&app, "/h5/console").await;
    let mut extra_total = extra_html_size;
    for asset in linked_assets(&String::from_utf8(extra_html).expect("utf-8")) {
        extra_total += fetch_gzip(&app, &asset).await.0;
    }
    lines.push(format!("{:<48} {extra_total:>8} B gzip (no budget)", "extra bundle (/h5/console), for the record"));

    // First render in headless Chromium with a cold cache, over loopback.
    if let Some(b) = browser::start(390, 844).await {
        b.client.goto(&app.url(FIRST_PAGE)).await.expect("navigate");
        b.wait_text("#login-submit", |t| !t.is_empty(), Duration::from_secs(20)).await;
        let timing = b
            .client
            .execute(
                "const nav = performance.getEntriesByType('navigation')[0];\
                 const fcp = performance.getEntriesByName('first-contentful-paint')[0];\
                 return [fcp ? fcp.startTime : -1, nav.domContentLoadedEventEnd, performance.now()];",
                vec![],
            )
            .await
            .expect("timing");
        let ms: Vec<f64> = timing.as_array().expect("array").iter().filter_map(|v| v.as_f64()).collect();
        lines.push(format!(
            "first contentful paint {:.0} ms, DOMContentLoaded {:.0} ms, app rendered (seen by the test) ≤ {:.0} ms",
            ms[0], ms[1], ms[2]
        ));
        assert!(ms[0] > 0.0, "Chromium reports a first contentful paint: {timing}");
        b.close().await;
    }
    let report = lines.join("\n");
    println!("{report}");
    let dir = opengate_e2e::workspace_dir().join("test-output");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("h5-first-load.txt"), format!("{report}\n"));
    assert!(
        total <= FIRST_LOAD_BUDGET,
        "first load is {total} B gzip, over the {FIRST_LOAD_BUDGET} B budget:\n{report}"
    );
}
