//! Asking before changing anything. Without a terminal there is nobody to ask, so
//! a CI job must say `--auto-approve` explicitly rather than hang or proceed.

use std::io::{BufRead, IsTerminal, Write};

/// The answer is read on a blocking thread, so that Ctrl-C (handled by the runtime,
/// see main.rs) still ends the command while it waits.
pub async fn confirm(question: &str, auto_approve: bool) -> anyhow::Result<bool> {
    if auto_approve {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "refusing to {question} without confirmation: standard input is not a terminal; pass --auto-approve to proceed"
        );
    }
    print!("\nDo you want to {question}? Only 'yes' will be accepted: ");
    std::io::stdout().flush()?;
    let answer = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    })
    .await??;
    Ok(answer.trim() == "yes")
}
