//! The memory budget of the embedded engine when none is given: a quarter of the memory this
//! process may use (the machine's, or its container's cgroup limit when lower), between 256 MiB
//! and 1 GiB; 1 GiB where neither can be read. Within it, groupings and sorts spill to the temp
//! folder instead of growing (DataFusion's `FairSpillPool` and disk manager).
//!
//! Why this size: every check but exact uniqueness is an aggregate of fixed size, so the budget
//! only ever holds groupings, sorts and the set of distinct values of a uniqueness check. Those
//! grow with the data; spilling them costs little (exact uniqueness as a spilling grouping took
//! 1.13x the time of the in-memory set on 100M rows) while a budget of half the machine would
//! let one check of a large table push a CI runner or a pipeline worker into the kernel's
//! out-of-memory killer. The budget counts operators' reservations, not the decoded batches in
//! flight or allocator slack, so the process peaks somewhat above it.
//!
//! Exact uniqueness keeps its distinct values in the fused scan (fast, and not spillable) while
//! the data's statistics say they fit in the budget, and runs as a grouping that spills beyond
//! that. An integer column whose minimum and maximum are close (at most 64 values of range per
//! row, as surrogate keys are) is held as a bitmap of that range, 100M dense keys in 12.5 MB
//! per partition ([`crate::intset`]); any other column at [`BYTES_PER_DISTINCT`] per row. Where
//! no statistics are known beforehand (CSV, JSON), the scan tries and, out of budget, is re-run
//! with the grouping. `--memory-limit` replaces the budget and always plans the grouping.

use std::sync::Arc;

use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

/// The smallest default budget.
const FLOOR: usize = 256 << 20;
/// The largest default budget, also the budget where the machine's memory cannot be read.
const CEILING: usize = 1 << 30;

/// What the fused scan's set of distinct values holds per row, at most (a hash set of 8-byte
/// keys at its load factor, the partial sets of two partitions and the merged one): the
/// estimate that decides whether exact uniqueness fits in the budget.
pub const BYTES_PER_DISTINCT: usize = 32;

/// The default budget in bytes (see the module's documentation).
pub fn default_budget() -> usize {
    budget_of(physical_memory(), cgroup_limit())
}

fn budget_of(physical: Option<u64>, cgroup: Option<u64>) -> usize {
    let usable = match (physical, cgroup) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, c) => p.or(c),
    };
    match usable {
        Some(bytes) => usize::try_from(bytes / 4).unwrap_or(usize::MAX).clamp(FLOOR, CEILING),
        None => CEILING,
    }
}

/// A runtime whose memory pool holds the default budget.
pub(crate) fn default_runtime() -> Arc<RuntimeEnv> {
    RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(FairSpillPool::new(default_budget())))
        .build_arc()
        .unwrap_or_else(|_| Arc::new(RuntimeEnv::default()))
}

/// `MemTotal` of `/proc/meminfo` (Linux).
fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo_total(&text)
}

fn meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The memory limit of this process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`);
/// `None` when unlimited or unreadable.
fn cgroup_limit() -> Option<u64> {
    ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| cgroup_value(&t))
}

fn cgroup_value(text: &str) -> Option<u64> {
    // "max" (v2) or a huge page-rounded number (v1) mean no limit.
    text.trim().parse::<u64>().ok().filter(|b| *b < (1 << 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_a_quarter_of_the_usable_memory_up_to_a_gib() {
        assert_eq!(budget_of(Some(16 << 30), None), CEILING);
        assert_eq!(budget_of(Some(16 << 30), Some(2 << 30)), 512 << 20);
        assert_eq!(budget_of(None, Some(2 << 30)), 512 << 20);
        assert_eq!(budget_of(Some(512 << 20), None), FLOOR);
        assert_eq!(budget_of(None, None), CEILING);
    }

    #[test]
    fn limits_are_read_from_the_kernel_texts() {
        assert_eq!(meminfo_total("MemTotal:       24568012 kB\nMemFree: 1 kB\n"), Some(24568012 * 1024));
        assert_eq!(cgroup_value("max\n"), None);
        assert_eq!(cgroup_value("9223372036854771712\n"), None);
        assert_eq!(cgroup_value("2147483648\n"), Some(2 << 30));
        assert!((FLOOR..=CEILING).contains(&default_budget()));
    }
}
