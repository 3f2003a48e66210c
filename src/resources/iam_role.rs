//! IAM role trusted by one AWS service, with managed policies attached. The id is the role name.
//!
//! Roles that start tasks with secrets also get one inline policy, allowing exactly
//! the listed secret ARNs to be read (ECS fetches them with the execution role). The
//! role VPC Flow Logs assumes gets another, allowing it to write to its log group.
//!
//! The trust policy is always the one-statement document "service X may call
//! sts:AssumeRole"; `read` reduces the live document back to X, or reports the whole
//! document when it is anything else, so a hand-edited trust policy shows as a change.

use super::facts::{Action, Facts, Item, Prices, Record, Service, Specs};
use super::ownership::ensure_ours;
use super::tags::{self, TagChanges, Tags};
use super::{Created, Ctx, Live, Lookup, Resource, WantedAttrs, known};
use crate::address::{Address, CloudId, Kind};
use crate::aws::propagation::Transient;
use crate::aws::{Aws, AwsError, NotFoundExt, SdkResultExt, unknown_outcome};
use aws_sdk_iam::types::Tag;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    pub name: String,
    /// The service principal allowed to assume the role, e.g. ecs-tasks.amazonaws.com.
    pub trusted_service: String,
    /// Managed policy ARNs attached to the role.
    pub managed_policies: Vec<String>,
    /// Secrets Manager secret and SSM parameter ARNs the role may read.
    #[serde(default)]
    pub readable_secrets: Vec<String>,
    /// Log group ARNs (`arn:aws:logs:REGION:*:log-group:NAME:*`) the role may create
    /// streams in and write to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_logs: Vec<String>,
    /// The SSM channels ECS Exec opens from the task (a task role of a service with
    /// `exec = true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exec_channels: bool,
    /// User tags (stack.toml `[stack] tags`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// The inline policy that grants `readable_secrets`.
const SECRETS_POLICY: &str = "stackctl-read-secrets";
/// The inline policy that grants `writable_logs`.
const LOGS_POLICY: &str = "stackctl-write-logs";
/// The inline policy that grants `exec_channels`.
const EXEC_POLICY: &str = "stackctl-exec-channels";

pub struct IamRole;

