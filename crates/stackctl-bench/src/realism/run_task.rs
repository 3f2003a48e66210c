//! (11) One-off Fargate tasks (RunTask) of task definitions whose containers set no
//! memory of their own.
//!
//! AWS: on Fargate the task's size is the task definition's `cpu` and `memory`;
//! container-level `memory` and `memoryReservation` are optional
//! (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html:
//! "If you're using the Fargate launch type, this parameter is optional").
//!
//! moto: RunTask adds up the containers' memory to place the task, for Fargate too,
//! and fails with a 500 (a TypeError) when a container has none (moto 5.2
//! ecs/models.py `_calculate_task_resource_requirements`). stackctl's task
//! definitions set none, as AWS's own Fargate examples do.
//!
//! So a RunTask of such a definition is sent on a stand-in: a copy registered in a
//! family of the layer's own (outside every stack's names, so no sweep or adoption
//! meets it) whose containers reserve the task's memory, and answers name the
//! original definition again. What the task runs, with what command, in which subnets
//! and groups, is what the request said.

use super::{UpstreamRequest, json_body};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The family the stand-ins are registered in.
pub const STAND_IN_FAMILY: &str = "realism-run-task";

const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";

/// The keys of a described task definition that RegisterTaskDefinition takes back.
const REGISTERED: [&str; 9] = [
    "containerDefinitions",
    "requiresCompatibilities",
    "networkMode",
    "cpu",
    "memory",
    "executionRoleArn",
    "taskRoleArn",
    "runtimePlatform",
    "volumes",
];

/// Stand-in ARN -> the original's ARN, and the original's -> its stand-in.
#[derive(Default)]
pub struct StandIns {
    original: HashMap<String, String>,
    stand_in: HashMap<String, String>,
    /// RunTasks sent on a stand-in.
    pub sent: u32,
}

impl StandIns {
    /// The RunTask body to send instead of `body`, when its task definition needs a
    /// stand-in. `send` reaches the emulator.
    pub fn run_task_body(
        &mut self,
        body: &[u8],
        region: &str,
        send: &dyn Fn(&UpstreamRequest) -> Option<Vec<u8>>,
    ) -> Option<Vec<u8>> {
        let mut doc = json_body(body)?;
        let named = doc["taskDefinition"].as_str()?.to_string();
        let described = call(
            send,
            region,
            "DescribeTaskDefinition",
            &json!({ "taskDefinition": named }),
        )?;
        let definition = &described["taskDefinition"];
        let original = definition["taskDefinitionArn"].as_str()?.to_string();
        let containers = definition["containerDefinitions"].as_array()?;
        let sized = containers
            .iter()
            .all(|c| c.get("memory").is_some() || c.get("memoryReservation").is_some());
        if sized {
            return None;
        }
        let stand_in = match self.stand_in.get(&original) {
            Some(arn) => arn.clone(),
            None => {
                let arn = self.register(send, region, definition)?;
                self.original.insert(arn.clone(), original.clone());
                self.stand_in.insert(original, arn.clone());
                arn
            }
        };
        doc["taskDefinition"] = json!(stand_in);
        self.sent += 1;
        Some(doc.to_string().into_bytes())
    }

    fn register(
        &self,
        send: &dyn Fn(&UpstreamRequest) -> Option<Vec<u8>>,
        region: &str,
        definition: &Value,
    ) -> Option<String> {
        let memory: u64 = definition["memory"].as_str()?.parse().ok()?;
        let mut request = json!({ "family": STAND_IN_FAMILY });
        for key in REGISTERED {
            if let Some(value) = definition.get(key).filter(|v| !v.is_null()) {
                request[key] = value.clone();
            }
        }
        for container in request["containerDefinitions"].as_array_mut()? {
            if container.get("memory").is_none() {
                container["memoryReservation"] = json!(memory);
            }
        }
        let registered = call(send, region, "RegisterTaskDefinition", &request)?;
        registered["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .map(str::to_string)
    }

    /// An answer with every stand-in's ARN replaced by its original's.
    pub fn restore(&self, body: &mut Vec<u8>) {
        if self.original.is_empty() {
            return;
        }
        let mut text = String::from_utf8_lossy(body).into_owned();
        for (stand_in, original) in &self.original {
            text = text.replace(stand_in.as_str(), original);
        }
        *body = text.into_bytes();
    }
}

fn call(
    send: &dyn Fn(&UpstreamRequest) -> Option<Vec<u8>>,
    region: &str,
    operation: &str,
    body: &Value,
) -> Option<Value> {
    let body = body.to_string();
    let target = format!("{TARGET_PREFIX}{operation}");
    let request = UpstreamRequest {
        method: "POST",
        path: "/",
        service: "ecs",
        region,
        target: Some(&target),
        body: body.as_bytes(),
    };
    json_body(&send(&request)?)
}
