//! torchlet kernels over WebAssembly linear memory. JS writes a call's arguments into the f64
//! argument block (`tl_args`) and int arrays into `tl_ints`, then calls `tl_call(kernel_id, n)`.
//! Threaded builds (atomics + shared memory) also export `tl_worker`, run by each JS worker.
use std::alloc::{alloc_zeroed, dealloc, Layout};
use torchlet_kernels::abi::{self, Args, Buf, Error};

const ARGS: usize = 64;
const INTS: usize = 4096;

struct Scratch<T, const N: usize>(core::cell::UnsafeCell<[T; N]>);
// SAFETY: only the calling (JS main) thread touches these blocks, between calls.
unsafe impl<T, const N: usize> Sync for Scratch<T, N> {}

static ARG_BLOCK: Scratch<f64, ARGS> = Scratch(core::cell::UnsafeCell::new([0.0; ARGS]));
static INT_BLOCK: Scratch<i32, INTS> = Scratch(core::cell::UnsafeCell::new([0; INTS]));
static ERR: Scratch<u8, 512> = Scratch(core::cell::UnsafeCell::new([0; 512]));
static ERR_LEN: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The layout of a block: 16-byte aligned; None past what one Rust allocation may hold on wasm32
/// (isize::MAX bytes, just under 2 GiB: a larger slice would not be sound either).
fn layout(bytes: usize) -> Option<Layout> {
    Layout::from_size_align(bytes.max(16), 16).ok()
}

/// Allocates `bytes` (zeroed, 16-byte aligned); 0 when out of memory or larger than one block may
/// be. Pointers are addresses in the 4 GiB memory: JS reads them unsigned (`>>> 0`).
#[no_mangle]
pub extern "C" fn tl_alloc(bytes: usize) -> *mut u8 {
    match layout(bytes) {
        Some(l) => unsafe { alloc_zeroed(l) },
        None => core::ptr::null_mut(),
    }
}

/// Frees a block from `tl_alloc` of the same size.
#[no_mangle]
pub unsafe extern "C" fn tl_free(ptr: *mut u8, bytes: usize) {
    if let (false, Some(l)) = (ptr.is_null(), layout(bytes)) {
        dealloc(ptr, l)
    }
}

#[no_mangle]
pub extern "C" fn tl_args() -> *mut f64 {
    ARG_BLOCK.0.get() as *mut f64
}
#[no_mangle]
pub extern "C" fn tl_ints() -> *mut i32 {
    INT_BLOCK.0.get() as *mut i32
}
#[no_mangle]
pub extern "C" fn tl_err() -> *const u8 {
    ERR.0.get() as *const u8
}
#[no_mangle]
pub extern "C" fn tl_err_len() -> usize {
    ERR_LEN.load(core::sync::atomic::Ordering::Relaxed)
}
/// Threads the kernels may use (calling thread + registered workers).
#[no_mangle]
pub extern "C" fn tl_threads() -> usize {
    torchlet_kernels::par::threads()
}

struct WasmArgs {
    i: usize,
    n: usize,
}
impl Args for WasmArgs {
    fn num(&mut self) -> Result<f64, Error> {
        if self.i >= self.n {
            return Err(Error::Arg("too few arguments".into()));
        }
        let v = unsafe { (*ARG_BLOCK.0.get())[self.i] };
        self.i += 1;
        Ok(v)
    }
    fn buf(&mut self) -> Result<Buf, Error> {
        let p = self.num()? as usize;
        Ok(if p == 0 { Buf::NULL } else { Buf { ptr: p as *mut u8, len: usize::MAX / 8 } })
    }
    fn ints(&mut self) -> Result<Vec<i32>, Error> {
        let (p, n) = (self.num()? as usize, self.num()? as usize);
        if n == 0 {
            return Ok(Vec::new());
        }
        Ok(unsafe { core::slice::from_raw_parts(p as *const i32, n) }.to_vec())
    }
}

/// Runs kernel `id` on the `nargs` arguments in the argument block: 0 = done, 1 = bad values
/// (RangeError), 2 = bad call; the message is at `tl_err()` (`tl_err_len()` bytes).
#[no_mangle]
pub extern "C" fn tl_call(id: u32, nargs: usize) -> u32 {
    let mut a = WasmArgs { i: 0, n: nargs.min(ARGS) };
    match unsafe { abi::call(id, &mut a) } {
        Ok(()) => 0,
        Err(e) => {
            let (code, msg) = match e {
                Error::Range(m) => (1, m),
                Error::Arg(m) => (2, m),
            };
            let b = msg.as_bytes();
            let n = b.len().min(512);
            unsafe {
                core::ptr::copy_nonoverlapping(b.as_ptr(), ERR.0.get() as *mut u8, n);
            }
            ERR_LEN.store(n, core::sync::atomic::Ordering::Relaxed);
            code
        }
    }
}

/// Body of a JS worker (threaded build): joins the pool and never returns. The worker must
/// first give this instance its own stack (`__stack_pointer`) and TLS block (`__wasm_init_tls`).
#[no_mangle]
pub extern "C" fn tl_worker() {
    let id = torchlet_kernels::par::register_worker();
    torchlet_kernels::par::worker_loop(id);
}
