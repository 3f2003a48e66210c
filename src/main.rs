use clap::Parser;
use stackctl::cli::{self, Cli, exit::Code};
use stackctl::config::error::ConfigError;
use std::io::IsTerminal;

fn main() {
    let cli = Cli::parse();
    cli::logging::init(cli.verbose, cli.quiet);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    let code = match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<ConfigError>() {
                // Shown with the lines of stack.toml it is about.
                Some(config) => eprintln!("{}", config.render(color_on_stderr())),
                // `{:#}` prints the whole chain: context first, then each cause.
                None => eprintln!("error: {e:#}"),
            }
            Code::Error
        }
    };
    std::process::exit(code as i32);
}

/// Colors on a terminal only, and never under NO_COLOR (https://no-color.org).
fn color_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
