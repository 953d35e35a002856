//! The `galantis` binary: parse the command line, run it.

use clap::Parser;

#[tokio::main]
async fn main() {
    galantis::integrations::install_tls_provider();
    let cli = galantis::cli::Cli::parse();
    if let Err(error) = galantis::cli::run(cli).await {
        eprintln!("galantis: {error:#}");
        std::process::exit(1);
    }
}
