//! A bound on the HTTP requests in flight to each AWS service, one bound per SDK client
//! (`Service::in_flight` says how many).
//!
//! AWS limits API calls per account and region with token buckets: a burst drains the
//! bucket, then calls are refused (throttled) until it refills. stackctl's bursts are
//! its own doing: `refresh` reads every recorded object at once, and independent steps
//! of a walk run together. Retries with backoff survive throttling, but each refused
//! call still spends the bucket of every other tool of the account (a CI running
//! several stacks, a colleague's Terraform). So stackctl never has more than a few
//! requests of one service in flight: a burst becomes a short queue on our side
//! instead of throttling on AWS's side. The sustained rate is left to the retries
//! (see `retry.rs`), which slow down when AWS says so.
//!
//! A permit is held for one HTTP attempt (from sending until the answer's head has
//! arrived), never across a retry's backoff, so a throttled call does not hold up the
//! others while it waits.

use super::http_layer::Layered;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The SDK's own default HTTPS client (TLS, connection pool, proxy settings from the
/// environment), taken from the SDK's default plugin rather than rebuilt here, so
/// that the bound changes nothing else about how requests are sent.
pub fn sdk_default_client() -> SharedHttpClient {
    aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(BehaviorVersion::latest())
        .and_then(|plugin| {
            plugin
                .runtime_components(&RuntimeComponentsBuilder::new("stackctl"))
                .http_client()
        })
        .expect("the SDK's default HTTPS client is compiled in")
}

/// `inner`, letting at most `limit` requests through at once.
pub fn limit(inner: SharedHttpClient, limit: usize) -> Layered {
    let permits = Arc::new(Semaphore::new(limit));
    Layered::new("InFlightLimit", inner, move |connector| {
        SharedHttpConnector::new(Limited {
            inner: connector,
            permits: permits.clone(),
        })
    })
}

#[derive(Debug)]
struct Limited {
    inner: SharedHttpConnector,
    permits: Arc<Semaphore>,
}

impl HttpConnector for Limited {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let permits = self.permits.clone();
        HttpConnectorFuture::new(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            inner.call(request).await
        })
    }
}