impl Facts for IamRole {
    const SERVICE: Service = Service::Iam;
    const IMPORT_ID: &'static str = "its role name";

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

impl Resource for IamRole {
    const KIND: Kind = Kind::IamRole;
    const REPLACE_ON: &'static [&'static str] = &["name"];
    /// IAM is eventually consistent ("Changes that I make are not always immediately
    /// visible", IAM user guide): a role just created can be unknown for a moment to
    /// the calls that give it its policies (`cannot be found` names the role; a policy
    /// that does not exist says so otherwise and is not retried).
    const TRANSIENT: &'static [Transient] = &[
        Transient::says("AttachRolePolicy", "NoSuchEntity", "cannot be found"),
        Transient::says("PutRolePolicy", "NoSuchEntity", "cannot be found"),
        Transient::says("TagRole", "NoSuchEntity", "cannot be found"),
    ];
    type Spec = IamRoleSpec;

    fn wanted(spec: &IamRoleSpec, _lookup: &dyn Lookup) -> WantedAttrs {
        WantedAttrs::from([
            ("name".into(), known(spec.name.clone())),
            (
                "trusted_service".into(),
                known(spec.trusted_service.clone()),
            ),
            (
                "managed_policies".into(),
                known(sorted(&spec.managed_policies)),
            ),
            (
                "readable_secrets".into(),
                known(sorted(&spec.readable_secrets)),
            ),
            ("writable_logs".into(), known(sorted(&spec.writable_logs))),
            ("exec_channels".into(), known(spec.exec_channels)),
            (tags::ATTR.into(), known(tags::value(&spec.tags))),
        ])
    }

    /// The role and its two policy lists at once, then the inline policies it has: two
    /// round trips. When the role is gone, the lists' answers do not matter.
    async fn read(aws: &Aws, id: &CloudId) -> Result<Option<Live>, AwsError> {
        let (out, attached, inline) = tokio::join!(
            async {
                aws.iam
                    .get_role()
                    .role_name(id.as_str())
                    .send()
                    .await
                    .op("GetRole")
                    .found()
            },
            attached_policies(aws, id),
            inline_policies(aws, id),
        );
        let out = out?;
        let Some(role) = out.as_ref().and_then(|o| o.role()) else {
            return Ok(None);
        };
        let document = role
            .assume_role_policy_document()
            .ok_or_else(|| AwsError::invalid("GetRole", "no trust policy in the answer"))?;
        let Some(attached) = attached.found()? else {
            return Ok(None);
        };
        let Some(inline) = inline.found()? else {
            return Ok(None);
        };
        let (readable, writable) = tokio::join!(
            policy_resources(aws, id, &inline, SECRETS_POLICY),
            policy_resources(aws, id, &inline, LOGS_POLICY),
        );
        let (readable, writable) = (readable?, writable?);
        Ok(Some(Live {
            attrs: [
                ("name".into(), role.role_name().into()),
                ("trusted_service".into(), trusted_service_of(document)),
                ("managed_policies".into(), attached.into()),
                ("readable_secrets".into(), readable.into()),
                ("writable_logs".into(), writable.into()),
                (
                    "exec_channels".into(),
                    inline.iter().any(|n| n == EXEC_POLICY).into(),
                ),
                (
                    tags::ATTR.into(),
                    tags::live_value(role.tags().iter().map(|t| (t.key(), t.value()))),
                ),
            ]
            .into(),
            outputs: [
                ("id".into(), id.to_string()),
                ("arn".into(), role.arn().to_string()),
            ]
            .into(),
        }))
    }

    /// By name (unique in the account); GetRole answers with the tags.
    async fn find(ctx: &Ctx<'_>, spec: &IamRoleSpec) -> Result<Option<CloudId>, AwsError> {
        let out = ctx
            .aws
            .iam
            .get_role()
            .role_name(&spec.name)
            .send()
            .await
            .op("GetRole")
            .found()?;
        let Some(role) = out.as_ref().and_then(|o| o.role()) else {
            return Ok(None);
        };
        let pairs = role.tags().iter().map(|t| (t.key(), t.value()));
        ensure_ours(ctx, "IAM role", &spec.name, pairs)?;
        Ok(Some(CloudId::new(&spec.name)))
    }

    async fn create(ctx: &Ctx<'_>, spec: &IamRoleSpec) -> Result<Created, AwsError> {
        let aws = ctx.aws;
        let tags = iam_tags(&ctx.tags(&spec.tags), "CreateRole")?;
        let out = aws
            .iam
            .create_role()
            .role_name(&spec.name)
            .assume_role_policy_document(trust_policy(&spec.trusted_service))
            .set_tags(Some(tags))
            .customize()
            .config_override(unknown_outcome::iam())
            .send()
            .await
            .op("CreateRole")?;
        let arn = out
            .role()
            .map(|r| r.arn().to_string())
            .ok_or_else(|| AwsError::invalid("CreateRole", "no role in the answer"))?;
        let id = CloudId::new(&spec.name);
        for policy in &spec.managed_policies {
            attach(aws, &id, policy).await?;
        }
        if !spec.readable_secrets.is_empty() {
            put_policy(
                aws,
                &id,
                SECRETS_POLICY,
                secrets_policy(&spec.readable_secrets),
            )
            .await?;
        }
        if !spec.writable_logs.is_empty() {
            put_policy(aws, &id, LOGS_POLICY, logs_policy(&spec.writable_logs)).await?;
        }
        if spec.exec_channels {
            put_policy(aws, &id, EXEC_POLICY, exec_policy()).await?;
        }
        Ok(Created {
            outputs: [("id".into(), id.to_string()), ("arn".into(), arn)].into(),
            id,
        })
    }

    async fn update(
        ctx: &Ctx<'_>,
        id: &CloudId,
        spec: &IamRoleSpec,
        changed: &[String],
    ) -> Result<(), AwsError> {
        let aws = ctx.aws;
        if changed.iter().any(|c| c == "trusted_service") {
            aws.iam
                .update_assume_role_policy()
                .role_name(id.as_str())
                .policy_document(trust_policy(&spec.trusted_service))
                .send()
                .await
                .op("UpdateAssumeRolePolicy")?;
        }
        if changed.iter().any(|c| c == "managed_policies") {
            let live = attached_policies(aws, id).await?;
            // Attach first: the role never has fewer permissions than both the old
            // and the new set agree on.
            for policy in &spec.managed_policies {
                if !live.contains(policy) {
                    attach(aws, id, policy).await?;
                }
            }
            for policy in &live {
                if !spec.managed_policies.contains(policy) {
                    detach(aws, id, policy).await?;
                }
            }
        }
        if changed.iter().any(|c| c == "readable_secrets") {
            if spec.readable_secrets.is_empty() {
                delete_policy(aws, id, SECRETS_POLICY).await?;
            } else {
                put_policy(
                    aws,
                    id,
                    SECRETS_POLICY,
                    secrets_policy(&spec.readable_secrets),
                )
                .await?;
            }
        }
        if changed.iter().any(|c| c == "writable_logs") {
            if spec.writable_logs.is_empty() {
                delete_policy(aws, id, LOGS_POLICY).await?;
            } else {
                put_policy(aws, id, LOGS_POLICY, logs_policy(&spec.writable_logs)).await?;
            }
        }
        if changed.iter().any(|c| c == "exec_channels") {
            match spec.exec_channels {
                true => put_policy(aws, id, EXEC_POLICY, exec_policy()).await?,
                false => delete_policy(aws, id, EXEC_POLICY).await?,
            }
        }
        if changed.iter().any(|c| c == tags::ATTR) {
            sync_tags(aws, id, &spec.tags).await?;
        }
        Ok(())
    }

    /// IAM refuses to delete a role that still has policies (attached or inline), so
    /// those go first, including any added outside stackctl.
    async fn delete(aws: &Aws, id: &CloudId) -> Result<(), AwsError> {
        let Some(attached) = attached_policies(aws, id).await.found()? else {
            return Ok(());
        };
        for policy in &attached {
            detach(aws, id, policy).await?;
        }
        for name in inline_policies(aws, id).await? {
            aws.iam
                .delete_role_policy()
                .role_name(id.as_str())
                .policy_name(name)
                .send()
                .await
                .op("DeleteRolePolicy")
                .found()?;
        }
        aws.iam
            .delete_role()
            .role_name(id.as_str())
            .send()
            .await
            .op("DeleteRole")
            .found()?;
        Ok(())
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

fn trust_policy(service: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole",
        }]
    })
    .to_string()
}

