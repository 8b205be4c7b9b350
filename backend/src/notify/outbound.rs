//! Outbound HTTP to partner servers (SPEC §8): addresses are checked after name
//! resolution (a custom resolver, so a host name cannot smuggle in 127.0.0.1),
//! literal IPs before the call; redirects are never followed; the answer is read up
//! to a cap; every call has a timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use opengate_shared::webhook;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::ip::outbound_allowed;

/// Most bytes of a partner's answer that are read (the rest is dropped).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to internal addresses ({addrs}); allow them with outbound_allow_cidrs")]
struct Refused {
    host: String,
    addrs: String,
}

/// Resolves with the system resolver, then drops every address outbound calls may not reach.
struct GuardedResolver {
    allow: Arc<Vec<IpNet>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = all.iter().copied().filter(|a| outbound_allowed(a.ip(), &allow)).collect();
            if ok.is_empty() {
                let addrs = all.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ");
                return Err(Box::new(Refused { host, addrs }) as Box<dyn std::error::Error + Send + Sync>);
            }
            let it: Addrs = Box::new(ok.into_iter());
            Ok(it)
        })
    }
}

/// The one client for calls to partners.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow: Arc<Vec<IpNet>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("allow", &self.allow).finish_non_exhaustive()
    }
}

impl Outbound {
    pub fn new(timeout: Duration, allow: Vec<IpNet>) -> anyhow::Result<Outbound> {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .no_proxy()
            .user_agent(concat!("OpenGate-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(64)
            .dns_resolver(Arc::new(GuardedResolver { allow: allow.clone() }))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the outbound HTTP client: {e}"))?;
        Ok(Outbound { client, allow })
    }

    /// Why `url` may not be called at all, if it may not: not http(s), or a literal
    /// internal IP (host names are checked by the resolver at call time).
    pub fn refuse_reason(&self, url: &str) -> Option<String> {
        let u = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return Some(format!("not a URL: {e}")),
        };
        if !matches!(u.scheme(), "http" | "https") {
            return Some(format!("scheme {} is not http or https", u.scheme()));
        }
        let ip = match u.host() {
            Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(url::Host::Domain(_)) => return None,
            None => return Some("the URL has no host".into()),
        };
        (!outbound_allowed(ip, &self.allow))
            .then(|| format!("{ip} is an internal address; allow it with outbound_allow_cidrs"))
    }

    /// POSTs one signed notification. Returns the HTTP status (if an answer came) and
    /// what went wrong (if anything did).
    pub async fn deliver(
        &self,
        url: &str,
        id: &str,
        timestamp: i64,
        secrets: &[String],
        body: &[u8],
    ) -> (Option<i64>, Option<String>) {
        if let Some(why) = self.refuse_reason(url) {
            return (None, Some(format!("refused: {why}")));
        }
        let signature = match webhook::signature_header(secrets, id, timestamp, body) {
            Ok(s) => s,
            Err(e) => return (None, Some(format!("cannot sign: {e}"))),
        };
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(webhook::HEADER_ID, id)
            .header(webhook::HEADER_TIMESTAMP, timestamp.to_string())
            .header(webhook::HEADER_SIGNATURE, signature)
            .body(body.to_vec())
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return (None, Some(describe(&e))),
        };
        let status = i64::from(resp.status().as_u16());
        // Read (and drop) at most MAX_RESPONSE_BYTES so the connection can be reused.
        let mut read = 0usize;
        while read < MAX_RESPONSE_BYTES {
            match resp.chunk().await {
                Ok(Some(c)) => read += c.len(),
                Ok(None) => break,
                Err(e) => return (Some(status), Some(format!("reading the answer: {}", describe(&e)))),
            }
        }
        (Some(status), None)
    }
}

/// A partner's answer to [`Outbound::call`]: its status and at most
/// [`MAX_RESPONSE_BYTES`] of its body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Outbound {
    /// One call to a partner (source user APIs and deductions, SPEC §9) under the same
    /// rules as notifications: refused internal addresses, no redirects (a 3xx comes
    /// back as it is), a timeout, and an answer larger than the cap is an error.
    pub async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(&'static str, String)],
        body: Option<Vec<u8>>,
        timeout: std::time::Duration,
    ) -> Result<Answer, String> {
        if let Some(why) = self.refuse_reason(url) {
            return Err(format!("refused: {why}"));
        }
        let mut rb = self.client.request(method, url).timeout(timeout);
        for (k, v) in headers {
            rb = rb.header(*k, v);
        }
        if let Some(b) = body {
            rb = rb.header(reqwest::header::CONTENT_TYPE, "application/json").body(b);
        }
        let mut resp = rb.send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let mut out = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    if out.len() + c.len() > MAX_RESPONSE_BYTES {
                        return Err(format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"));
                    }
                    out.extend_from_slice(&c);
                }
                Ok(None) => break,
                Err(e) => return Err(format!("reading the answer: {}", describe(&e))),
            }
        }
        Ok(Answer { status, body: out })
    }
}

/// A transport error in one line, with its causes (the resolver's refusal among them).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut out = String::from(if e.is_connect() { "connection failed" } else { "request failed" });
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut last = String::new();
    while let Some(s) = src {
        let text = s.to_string();
        if text != last {
            out.push_str(": ");
            out.push_str(&text);
            last = text;
        }
        src = s.source();
    }
    out
}
