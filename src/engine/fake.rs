//! An in-memory cloud for the walker's tests: every call is logged with when it began
//! and ended, and any call can be scripted to take a while or to fail. Nothing of any
//! kind's own logic runs: what is tested is the walker.

use super::cloud::Cloud;
use crate::address::{Address, CloudId, Kind};
use crate::aws::{Aws, AwsError};
use crate::resources::{Created, Ctx, Lookup, Outputs, WantedAttrs};
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// One call the walker made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub op: &'static str,
    pub address: Address,
    pub start: Instant,
    pub end: Instant,
}

pub struct FakeCloud {
    aws: Aws,
    calls: Mutex<Vec<Call>>,
    delays: BTreeMap<(Address, &'static str), Duration>,
    failing: BTreeSet<(Address, &'static str)>,
    next_id: AtomicU64,
}

impl FakeCloud {
    /// The clients a `Ctx` needs; the fake never calls them (nothing listens there).
    pub async fn new() -> FakeCloud {
        FakeCloud {
            aws: Aws::for_emulator("eu-west-2", "http://127.0.0.1:9").await,
            calls: Mutex::new(Vec::new()),
            delays: BTreeMap::new(),
            failing: BTreeSet::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// `op` ("create", "wait_ready", ...) on `address` takes `delay`.
    pub fn delay(mut self, address: &str, op: &'static str, delay: Duration) -> Self {
        self.delays.insert((address.parse().unwrap(), op), delay);
        self
    }

    /// `op` on `address` fails.
    pub fn fail(mut self, address: &str, op: &'static str) -> Self {
        self.failing.insert((address.parse().unwrap(), op));
        self
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The calls `op` made on `address`.
    pub fn of(&self, address: &str, op: &str) -> Vec<Call> {
        let address: Address = address.parse().unwrap();
        self.calls()
            .into_iter()
            .filter(|c| c.address == address && c.op == op)
            .collect()
    }

    async fn call(&self, op: &'static str, address: &Address) -> Result<(), AwsError> {
        let start = Instant::now();
        if let Some(delay) = self.delays.get(&(address.clone(), op)) {
            tokio::time::sleep(*delay).await;
        }
        self.calls.lock().unwrap().push(Call {
            op,
            address: address.clone(),
            start,
            end: Instant::now(),
        });
        match self.failing.contains(&(address.clone(), op)) {
            true => Err(AwsError::invalid(
                "fake",
                format!("{op} of {address} fails"),
            )),
            false => Ok(()),
        }
    }
}

impl Cloud for FakeCloud {
    fn aws(&self) -> &Aws {
        &self.aws
    }

    fn wanted(&self, _: Kind, _: &Value, _: &dyn Lookup) -> Result<WantedAttrs, AwsError> {
        Ok(WantedAttrs::new())
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        _spec: &'a Value,
    ) -> BoxFuture<'a, Result<Created, AwsError>> {
        Box::pin(async move {
            self.call("create", ctx.address).await?;
            let n = self.next_id.fetch_add(1, Ordering::SeqCst);
            let id = CloudId::new(format!("{}-{n}", ctx.address.kind()));
            Ok(Created {
                outputs: Outputs::from([("arn".to_string(), format!("arn:{id}"))]),
                id,
            })
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        _: &'a CloudId,
        _: &'a Value,
        _: &'a [String],
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(self.call("update", ctx.address))
    }

    fn wait_ready<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        _: &'a CloudId,
        _: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(self.call("wait_ready", ctx.address))
    }

    fn finish<'a>(
        &'a self,
        ctx: &'a Ctx<'a>,
        _: &'a CloudId,
        _: &'a Value,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(self.call("finish", ctx.address))
    }

    fn delete<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            let address = self.address_of(kind, id);
            self.call("delete", &address).await
        })
    }

    fn retire<'a>(&'a self, kind: Kind, id: &'a CloudId) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            let address = self.address_of(kind, id);
            self.call("retire", &address).await
        })
    }
}

impl FakeCloud {
    /// Deletes name objects by id; the tests give recorded objects the id
    /// `KIND.NAME`, so the address is the id itself.
    fn address_of(&self, kind: Kind, id: &CloudId) -> Address {
        id.as_str()
            .parse()
            .unwrap_or_else(|_| Address::new(kind, id.as_str().replace(['.', ':'], "-")))
    }
}
