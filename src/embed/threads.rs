//! Settles, once at program start, how many threads candle's CPU kernels use.
//!
//! candle asks for its thread count before every matrix product. Unless `RAYON_NUM_THREADS` is
//! set, on Linux the answer comes from reading and parsing `/proc/cpuinfo` (the physical-core
//! count), again and again: about a quarter of the time of embedding a short query went there.
//! Setting the variable to that same count once makes every later answer a cheap lookup, and
//! changes nothing else (candle and rayon both read it; rayon's default is the same count).

/// The variable candle (and rayon) read for their thread count.
pub const THREADS_VARIABLE: &str = "RAYON_NUM_THREADS";

/// What happened to the thread setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadSetting {
    /// Already set by the user; left as it was.
    KeptUser(String),
    /// Set to this many threads (the physical-core count).
    Set(usize),
    /// Not set: the process already runs other threads, or this platform has no need.
    Skipped,
}

/// Sets `RAYON_NUM_THREADS` to the physical-core count when it is unset and this process still
/// has a single thread. Call it first thing in `main`; later calls (or calls from a process that
/// has started threads) change nothing.
pub fn settle_inference_threads() -> ThreadSetting {
    if let Some(value) = std::env::var_os(THREADS_VARIABLE) {
        return ThreadSetting::KeptUser(value.to_string_lossy().into_owned());
    }
    if !cfg!(target_os = "linux") || !single_threaded() {
        return ThreadSetting::Skipped;
    }
    let threads = num_cpus::get_physical().max(1);
    // SAFETY: `set_var` is unsafe only because another thread could read or write the
    // environment at the same moment. `single_threaded` has just read from the kernel that this
    // process has exactly one thread, the one running this code; no other can appear before the
    // next line, since only this thread could start it.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(THREADS_VARIABLE, threads.to_string());
    }
    ThreadSetting::Set(threads)
}

/// Whether the kernel counts exactly one thread in this process (`/proc/self/status`).
fn single_threaded() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|count| count.trim().parse::<usize>().ok())
        })
        == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_process_is_never_single_threaded_so_nothing_is_set() {
        // The test harness runs tests on worker threads: the guard must refuse.
        if std::env::var_os(THREADS_VARIABLE).is_none() {
            assert_eq!(settle_inference_threads(), ThreadSetting::Skipped);
            assert!(std::env::var_os(THREADS_VARIABLE).is_none());
        }
        assert!(!single_threaded() || !cfg!(target_os = "linux"));
    }
}
