//! The Ballista engine (feature `ballista`): sessions whose plans run on a cluster, and the
//! scheduler and executor processes of one (`contrakt-ballista`, the tests, the benchmark).
//!
//! The checker's tables are listing tables (files the executors read themselves) and views over
//! them, which datafusion-proto serialises without a custom codec; its rules use built-in
//! functions and contrakt's own (JSON operators, array items), which every executor registers. Data held in this process's memory (the Python package's frames) cannot travel,
//! and the checker refuses it before planning.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ballista_core::extension::SessionStateExt;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::config::SessionConfig;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;

use crate::engine::Engine;
use crate::error::{Error, Result};

/// How long to try reaching a scheduler before saying it is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn scheduler_url(host: &str, port: u16) -> String {
    format!("http://{host}:{port}")
}

fn cluster_error(engine: &Engine, message: impl Into<String>) -> Error {
    Error::Cluster { engine: engine.to_string(), message: message.into() }
}

/// A session whose queries run on the cluster of `engine` (a Ballista one), with the checker's
/// configuration and runtime.
pub(crate) fn session(engine: &Engine, config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
    let Engine::Ballista { host, port } = engine else {
        return Err(Error::Internal(format!("{engine} is not a Ballista engine")));
    };
    let state =
        SessionStateBuilder::new().with_config(config).with_runtime_env(runtime).with_default_features().build();
    let state =
        state.upgrade_for_ballista(scheduler_url(host, *port)).map_err(|e| cluster_error(engine, e.to_string()))?;
    let mut ctx = SessionContext::new_with_state(state);
    crate::functions::register(&mut ctx);
    Ok(ctx)
}

/// Fails with a clear error unless the scheduler of `engine` answers; the session itself
/// connects only when a query runs, so without this every check would fail alone.
pub(crate) async fn reachable(engine: &Engine) -> Result<()> {
    let Engine::Ballista { host, port } = engine else { return Ok(()) };
    let url = scheduler_url(host, *port);
    match tokio::time::timeout(CONNECT_TIMEOUT, SchedulerGrpcClient::connect(url)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(cluster_error(engine, format!("cannot reach the scheduler: {}", transport_reason(&e)))),
        Err(_) => {
            Err(cluster_error(engine, format!("the scheduler did not answer within {}s", CONNECT_TIMEOUT.as_secs())))
        }
    }
}

/// The innermost cause of a connection error (tonic wraps "connection refused" twice).
fn transport_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// Starts a scheduler and `executors` executors of `cores` task slots each inside this process,
/// on loopback ports the system picks, and returns the engine that names the scheduler. For
/// tests and benchmarks: the cluster lives as long as the process's tokio runtime.
pub async fn standalone(executors: usize, cores: usize) -> Result<Engine> {
    let fail =
        |e: ballista_core::error::BallistaError| Error::Cluster { engine: "standalone".into(), message: e.to_string() };
    let addr = ballista_scheduler::standalone::new_standalone_scheduler_with_builder(
        scheduler_sessions(),
        Arc::new(ballista_core::utils::default_config_producer),
        ballista_core::serde::BallistaCodec::default(),
    )
    .await
    .map_err(fail)?;
    let engine = Engine::Ballista { host: "localhost".into(), port: addr.port() };
    let url = scheduler_url("localhost", addr.port());
    for _ in 0..executors.max(1) {
        let scheduler = loop {
            match SchedulerGrpcClient::connect(url.clone()).await {
                Ok(client) => break client,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        ballista_executor::new_standalone_executor_from_state(scheduler, cores.max(1), &executor_state())
            .await
            .map_err(fail)?;
    }
    Ok(engine)
}

/// The scheduler's sessions: Ballista's defaults plus every function a checker's plans may
/// call, which the scheduler needs to decode the plans it is sent.
fn scheduler_sessions() -> ballista_scheduler::SessionBuilder {
    Arc::new(|config: SessionConfig| {
        let state = ballista_core::utils::default_session_builder(config)?;
        let mut ctx = SessionContext::new_with_state(state);
        crate::functions::register(&mut ctx);
        Ok(ctx.state())
    })
}

/// A session state with every function a checker's plans may call, for executors to decode
/// them with.
fn executor_state() -> datafusion::execution::SessionState {
    let mut ctx = SessionContext::new_with_state(SessionStateBuilder::new().with_default_features().build());
    crate::functions::register(&mut ctx);
    ctx.state()
}

/// A scheduler process's settings.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub bind: SocketAddr,
    /// An executor silent this long is declared lost and its tasks are run elsewhere.
    pub executor_timeout: Duration,
}

/// Runs a scheduler until the process ends.
pub async fn serve_scheduler(opts: SchedulerOptions) -> Result<()> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;

    let engine = Engine::Ballista { host: opts.bind.ip().to_string(), port: opts.bind.port() };
    let fail = |e: ballista_core::error::BallistaError| cluster_error(&engine, e.to_string());
    let timeout = opts.executor_timeout.as_secs().max(1);
    let config = SchedulerConfig {
        bind_host: opts.bind.ip().to_string(),
        bind_port: opts.bind.port(),
        external_host: opts.bind.ip().to_string(),
        executor_timeout_seconds: timeout,
        expire_dead_executor_interval_seconds: timeout.min(15),
        no_executors_grace_period_seconds: timeout,
        override_session_builder: Some(scheduler_sessions()),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(fail)?;
    ballista_scheduler::scheduler_process::start_server(cluster, opts.bind, Arc::new(config)).await.map_err(fail)
}

/// An executor process's settings.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler to register with.
    pub scheduler: (String, u16),
    /// Where this executor serves its results (Arrow Flight) and tasks (gRPC).
    pub host: String,
    pub flight_port: u16,
    pub grpc_port: u16,
    /// Task slots.
    pub cores: usize,
    /// Shuffle files; a temporary folder when `None`.
    pub work_dir: Option<String>,
    /// How often the executor tells the scheduler it is alive.
    pub heartbeat: Duration,
}

/// Runs an executor until the process ends.
pub async fn serve_executor(opts: ExecutorOptions) -> Result<()> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};

    let engine = Engine::Ballista { host: opts.scheduler.0.clone(), port: opts.scheduler.1 };
    // The functions of a checker's session, as the client plans with: Ballista's own default
    // registry leaves out the nested (array) functions that the list checks use, and
    // contrakt's own (JSON operators, array items).
    let functions = ballista_core::registry::BallistaFunctionRegistry::from(&executor_state());
    let config = ExecutorProcessConfig {
        override_function_registry: Some(Arc::new(functions)),
        bind_host: opts.host.clone(),
        external_host: Some(opts.host.clone()),
        port: opts.flight_port,
        grpc_port: opts.grpc_port,
        scheduler_host: opts.scheduler.0.clone(),
        scheduler_port: opts.scheduler.1,
        scheduler_connect_timeout_seconds: 30,
        vcores: opts.cores.max(1),
        work_dir: opts.work_dir.clone(),
        executor_heartbeat_interval_seconds: opts.heartbeat.as_secs().max(1),
        print_thread_info: false,
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config)).await.map_err(|e| cluster_error(&engine, e.to_string()))
}
