//! The scale case of issue 5: the reference stack with 30 services, each with its own
//! target group and listener rule. Generated from the reference stack.toml rather
//! than kept as a file, so it follows that stack when it changes.

/// The image the benchmark's services run: one outside the stack's repositories, so
/// the first apply creates every service (an image of a new, empty repository would
/// be held back until pushed) and the walk measured is the whole graph.
pub const IMAGE: &str = "public.ecr.aws/docker/library/python:3.12-slim";

/// `stack_toml` with its own services' images swapped for `IMAGE`.
pub fn with_public_images(stack_toml: &str) -> String {
    stack_toml
        .lines()
        .map(|line| match line.trim_start().strip_prefix("image = ") {
            Some(_) => format!("image = \"{IMAGE}\""),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// `stack_toml` plus services `s01`, `s02`, ... until there are `services` in all
/// (the reference stack has one), each routed by its own path at its own priority.
pub fn with_services(stack_toml: &str, services: usize) -> String {
    let mut out = stack_toml.trim_end().to_string();
    out.push('\n');
    for i in 1..services {
        out.push_str(&format!(
            r#"
[services.s{i:02}]
image = "{IMAGE}"
cpu = 256
memory = 512
port = 5000
desired_count = 1
placement = "private"
routes = ["/s{i:02}/*"]
priority = {priority}
health_check = {{ path = "/s{i:02}/health" }}
"#,
            priority = 100 + i
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_image_is_the_public_one() {
        let base = "[services.web]\nimage = \"weather:1.0.0\"  # a tag\nport = 5000\n";
        assert_eq!(
            with_public_images(base),
            format!("[services.web]\nimage = \"{IMAGE}\"\nport = 5000\n")
        );
    }

    #[test]
    fn adds_services_up_to_the_count_with_distinct_routes_and_priorities() {
        let base = "[stack]\nname = \"weather\"\n\n[services.web]\nroutes = [\"/*\"]\n";
        assert_eq!(with_services(base, 1), base);
        let thirty = with_services(base, 30);
        assert_eq!(thirty.matches("[services.").count(), 30);
        assert!(thirty.contains("[services.s29]") && !thirty.contains("[services.s30]"));
        assert!(thirty.contains("routes = [\"/s07/*\"]\npriority = 107\n"));
    }
}
