//! Arbitrary text through what `stackctl validate` runs before expansion: parse,
//! validate, the security warnings, and the rendering of every error. Whatever the
//! input, the answer is a validated stack or an error message, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stackctl_config::{parse, security};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Without a region from the environment, and with one: a stack.toml that names
    // none is only valid with the second.
    for env_region in [None, Some("eu-west-2".to_string())] {
        match parse(Path::new("stack.toml"), text, env_region) {
            Ok(validated) => {
                for warning in security::warnings(&validated.config) {
                    let _ = (warning.key, warning.message);
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
