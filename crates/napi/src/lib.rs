//! torchlet kernels as a native Node addon over raw N-API (declared here; no crates). Exports
//! `call(kernelId, ...args)`: storages are Float32Array/Int32Array passed zero-copy, numbers and
//! flags are numbers, int arrays are Int32Array + length; `isa()` names the SIMD flavour.
#![allow(non_camel_case_types)]
use std::ffi::{c_char, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use torchlet_kernels::abi::{self, Args, Buf, Error};

type napi_env = *mut c_void;
type napi_value = *mut c_void;
type napi_callback_info = *mut c_void;
type napi_status = i32;
type napi_callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

const NAPI_OK: napi_status = 0;
// napi_valuetype
const T_UNDEFINED: i32 = 0;
const T_NULL: i32 = 1;
const T_BOOLEAN: i32 = 2;
// napi_typedarray_type
const TA_INT32: i32 = 5;
const TA_UINT32: i32 = 6;
const TA_FLOAT32: i32 = 7;
const TA_UINT8: i32 = 1;
const TA_FLOAT64: i32 = 8;

extern "C" {
    fn napi_get_cb_info(
        env: napi_env,
        info: napi_callback_info,
        argc: *mut usize,
        argv: *mut napi_value,
        this_arg: *mut napi_value,
        data: *mut *mut c_void,
    ) -> napi_status;
    fn napi_typeof(env: napi_env, value: napi_value, result: *mut i32) -> napi_status;
    fn napi_get_value_double(env: napi_env, value: napi_value, result: *mut f64) -> napi_status;
    fn napi_get_value_bool(env: napi_env, value: napi_value, result: *mut bool) -> napi_status;
    fn napi_get_typedarray_info(
        env: napi_env,
        value: napi_value,
        kind: *mut i32,
        length: *mut usize,
        data: *mut *mut c_void,
        arraybuffer: *mut napi_value,
        byte_offset: *mut usize,
    ) -> napi_status;
    fn napi_create_function(
        env: napi_env,
        name: *const c_char,
        length: usize,
        cb: napi_callback,
        data: *mut c_void,
        result: *mut napi_value,
    ) -> napi_status;
    fn napi_set_named_property(
        env: napi_env,
        object: napi_value,
        name: *const c_char,
        value: napi_value,
    ) -> napi_status;
    fn napi_create_string_utf8(env: napi_env, s: *const c_char, length: usize, result: *mut napi_value) -> napi_status;
    fn napi_get_boolean(env: napi_env, value: bool, result: *mut napi_value) -> napi_status;
    fn napi_get_undefined(env: napi_env, result: *mut napi_value) -> napi_status;
    fn napi_throw_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
    fn napi_throw_range_error(env: napi_env, code: *const c_char, msg: *const c_char) -> napi_status;
}

const MAX_ARGS: usize = 48;

struct NapiArgs {
    env: napi_env,
    argv: [napi_value; MAX_ARGS],
    argc: usize,
    i: usize,
}

impl NapiArgs {
    fn next(&mut self) -> Result<napi_value, Error> {
        if self.i >= self.argc {
            return Err(Error::Arg("too few arguments".into()));
        }
        let v = self.argv[self.i];
        self.i += 1;
        Ok(v)
    }
    fn kind(&self, v: napi_value) -> i32 {
        let mut t = -1;
        unsafe { napi_typeof(self.env, v, &mut t) };
        t
    }
    /// (pointer, element count, typed array kind) of a typed array.
    fn typed(&self, v: napi_value) -> Result<(*mut u8, usize, i32), Error> {
        let (mut kind, mut len, mut data, mut ab, mut off) =
            (0i32, 0usize, core::ptr::null_mut(), core::ptr::null_mut(), 0usize);
        let st = unsafe { napi_get_typedarray_info(self.env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off) };
        if st != NAPI_OK {
            return Err(Error::Arg("expected a typed array".into()));
        }
        Ok((data as *mut u8, len, kind))
    }
}

impl Args for NapiArgs {
    fn num(&mut self) -> Result<f64, Error> {
        let v = self.next()?;
        if self.kind(v) == T_BOOLEAN {
            let mut b = false;
            unsafe { napi_get_value_bool(self.env, v, &mut b) };
            return Ok(if b { 1.0 } else { 0.0 });
        }
        let mut d = 0f64;
        if unsafe { napi_get_value_double(self.env, v, &mut d) } != NAPI_OK {
            return Err(Error::Arg("expected a number".into()));
        }
        Ok(d)
    }
    fn buf(&mut self) -> Result<Buf, Error> {
        let v = self.next()?;
        let k = self.kind(v);
        if k == T_NULL || k == T_UNDEFINED {
            return Ok(Buf::NULL);
        }
        let (p, len, kind) = self.typed(v)?;
        // float32 = Float32Array, int64 = Float64Array, bool = Uint8Array (Int32Array: scratch)
        let esize = match kind {
            TA_FLOAT32 | TA_INT32 | TA_UINT32 => 4,
            TA_FLOAT64 => 8,
            TA_UINT8 => 1,
            _ => {
                return Err(Error::Arg("storage must be a Float32Array, Float64Array, Uint8Array or Int32Array".into()))
            }
        };
        // an empty typed array may have a null data pointer; give it a dangling aligned one
        let p = if p.is_null() { core::ptr::NonNull::<f32>::dangling().as_ptr() as *mut u8 } else { p };
        // Buf::len is a byte capacity
        Ok(Buf { ptr: p, len: len * esize })
    }
    fn ints(&mut self) -> Result<Vec<i32>, Error> {
        let v = self.next()?;
        let n = self.num()? as usize;
        if n == 0 {
            return Ok(Vec::new());
        }
        let (p, len, kind) = self.typed(v)?;
        if kind != TA_INT32 || len < n {
            return Err(Error::Arg("expected an Int32Array".into()));
        }
        Ok(unsafe { core::slice::from_raw_parts(p as *const i32, n) }.to_vec())
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap()
}

unsafe fn undefined(env: napi_env) -> napi_value {
    let mut u = core::ptr::null_mut();
    napi_get_undefined(env, &mut u);
    u
}

unsafe extern "C" fn js_call(env: napi_env, info: napi_callback_info) -> napi_value {
    let mut a = NapiArgs { env, argv: [core::ptr::null_mut(); MAX_ARGS], argc: MAX_ARGS, i: 0 };
    napi_get_cb_info(env, info, &mut a.argc, a.argv.as_mut_ptr(), core::ptr::null_mut(), core::ptr::null_mut());
    a.argc = a.argc.min(MAX_ARGS);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let id = a.num()?;
        abi::call(id as u32, &mut a)
    }));
    match r {
        Ok(Ok(())) => {}
        Ok(Err(Error::Range(m))) => {
            napi_throw_range_error(env, core::ptr::null(), cstr(&m).as_ptr());
        }
        Ok(Err(Error::Arg(m))) => {
            napi_throw_error(env, core::ptr::null(), cstr(&format!("torchlet native: {m}")).as_ptr());
        }
        Err(p) => {
            let m = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            napi_throw_error(env, core::ptr::null(), cstr(&format!("torchlet native: kernel panicked: {m}")).as_ptr());
        }
    }
    undefined(env)
}

