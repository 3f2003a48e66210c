//! Route table with its routes and subnet associations.
//!
//! Attributes: `routes` is the sorted list of `{destination, target}` (target = the
//! `igw-`/`nat-` id) without the `local` route every table has; `subnet_ids` is the
//! sorted list of associated subnets, without the main association (a table made
//! the VPC's main one outside stackctl is not a subnet of ours).

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::{ec2_filters, ec2_ours, single};
use super::tags::{self, Tags, ec2_tag_spec};
use super::{
    Created, Ctx, Live, Lookup, Ref, Resource, Wanted, WantedAttrs, batch, known, wanted_ref,
    wanted_sorted_refs,
};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome, wait};
use aws_sdk_ec2::types::ResourceType;
use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTableSpec {
    pub vpc: Ref,
    pub routes: Vec<Route>,
    /// Subnets associated with this table.
    pub subnets: Vec<Ref>,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// A route to exactly one of an internet gateway or a NAT gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway: Option<Ref>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<Ref>,
}

impl Route {
    fn target(&self) -> Result<Target<'_>, AwsError> {
        match (&self.internet_gateway, &self.nat_gateway) {
            (Some(igw), None) => Ok(Target::InternetGateway(igw)),
            (None, Some(nat)) => Ok(Target::NatGateway(nat)),
            _ => Err(AwsError::invalid(
                "CreateRoute",
                format!(
                    "route to {} needs exactly one of internet_gateway and nat_gateway",
                    self.destination
                ),
            )),
        }
    }
}

