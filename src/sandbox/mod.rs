//! `galantis sandbox`: the engine on a local data dir with a generated master key and a
//! demo tenant, fed a generated store through the real, signed webhook endpoint.

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `sandbox` options.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Data directory (kept between runs).
    #[arg(long, default_value = "data/run/sandbox")]
    pub data_dir: PathBuf,
    /// Number of customers to generate.
    #[arg(long, default_value_t = 200)]
    pub customers: usize,
}

/// Runs the sandbox until Ctrl-C.
///
/// # Errors
/// When the engine cannot start.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let _ = args;
    anyhow::bail!("sandbox: not yet implemented")
}
