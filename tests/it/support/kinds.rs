//! Drives one resource kind at a time through the library API, the way the engine
//! does, so each kind's SDK calls are tested on their own.

use serde_json::json;
use stackctl::address::{Address, CloudId};
use stackctl::aws::Aws;
use stackctl::resources::tags::{self, Tags};
use stackctl::resources::{Created, Ctx, Live, Lookup, Outputs, Ref, Resource, Wanted};
use std::collections::BTreeMap;

use super::emulator::Emulator;

pub const STACK: &str = "kindtest";

/// The user tags kind tests create objects with (`Harness::retag` changes them).
pub fn user_tags() -> Tags {
    Tags::from([
        ("team".into(), "a".into()),
        ("tier".into(), "web".into()),
        ("cost-center".into(), "42".into()),
    ])
}

pub struct Harness {
    pub _emulator: Emulator,
    pub aws: Aws,
    /// Outputs of everything created so far, by address: what later specs reference.
    pub outputs: BTreeMap<Address, Outputs>,
}

impl Lookup for Harness {
    fn output(&self, r: &Ref) -> Option<String> {
        self.outputs
            .get(&r.to)
            .and_then(|o| o.get(&r.output))
            .cloned()
    }
}

impl Harness {
    pub async fn start() -> Harness {
        let emulator = Emulator::start();
        let aws = emulator.aws().await;
        Harness {
            _emulator: emulator,
            aws,
            outputs: BTreeMap::new(),
        }
    }

    pub fn ctx<'a>(&'a self, address: &'a Address) -> Ctx<'a> {
        Ctx::new(&self.aws, STACK, address, &self.outputs)
    }

    pub async fn create<R: Resource>(&mut self, name: &str, spec: &R::Spec) -> (Address, Created) {
        let address = Address::new(R::KIND, name);
        let created = R::create(&self.ctx(&address), spec)
            .await
            .unwrap_or_else(|e| panic!("create {address}: {e}"));
        R::wait_ready(&self.ctx(&address), &created.id, spec)
            .await
            .unwrap_or_else(|e| panic!("wait for {address}: {e}"));
        let mut outputs = created.outputs.clone();
        outputs.insert("id".into(), created.id.to_string());
        self.outputs.insert(address.clone(), outputs);
        (address, created)
    }

    pub async fn update<R: Resource>(
        &self,
        address: &Address,
        id: &CloudId,
        spec: &R::Spec,
        changed: &[&str],
    ) {
        let changed: Vec<String> = changed.iter().map(|s| s.to_string()).collect();
        R::update(&self.ctx(address), id, spec, &changed)
            .await
            .unwrap_or_else(|e| panic!("update {address}: {e}"));
        R::wait_ready(&self.ctx(address), id, spec)
            .await
            .unwrap_or_else(|e| panic!("wait for {address}: {e}"));
        // A staged change (a move to another target group) is finished as the engine
        // does once what depends on the object is ready.
        if changed.iter().any(|c| R::STAGED.contains(&c.as_str())) {
            R::finish(&self.ctx(address), id, spec)
                .await
                .unwrap_or_else(|e| panic!("finish {address}: {e}"));
            R::wait_ready(&self.ctx(address), id, spec)
                .await
                .unwrap_or_else(|e| panic!("wait for {address}: {e}"));
        }
    }

    pub async fn read<R: Resource>(&self, id: &CloudId) -> Option<Live> {
        R::read(&self.aws, id)
            .await
            .unwrap_or_else(|e| panic!("read {} {id}: {e}", R::KIND))
    }

    /// The planner's view: every wanted attribute equals what `read` reports, so an
    /// unchanged resource would plan as "no changes". Returns the live state.
    pub async fn assert_in_sync<R: Resource>(&self, id: &CloudId, spec: &R::Spec) -> Live {
        let live = self
            .read::<R>(id)
            .await
            .unwrap_or_else(|| panic!("{} {id} not found after create", R::KIND));
        let wanted = R::wanted(spec, self);
        for (key, want) in &wanted {
            let Wanted::Known(want) = want else {
                panic!(
                    "{} attribute {key} unknown although all references exist",
                    R::KIND
                )
            };
            let got = live
                .attrs
                .get(key)
                .unwrap_or_else(|| panic!("{} read does not report {key}", R::KIND));
            assert_eq!(got, want, "{} attribute {key}: live vs wanted", R::KIND);
        }
        live
    }

    /// The tag round trip of a taggable kind, for an object created with `user_tags()`:
    /// read back in sync, then one tag added, one changed and one removed by an update
    /// of `tags` alone, in sync again, and still found by its standard tags (a tag
    /// update never touches them). Tags never force a replacement. Returns the spec
    /// with the new tags.
    pub async fn retag<R: Resource>(
        &self,
        address: &Address,
        id: &CloudId,
        spec: &R::Spec,
        tags_of: impl Fn(&mut R::Spec) -> &mut Tags,
    ) -> R::Spec {
        assert!(
            !R::REPLACE_ON.contains(&tags::ATTR),
            "{} replaces for tags",
            R::KIND
        );
        let live = self.assert_in_sync::<R>(id, spec).await;
        assert_eq!(
            live.attrs[tags::ATTR],
            json!({"cost-center": "42", "team": "a", "tier": "web"}),
            "{} tags as created",
            R::KIND
        );
        let mut next = spec.clone();
        let t = tags_of(&mut next);
        t.insert("owner".into(), "x".into());
        t.insert("team".into(), "b".into());
        t.remove("tier");
        self.update::<R>(address, id, &next, &[tags::ATTR]).await;
        let live = self.assert_in_sync::<R>(id, &next).await;
        assert_eq!(
            live.attrs[tags::ATTR],
            json!({"cost-center": "42", "owner": "x", "team": "b"}),
            "{} tags after the update",
            R::KIND
        );
        let found = R::find(&self.ctx(address), &next)
            .await
            .unwrap_or_else(|e| panic!("find {address} after retagging: {e}"));
        assert_eq!(found.as_ref(), Some(id), "{address} not found by its tags");
        next
    }

    /// Deletes, checks it is gone, and that deleting again is still success.
    pub async fn delete<R: Resource>(&self, id: &CloudId) {
        R::delete(&self.aws, id)
            .await
            .unwrap_or_else(|e| panic!("delete {} {id}: {e}", R::KIND));
        assert!(
            self.read::<R>(id).await.is_none(),
            "{} {id} still there after delete",
            R::KIND
        );
        R::delete(&self.aws, id)
            .await
            .unwrap_or_else(|e| panic!("second delete of {} {id} must succeed: {e}", R::KIND));
    }
}