/// The trusted service when the document is our one statement; otherwise the whole
/// (decoded) document. IAM returns policy documents URL-encoded (RFC 3986).
fn trusted_service_of(document: &str) -> Value {
    let text = if document.trim_start().starts_with('{') {
        document.to_string()
    } else {
        percent_decode(document)
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return Value::String(text);
    };
    let single = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) if items.len() == 1 => items[0].as_str().map(str::to_string),
            _ => None,
        }
    };
    let service = match doc["Statement"].as_array().map(Vec::as_slice) {
        Some([st]) if st["Effect"] == "Allow" && st.get("Condition").is_none() => {
            let principal = st["Principal"].as_object();
            match (principal, single(&st["Action"])) {
                (Some(p), Some(action)) if p.len() == 1 && action == "sts:AssumeRole" => {
                    p.get("Service").and_then(single)
                }
                _ => None,
            }
        }
        _ => None,
    };
    service.map(Value::String).unwrap_or(doc)
}

/// `%XX` sequences to bytes; anything malformed is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn iam_tags(pairs: &[(String, String)], op: &'static str) -> Result<Vec<Tag>, AwsError> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AwsError::invalid(op, e.to_string()))
}

/// GetRole answers with the role's tags.
async fn sync_tags(aws: &Aws, id: &CloudId, wanted: &Tags) -> Result<(), AwsError> {
    let out = aws
        .iam
        .get_role()
        .role_name(id.as_str())
        .send()
        .await
        .op("GetRole")?;
    let live = out.role().map(|r| r.tags()).unwrap_or_default();
    let changes = TagChanges::between(wanted, live.iter().map(|t| (t.key(), t.value())));
    if !changes.remove.is_empty() {
        aws.iam
            .untag_role()
            .role_name(id.as_str())
            .set_tag_keys(Some(changes.remove))
            .send()
            .await
            .op("UntagRole")?;
    }
    if !changes.set.is_empty() {
        aws.iam
            .tag_role()
            .role_name(id.as_str())
            .set_tags(Some(iam_tags(&changes.set, "TagRole")?))
            .send()
            .await
            .op("TagRole")?;
    }
    Ok(())
}

