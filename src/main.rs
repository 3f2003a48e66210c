use clap::Parser;
use stackctl::cli::{self, Cli, exit::Code};

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
            // `{:#}` prints the whole chain: context first, then each cause.
            eprintln!("error: {e:#}");
            Code::Error
        }
    };
    std::process::exit(code as i32);
}
