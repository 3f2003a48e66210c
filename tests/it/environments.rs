//! One stack.toml, two environments: each is its own stack in AWS with its own state,
//! and `--env` picks which one a command works on.

use crate::support::cli::{Workspace, example};
use crate::support::emulator::Emulator;
use crate::support::images::HELD;
use crate::support::leftovers;

const ENVIRONMENTS: &str = r#"
[environments.dev]
services.hello.desired_count = 1

[environments.prod]
services.hello = { desired_count = 3, cpu = 512, memory = 1024 }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn environments_are_separate_stacks_with_separate_states() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    let ws = Workspace::new(&emulator, &example("hello-fargate"));
    ws.edit("name = \"hello\"", "name = \"envs\"");
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    std::fs::write(&ws.stack, format!("{text}{ENVIRONMENTS}")).unwrap();

    // Which environment must be said.
    let unsure = ws.run(&["plan"]);
    assert_eq!(unsure.code, 1);
    assert!(
        unsure.stderr.contains("`dev`, `prod`") && unsure.stderr.contains("--env"),
        "{}",
        unsure.stderr
    );
    let validate = ws.run(&["validate"]).ok().stdout;
    assert!(
        validate.contains("is valid (environment dev): stack `envs-dev`")
            && validate.contains("is valid (environment prod): stack `envs-prod`"),
        "{validate}"
    );

    ws.apply(&["--env", "dev"]).ok();
    // Each environment has its own repository, new and empty: its first apply holds
    // the service back until the image is pushed there.
    let prod = [("STACKCTL_ENV", "prod")];
    let first = ws.run_with_env(&prod, &["apply", "--auto-approve"]);
    assert_eq!(first.code, HELD, "{}\n{}", first.stdout, first.stderr);
    assert!(
        first.stderr.contains("/envs-prod-hello:1.0.0"),
        "{}",
        first.stderr
    );
    assert_eq!(ws.push_images_of("prod"), ["envs-prod-hello:1.0.0"]);
    ws.run_with_env(&prod, &["apply", "--auto-approve"]).ok();
    let dev_state = ws.dir.join("stack.dev.state.json");
    let prod_state = ws.dir.join("stack.prod.state.json");
    assert!(dev_state.exists() && prod_state.exists());
    assert!(!ws.state_path().exists());

    let show = |env: &str| {
        ws.run(&["--env", env, "state", "show", "ecs_service.hello"])
            .ok()
            .stdout
    };
    assert!(show("dev").contains("desired_count = 1"), "{}", show("dev"));
    assert!(
        show("prod").contains("desired_count = 3"),
        "{}",
        show("prod")
    );
    let prod_objects = leftovers::of_stack(&aws, "envs-prod").await;
    assert!(!prod_objects.is_empty());
    assert!(!leftovers::of_stack(&aws, "envs-dev").await.is_empty());

    // An override changed is a change of that environment only.
    ws.edit(
        "services.hello.desired_count = 1",
        "services.hello.desired_count = 2",
    );
    let dev_plan = ws.run(&["--env", "dev", "plan"]).ok().stdout;
    assert!(dev_plan.contains("desired_count"), "{dev_plan}");
    let prod_plan = ws.run(&["--env", "prod", "plan"]).ok().stdout;
    assert!(prod_plan.contains("No changes"), "{prod_plan}");

    // Destroying dev leaves prod alone.
    ws.destroy(&["--env", "dev"]).ok();
    assert!(leftovers::of_stack(&aws, "envs-dev").await.is_empty());
    assert_eq!(leftovers::of_stack(&aws, "envs-prod").await, prod_objects);
    let prod_plan = ws.run(&["--env", "prod", "plan"]).ok().stdout;
    assert!(prod_plan.contains("No changes"), "{prod_plan}");
}
