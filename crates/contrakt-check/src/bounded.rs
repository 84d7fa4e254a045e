//! Bounded versions of the scalar functions whose one call can ask for any amount of memory:
//! `repeat`, `lpad`, `rpad`, `array_repeat` and `range`/`generate_series` (as scalar
//! functions). DataFusion's memory pool (`--memory-limit`) tracks operators, not the values a
//! function builds, so `repeat(name, 400000000)` in a rule would abort the process on a failed
//! allocation. The session's own functions are replaced by wrappers that estimate what a call
//! produces before making it and refuse, with an error that names the function, a value above
//! [`MAX_VALUE_BYTES`] or a batch above [`MAX_BATCH_BYTES`]: the rule then "could not run".

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, IntervalMonthDayNano};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;

/// The largest value (a string or an array) one call of a bounded function may build: 64 MiB.
pub const MAX_VALUE_BYTES: u64 = 64 << 20;
/// The most one call may build over a batch of rows: 512 MiB.
pub const MAX_BATCH_BYTES: u64 = 512 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `repeat(text, n)`: the text's bytes × n.
    Repeat,
    /// `lpad`/`rpad(text, n[, fill])`: n characters of up to 4 bytes.
    Pad,
    /// `array_repeat(element, n)`: the element's bytes × n.
    ArrayRepeat,
    /// `range`/`generate_series([start,] stop[, step])`: 8 bytes per element.
    Range,
}

/// Replaces the session's unbounded functions by their bounded wrappers.
pub fn register(ctx: &SessionContext) {
    for (name, kind) in [
        ("repeat", Kind::Repeat),
        ("lpad", Kind::Pad),
        ("rpad", Kind::Pad),
        ("array_repeat", Kind::ArrayRepeat),
        ("range", Kind::Range),
        ("generate_series", Kind::Range),
    ] {
        let Ok(inner) = ctx.udf(name) else { continue };
        if inner.inner().downcast_ref::<Bounded>().is_some() {
            continue;
        }
        ctx.register_udf(ScalarUDF::new_from_impl(Bounded { inner: inner.as_ref().clone(), kind }));
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Bounded {
    inner: ScalarUDF,
    kind: Kind,
}

impl Bounded {
    /// Refuses the call when one value or the whole batch would be too large.
    fn guard(&self, args: &[ColumnarValue], rows: usize) -> Result<()> {
        let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { rows };
        let mut total: u64 = 0;
        for i in 0..rows {
            let Some(bytes) = self.estimate(args, i) else { continue };
            if bytes > MAX_VALUE_BYTES {
                return exec_err!(
                    "{}() would build a value of about {} MiB; contrakt allows at most {} MiB per value",
                    self.inner.name(),
                    bytes >> 20,
                    MAX_VALUE_BYTES >> 20
                );
            }
            total = total.saturating_add(bytes);
            if total > MAX_BATCH_BYTES {
                return exec_err!(
                    "{}() would build more than {} MiB for one batch of rows; contrakt allows at most that much",
                    self.inner.name(),
                    MAX_BATCH_BYTES >> 20
                );
            }
        }
        Ok(())
    }

    /// The bytes row `i`'s result would take (`None`: null, or nothing to estimate).
    fn estimate(&self, args: &[ColumnarValue], i: usize) -> Option<u64> {
        match self.kind {
            Kind::Repeat => Some(bytes_at(args.first()?, i)?.saturating_mul(count_at(args.get(1)?, i)?)),
            Kind::Pad => Some(count_at(args.get(1)?, i)?.saturating_mul(4)),
            Kind::ArrayRepeat => Some(bytes_at(args.first()?, i)?.max(1).saturating_mul(count_at(args.get(1)?, i)?)),
            Kind::Range => range_len(args, i).map(|n| n.saturating_mul(8)),
        }
    }
}

fn scalar_at(v: &ColumnarValue, i: usize) -> Option<ScalarValue> {
    match v {
        ColumnarValue::Scalar(s) => Some(s.clone()),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(a, i).ok(),
    }
    .filter(|s| !s.is_null())
}

/// A count argument (negative counts build nothing).
fn count_at(v: &ColumnarValue, i: usize) -> Option<u64> {
    let n = match scalar_at(v, i)?.cast_to(&DataType::Int64).ok()? {
        ScalarValue::Int64(Some(n)) => n,
        _ => return None,
    };
    Some(n.max(0) as u64)
}

/// The bytes of a value, without copying it out of its array.
fn bytes_at(v: &ColumnarValue, i: usize) -> Option<u64> {
    match v {
        ColumnarValue::Scalar(s) if s.is_null() => None,
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)))
        | ColumnarValue::Scalar(ScalarValue::Utf8View(Some(s))) => Some(s.len() as u64),
        ColumnarValue::Scalar(s) => s.to_array_of_size(1).ok().map(|a| array_bytes(&a, 0)),
        ColumnarValue::Array(a) if a.is_null(i) => None,
        ColumnarValue::Array(a) => Some(array_bytes(a, i)),
    }
}

