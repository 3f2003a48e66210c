//! An HTTP client that is another client with each of its connectors wrapped: how the
//! in-flight bound (`in_flight.rs`) and the propagation retries (`propagation.rs`)
//! sit under the SDK without reimplementing the rest of its HTTP client.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;
use std::fmt;
use std::sync::Arc;

type Wrap = Arc<dyn Fn(SharedHttpConnector) -> SharedHttpConnector + Send + Sync>;

/// `inner`, with `wrap` around every connector it makes.
#[derive(Clone)]
pub struct Layered {
    name: &'static str,
    inner: SharedHttpClient,
    wrap: Wrap,
}

impl Layered {
    pub fn new(
        name: &'static str,
        inner: impl HttpClient + 'static,
        wrap: impl Fn(SharedHttpConnector) -> SharedHttpConnector + Send + Sync + 'static,
    ) -> Layered {
        Layered {
            name,
            inner: SharedHttpClient::new(inner),
            wrap: Arc::new(wrap),
        }
    }
}

impl fmt::Debug for Layered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("inner", &self.inner)
            .finish()
    }
}

impl HttpClient for Layered {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        (self.wrap)(self.inner.http_connector(settings, components))
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}
