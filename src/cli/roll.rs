//! Rolling services onto images, and nothing else: shared by `apply --image`,
//! `rollback` and `deploy`. Each registers a revision that differs from the running
//! one only in its image and rolls the service onto it (`plan::deploy`), waiting for
//! the rollout as apply does.

use super::confirm::confirm;
use super::exit::Code;
use super::report::Report;
use super::session::Session;
use crate::plan::{Observed, plan_deploy};

/// How a roll is named and repeated in what it prints.
pub struct Roll {
    /// `Deploy`, `Rollback`.
    pub verb: &'static str,
    /// The command to run again once held images are pushed.
    pub again: String,
    pub auto_approve: bool,
}

/// Reads what rolling `images` changes: their services and task definitions, which
/// must have been created.
pub async fn observe(session: &Session, images: &[(String, String)]) -> anyhow::Result<Observed> {
    let declared = |s: &str| session.config.config.services.contains_key(s);
    crate::plan::deploy::check_created(&session.state, images, declared)?;
    session
        .refresh_only(|a| crate::plan::deploy::involves(a, images))
        .await
}

/// Plans, confirms and walks the roll of `images`; refuses images not pushed yet.
pub async fn images(
    session: Session,
    observed: &Observed,
    images: &[(String, String)],
    roll: &Roll,
    report: &Report,
) -> anyhow::Result<Code> {
    let plan = session
        .hold_back(plan_deploy(&session.state, observed, images)?)
        .await?;
    if !plan.held.is_empty() {
        let text = crate::output::held::after_apply(
            &plan,
            &session.state,
            &session.config.region,
            &roll.again,
        );
        eprintln!("Nothing deployed. {text}");
        return Ok(Code::ImageMissing);
    }
    if !plan.has_changes() && !report.is_json() {
        println!("No changes. Every service already runs the image given.");
        return Ok(Code::Ok);
    }
    let command = roll.verb.to_ascii_lowercase();
    report.plan(&command, &session.config.config.stack.name, &plan, &[], "");
    if !plan.has_changes() {
        report.done(None, &plan, &session.state);
        return Ok(Code::Ok);
    }
    let question = match roll.verb {
        "Rollback" => "roll back to this image",
        _ => "deploy these images",
    };
    if !confirm(question, roll.auto_approve).await? {
        report.cancelled(roll.verb);
        return Ok(Code::Ok);
    }
    super::apply::walk(session, &plan, roll.verb, report).await
}
