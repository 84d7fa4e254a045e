//! `regexp_like` with each pattern compiled once per run. DataFusion rewrites
//! `regexp_like(s, 'p')` into the `~` operator, whose kernel compiles the pattern again for every
//! batch (about 1,200 times for 10M rows) and starts every batch with a cold matching cache. The
//! session's `regexp_like` is replaced by this wrapper: same signature, same regex crate (so the
//! same matches), the compiled pattern kept and shared by the batches and threads of the run.
//! Calls with flags or with a pattern per row go to DataFusion's own function.
//!
//! There is no literal prefilter in front of the regex: the regex crate already rejects a value
//! by a literal the pattern requires (a memchr for `@`, say) before running its automaton.
//!
//! The match runs on the regex crate's own engine (`regex_automata::meta`, built with the
//! configuration `regex::Regex::new` gives it) with a matching cache taken once per batch:
//! `Regex::is_match` takes one from a pool on every call, and only the thread that made the
//! pool has a fast path into it. The other threads locked a mutex twice per value; that cost
//! about as much as the matching itself on the orders workload's email column.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;
use regex_automata::meta::{self, Cache, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

/// Patterns kept per function instance (one per session): beyond this many, a new pattern is
/// compiled for its call only, so a rule set of thousands of patterns cannot grow the cache.
const MAX_PATTERNS: usize = 256;

/// Replaces the session's `regexp_like` by the caching wrapper.
pub(crate) fn register(ctx: &SessionContext) {
    let Ok(inner) = ctx.udf("regexp_like") else { return };
    if inner.inner().downcast_ref::<RegexpLike>().is_some() {
        return;
    }
    ctx.register_udf(ScalarUDF::new_from_impl(RegexpLike {
        inner: inner.as_ref().clone(),
        compiled: Mutex::default(),
    }));
}

#[derive(Debug)]
struct RegexpLike {
    inner: ScalarUDF,
    compiled: Mutex<HashMap<String, Arc<Compiled>>>,
}

/// A pattern compiled once, and the matching caches the batches return after use.
#[derive(Debug)]
struct Compiled {
    re: Regex,
    caches: Mutex<Vec<Cache>>,
}

impl Compiled {
    /// `regex::Regex::new`'s engine and configuration (regex 1.x `builders.rs`), so the
    /// matches are the regex crate's.
    fn new(pattern: &str) -> Result<Compiled> {
        if let Err(e) = regex::Regex::new(pattern) {
            return exec_err!("Regular expression did not compile: {e:?}");
        }
        let config = meta::Config::new()
            .nfa_size_limit(Some(10 * (1 << 20)))
            .hybrid_cache_capacity(2 * (1 << 20))
            .match_kind(MatchKind::LeftmostFirst)
            .utf8_empty(true);
        match meta::Builder::new().configure(config).syntax(syntax::Config::new().utf8(true)).build(pattern) {
            Ok(re) => Ok(Compiled { re, caches: Mutex::default() }),
            Err(e) => exec_err!("Regular expression did not compile: {e:?}"),
        }
    }

    /// Runs `f` with a matching cache of this pattern's.
    fn with_cache<T>(&self, f: impl FnOnce(&Regex, &mut Cache) -> T) -> T {
        let mut cache = self.caches.lock().ok().and_then(|mut c| c.pop()).unwrap_or_else(|| self.re.create_cache());
        let out = f(&self.re, &mut cache);
        if let Ok(mut c) = self.caches.lock() {
            c.push(cache);
        }
        out
    }
}

impl PartialEq for RegexpLike {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl Eq for RegexpLike {}

impl Hash for RegexpLike {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.hash(state);
    }
}

impl RegexpLike {
    fn regex(&self, pattern: &str) -> Result<Arc<Compiled>> {
        if let Some(re) = self.compiled.lock().ok().and_then(|m| m.get(pattern).cloned()) {
            return Ok(re);
        }
        let re = Arc::new(Compiled::new(pattern)?);
        if let Ok(mut m) = self.compiled.lock()
            && m.len() < MAX_PATTERNS
        {
            m.insert(pattern.to_string(), re.clone());
        }
        Ok(re)
    }
}

/// Matches of `re` in a text array; null where the value is null.
fn matches(values: &ArrayRef, re: &Compiled) -> Option<BooleanArray> {
    let bits: BooleanBuffer = re.with_cache(|re, cache| {
        let mut is_match = |v: &str| re.search_half_with(cache, &Input::new(v).earliest(true)).is_some();
        match values.data_type() {
            DataType::Utf8View => {
                let a = values.as_string_view();
                Some((0..a.len()).map(|i| a.is_valid(i) && is_match(a.value(i))).collect())
            }
            DataType::Utf8 => {
                let a = values.as_string::<i32>();
                Some((0..a.len()).map(|i| a.is_valid(i) && is_match(a.value(i))).collect())
            }
            DataType::LargeUtf8 => {
                let a = values.as_string::<i64>();
                Some((0..a.len()).map(|i| a.is_valid(i) && is_match(a.value(i))).collect())
            }
            _ => None,
        }
    })?;
    Some(BooleanArray::new(bits, values.logical_nulls()))
}

impl ScalarUDFImpl for RegexpLike {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if let [ColumnarValue::Array(values), ColumnarValue::Scalar(pattern)] = args.args.as_slice() {
            let pattern = match pattern {
                ScalarValue::Utf8(p) | ScalarValue::LargeUtf8(p) | ScalarValue::Utf8View(p) => p.as_deref(),
                _ => None,
            };
            // An empty pattern matches everything, as DataFusion's kernel has it.
            if let Some(pattern) = pattern.filter(|p| !p.is_empty()) {
                let re = self.regex(pattern)?;
                if let Some(out) = matches(values, &re) {
                    return Ok(ColumnarValue::Array(Arc::new(out)));
                }
            }
        }
        self.inner.invoke_with_args(args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wrapper answers as DataFusion's own `regexp_like` on the same values.
    #[test]
    fn matches_agree_with_datafusion() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let query = "SELECT regexp_like(v, '^[a-c]+@x\\.(com|org)$') AS m FROM \
                     (VALUES ('ab@x.com'), ('ab@x.net'), (NULL), (''), ('c@x.org'), ('d@x.com')) AS t(v)";
        let run = |ctx: &SessionContext| {
            rt.block_on(async {
                let batches = ctx.sql(query).await.unwrap().collect().await.unwrap();
                batches.iter().flat_map(|b| b.column(0).as_boolean().iter().collect::<Vec<_>>()).collect::<Vec<_>>()
            })
        };
        let plain = SessionContext::new();
        let ours = SessionContext::new();
        register(&ours);
        assert!(ours.udf("regexp_like").unwrap().inner().downcast_ref::<RegexpLike>().is_some());
        let want = run(&plain);
        assert_eq!(want, vec![Some(true), Some(false), None, Some(false), Some(true), Some(false)]);
        assert_eq!(run(&ours), want);
        let ctx_udf = ours.udf("regexp_like").unwrap();
        let cached = ctx_udf.inner().downcast_ref::<RegexpLike>().unwrap().compiled.lock().unwrap().len();
        assert_eq!(cached, 1, "the pattern is compiled once and kept");
    }
}
