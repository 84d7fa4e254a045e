//! The SQL functions a check session has beyond DataFusion's own: PostgreSQL's JSON operators
//! (`->`, `->>`, [`json`]), which contracts written for a warehouse use in their `sql` rules,
//! contrakt's array-item checks ([`items`]), and bounded versions of the functions that build
//! values of any size ([`crate::bounded`]).

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};

use datafusion::execution::FunctionRegistry;

use crate::{items, json};

/// An embedded session with every function a check may call.
pub(crate) fn embedded_session(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> SessionContext {
    let mut ctx = SessionContext::new_with_config_rt(config, runtime);
    register(&mut ctx);
    ctx
}

/// Adds contrakt's functions to `ctx` (also to a Ballista client's session, which plans).
pub(crate) fn register(ctx: &mut SessionContext) {
    for udf in json::udfs() {
        SessionContext::register_udf(ctx, udf);
    }
    SessionContext::register_udf(ctx, items::any_item_udf());
    // Functions that could build values of any size are bounded (`--memory-limit` does not
    // see them).
    crate::bounded::register(ctx);
    // Each regular expression compiled once per run, not once per batch.
    crate::patterns::register(ctx);
    // Failing-row samples gathered by the fused scan.
    crate::samples::register(ctx);
    // Failing rows written by the fused scan (`--quarantine`).
    crate::quarantine::register(ctx);
    // Registering a planner only fails in registries that take none; a session takes them.
    let _ = ctx.register_expr_planner(Arc::new(json::JsonOperators));
}
