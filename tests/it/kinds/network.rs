use crate::support::kinds::Harness;
use stackctl::resources::Resource;
use stackctl::resources::vpc::{Vpc, VpcSpec};

#[tokio::test]
async fn vpc_is_created_with_dns_hostnames_and_deleted() {
    let mut h = Harness::start().await;
    let spec = VpcSpec {
        cidr: "10.1.0.0/16".into(),
    };
    let (_, created) = h.create::<Vpc>("main", &spec).await;
    let live = h.assert_in_sync::<Vpc>(&created.id, &spec).await;
    assert_eq!(live.attrs["dns_hostnames"], true);
    assert_eq!(Vpc::KIND.as_str(), "vpc");
    h.delete::<Vpc>(&created.id).await;
}
