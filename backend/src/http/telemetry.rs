//! Request ids, request logs and request metrics. Every response carries
//! `X-Request-Id`, every log line of a request carries it in its span, and the
//! envelope's `requestId` is the same value (read from a task-local).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opengate_shared::ids::RequestId;
use rand::RngCore;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served ("" outside a request).
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

fn new_request_id() -> String {
    let mut b = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut b);
    format!("req_{}", hex::encode(b))
}

/// The matched route, carried from the router to the outer middleware for labels.
#[derive(Clone)]
struct RouteLabel(String);

/// Inner layer (`route_layer`): remembers which route matched.
pub async fn mark_route(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let label = matched.map(|m| m.as_str().to_owned());
    let mut resp = next.run(req).await;
    if let Some(l) = label {
        resp.extensions_mut().insert(RouteLabel(l));
    }
    resp
}

/// Outer layer: request id, span, access log, metrics.
pub async fn telemetry(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| RequestId::parse(s).ok())
        .map(String::from)
        .unwrap_or_else(new_request_id);
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %req.uri().path());
    let start = Instant::now();
    let mut resp = REQUEST_ID.scope(id.clone(), next.run(req).instrument(span.clone())).await;
    let elapsed = start.elapsed();
    let route = resp.extensions().get::<RouteLabel>().map(|r| r.0.clone()).unwrap_or_else(|| "unmatched".into());
    let status = resp.status().as_u16();
    let labels = [("method", method.to_string()), ("route", route), ("status", status.to_string())];
    metrics::counter!("opengate_http_requests_total", &labels).increment(1);
    metrics::histogram!("opengate_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| tracing::info!(status, latency_us = elapsed.as_micros() as u64, "request finished"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

static PROMETHEUS: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();

/// The process-wide Prometheus recorder (installed on first use).
pub fn prometheus() -> PrometheusHandle {
    PROMETHEUS
        .get_or_init(|| {
            let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding program); then
            // /metrics shows what this handle saw, which is nothing, and says so in logs.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a global metrics recorder was already installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}
