//! What the walker asks of AWS, behind one trait: so that the walker's own rules
//! (order, skipping behind a failure, early release, grouped state writes, the halt
//! after a failed write) are tested in memory against a fake (`engine/fake.rs`),
//! while apply and destroy use `AwsCloud`, each kind's calls through the registry.

use crate::address::{CloudId, Kind};
use crate::aws::{Aws, AwsError};
use crate::resources::{Created, Ctx, Lookup, WantedAttrs, registry};
use futures::future::BoxFuture;
use serde_json::Value;

pub trait Cloud: Send + Sync {
    /// The clients the kinds' calls go through (every `Ctx` carries them).
    fn aws(&self) -> &Aws;
    fn wanted(
        &self,
        kind: Kind,
        spec: &Value,
        lookup: &dyn Lookup,
    ) -> Result<WantedAttrs, AwsError>;
    /// Creates the object of `ctx.address`, recovering from a lost answer.
    fn create<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<Created, AwsError>>;
    fn update<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
        changed: &'a [String],
    ) -> BoxFuture<'a, Result<(), AwsError>>;
    fn wait_ready<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>>;
    fn finish<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>>;
    fn delete<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>>;
    fn retire<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>>;
}

/// AWS itself: each kind's own calls, through the registry.
pub struct AwsCloud(pub Aws);

impl Cloud for AwsCloud {
    fn aws(&self) -> &Aws {
        &self.0
    }

    fn wanted(
        &self,
        kind: Kind,
        spec: &Value,
        lookup: &dyn Lookup,
    ) -> Result<WantedAttrs, AwsError> {
        registry::wanted(kind, spec, lookup)
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<Created, AwsError>> {
        Box::pin(super::recover::create(ctx, spec))
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
        changed: &'a [String],
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(registry::update(ctx.address.kind(), ctx, id, spec, changed))
    }

    fn wait_ready<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(registry::wait_ready(ctx.address.kind(), ctx, id, spec))
    }

    fn finish<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        id: &'a CloudId,
        spec: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(registry::finish(ctx.address.kind(), ctx, id, spec))
    }

    fn delete<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(registry::delete(kind, &self.0, id))
    }

    fn retire<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(registry::retire(kind, &self.0, id))
    }
}
