use clap::Parser;
use stackctl::cli::{self, Cli, exit::Code};
use stackctl::config::error::ConfigError;

fn main() {
    let cli = Cli::parse();
    cli::logging::init(cli.verbose, cli.quiet, cli.no_color);
    let color = stackctl::output::color::wanted(cli.no_color, true);
    let interrupted = cli.command.interrupted_note();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    // Ctrl-C drops the command's future, so what it holds is released on the way out
    // (an S3 state lock is deleted rather than left to expire); steps cut short are
    // like a crash, which the state's record of started creates already covers.
    let result = runtime.block_on(async {
        tokio::select! {
            result = cli::run(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(result) = result else {
        if let Some(note) = interrupted {
            eprintln!("Interrupted. {note}");
        }
        std::process::exit(Code::Interrupted.value());
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<ConfigError>() {
                // Shown with the lines of stack.toml it is about.
                Some(config) => eprintln!("{}", config.render(color)),
                // `{:#}` prints the whole chain: context first, then each cause.
                None => eprintln!("error: {e:#}"),
            }
            Code::Error
        }
    };
    std::process::exit(code.value());
}
