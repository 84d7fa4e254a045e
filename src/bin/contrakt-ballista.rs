//! `contrakt-ballista`: a Ballista scheduler or executor built from the same DataFusion as
//! contrakt, so the plans `contrakt check --engine ballista://…` sends run as they would
//! embedded. A minimal cluster on one machine:
//!
//! ```text
//! contrakt-ballista scheduler --bind 127.0.0.1:50050
//! contrakt-ballista executor --scheduler 127.0.0.1:50050 --port 50051 --grpc-port 50052
//! contrakt check contracts/ --engine ballista://127.0.0.1:50050
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use contrakt_check::ballista::{ExecutorOptions, SchedulerOptions, serve_executor, serve_scheduler};

#[derive(Parser)]
#[command(name = "contrakt-ballista", version, about = "A Ballista scheduler or executor for contrakt's checks")]
struct Cli {
    #[command(subcommand)]
    role: Role,
}

#[derive(Subcommand)]
enum Role {
    /// Accept plans from `contrakt check --engine ballista://ADDRESS` and hand their tasks to executors.
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
        /// Seconds of silence after which an executor counts as lost and its tasks run elsewhere.
        #[arg(long, default_value_t = 60)]
        executor_timeout: u64,
    },
    /// Run tasks for a scheduler, reading the data from this machine's files.
    Executor {
        /// The scheduler, HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// The host other executors and clients reach this one at (and it listens on).
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port of its Arrow Flight service (results and shuffle data).
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// Port of its gRPC service (tasks).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Task slots [default: the machine's cores].
        #[arg(long)]
        cores: Option<usize>,
        /// Folder for shuffle files [default: a temporary folder].
        #[arg(long)]
        work_dir: Option<String>,
        /// Seconds between heartbeats to the scheduler.
        #[arg(long, default_value_t = 5)]
        heartbeat: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ballista logs through `log`; this prints it (and tracing) on stderr, filtered by
    // CONTRAKT_LOG (default `info`).
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONTRAKT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.role {
        Role::Scheduler { bind, executor_timeout } => {
            println!("scheduler listening on {bind}");
            runtime.block_on(serve_scheduler(SchedulerOptions {
                bind,
                executor_timeout: Duration::from_secs(executor_timeout),
            }))
        }
        Role::Executor { scheduler, host, port, grpc_port, cores, work_dir, heartbeat } => {
            let Some((s_host, s_port)) = scheduler.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse().ok()?)))
            else {
                eprintln!("error: --scheduler `{scheduler}`: expected HOST:PORT");
                return ExitCode::from(2);
            };
            let cores = cores.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            println!("executor on {host}:{port} (tasks on {grpc_port}) for the scheduler at {scheduler}");
            runtime.block_on(serve_executor(ExecutorOptions {
                scheduler: (s_host.to_string(), s_port),
                host,
                flight_port: port,
                grpc_port,
                cores,
                work_dir,
                heartbeat: Duration::from_secs(heartbeat),
            }))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
