//! A create whose outcome is unknown: the connection dropped, the call timed out, or
//! AWS answered with a server error. The object may exist. Creates that AWS cannot
//! deduplicate are not retried by the SDK for that reason (`aws::unknown_outcome`);
//! here the object is first looked for by its tags, exactly as after a crash, and
//! only when it is not there is the create sent again (with the same idempotency
//! token). A found object is brought in line with the spec, since the create may have
//! stopped between its first call and the settings that follow it.

use super::walker::Resolved;
use crate::aws::{AwsError, AwsErrorKind};
use crate::resources::{Created, Ctx, Wanted, registry};
use serde_json::Value;
use std::time::Duration;

/// How many times a create is sent in all when each answer is lost.
const ATTEMPTS: u32 = 4;

/// Creates the object for `ctx.address`, recovering from answers that were lost.
pub async fn create(ctx: &Ctx<'_>, spec: &Value) -> Result<Created, AwsError> {
    let kind = ctx.address.kind();
    let mut attempt = 1;
    loop {
        let lost = match registry::create(kind, ctx, spec).await {
            Err(e) if outcome_unknown(&e) => e,
            other => return other,
        };
        // AWS's reads may lag its writes by a moment; give the object time to show.
        tokio::time::sleep(Duration::from_millis(500) * attempt).await;
        if let Some(created) = made_by_the_lost_attempt(ctx, spec).await? {
            return Ok(created);
        }
        if attempt == ATTEMPTS {
            return Err(lost);
        }
        attempt += 1;
    }
}

/// True when AWS may or may not have carried out the call.
pub fn outcome_unknown(e: &AwsError) -> bool {
    const SERVER_ERRORS: &[&str] = &[
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServerException",
        "ServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
    ];
    e.kind == AwsErrorKind::Unreachable || SERVER_ERRORS.contains(&e.code.as_str())
}

/// The object a lost attempt made, found by its tags and given the settings of
/// `spec` it lacks; None when there is none.
async fn made_by_the_lost_attempt(
    ctx: &Ctx<'_>,
    spec: &Value,
) -> Result<Option<Created>, AwsError> {
    let kind = ctx.address.kind();
    let Some(id) = registry::find(kind, ctx, spec).await? else {
        return Ok(None);
    };
    let Some(live) = registry::read(kind, ctx.aws, &id).await? else {
        return Ok(None);
    };
    let wanted = registry::wanted(kind, spec, &Resolved(ctx.deps))?;
    let changed: Vec<String> = wanted
        .into_iter()
        .filter(|(name, w)| matches!(w, Wanted::Known(v) if live.attrs.get(name) != Some(v)))
        .map(|(name, _)| name)
        .collect();
    if let Some(fixed) = changed
        .iter()
        .find(|c| registry::replace_on(kind).contains(&c.as_str()))
    {
        return Err(AwsError::invalid(
            "recover",
            format!(
                "{id}, made for {} by an attempt whose answer was lost, has another `{fixed}` \
                 than stack.toml asks for and cannot be changed in place; delete it, or \
                 take it over with `stackctl import {} {id}`",
                ctx.address, ctx.address
            ),
        ));
    }
    if !changed.is_empty() {
        registry::update(kind, ctx, &id, spec, &changed).await?;
    }
    Ok(Some(Created {
        id,
        outputs: live.outputs,
    }))
}