enum Target<'a> {
    InternetGateway(&'a Ref),
    NatGateway(&'a Ref),
}

/// A route as AWS takes it: the target id, and whether it is a NAT gateway (EC2
/// has a separate parameter for each kind of target).
#[derive(Debug, Clone, PartialEq)]
struct Hop {
    target: String,
    nat: bool,
}

pub struct RouteTable;

impl Facts for RouteTable {
    const SERVICE: Service = Service::Ec2;
    const IMPORT_ID: &'static str = "its route table id (rtb-...)";

    fn usual_minutes(_: Action, _: &Self::Spec) -> Option<(u32, u32)> {
        None
    }

    fn cost(_: &Address, _: &Self::Spec, _: &Specs<'_>, _: &Prices) -> Option<Item> {
        None
    }

    fn stack_outputs(_: &Address, _: &Record) -> Vec<(String, String)> {
        Vec::new()
    }
}

impl Resource for RouteTable {
    const KIND: Kind = Kind::RouteTable;
    const REPLACE_ON: &'static [&'static str] = &["vpc_id"];
    /// The table, its VPC, the gateways its routes name and the subnets it is
    /// associated with are often all a few seconds old (terraform-provider-aws retries
    /// CreateRoute and AssociateRouteTable on their not-found codes for five minutes).
    const TRANSIENT: &'static [Transient] = &[
        Transient::code("CreateRouteTable", "InvalidVpcID.NotFound"),
        Transient::code("CreateRoute", "*.NotFound"),
        Transient::code("ReplaceRoute", "*.NotFound"),
        Transient::code("AssociateRouteTable", "*.NotFound"),
    ];
    type Spec = RouteTableSpec;

    fn wanted(spec: &RouteTableSpec, lookup: &dyn Lookup) -> WantedAttrs {
        let mut routes = Vec::with_capacity(spec.routes.len());
        let mut unknown = false;
        for route in &spec.routes {
            let target = match (&route.internet_gateway, &route.nat_gateway) {
                (Some(r), _) | (None, Some(r)) => wanted_ref(lookup, r),
                (None, None) => Wanted::Known(Value::Null),
            };
            match target {
                Wanted::Known(target) => routes.push((route.destination.clone(), target)),
                Wanted::Unknown => unknown = true,
            }
        }
        // Destinations are unique within a table, so they order the list.
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        let routes = if unknown {
            Wanted::Unknown
        } else {
            known(
                routes
                    .into_iter()
                    .map(|(destination, target)| route_value(&destination, target))
                    .collect::<Vec<_>>(),
            )
        };
        WantedAttrs::from([
            ("vpc_id".into(), wanted_ref(lookup, &spec.vpc)),
            ("routes".into(), routes),
            (
                "subnet_ids".into(),
                wanted_sorted_refs(lookup, &spec.subnets),
            ),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        batch::one(Self::read_many(aws, std::slice::from_ref(id)).await)
    }

    async fn read_many(aws: &Aws, ids: &[CloudId]) -> Result<Vec<Option<Live>>, AwsError> {
        batch::by_chunks(ids, batch::EC2_IDS, |chunk| async move {
            let out = aws
                .ec2
                .describe_route_tables()
                .filters(batch::ec2_ids("route-table-id", chunk))
                .send()
                .await
                .op("DescribeRouteTables")?;
            Ok(out
                .route_tables()
                .iter()
                .filter_map(|o| Some((o.route_table_id()?.to_string(), live(o))))
                .collect())
        })
        .await
    }

    async fn find(ctx: &Ctx<'_>, _spec: &RouteTableSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .ec2
            .describe_route_tables()
            .set_filters(Some(ec2_filters(ctx)))
            .send()
            .await
            .op("DescribeRouteTables")?;
        let ids = out
            .route_tables()
            .iter()
            .filter(|t| ec2_ours(ctx, t.tags()))
            .filter_map(|t| t.route_table_id().map(str::to_string))
            .collect();
        single(ctx, "route table", ids)
    }

    /// Table, routes and associations in one step: a subnet associated with a table
    /// that still lacks its default route would briefly have no way out.
    async fn create(ctx: &Ctx<'_>, spec: &RouteTableSpec) -> Result<Created, AwsError> {
        let vpc_id = ctx.resolve(&spec.vpc)?;
        let routes = wanted_hops(ctx, spec)?;
        let subnets = ctx.resolve_all(&spec.subnets)?;
        let out = ctx
            .aws
            .ec2
            .create_route_table()
            .vpc_id(vpc_id)
            .client_token(ctx.token())
            .tag_specifications(ec2_tag_spec(
                ResourceType::RouteTable,
                &ctx.tags(&spec.tags),
            ))
            .customize()
            .config_override(unknown_outcome::ec2())
            .send()
            .await
            .op("CreateRouteTable")?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .ok_or_else(|| {
                AwsError::invalid("CreateRouteTable", "no route table id in the answer")
            })?;
        let id = CloudId::new(id);
        // A table whose routes or associations fail stays: it is tagged and its
        // intent is in the state, so the next run finds it and finishes it (an
        // update) instead of making another.
        sync(
            ctx.aws,
            &id,
            &routes,
            &subnets,
            &BTreeMap::new(),
            &BTreeMap::new(),
        )
        .await?;
        Ok(Created {
            outputs: [("id".into(), id.to_string())].into(),
            id,
        })
    }

    /// Routes are added, replaced (ReplaceRoute keeps traffic flowing, unlike a
    /// delete and create) and removed; associations added and removed.
    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &RouteTableSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        if changed.iter().any(|c| c == "routes" || c == "subnet_ids") {
            let routes = wanted_hops(ctx, spec)?;
            let subnets = ctx.resolve_all(&spec.subnets)?;
            let table = describe(ctx.aws, id)
                .await?
                .ok_or_else(|| AwsError::not_found("DescribeRouteTables", id.to_string()))?;
            sync(
                ctx.aws,
                id,
                &routes,
                &subnets,
                &live_routes(&table),
                &live_associations(&table),
            )
            .await?;
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            tags::sync_ec2(ctx.aws, id.as_str(), &spec.tags).await?;
        }
        Ok(())
    }

    /// AWS refuses to delete a table that still has associations (subnets, or
    /// gateways someone associated by hand).
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some(table) = describe(aws, id).await? else {
            return Ok(());
        };
        let associations = table
            .associations()
            .iter()
            .filter(|a| a.main() != Some(true))
            .filter_map(|a| a.route_table_association_id());
        for association_id in associations {
            disassociate(aws, association_id).await?;
        }
        wait::while_in_use(wait::WaitPolicy::minutes(5), || async {
            aws.ec2
                .delete_route_table()
                .route_table_id(id.as_str())
                .send()
                .await
                .op("DeleteRouteTable")
                .map(|_| ())
        })
        .await
    }
}

