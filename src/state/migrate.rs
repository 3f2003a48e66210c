//! State format migrations. The state file carries a format version; a file written by
//! an older stackctl is brought to the current format step by step, in memory, when it
//! is loaded. The file itself changes only at the next save, and the save keeps the
//! previous file as `.backup`, so an older stackctl's state is never lost.
//!
//! Each step is a function of the JSON document from version N to N + 1; steps are
//! never edited once released, only added.

use serde_json::Value;

/// `steps[i]` migrates from version `i + 1` to `i + 2`.
const STEPS: &[fn(&mut Value)] = &[v1_to_v2, v2_to_v3];

/// The version a document of `found` ends at after migration.
pub const fn current() -> u32 {
    STEPS.len() as u32 + 1
}

/// Brings `doc` (of format `found`, at least 1) to the current format.
pub fn migrate(doc: &mut Value, found: u32) {
    for step in STEPS.iter().skip(found.saturating_sub(1) as usize) {
        step(doc);
    }
    doc["version"] = Value::from(current());
}

/// Version 2 records a task definition's image as its own attribute (a change of image
/// alone is a deploy), no longer inside the `container` attribute.
fn v1_to_v2(doc: &mut Value) {
    let Some(resources) = doc.get_mut("resources").and_then(Value::as_object_mut) else {
        return;
    };
    for (address, record) in resources.iter_mut() {
        if !address.starts_with("task_definition.") {
            continue;
        }
        let Some(attrs) = record.get_mut("attrs").and_then(Value::as_object_mut) else {
            continue;
        };
        let image = attrs
            .get_mut("container")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.remove("image"));
        if let Some(image) = image {
            attrs.insert("image".into(), image);
        }
    }
}

/// Version 3 adds `intents` (creates started but not yet recorded). Nothing changes in
/// an older document; the version moves so that an older stackctl, which would drop
/// the intents it does not know, refuses the file instead.
fn v2_to_v3(_doc: &mut Value) {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v1_task_definition_images_become_their_own_attribute() {
        let mut doc = json!({
            "version": 1,
            "resources": {
                "task_definition.web": {"attrs": {"cpu": "256", "container": {"name": "web", "image": "nginx:1"}}},
                "vpc.main": {"attrs": {"cidr_block": "10.0.0.0/16"}}
            }
        });
        migrate(&mut doc, 1);
        assert_eq!(doc["version"], json!(current()));
        let td = &doc["resources"]["task_definition.web"]["attrs"];
        assert_eq!(td["image"], json!("nginx:1"));
        assert_eq!(td["container"], json!({"name": "web"}));
        assert_eq!(
            doc["resources"]["vpc.main"]["attrs"],
            json!({"cidr_block": "10.0.0.0/16"})
        );
    }

    #[test]
    fn a_current_document_is_left_as_it_is() {
        let mut doc = json!({"version": current(), "resources": {
            "task_definition.web": {"attrs": {"image": "a", "container": {"name": "web"}}}
        }});
        let before = doc.clone();
        migrate(&mut doc, current());
        assert_eq!(doc, before);
    }
}
