//! Which image `stackctl rollback` goes back to.
//!
//! A rollback is a deploy of an earlier image: it registers a revision that differs
//! from the running one only in its image, exactly as `apply --image` does, and is
//! recorded the same way (the revision carries the stack.toml image it replaced), so
//! the next infrastructure apply keeps the rolled-back image instead of reverting it.
//! It restores the image, not the configuration: environment, secrets and size stay
//! what stack.toml says, since the next apply would put them back anyway. To undo a
//! configuration change, revert it in stack.toml and apply.
//!
//! The earlier images come from the revisions of the service's task definition family
//! that are still registered: apply keeps the newest three (docs/changes.md). The one
//! rolled back to by default is the newest revision older than the running one whose
//! image differs from the running image (a revision that only changed an environment
//! variable is skipped: rolling back to it would change nothing).

use crate::aws::{Aws, AwsError, SdkResultExt};
use aws_sdk_ecs::types::{SortOrder, TaskDefinitionStatus};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RollbackError {
    #[error(
        "no earlier revision of task definition family {family} runs another image than \
         the running one ({running}); stackctl keeps the newest {kept} revisions registered. \
         Name the image to go back to: `stackctl rollback {service} --to IMAGE`"
    )]
    NothingEarlier {
        service: String,
        family: String,
        running: String,
        kept: usize,
    },
    #[error(
        "revision {revision} of {family} is not registered (registered: {registered}); \
         name an image instead: `--to IMAGE`"
    )]
    NoSuchRevision {
        family: String,
        revision: i32,
        registered: String,
    },
}

/// One registered revision of the family and the image it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub number: i32,
    pub image: String,
}

/// What `--to` names: a revision of the family (`7`, `FAMILY:7`) or an image.
#[derive(Debug, Clone, PartialEq)]
pub enum To {
    Revision(i32),
    Image(String),
}

impl To {
    pub fn parse(text: &str, family: &str) -> To {
        let number = text
            .strip_prefix(&format!("{family}:"))
            .unwrap_or(text)
            .parse::<i32>();
        match number {
            Ok(n) => To::Revision(n),
            Err(_) => To::Image(text.to_string()),
        }
    }
}

/// The image to roll back to. Pure: `registered` is the family's revisions, and
/// `running` the revision the service runs.
pub fn choose(
    service: &str,
    family: &str,
    registered: &[Revision],
    running: &Revision,
    to: Option<&To>,
) -> Result<String, RollbackError> {
    match to {
        Some(To::Image(image)) => Ok(image.clone()),
        Some(To::Revision(n)) => registered
            .iter()
            .find(|r| r.number == *n)
            .map(|r| r.image.clone())
            .ok_or_else(|| RollbackError::NoSuchRevision {
                family: family.to_string(),
                revision: *n,
                registered: registered
                    .iter()
                    .map(|r| r.number.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        None => {
            let mut earlier: Vec<&Revision> = registered
                .iter()
                .filter(|r| r.number < running.number && r.image != running.image)
                .collect();
            earlier.sort_by_key(|r| std::cmp::Reverse(r.number));
            earlier
                .first()
                .map(|r| r.image.clone())
                .ok_or_else(|| RollbackError::NothingEarlier {
                    service: service.to_string(),
                    family: family.to_string(),
                    running: running.image.clone(),
                    kept: crate::resources::task_definition::KEEP_REVISIONS,
                })
        }
    }
}

/// The family's registered (ACTIVE) revisions with their images, newest first.
pub async fn registered(aws: &Aws, family: &str) -> Result<Vec<Revision>, AwsError> {
    let listed = aws
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .send()
        .await
        .op("ListTaskDefinitions")?;
    let mut revisions = Vec::new();
    for arn in listed.task_definition_arns() {
        // The prefix also matches `FAMILY-other`: keep this family's only.
        let Some((name, number)) = arn.rsplit('/').next().and_then(|t| t.rsplit_once(':')) else {
            continue;
        };
        let (true, Ok(number)) = (name == family, number.parse::<i32>()) else {
            continue;
        };
        if let Some(image) = image_of(aws, arn).await? {
            revisions.push(Revision { number, image });
        }
    }
    Ok(revisions)
}

async fn image_of(aws: &Aws, arn: &str) -> Result<Option<String>, AwsError> {
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .op("DescribeTaskDefinition")?;
    Ok(out
        .task_definition()
        .and_then(|td| td.container_definitions().first())
        .and_then(|c| c.image())
        .map(str::to_string))
}

/// The revision number at the end of a task definition ARN (`...:task-definition/web:7`).
pub fn revision_of(arn: &str) -> Option<i32> {
    arn.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(number: i32, image: &str) -> Revision {
        Revision {
            number,
            image: image.into(),
        }
    }

    #[test]
    fn the_default_is_the_newest_earlier_revision_with_another_image() {
        // 9 runs v3; 8 only changed an environment variable; 7 ran v2.
        let registered = [rev(9, "app:v3"), rev(8, "app:v3"), rev(7, "app:v2")];
        let chosen = choose("web", "shop-web", &registered, &registered[0], None);
        assert_eq!(chosen, Ok("app:v2".to_string()));
    }

    #[test]
    fn revisions_newer_than_the_running_one_are_not_earlier() {
        // The service runs 8 after a rollback to it; 9 is the bad one rolled back.
        let registered = [rev(9, "app:bad"), rev(8, "app:v2"), rev(7, "app:v1")];
        let chosen = choose("web", "shop-web", &registered, &registered[1], None);
        assert_eq!(chosen, Ok("app:v1".to_string()));
    }

    #[test]
    fn without_an_earlier_image_it_says_how_to_name_one() {
        let registered = [rev(2, "app:v1"), rev(1, "app:v1")];
        let err = choose("web", "shop-web", &registered, &registered[0], None).unwrap_err();
        assert!(err.to_string().contains("stackctl rollback web --to IMAGE"));
    }

    #[test]
    fn to_names_a_revision_or_an_image() {
        let registered = [rev(9, "app:v3"), rev(7, "app:v2")];
        assert_eq!(To::parse("7", "shop-web"), To::Revision(7));
        assert_eq!(To::parse("shop-web:7", "shop-web"), To::Revision(7));
        assert_eq!(
            To::parse("repo/app:7", "shop-web"),
            To::Image("repo/app:7".into())
        );
        let by_number = choose(
            "web",
            "f",
            &registered,
            &registered[0],
            Some(&To::Revision(7)),
        );
        assert_eq!(by_number, Ok("app:v2".to_string()));
        let missing = choose(
            "web",
            "f",
            &registered,
            &registered[0],
            Some(&To::Revision(3)),
        );
        assert!(matches!(
            missing,
            Err(RollbackError::NoSuchRevision { ref registered, .. }) if registered == "9, 7"
        ));
        let image = choose(
            "web",
            "f",
            &registered,
            &registered[0],
            Some(&To::Image("x:1".into())),
        );
        assert_eq!(image, Ok("x:1".to_string()));
    }

    #[test]
    fn revision_numbers_come_from_the_arn() {
        assert_eq!(
            revision_of("arn:aws:ecs:eu-west-2:1:task-definition/shop-web:12"),
            Some(12)
        );
        assert_eq!(revision_of("shop-web"), None);
    }
}