fn route_value(destination: &str, target: Value) -> Value {
    json!({ "destination": destination, "target": target })
}

/// The spec's routes with their targets resolved, by destination.
fn wanted_hops(ctx: &Ctx<'_>, spec: &RouteTableSpec) -> Result<BTreeMap<String, Hop>, AwsError> {
    let mut hops = BTreeMap::new();
    for route in &spec.routes {
        let hop = match route.target()? {
            Target::InternetGateway(r) => Hop {
                target: ctx.resolve(r)?,
                nat: false,
            },
            Target::NatGateway(r) => Hop {
                target: ctx.resolve(r)?,
                nat: true,
            },
        };
        hops.insert(route.destination.clone(), hop);
    }
    Ok(hops)
}

/// Makes the table's routes and associations equal the wanted ones, given the live.
/// Each call touches one destination or one subnet, so they are all sent at once.
async fn sync(
    aws: &Aws,
    id: &CloudId,
    routes: &BTreeMap<String, Hop>,
    subnets: &[String],
    live_routes: &BTreeMap<String, String>,
    live_associations: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let puts = routes.iter().filter_map(|(destination, hop)| {
        let replace = match live_routes.get(destination) {
            None => false,
            Some(target) if *target != hop.target => true,
            Some(_) => return None,
        };
        Some(put_route(aws, id, destination, hop, replace))
    });
    let deletes = live_routes
        .keys()
        .filter(|destination| !routes.contains_key(*destination))
        .map(|destination| delete_route(aws, id, destination));
    let associations = subnets
        .iter()
        .filter(|subnet_id| !live_associations.contains_key(*subnet_id))
        .map(|subnet_id| associate(aws, id, subnet_id));
    let disassociations = live_associations
        .iter()
        .filter(|(subnet_id, _)| !subnets.contains(subnet_id))
        .map(|(_, association_id)| disassociate(aws, association_id));
    tokio::try_join!(
        try_join_all(puts),
        try_join_all(deletes),
        try_join_all(associations),
        try_join_all(disassociations),
    )?;
    Ok(())
}

/// "Already associated" with this table is success: the SDK retried an association
/// whose answer was lost after EC2 carried it out.
async fn associate(aws: &Aws, id: &CloudId, subnet_id: &str) -> Result<(), AwsError> {
    let result = aws
        .ec2
        .associate_route_table()
        .route_table_id(id.as_str())
        .subnet_id(subnet_id)
        .send()
        .await
        .op("AssociateRouteTable");
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code == "Resource.AlreadyAssociated" => {
            let associated = describe(aws, id)
                .await?
                .is_some_and(|t| live_associations(&t).contains_key(subnet_id));
            if associated { Ok(()) } else { Err(e) }
        }
        Err(e) => Err(e),
    }
}

/// CreateRoute, or ReplaceRoute when a route to `destination` exists already.
async fn put_route(
    aws: &Aws,
    id: &CloudId,
    destination: &str,
    hop: &Hop,
    replace: bool,
) -> Result<(), AwsError> {
    if replace {
        return replace_route(aws, id, destination, hop).await;
    }
    let mut req = aws.ec2.create_route().route_table_id(id.as_str());
    req = if destination.contains(':') {
        req.destination_ipv6_cidr_block(destination)
    } else {
        req.destination_cidr_block(destination)
    };
    req = if hop.nat {
        req.nat_gateway_id(&hop.target)
    } else {
        req.gateway_id(&hop.target)
    };
    match req.send().await.op("CreateRoute") {
        Ok(_) => Ok(()),
        // The route is there already: the SDK retried a CreateRoute whose answer was
        // lost after EC2 carried it out, or someone added it by hand since the table
        // was read. Pointing it at the wanted target settles both.
        Err(e) if e.code == "RouteAlreadyExists" => replace_route(aws, id, destination, hop).await,
        Err(e) => Err(e),
    }
}