fn array_bytes(a: &ArrayRef, i: usize) -> u64 {
    let n = match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().value(i).len(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).len(),
        DataType::Utf8View => a.as_string_view().value(i).len(),
        DataType::Binary => a.as_binary::<i32>().value(i).len(),
        DataType::LargeBinary => a.as_binary::<i64>().value(i).len(),
        other => match other.primitive_width() {
            Some(w) => w,
            None => a.slice(i, 1).to_data().get_slice_memory_size().unwrap_or(0),
        },
    };
    n as u64
}

/// How many elements `range`/`generate_series` would build for row `i`.
fn range_len(args: &[ColumnarValue], i: usize) -> Option<u64> {
    let values: Vec<ScalarValue> = args.iter().map(|a| scalar_at(a, i)).collect::<Option<_>>()?;
    let (start, stop, step) = match values.as_slice() {
        [stop] => (0, nanos_or_int(stop)?, 1),
        [start, stop] => (nanos_or_int(start)?, nanos_or_int(stop)?, 1),
        [start, stop, step] => (nanos_or_int(start)?, nanos_or_int(stop)?, step_of(step)?),
        _ => return None,
    };
    if step == 0 {
        return None;
    }
    let span = (i128::from(stop) - i128::from(start)) / i128::from(step);
    Some(u64::try_from(span.max(0)).unwrap_or(u64::MAX).saturating_add(1))
}

/// An integer, or a date or timestamp in nanoseconds.
fn nanos_or_int(s: &ScalarValue) -> Option<i64> {
    const DAY: i64 = 86_400_000_000_000;
    Some(match s {
        ScalarValue::Date32(Some(d)) => i64::from(*d).saturating_mul(DAY),
        ScalarValue::Date64(Some(ms)) => ms.saturating_mul(1_000_000),
        ScalarValue::TimestampSecond(Some(v), _) => v.saturating_mul(1_000_000_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.saturating_mul(1_000_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => v.saturating_mul(1_000),
        ScalarValue::TimestampNanosecond(Some(v), _) => *v,
        other => match other.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) => n,
            _ => return None,
        },
    })
}

/// A step: an integer, or an interval in nanoseconds (a month counted as 28 days, the
/// shortest, so the estimate is an upper bound).
fn step_of(s: &ScalarValue) -> Option<i64> {
    const DAY: i64 = 86_400_000_000_000;
    match s {
        ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano { months, days, nanoseconds })) => Some(
            i64::from(*months)
                .saturating_mul(28 * DAY)
                .saturating_add(i64::from(*days).saturating_mul(DAY))
                .saturating_add(*nanoseconds),
        ),
        ScalarValue::IntervalDayTime(Some(v)) => {
            Some(i64::from(v.days).saturating_mul(DAY).saturating_add(i64::from(v.milliseconds) * 1_000_000))
        }
        ScalarValue::IntervalYearMonth(Some(m)) => Some(i64::from(*m).saturating_mul(28 * DAY)),
        ScalarValue::DurationNanosecond(Some(v)) => Some(*v),
        other => nanos_or_int(other),
    }
}

impl ScalarUDFImpl for Bounded {
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
        self.guard(&args.args, args.number_rows)?;
        self.inner.invoke_with_args(args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}