async fn attach(aws: &Aws, id: &CloudId, policy: &str) -> Result<(), AwsError> {
    aws.iam
        .attach_role_policy()
        .role_name(id.as_str())
        .policy_arn(policy)
        .send()
        .await
        .op("AttachRolePolicy")?;
    Ok(())
}

async fn detach(aws: &Aws, id: &CloudId, policy: &str) -> Result<(), AwsError> {
    aws.iam
        .detach_role_policy()
        .role_name(id.as_str())
        .policy_arn(policy)
        .send()
        .await
        .op("DetachRolePolicy")
        .found()?;
    Ok(())
}

/// ARNs of the attached managed policies, sorted; NotFound when the role is gone.
async fn attached_policies(aws: &Aws, id: &CloudId) -> Result<Vec<String>, AwsError> {
    let mut arns = Vec::new();
    let mut marker = None;
    loop {
        let out = aws
            .iam
            .list_attached_role_policies()
            .role_name(id.as_str())
            .set_marker(marker)
            .send()
            .await
            .op("ListAttachedRolePolicies")?;
        arns.extend(
            out.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string)),
        );
        match out.marker() {
            Some(m) if out.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    arns.sort();
    Ok(arns)
}

/// Secrets Manager ARNs need `GetSecretValue`, SSM parameter ARNs `GetParameters`,
/// and a customer-managed KMS key that encrypts them `kms:Decrypt` (IAM grants no
/// action on a key to a statement naming another service's action).
fn secrets_policy(arns: &[String]) -> String {
    let service = |a: &String| a.split(':').nth(2).unwrap_or_default().to_string();
    let of = |name: &str| -> Vec<String> {
        sorted(arns)
            .into_iter()
            .filter(|a| service(a) == name)
            .collect()
    };
    let statements: Vec<Value> = [
        ("secretsmanager", "secretsmanager:GetSecretValue"),
        ("ssm", "ssm:GetParameters"),
        ("kms", "kms:Decrypt"),
    ]
    .into_iter()
    .filter_map(|(name, action)| {
        let resources = of(name);
        (!resources.is_empty())
            .then(|| json!({"Effect": "Allow", "Action": [action], "Resource": resources}))
    })
    .collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// Streams and events in exactly the listed log groups: what VPC Flow Logs needs.
fn logs_policy(arns: &[String]) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        "Resource": sorted(arns),
    }]})
    .to_string()
}

/// What the SSM agent in a task needs for ECS Exec: its control and data channels
/// (ECS developer guide, "Monitor Amazon ECS containers with ECS Exec", IAM
/// permissions required). The channels are not resources IAM can name: `*`.
fn exec_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
        "Resource": "*",
    }]})
    .to_string()
}

