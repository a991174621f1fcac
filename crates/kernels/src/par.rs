//! A tiny persistent thread pool: `run(n, f)` calls `f(task, thread)` for every task in 0..n,
//! spread over the calling thread and the pool's workers, and returns when all are done.
//!
//! Native: workers are std threads, woken with park/unpark. wasm32 with atomics: workers are
//! JS Web Workers / worker_threads that call [`worker_loop`] on the shared memory and sleep with
//! `memory.atomic.wait32`; the calling (main) thread never blocks, it only spins, so this also
//! works on a browser's main thread. Without atomics everything runs on the calling thread.
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};

/// Upper bound on threads (calling thread included).
pub const MAX_THREADS: usize = 64;

type Task<'a> = &'a (dyn Fn(usize, usize) + Sync);

struct Job {
    /// the task closure, lifetime-erased; valid while JOB_GEN == GEN (see `run`).
    f: core::cell::UnsafeCell<Option<Task<'static>>>,
}
unsafe impl Sync for Job {}

static JOB: Job = Job { f: core::cell::UnsafeCell::new(None) };
/// generation counter: bumped once per job; workers sleep on it.
static GEN: AtomicU32 = AtomicU32::new(0);
/// the generation whose job is open (0 = none).
static JOB_GEN: AtomicU32 = AtomicU32::new(0);
static N_TASKS: AtomicUsize = AtomicUsize::new(0);
static NEXT: AtomicUsize = AtomicUsize::new(0);
static DONE: AtomicUsize = AtomicUsize::new(0);
/// workers currently looking at a job.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// threads requested (calling thread included).
static THREADS: AtomicUsize = AtomicUsize::new(1);
/// workers that have entered `worker_loop` (wasm) / been spawned (native).
static WORKERS: AtomicUsize = AtomicUsize::new(0);
/// set while a job runs, so a nested `run` (from inside a task) executes inline.
static BUSY: AtomicU32 = AtomicU32::new(0);

/// Threads that `run` may use (calling thread included); 1 inside [`serial`].
pub fn threads() -> usize {
    if SERIAL.load(SeqCst) != 0 {
        return 1;
    }
    THREADS.load(SeqCst).min(WORKERS.load(SeqCst) + 1).max(1)
}

/// Set while [`serial`] runs.
static SERIAL: AtomicU32 = AtomicU32::new(0);

/// Runs `f` on the calling thread alone: [`threads`] is 1 inside it, so kernels split nothing
/// (for work too small to pay for the hand-over: spreading a small layer over two cores costs
/// more in cache traffic than it saves). Call it from the thread that calls `run`, not a task.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.store(self.0, SeqCst);
        }
    }
    let _restore = Restore(SERIAL.swap(1, SeqCst));
    f()
}

/// Requested thread count (calling thread included); on native, spawns missing workers.
pub fn set_threads(n: usize) {
    let n = n.clamp(1, MAX_THREADS);
    THREADS.store(n, SeqCst);
    #[cfg(not(target_arch = "wasm32"))]
    native::ensure_workers(n - 1);
}

fn claim_and_run(f: Task<'_>, thread: usize) {
    let n = N_TASKS.load(SeqCst);
    loop {
        let i = NEXT.fetch_add(1, SeqCst);
        if i >= n {
            break;
        }
        run_task(f, i, thread);
        DONE.fetch_add(1, SeqCst);
    }
}

/// Set when a task panicked (native); `run` re-raises it on the caller.
static PANICKED: AtomicU32 = AtomicU32::new(0);

#[cfg(not(target_arch = "wasm32"))]
fn run_task(f: Task<'_>, i: usize, thread: usize) {
    // a panicking task must still count as done, or the caller would wait forever
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(i, thread))).is_err() {
        PANICKED.store(1, SeqCst);
    }
}
#[cfg(target_arch = "wasm32")]
fn run_task(f: Task<'_>, i: usize, thread: usize) {
    f(i, thread)
}

/// Runs `f(task, thread)` for task in 0..n_tasks; `thread` < `threads()` identifies the executing
/// thread (0 = caller), so tasks can use per-thread scratch. Not reentrant across threads: one
/// caller at a time (the JS main thread); nested calls from inside a task run inline.
pub fn run(n_tasks: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    if n_tasks == 0 {
        return;
    }
    if n_tasks == 1 || threads() <= 1 || BUSY.swap(1, SeqCst) != 0 {
        for i in 0..n_tasks {
            f(i, 0);
        }
        return;
    }
    // SAFETY: the erased reference is only used while JOB_GEN == this generation, and we do not
    // return before every worker that could have seen it open has left (ACTIVE == 0 after close).
    let fs: Task<'static> = unsafe { core::mem::transmute::<Task<'_>, Task<'static>>(f) };
    unsafe {
        *JOB.f.get() = Some(fs);
    }
    N_TASKS.store(n_tasks, SeqCst);
    NEXT.store(0, SeqCst);
    DONE.store(0, SeqCst);
    let mut g = GEN.load(SeqCst).wrapping_add(1);
    if g == 0 {
        g = 1;
    }
    JOB_GEN.store(g, SeqCst);
    GEN.store(g, SeqCst);
    wake_all();
    claim_and_run(f, 0);
    while DONE.load(SeqCst) < n_tasks {
        core::hint::spin_loop();
    }
    JOB_GEN.store(0, SeqCst);
    while ACTIVE.load(SeqCst) != 0 {
        core::hint::spin_loop();
    }
    unsafe {
        *JOB.f.get() = None;
    }
    BUSY.store(0, SeqCst);
    if PANICKED.swap(0, SeqCst) != 0 {
        panic!("torchlet: a kernel task panicked");
    }
}