unsafe extern "C" fn js_isa(env: napi_env, _info: napi_callback_info) -> napi_value {
    let s = torchlet_kernels::simd::isa();
    let mut v = core::ptr::null_mut();
    napi_create_string_utf8(env, s.as_ptr() as *const c_char, s.len(), &mut v);
    v
}

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// `tuneMalloc(mmapThreshold, trimThreshold)`: on glibc, serves large allocations (typed arrays
/// the caller makes, e.g. a tensor read back into a fresh Float32Array) from the heap instead of
/// fresh mmap()s, and keeps freed heap memory up to `trimThreshold` bytes mapped. A fresh mmap of
/// n bytes costs a page fault per 4 KiB on first touch (~0.8 ms for a 3 MB read-back); the heap
/// reuses already-mapped pages. Looked up at run time (no-op off glibc); returns whether applied.
unsafe extern "C" fn js_tune_malloc(env: napi_env, info: napi_callback_info) -> napi_value {
    let mut a = NapiArgs { env, argv: [core::ptr::null_mut(); MAX_ARGS], argc: MAX_ARGS, i: 0 };
    napi_get_cb_info(env, info, &mut a.argc, a.argv.as_mut_ptr(), core::ptr::null_mut(), core::ptr::null_mut());
    a.argc = a.argc.min(MAX_ARGS);
    let mut ok = false;
    if let (Ok(mmap), Ok(trim)) = (a.num(), a.num()) {
        // glibc: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3; RTLD_DEFAULT = null
        let f = dlsym(core::ptr::null_mut(), c"mallopt".as_ptr());
        if !f.is_null() && cfg!(target_os = "linux") {
            let mallopt: unsafe extern "C" fn(i32, i32) -> i32 = core::mem::transmute(f);
            let clamp = |v: f64| v.clamp(0.0, i32::MAX as f64) as i32;
            ok = mallopt(-3, clamp(mmap)) == 1 && mallopt(-1, clamp(trim)) == 1;
        }
    }
    let mut v = core::ptr::null_mut();
    napi_get_boolean(env, ok, &mut v);
    v
}

unsafe fn export(env: napi_env, exports: napi_value, name: &str, f: napi_callback) {
    let n = cstr(name);
    let mut fv = core::ptr::null_mut();
    napi_create_function(env, n.as_ptr(), name.len(), f, core::ptr::null_mut(), &mut fv);
    napi_set_named_property(env, exports, n.as_ptr(), fv);
}

/// Entry point Node looks up when it loads the addon.
///
/// # Safety
/// Called by Node with a valid env and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    export(env, exports, "call", js_call);
    export(env, exports, "isa", js_isa);
    export(env, exports, "tuneMalloc", js_tune_malloc);
    exports
}
