//! CloudFront distribution in front of the ALB. The id is the distribution id; outputs domain_name and arn.

use super::{Created, Ctx, Live, Lookup, Ref, Resource, WantedAttrs};
use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudfrontDistributionSpec {
    /// The ALB's DNS name.
    pub origin_domain: Ref,
    /// "http-only" or "https-only": never "match-viewer" towards an ALB that
    /// redirects to HTTPS, which loops.
    pub origin_protocol: String,
    pub origin_http_port: i32,
    pub origin_https_port: i32,
    /// "allow-all", "redirect-to-https" or "https-only".
    pub viewer_protocol: String,
    pub cache_policy_id: String,
    pub origin_request_policy_id: String,
    pub aliases: Vec<String>,
    /// ACM certificate in us-east-1 for the aliases; None = the cloudfront.net one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    pub price_class: String,
    pub comment: String,
    /// Wait until the distribution is Deployed before apply reports success.
    pub wait_for_deployment: bool,
}

pub struct CloudfrontDistribution;

impl Resource for CloudfrontDistribution {
    const KIND: Kind = Kind::CloudfrontDistribution;
    const REPLACE_ON: &'static [&'static str] = &[];
    type Spec = CloudfrontDistributionSpec;

    fn wanted(_spec: &CloudfrontDistributionSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        todo!()
    }

    async fn read(_aws: &Aws, _id: &CloudId) -> Result<Option<Live>, AwsError> {
        todo!()
    }

    async fn create(
        _ctx: &Ctx<'_>,
        _spec: &CloudfrontDistributionSpec,
    ) -> Result<Created, AwsError> {
        todo!()
    }

    async fn update(
        _ctx: &Ctx<'_>,
        _id: &CloudId,
        _spec: &CloudfrontDistributionSpec,
        _changed: &[String],
    ) -> Result<(), AwsError> {
        todo!()
    }

    async fn delete(_aws: &Aws, _id: &CloudId) -> Result<(), AwsError> {
        todo!()
    }
}