async fn put_policy(aws: &Aws, id: &CloudId, name: &str, document: String) -> Result<(), AwsError> {
    aws.iam
        .put_role_policy()
        .role_name(id.as_str())
        .policy_name(name)
        .policy_document(document)
        .send()
        .await
        .op("PutRolePolicy")?;
    Ok(())
}

async fn delete_policy(aws: &Aws, id: &CloudId, name: &str) -> Result<(), AwsError> {
    aws.iam
        .delete_role_policy()
        .role_name(id.as_str())
        .policy_name(name)
        .send()
        .await
        .op("DeleteRolePolicy")
        .found()?;
    Ok(())
}

/// The resources of inline policy `name`, sorted; empty when the role has no such
/// policy (`inline` lists the ones it has, so absent policies cost no call).
async fn policy_resources(
    aws: &Aws,
    id: &CloudId,
    inline: &[String],
    name: &str,
) -> Result<Vec<String>, AwsError> {
    if !inline.iter().any(|n| n == name) {
        return Ok(Vec::new());
    }
    let out = aws
        .iam
        .get_role_policy()
        .role_name(id.as_str())
        .policy_name(name)
        .send()
        .await
        .op("GetRolePolicy")
        .found()?;
    let Some(document) = out.as_ref().map(|o| o.policy_document()) else {
        return Ok(Vec::new());
    };
    let document: Value = serde_json::from_str(&percent_decode(document))
        .map_err(|e| AwsError::invalid("GetRolePolicy", format!("unreadable policy: {e}")))?;
    let mut arns: Vec<String> = document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|st| match &st["Resource"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    arns.sort();
    Ok(arns)
}

async fn inline_policies(aws: &Aws, id: &CloudId) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let out = aws
            .iam
            .list_role_policies()
            .role_name(id.as_str())
            .set_marker(marker)
            .send()
            .await
            .op("ListRolePolicies")?;
        names.extend(out.policy_names().iter().cloned());
        match out.marker() {
            Some(m) if out.is_truncated() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policy_reads_back_as_its_service_encoded_or_not() {
        let doc = trust_policy("ecs-tasks.amazonaws.com");
        assert_eq!(trusted_service_of(&doc), json!("ecs-tasks.amazonaws.com"));
        let encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Principal%22%3A%20%7B%22Service%22%3A%20%5B%22ecs-tasks.amazonaws.com%22%5D%7D%2C%20%22Action%22%3A%20%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(
            trusted_service_of(encoded),
            json!("ecs-tasks.amazonaws.com")
        );
    }

    #[test]
    fn any_other_trust_policy_reads_back_as_the_document() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trusted_service_of(doc).is_object());
    }

    /// Each ARN gets its own service's read action: a KMS key in the Secrets Manager
    /// statement would grant nothing, and the task would fail to decrypt its secrets.
    #[test]
    fn secrets_keys_and_parameters_each_get_their_own_action() {
        let key = "arn:aws:kms:eu-west-2:1:key/k";
        let secret = "arn:aws:secretsmanager:eu-west-2:1:secret:db-??????";
        let param = "arn:aws:ssm:eu-west-2:1:parameter/app/token";
        let doc: Value =
            serde_json::from_str(&secrets_policy(&[key.into(), secret.into(), param.into()]))
                .unwrap();
        let granted: Vec<(Value, Value)> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| (st["Action"].clone(), st["Resource"].clone()))
            .collect();
        assert_eq!(
            granted,
            vec![
                (json!(["secretsmanager:GetSecretValue"]), json!([secret])),
                (json!(["ssm:GetParameters"]), json!([param])),
                (json!(["kms:Decrypt"]), json!([key])),
            ]
        );
    }

    #[test]
    fn percent_decoding_keeps_malformed_sequences() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
