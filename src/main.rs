use clap::Parser;
use stackctl::cli::{self, Cli, exit::Code};
use stackctl::config::error::ConfigError;

fn main() {
    let cli = Cli::parse();
    cli::logging::init(cli.verbose, cli.quiet, cli.no_color);
    let color = stackctl::output::color::wanted(cli.no_color, true);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime");
    let code = match runtime.block_on(cli::run(cli)) {
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
    std::process::exit(code as i32);
}
