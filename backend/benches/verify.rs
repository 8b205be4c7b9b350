//! Cost of verifying one partner request signature, CPU only (no I/O): canonical
//! query, body hash, string to sign, secret-key decryption and the constant-time
//! HMAC check, as `auth::partner` does them. Run: `cargo bench -p opengate --bench verify`.
//! Target (issue 2): under 5 µs for a 1 KB body.

use std::hint::black_box;
use std::time::Instant;

use opengate::crypto::{decode_master_key, new_master_key, new_secret_key, SecretBox};
use opengate_shared::signing::{self, SigningInput};

fn verify_once(sealed: &str, sbox: &SecretBox, body: &[u8], query: &str, sig: &str) -> bool {
    let secret = match sbox.open(sealed, "access_key:akexample000000000000001") {
        Ok(s) => s,
        Err(_) => return false,
    };
    let cq = match signing::canonical_query(query) {
        Ok(q) => q,
        Err(_) => return false,
    };
    let bh = signing::body_hash(body);
    let input = SigningInput {
        method: "POST",
        path: "/open/v1/pay/orders",
        canonical_query: &cq,
        access_key: "akexample000000000000001",
        timestamp: "1763784000",
        nonce: "n0nce-0123456789ABCDEF",
        body_hash: &bh,
    };
    signing::verify(&secret, &input.string_to_sign(), sig)
}

fn bench(name: &str, iters: u32, mut f: impl FnMut() -> bool) -> f64 {
    for _ in 0..iters / 10 {
        black_box(f());
    }
    let start = Instant::now();
    let mut ok = 0u32;
    for _ in 0..iters {
        if black_box(f()) {
            ok += 1;
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(iters);
    assert_eq!(ok, iters, "{name}: every verification must succeed");
    println!("{name:<44} {:>9.0} ns/op  ({:.2} µs)", ns, ns / 1000.0);
    ns
}

fn main() {
    let key = decode_master_key(&new_master_key()).expect("key");
    let sbox = SecretBox::new(&key);
    let secret = new_secret_key();
    let sealed = sbox.seal(&secret, "access_key:akexample000000000000001");
    println!("signature verification (one core, release build)");
    let mut results = Vec::new();
    for (label, size, query) in [
        ("empty body, no query", 0usize, ""),
        ("1 KB body, no query", 1024, ""),
        ("1 KB body, 4-parameter query", 1024, "filter%5BcellPhone%5D=13800138000&page=2&size=20&sort=-createTime"),
        ("64 KB body", 64 * 1024, ""),
    ] {
        let body = vec![b'{'; size];
        let sig = signing::sign_request(
            &secret,
            "akexample000000000000001",
            "POST",
            "/open/v1/pay/orders",
            query,
            1763784000,
            "n0nce-0123456789ABCDEF",
            &body,
        )
        .expect("sign");
        let iters = if size > 10_000 { 20_000 } else { 200_000 };
        let ns = bench(label, iters, || verify_once(&sealed, &sbox, &body, query, &sig));
        results.push((label, ns));
    }
    bench("  of which: secret-key decryption", 200_000, || {
        sbox.open(&sealed, "access_key:akexample000000000000001").is_ok()
    });
    let one_kb = results.iter().find(|r| r.0 == "1 KB body, no query").map(|r| r.1).unwrap_or(f64::MAX);
    println!("target: 1 KB body under 5000 ns → {}", if one_kb < 5000.0 { "met" } else { "NOT met" });
}