/// One worker's life: wait for a new generation, help with its job, repeat. Never returns.
pub fn worker_loop(thread: usize) -> ! {
    let mut seen = GEN.load(SeqCst);
    loop {
        let mut spins = 0u32;
        while GEN.load(SeqCst) == seen {
            if spins < 20000 {
                spins += 1;
                core::hint::spin_loop();
            } else {
                sleep_while(seen);
            }
        }
        ACTIVE.fetch_add(1, SeqCst);
        let g = GEN.load(SeqCst);
        seen = g;
        if JOB_GEN.load(SeqCst) == g {
            // SAFETY: JOB_GEN == g was observed after ACTIVE was raised, so `run` has not closed
            // this job yet and waits for ACTIVE == 0 before dropping the closure.
            if let Some(f) = unsafe { *JOB.f.get() } {
                claim_and_run(f, thread);
            }
        }
        ACTIVE.fetch_sub(1, SeqCst);
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn sleep_while(seen: u32) {
    // SAFETY: GEN is a valid, aligned i32 in shared memory; workers run off the main thread.
    unsafe {
        core::arch::wasm32::memory_atomic_wait32(GEN.as_ptr() as *mut i32, seen as i32, 1_000_000_000);
    }
}
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn wake_all() {
    unsafe {
        core::arch::wasm32::memory_atomic_notify(GEN.as_ptr() as *mut i32, u32::MAX);
    }
}
/// Called by a wasm worker before `worker_loop`, so `threads()` counts it.
pub fn register_worker() -> usize {
    WORKERS.fetch_add(1, SeqCst) + 1
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
fn sleep_while(_seen: u32) {}
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
fn wake_all() {}

#[cfg(not(target_arch = "wasm32"))]
fn sleep_while(seen: u32) {
    native::sleep_while(seen)
}
#[cfg(not(target_arch = "wasm32"))]
fn wake_all() {
    native::wake_all()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::*;
    use std::sync::Mutex;
    use std::thread::Thread;

    static HANDLES: Mutex<Vec<Thread>> = Mutex::new(Vec::new());

    pub fn ensure_workers(n: usize) {
        let mut hs = HANDLES.lock().unwrap();
        while hs.len() < n {
            let id = hs.len() + 1;
            let h = std::thread::Builder::new()
                .name(format!("torchlet-{id}"))
                .spawn(move || worker_loop(id))
                .expect("torchlet: cannot spawn worker thread");
            hs.push(h.thread().clone());
            WORKERS.fetch_add(1, SeqCst);
        }
    }
    pub fn sleep_while(seen: u32) {
        // park/unpark keeps a wake-up token, so a wake between the check and the park is not lost.
        if GEN.load(SeqCst) == seen {
            std::thread::park_timeout(std::time::Duration::from_millis(100));
        }
    }
    pub fn wake_all() {
        if let Ok(hs) = HANDLES.try_lock() {
            for h in hs.iter() {
                h.unpark();
            }
        }
    }
}

/// Splits `0..n` into at most `parts` contiguous ranges of near-equal size, each a multiple of
/// `align` except the last; returns the range of part `i`.
pub fn split(n: usize, parts: usize, align: usize, i: usize) -> (usize, usize) {
    let align = align.max(1);
    let units = n.div_ceil(align);
    let parts = parts.max(1).min(units.max(1));
    let b = (units * i / parts) * align;
    let e = ((units * (i + 1) / parts) * align).min(n);
    (b.min(n), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    #[test]
    fn serial_runs_on_one_thread_and_restores() {
        set_threads(2);
        let inside = serial(|| {
            let n = AtomicU64::new(0);
            run(10, &|_, t| {
                assert_eq!(t, 0, "a task ran on a worker inside serial");
                n.fetch_add(1, SeqCst);
            });
            assert_eq!(n.load(SeqCst), 10);
            threads()
        });
        assert_eq!(inside, 1);
        // (other tests change the thread count meanwhile: the flag itself is checked)
        assert_eq!(SERIAL.load(SeqCst), 0);
        // restored after a panic inside, too
        let r = std::panic::catch_unwind(|| serial(|| panic!("inside serial")));
        assert!(r.is_err());
        assert_eq!(SERIAL.load(SeqCst), 0);
        set_threads(1);
    }

    #[test]
    fn runs_every_task_once() {
        set_threads(3);
        for n in [1usize, 2, 3, 17, 1000] {
            let hits: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
            run(n, &|i, t| {
                assert!(t < MAX_THREADS);
                hits[i].fetch_add(1, SeqCst);
            });
            assert!(hits.iter().all(|h| h.load(SeqCst) == 1));
        }
        set_threads(1);
    }
    #[test]
    fn split_covers() {
        for n in [0usize, 1, 7, 64, 65] {
            for parts in 1..5 {
                let mut next = 0;
                for i in 0..parts {
                    let (b, e) = split(n, parts, 4, i);
                    if b < e {
                        assert_eq!(b, next);
                        next = e;
                    }
                }
                assert_eq!(next, n);
            }
        }
    }
}
