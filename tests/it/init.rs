//! `stackctl init`: what every template writes validates, applies against the
//! emulator (its images pushed when the first apply asks for them), plans clean and
//! destroys (its images deleted when destroy asks); an existing stack file is never
//! overwritten unless asked.

use crate::support::cli::Workspace;
use crate::support::emulator::Emulator;
use crate::support::leftovers;
use stackctl::templates;

#[tokio::test(flavor = "multi_thread")]
async fn every_template_validates_applies_plans_clean_and_destroys() {
    let emulator = Emulator::start();
    let aws = emulator.aws().await;
    for (i, template) in templates::ALL.iter().enumerate() {
        let ws = Workspace::empty(&emulator);
        // Each under a name of its own: they share the emulator.
        let name = format!("init{i}");
        let run = ws
            .run(&["init", "--template", template.name, "--name", &name])
            .ok();
        assert!(
            run.stdout
                .contains(&format!("from the {} template", template.name)),
            "{}",
            run.stdout
        );
        let written = std::fs::read_to_string(&ws.stack).unwrap();
        assert_eq!(written, template.named(&name), "{}", template.name);
        let valid = ws.run(&["validate"]).ok();
        assert!(
            valid.stdout.contains(&format!("stack `{name}`")),
            "{}",
            valid.stdout
        );
        ws.apply(&[]).ok();
        let plan = ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            plan.code, 0,
            "{}: {}{}",
            template.name, plan.stdout, plan.stderr
        );
        ws.destroy(&[]).ok();
        let left = leftovers::of_stack(&aws, &name).await;
        assert!(left.is_empty(), "{}: left {left:#?}", template.name);
    }
}

#[test]
fn an_existing_stack_file_is_kept_unless_forced() {
    let emulator = Emulator::start();
    let ws = Workspace::empty(&emulator);
    ws.run(&["init", "--template", "weather"]).ok();
    std::fs::write(&ws.stack, "# mine\n").unwrap();
    let again = ws.run(&["init", "--template", "weather"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&ws.stack).unwrap(), "# mine\n");
    ws.run(&["init", "--template", "blog-cdn", "--force"]).ok();
    let text = std::fs::read_to_string(&ws.stack).unwrap();
    assert_eq!(text, templates::find("blog-cdn").unwrap().text);

    // A name that is not a valid stack name writes nothing.
    let other = Workspace::empty(&emulator);
    let bad = other.run(&["init", "--name", "Not A Name"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("stack.name"), "{}", bad.stderr);
    assert!(!other.stack.exists());
}