async fn replace_route(
    aws: &Aws,
    id: &CloudId,
    destination: &str,
    hop: &Hop,
) -> Result<(), AwsError> {
    let mut req = aws.ec2.replace_route().route_table_id(id.as_str());
    req = if destination.contains(':') {
        req.destination_ipv6_cidr_block(destination)
    } else {
        req.destination_cidr_block(destination)
    };
    req = if hop.nat {
        req.nat_gateway_id(&hop.target)
    } else {
        req.gateway_id(&hop.target)
    };
    req.send().await.op("ReplaceRoute")?;
    Ok(())
}

async fn delete_route(aws: &Aws, id: &CloudId, destination: &str) -> Result<(), AwsError> {
    let req = aws.ec2.delete_route().route_table_id(id.as_str());
    let req = if destination.starts_with("pl-") {
        req.destination_prefix_list_id(destination)
    } else if destination.contains(':') {
        req.destination_ipv6_cidr_block(destination)
    } else {
        req.destination_cidr_block(destination)
    };
    match req.send().await.op("DeleteRoute") {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

async fn disassociate(aws: &Aws, association_id: &str) -> Result<(), AwsError> {
    match aws
        .ec2
        .disassociate_route_table()
        .association_id(association_id)
        .send()
        .await
        .op("DisassociateRouteTable")
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

fn live(table: &aws_sdk_ec2::types::RouteTable) -> Live {
    // Sorted by destination, like `wanted`: the map is ordered by it.
    let routes: Vec<Value> = live_routes(table)
        .into_iter()
        .map(|(destination, target)| route_value(&destination, target.into()))
        .collect();
    let subnet_ids: Vec<String> = live_associations(table).into_keys().collect();
    Live {
        attrs: [
            ("vpc_id".into(), table.vpc_id().unwrap_or_default().into()),
            ("routes".into(), routes.into()),
            ("subnet_ids".into(), subnet_ids.into()),
            (
                tags::ATTR.into(),
                tags::live_value(tags::ec2_pairs(table.tags())),
            ),
        ]
        .into(),
        outputs: [(
            "id".into(),
            table.route_table_id().unwrap_or_default().into(),
        )]
        .into(),
    }
}

async fn describe(
    aws: &Aws,
    id: &CloudId,
) -> Result<Option<aws_sdk_ec2::types::RouteTable>, AwsError> {
    let out = aws
        .ec2
        .describe_route_tables()
        .route_table_ids(id.as_str())
        .send()
        .await
        .op("DescribeRouteTables")
        .found()?;
    Ok(out.and_then(|o| o.route_tables().first().cloned()))
}

/// Destination -> target id of every route but `local`. Any kind of target counts,
/// so a route someone added by hand shows up as drift and is removed.
fn live_routes(table: &aws_sdk_ec2::types::RouteTable) -> BTreeMap<String, String> {
    table
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .filter_map(|r| {
            let destination = r
                .destination_cidr_block()
                .or(r.destination_ipv6_cidr_block())
                .or(r.destination_prefix_list_id())?;
            let target = r
                .gateway_id()
                .or(r.nat_gateway_id())
                .or(r.transit_gateway_id())
                .or(r.vpc_peering_connection_id())
                .or(r.egress_only_internet_gateway_id())
                .or(r.network_interface_id())
                .or(r.instance_id())
                .or(r.carrier_gateway_id())
                .or(r.local_gateway_id())
                .unwrap_or_default();
            Some((destination.to_string(), target.to_string()))
        })
        .collect()
}

/// Subnet id -> association id of every subnet association (not the main one).
fn live_associations(table: &aws_sdk_ec2::types::RouteTable) -> BTreeMap<String, String> {
    table
        .associations()
        .iter()
        .filter(|a| a.main() != Some(true))
        .filter_map(|a| {
            Some((
                a.subnet_id()?.to_string(),
                a.route_table_association_id()?.to_string(),
            ))
        })
        .collect()
}
