//! The one calling convention shared by the wasm and N-API wrappers: kernel `id` plus a stream of
//! arguments (storages as raw pointers, numbers, int arrays), decoded here once for both.
//!
//! The ABI is declared once, here and next to the kernels, with `abi_enum!` (kernel ids, op codes)
//! and `abi_struct!` (geometry layouts). scripts/gen-abi.mjs reads those declarations and writes
//! ts/backends/abi.gen.ts (run by scripts/build.sh); test/abi.test.ts fails when that file is stale
//! and the `abi_gen_ts_matches` kernel test fails when it differs from what the compiler sees.
//! `call` matches on `Kernel` exhaustively, so a declared kernel without a dispatch arm does not
//! compile. See CONTRIBUTING.md.

/// Declares an enum that crosses the ABI as a `u32` code: its variants in code order, each with
/// the name the TypeScript side uses. `$ts` is the TypeScript union type generated for the names.
/// Generates `ALL`, `NAMES`, `COUNT`, `from_code` and `name`.
#[macro_export]
macro_rules! abi_enum {
    ($(#[$m:meta])* pub enum $name:ident : $ts:literal { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in code order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// The TypeScript names, in code order.
            pub const NAMES: &'static [&'static str] = &[$($s),*];
            pub const COUNT: usize = Self::ALL.len();
            /// The TypeScript type of the names.
            pub const TS_TYPE: &'static str = $ts;
            pub fn from_code(c: u32) -> Option<Self> { Self::ALL.get(c as usize).copied() }
            pub fn name(self) -> &'static str { Self::NAMES[self as usize] }
        }
    };
}

/// Declares a geometry record that crosses the ABI as an int array: `usize` fields in array order,
/// each with its TypeScript name. Generates `FIELDS`, `LEN` and `decode` (length-checked; negative
/// numbers read as 0).
#[macro_export]
macro_rules! abi_struct {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* $f:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name { $($(#[$fm])* pub $f: usize),* }
        impl $name {
            /// The TypeScript field names, in array order.
            pub const FIELDS: &'static [&'static str] = &[$($s),*];
            pub const LEN: usize = Self::FIELDS.len();
            /// Reads the int array built by the generated TypeScript encoder (fields in order).
            pub fn decode(v: &[i32]) -> Result<Self, $crate::abi::Error> {
                if v.len() != Self::LEN {
                    return Err($crate::abi::Error::Arg(format!("{} needs {} numbers, got {}", stringify!($name), Self::LEN, v.len())));
                }
                let mut it = v.iter().map(|&x| x.max(0) as usize);
                // struct fields are evaluated in the order written, which is the array order
                Ok($name { $($f: it.next().unwrap_or(0)),* })
            }
        }
    };
}
use crate::conv::ConvGeom;
use crate::elementwise::{self as ew, Binary, Unary};
use crate::pool::PoolGeom;
use crate::Elem;
use crate::{attention, conv, embed, gather, linalg, norm, optim, par, pool, reduce, rnn, scan, softmax, sort};

crate::abi_enum! {
    /// Kernel ids: a kernel's id is its position here. To add a kernel: a variant here (the
    /// compiler then asks for its arm in `call`), its `Backend` method in ts/backends/types.ts, the
    /// js reference in ts/backends/js.ts and the Rust forwarding in ts/backends/rust.ts.
    pub enum Kernel: "KernelName" {
        Fill = "fill",
        CopyStrided = "copyStrided",
        Cast = "cast",
        Unary = "unary",
        UnaryGrad = "unaryGrad",
        Binary = "binary",
        Scalar = "scalar",
        Where = "where",
        Sum = "sum",
        Max = "max",
        Gemm = "gemm",
        Softmax = "softmax",
        SoftmaxGrad = "softmaxGrad",
        Nll = "nll",
        NllGrad = "nllGrad",
        Conv = "conv",
        ConvGradInput = "convGradInput",
        ConvGradWeight = "convGradWeight",
        MaxPool2d = "maxPool2d",
        IndexPoolGrad = "indexPoolGrad",
        AvgPool2d = "avgPool2d",
        AvgPool2dGrad = "avgPool2dGrad",
        AdaptiveAvgPool2d = "adaptiveAvgPool2d",
        AdaptiveAvgPool2dGrad = "adaptiveAvgPool2dGrad",
        AdaptiveMaxPool2d = "adaptiveMaxPool2d",
        ChannelStats = "channelStats",
        ChannelNormalize = "channelNormalize",
        BatchNormGrad = "batchNormGrad",
        LayerNorm = "layerNorm",
        LayerNormGrad = "layerNormGrad",
        Embedding = "embedding",
        EmbeddingGrad = "embeddingGrad",
        LstmCell = "lstmCell",
        LstmCellGrad = "lstmCellGrad",
        GruCell = "gruCell",
        GruCellGrad = "gruCellGrad",
        SgdStep = "sgdStep",
        AdamStep = "adamStep",
        SetThreads = "setThreads",
        LstmSeq = "lstmSeq",
        Copy = "copy",
        Attention = "attention",
        AttentionGrad = "attentionGrad",
        /// F.pad and F.interpolate (resize.rs)
        Pad = "pad",
        PadGrad = "padGrad",
        Resample = "resample",
        ResampleGrad = "resampleGrad",
        /// index ops over [outer, n, inner] (gather.rs, scan.rs, sort.rs)
        Gather = "gather",
        Scatter = "scatter",
        WhereStrided = "whereStrided",
        Scan = "scan",
        Sort = "sort",
        AssignStrided = "assignStrided",
        IndexGather = "indexGather",
        IndexPut = "indexPut",
        MaskIndices = "maskIndices",
        /// RMS norm (norm.rs)
        RmsNorm = "rmsNorm",
        RmsNormGrad = "rmsNormGrad",
        /// conv weights packed once for the forward's GEMM (conv/prepack.rs)
        ConvPack = "convPack",
    }
}

/// Every ABI declaration as (Rust name, "NAMES" for an enum or "FIELDS" for a struct, TypeScript
/// names), checked against ts/backends/abi.gen.ts by the `abi_gen_ts_matches` test. A new
/// `abi_enum!`/`abi_struct!` is listed here too (that test fails until it is).
pub fn declarations() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    vec![
        ("Kernel", "NAMES", Kernel::NAMES),
        ("Unary", "NAMES", Unary::NAMES),
        ("Binary", "NAMES", Binary::NAMES),
        ("ConvGeom", "FIELDS", ConvGeom::FIELDS),
        ("PoolGeom", "FIELDS", PoolGeom::FIELDS),
        ("ConvAct", "NAMES", crate::conv::ConvAct::NAMES),
        ("AttnDims", "FIELDS", crate::attention::AttnDims::FIELDS),
        ("ResizeDims", "FIELDS", crate::resize::ResizeDims::FIELDS),
        ("PadMode", "NAMES", crate::resize::PadMode::NAMES),
        ("ResampleMode", "NAMES", crate::resize::ResampleMode::NAMES),
    ]
}

/// A storage as seen by a kernel: start pointer and capacity in BYTES (`usize::MAX` when the
/// wrapper cannot know it, as on wasm where the memory itself bounds every access). Elements are
/// f32 (float32), f64 (int64: integers, exact to 2^53) or u8 (bool); see `with_ty!`.
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    pub ptr: *mut u8,
    pub len: usize,
}

impl Buf {
    pub const NULL: Buf = Buf { ptr: core::ptr::null_mut(), len: 0 };
    pub fn is_null(&self) -> bool {
        self.ptr.is_null()
    }
    /// Checks room for n 4-byte elements.
    fn check(&self, n: usize) -> Result<(), Error> {
        self.check_bytes(n * 4)
    }
    fn check_bytes(&self, bytes: usize) -> Result<(), Error> {
        if self.is_null() && bytes > 0 {
            return Err(Error::Arg("missing storage".into()));
        }
        if bytes > self.len {
            return Err(Error::Arg(format!("storage of {} bytes used for {}", self.len, bytes)));
        }
        Ok(())
    }
    /// n elements of T (f32, f64, u8, ...), size-checked.
    /// # Safety: as `f32`.
    pub(crate) unsafe fn slice<'a, T>(self, n: usize) -> Result<&'a [T], Error> {
        self.check_bytes(n * core::mem::size_of::<T>())?;
        Ok(if n == 0 { &[] } else { core::slice::from_raw_parts(self.ptr as *const T, n) })
    }
    pub(crate) unsafe fn slice_mut<'a, T>(self, n: usize) -> Result<&'a mut [T], Error> {
        self.check_bytes(n * core::mem::size_of::<T>())?;
        Ok(if n == 0 { &mut [] } else { core::slice::from_raw_parts_mut(self.ptr as *mut T, n) })
    }
    /// Whether nb bytes from self and mb bytes from other share memory.
    pub(crate) fn overlaps_bytes(&self, nb: usize, other: &Buf, mb: usize) -> bool {
        let (a0, a1) = (self.ptr as usize, self.ptr as usize + nb);
        let (b0, b1) = (other.ptr as usize, other.ptr as usize + mb);
        !self.is_null() && !other.is_null() && a0 < b1 && b0 < a1
    }
    /// # Safety: the pointer must be valid for `n` elements and not mutated through another path.
    unsafe fn f32<'a>(self, n: usize) -> Result<&'a [f32], Error> {
        self.check(n)?;
        Ok(if n == 0 { &[] } else { core::slice::from_raw_parts(self.ptr as *const f32, n) })
    }
    unsafe fn f32_mut<'a>(self, n: usize) -> Result<&'a mut [f32], Error> {
        self.check(n)?;
        Ok(if n == 0 { &mut [] } else { core::slice::from_raw_parts_mut(self.ptr as *mut f32, n) })
    }
    unsafe fn i32<'a>(self, n: usize) -> Result<&'a [i32], Error> {
        self.check(n)?;
        Ok(if n == 0 { &[] } else { core::slice::from_raw_parts(self.ptr as *const i32, n) })
    }
    unsafe fn i32_mut<'a>(self, n: usize) -> Result<&'a mut [i32], Error> {
        self.check(n)?;
        Ok(if n == 0 { &mut [] } else { core::slice::from_raw_parts_mut(self.ptr as *mut i32, n) })
    }
    unsafe fn u32<'a>(self, n: usize) -> Result<&'a [u32], Error> {
        Ok(core::mem::transmute::<&[i32], &[u32]>(self.i32(n)?))
    }
    unsafe fn u32_mut<'a>(self, n: usize) -> Result<&'a mut [u32], Error> {
        Ok(core::mem::transmute::<&mut [i32], &mut [u32]>(self.i32_mut(n)?))
    }
    unsafe fn opt_f32<'a>(self, n: usize) -> Result<Option<&'a [f32]>, Error> {
        if self.is_null() {
            Ok(None)
        } else {
            self.f32(n).map(Some)
        }
    }
    unsafe fn opt_f32_mut<'a>(self, n: usize) -> Result<Option<&'a mut [f32]>, Error> {
        if self.is_null() {
            Ok(None)
        } else {
            self.f32_mut(n).map(Some)
        }
    }
    fn overlaps(&self, n: usize, other: &Buf, m: usize) -> bool {
        let (a0, a1) = (self.ptr as usize, self.ptr as usize + 4 * n);
        let (b0, b1) = (other.ptr as usize, other.ptr as usize + 4 * m);
        !self.is_null() && !other.is_null() && a0 < b1 && b0 < a1
    }
}

/// Why a kernel call failed.
#[derive(Debug)]
pub enum Error {
    /// bad call (wrong arguments, storage too small): a bug above the kernel layer.
    Arg(String),
    /// bad values (e.g. a class index out of range): a RangeError for the user.
    Range(String),
}

/// Where the arguments of one call come from.
pub trait Args {
    fn num(&mut self) -> Result<f64, Error>;
    /// A storage (or null).
    fn buf(&mut self) -> Result<Buf, Error>;
    /// An int32 array (shape, strides, geometry) followed by its length.
    fn ints(&mut self) -> Result<Vec<i32>, Error>;
    fn usize(&mut self) -> Result<usize, Error> {
        let v = self.num()?;
        if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
            Ok(v as usize)
        } else {
            Err(Error::Arg(format!("expected a size, got {v}")))
        }
    }
    fn int(&mut self) -> Result<i32, Error> {
        Ok(self.num()? as i32)
    }
    fn flag(&mut self) -> Result<bool, Error> {
        Ok(self.num()? != 0.0)
    }
}

/// Element type codes (ts/backends/rust.ts `dt`): 0 = float32 (f32), 1 = int64 (f64 holding
/// integers), 2 = bool (u8).
const F32: u32 = 0;
/// Bytes per element of a dtype code.
pub(crate) fn esize(d: u32) -> usize {
    match d {
        1 => 8,
        2 => 1,
        _ => 4,
    }
}

/// A copy of `bytes` bytes of b (8-byte aligned, for any element type), and a Buf over it.
unsafe fn keep_copy(b: Buf, bytes: usize) -> Result<Vec<u64>, Error> {
    b.check_bytes(bytes)?;
    let mut v = vec![0u64; (bytes + 7) / 8];
    if bytes > 0 {
        core::ptr::copy_nonoverlapping(b.ptr, v.as_mut_ptr() as *mut u8, bytes);
    }
    Ok(v)
}
fn buf_of(v: &[u64], bytes: usize) -> Buf {
    Buf { ptr: v.as_ptr() as *mut u8, len: bytes }
}

/// An int64 index storage (f64) as i32 for the kernels that index with i32 (nll targets, embedding
/// rows, pool positions): every value must be an integer that fits (else a RangeError naming it).
unsafe fn idx_in(b: Buf, n: usize, what: &str) -> Result<Vec<i32>, Error> {
    let v = b.slice::<f64>(n)?;
    v.iter()
        .map(|&x| {
            if x.fract() == 0.0 && x >= i32::MIN as f64 && x <= i32::MAX as f64 {
                Ok(x as i32)
            } else {
                Err(Error::Range(format!("{what}: index {x} is out of range")))
            }
        })
        .collect()
}
/// Writes i32 positions into an int64 (f64) storage.
unsafe fn idx_out(b: Buf, v: &[i32]) -> Result<(), Error> {
    let o = b.slice_mut::<f64>(v.len())?;
    for (o, &x) in o.iter_mut().zip(v) {
        *o = x as f64;
    }
    Ok(())
}

fn overlap_copy(x: &[f32], out: Buf, n_out: usize, xb: Buf) -> Option<Vec<f32>> {
    if xb.overlaps(x.len(), &out, n_out) {
        Some(x.to_vec())
    } else {
        None
    }
}

/// Elements reachable from offset 0 by an index over `shape` with `strides` (+ x_off); errors on
/// negative reach.
fn extent(off: usize, shape: &[i32], strides: &[i32]) -> Result<usize, Error> {
    let (mut lo, mut hi) = (off as i64, off as i64);
    for (&s, &st) in shape.iter().zip(strides) {
        if s <= 0 {
            return Ok(0);
        }
        let d = (s as i64 - 1) * st as i64;
        if d < 0 {
            lo += d
        } else {
            hi += d
        }
    }
    if lo < 0 {
        return Err(Error::Arg("strided view reaches before its storage".into()));
    }
    Ok(hi as usize + 1)
}

fn op_unary(c: u32) -> Result<Unary, Error> {
    Unary::from_code(c).ok_or_else(|| Error::Arg(format!("unknown unary op {c}")))
}
fn op_binary(c: u32) -> Result<Binary, Error> {
    Binary::from_code(c).ok_or_else(|| Error::Arg(format!("unknown binary op {c}")))
}

/// Dispatches a generic over the element type of a dtype code (0 f32, 1 f64 = int64, 2 u8 = bool).
macro_rules! with_ty {
    ($d:expr, |$T:ident| $body:expr) => {
        match $d {
            0 => {
                type $T = f32;
                $body
            }
            1 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = u8;
                $body
            }
        }
    };
}
macro_rules! dt2 {
    // dispatch a generic over the element types of two storages
    ($da:expr, $db:expr, |$A:ident, $B:ident| $body:expr) => {
        with_ty!($da, |$A| with_ty!($db, |$B| $body))
    };
}

/// The conv epilogue arguments after y: the activation code (0 none, 1 relu, 2 relu6; a boolean
/// `relu` reads as 0/1) and the residual storage (null for none), laid out like y and apart from it.
unsafe fn conv_epilogue<'a>(a: &mut dyn Args, g: &ConvGeom, y: Buf) -> Result<conv::Epilogue<'a>, Error> {
    let code = a.num()?;
    let act = conv::ConvAct::from_code(code as u32)
        .filter(|_| code >= 0.0 && code.fract() == 0.0)
        .ok_or_else(|| Error::Arg(format!("unknown conv activation code {code}")))?;
    let rb = a.buf()?;
    if rb.overlaps(g.y_len(), &y, g.y_len()) {
        return Err(Error::Arg("conv residual overlaps the output".into()));
    }
    Ok(conv::Epilogue { act, res: rb.opt_f32(g.y_len())? })
}

/// Decodes the arguments of kernel `id` and runs it.
///
/// # Safety
/// Every storage argument must point to memory valid for the sizes the call implies (checked
/// against `Buf::len` when the wrapper knows it) and not be used by anything else meanwhile.
pub unsafe fn call(id: u32, a: &mut dyn Args) -> Result<(), Error> {
    let k = Kernel::from_code(id).ok_or_else(|| Error::Arg(format!("unknown kernel id {id}")))?;
    match k {
        Kernel::Fill => {
            let (out, n, dt, v) = (a.buf()?, a.usize()?, a.num()? as u32, a.num()?);
            with_ty!(dt, |T| ew::fill(out.slice_mut::<T>(n)?, v))
        }
        Kernel::CopyStrided => {
            let (x, off, shape, strides, out, dt) =
                (a.buf()?, a.usize()?, a.ints()?, a.ints()?, a.buf()?, a.num()? as u32);
            let n: usize = shape.iter().map(|&s| s.max(0) as usize).product();
            if n == 0 {
                return Ok(());
            }
            let ext = extent(off, &shape, &strides)?;
            if dt != F32 {
                // 8- and 1-byte elements (int64, bool): the generic strided copy
                let es = esize(dt);
                let keep = if x.overlaps_bytes(ext * es, &out, n * es) { Some(keep_copy(x, ext * es)?) } else { None };
                let xb = keep.as_deref().map(|v| buf_of(v, ext * es)).unwrap_or(x);
                let shape: Vec<usize> = shape.iter().map(|&s| s.max(0) as usize).collect();
                let strides: Vec<isize> = strides.iter().map(|&s| s as isize).collect();
                let ost = crate::index::contiguous(&shape);
                with_ty!(dt, |T| crate::index::assign_strided(
                    xb.slice::<T>(ext)?,
                    off,
                    &strides,
                    out.slice_mut::<T>(n)?,
                    0,
                    &ost,
                    &shape
                ));
                return Ok(());
            }
            let xs = x.u32(ext)?;
            let keep = if x.overlaps(ext, &out, n) { Some(xs.to_vec()) } else { None };
            let xs = keep.as_deref().unwrap_or(xs);
            let shape: Vec<usize> = shape.iter().map(|&s| s.max(0) as usize).collect();
            let strides: Vec<isize> = strides.iter().map(|&s| s as isize).collect();
            ew::copy_strided(xs, off, &shape, &strides, out.u32_mut(n)?);
        }
        Kernel::Cast => {
            let (x, xd, out, od, n) = (a.buf()?, a.num()? as u32, a.buf()?, a.num()? as u32, a.usize()?);
            if x.ptr == out.ptr && xd == od {
                return Ok(());
            }
            let (bx, bo) = (n * esize(xd), n * esize(od));
            let keep = if x.overlaps_bytes(bx, &out, bo) { Some(keep_copy(x, bx)?) } else { None };
            let xb = keep.as_deref().map(|v| buf_of(v, bx)).unwrap_or(x);
            dt2!(xd, od, |S, D| ew::cast(xb.slice::<S>(n)?, out.slice_mut::<D>(n)?))
        }
        Kernel::Unary => {
            let (op, x, out, n) = (op_unary(a.num()? as u32)?, a.buf()?, a.buf()?, a.usize()?);
            let p = [a.num()? as f32, a.num()? as f32, a.num()? as f32];
            let xs = x.f32(n)?;
            let keep = overlap_copy(xs, out, n, x);
            ew::unary_p(op, p, keep.as_deref().unwrap_or(xs), out.f32_mut(n)?);
        }
        Kernel::UnaryGrad => {
            let (op, x, y, gy, gx, n) =
                (op_unary(a.num()? as u32)?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.usize()?);
            let p = [a.num()? as f32, a.num()? as f32, a.num()? as f32];
            // inputs that share memory with gx are read from copies
            let read = |b: Buf| -> Result<(Option<Vec<f32>>, &[f32]), Error> {
                if b.is_null() {
                    return Ok((None, &[]));
                }
                let s = b.f32(n)?;
                Ok(if b.overlaps(n, &gx, n) { (Some(s.to_vec()), &[]) } else { (None, s) })
            };
            let ((kx, xs), (ky, ys), (kg, gys)) = (read(x)?, read(y)?, read(gy)?);
            let xs = kx.as_deref().unwrap_or(xs);
            let ys = ky.as_deref().unwrap_or(ys);
            let gys = kg.as_deref().unwrap_or(gys);
            let short = match op.grad_reads() {
                ew::Reads::X => xs.len() < n,
                ew::Reads::Y => ys.len() < n,
                ew::Reads::None => false,
            };
            if short {
                return Err(Error::Arg("unaryGrad: missing x or y".into()));
            }
            ew::unary_grad_p(op, p, xs, ys, gys, gx.f32_mut(n)?);
        }
        Kernel::Binary => {
            let op = op_binary(a.num()? as u32)?;
            let (x, xd, xst) = (a.buf()?, a.num()? as u32, a.ints()?);
            let (y, yd, yst) = (a.buf()?, a.num()? as u32, a.ints()?);
            let (out, od, shape) = (a.buf()?, a.num()? as u32, a.ints()?);
            let n: usize = shape.iter().map(|&s| s.max(0) as usize).product();
            if n == 0 {
                return Ok(());
            }
            let (ex, ey) = (extent(0, &shape, &xst)?, extent(0, &shape, &yst)?);
            let shape_u: Vec<usize> = shape.iter().map(|&s| s as usize).collect();
            let sx: Vec<isize> = xst.iter().map(|&s| s as isize).collect();
            let sy: Vec<isize> = yst.iter().map(|&s| s as isize).collect();
            let (bx, by, bo) = (ex * esize(xd), ey * esize(yd), n * esize(od));
            let kx = if x.overlaps_bytes(bx, &out, bo) { Some(keep_copy(x, bx)?) } else { None };
            let ky = if y.overlaps_bytes(by, &out, bo) { Some(keep_copy(y, by)?) } else { None };
            let xb = kx.as_deref().map(|v| buf_of(v, bx)).unwrap_or(x);
            let yb = ky.as_deref().map(|v| buf_of(v, by)).unwrap_or(y);
            if xd == F32 && yd == F32 && od == F32 {
                ew::binary_f32(op, xb.f32(ex)?, &sx, yb.f32(ey)?, &sy, out.f32_mut(n)?, &shape_u);
            } else if xd == F32 && yd == F32 && od == 2 {
                // float32 comparison to bool: the SIMD float32 kernel (0/1) into scratch, then bytes
                let mut tmp = vec![0f32; n];
                ew::binary_f32(op, xb.f32(ex)?, &sx, yb.f32(ey)?, &sy, &mut tmp, &shape_u);
                for (o, &v) in out.slice_mut::<u8>(n)?.iter_mut().zip(&tmp) {
                    *o = (v != 0.0) as u8;
                }
            } else {
                dt2!(xd, yd, |A, B| {
                    let (xs, ys) = (xb.slice::<A>(ex)?, yb.slice::<B>(ey)?);
                    with_ty!(od, |O| ew::binary_any(op, xs, &sx, ys, &sy, out.slice_mut::<O>(n)?, &shape_u))
                })
            }
        }
        Kernel::Scalar => {
            let op = op_binary(a.num()? as u32)?;
            let (x, xd, s, out, od, n) = (a.buf()?, a.num()? as u32, a.num()?, a.buf()?, a.num()? as u32, a.usize()?);
            let (bx, bo) = (n * esize(xd), n * esize(od));
            let keep = if x.overlaps_bytes(bx, &out, bo) { Some(keep_copy(x, bx)?) } else { None };
            let xb = keep.as_deref().map(|v| buf_of(v, bx)).unwrap_or(x);
            if xd == F32 && od == F32 {
                ew::scalar_f32(op, xb.f32(n)?, s, out.f32_mut(n)?)
            } else if xd == F32 && od == 2 {
                let mut tmp = vec![0f32; n];
                ew::scalar_f32(op, xb.f32(n)?, s, &mut tmp);
                for (o, &v) in out.slice_mut::<u8>(n)?.iter_mut().zip(&tmp) {
                    *o = (v != 0.0) as u8;
                }
            } else {
                dt2!(xd, od, |X, O| ew::scalar_any(op, xb.slice::<X>(n)?, s, out.slice_mut::<O>(n)?))
            }
        }
        Kernel::Where => {
            let (c, cd, x, xd, y, yd, out, od, n) = (
                a.buf()?,
                a.num()? as u32,
                a.buf()?,
                a.num()? as u32,
                a.buf()?,
                a.num()? as u32,
                a.buf()?,
                a.num()? as u32,
                a.usize()?,
            );
            // copy inputs that share memory with out
            let bo = n * esize(od);
            let mut keeps: Vec<Vec<u64>> = Vec::new();
            let mut fix = |b: Buf, d: u32| -> Result<Buf, Error> {
                let nb = n * esize(d);
                if b.overlaps_bytes(nb, &out, bo) {
                    keeps.push(keep_copy(b, nb)?);
                    Ok(buf_of(keeps.last().unwrap(), nb))
                } else {
                    Ok(b)
                }
            };
            let (c, x, y) = (fix(c, cd)?, fix(x, xd)?, fix(y, yd)?);
            if cd == F32 && xd == F32 && yd == F32 && od == F32 {
                ew::where_f32(c.f32(n)?, x.f32(n)?, y.f32(n)?, out.f32_mut(n)?);
            } else {
                let cf: Vec<f32> = with_ty!(cd, |C| c
                    .slice::<C>(n)?
                    .iter()
                    .map(|&v| if crate::Elem::to_f64(v) != 0.0 { 1.0 } else { 0.0 })
                    .collect());
                dt2!(xd, yd, |A, B| {
                    let (xs, ys) = (x.slice::<A>(n)?, y.slice::<B>(n)?);
                    with_ty!(od, |O| ew::where_(&cf, xs, ys, out.slice_mut::<O>(n)?))
                })
            }
        }
        Kernel::Sum | Kernel::Max => {
            let is_max = k == Kernel::Max;
            let (x, xd, out, od) = (a.buf()?, a.num()? as u32, a.buf()?, a.num()? as u32);
            let idx = if is_max { a.buf()? } else { Buf::NULL };
            let (outer, red, inner) = (a.usize()?, a.usize()?, a.usize()?);
            let (nx, no) = (outer * red * inner, outer * inner);
            if x.overlaps_bytes(nx * esize(xd), &out, no * esize(od)) {
                return Err(Error::Arg("reduction output overlaps its input".into()));
            }
            // argmax positions: i32 in the kernel, written to the int64 (f64) index storage after
            let mut ipos: Vec<i32> = if idx.is_null() { Vec::new() } else { vec![0; no] };
            let ix = if idx.is_null() { None } else { Some(&mut ipos[..]) };
            if xd == F32 && od == F32 {
                let (xs, os) = (x.f32(nx)?, out.f32_mut(no)?);
                if is_max {
                    reduce::max_f32(xs, os, ix, outer, red, inner)
                } else {
                    reduce::sum_f32(xs, os, outer, red, inner)
                }
            } else {
                dt2!(xd, od, |X, O| {
                    let (xs, os) = (x.slice::<X>(nx)?, out.slice_mut::<O>(no)?);
                    if is_max {
                        reduce::max_any(xs, os, ix, outer, red, inner)
                    } else {
                        reduce::sum_any(xs, os, outer, red, inner)
                    }
                })
            }
            if !idx.is_null() {
                idx_out(idx, &ipos)?;
            }
        }
        Kernel::Gemm => {
            let (batch, m, n, k) = (a.usize()?, a.usize()?, a.usize()?, a.usize()?);
            let (ab, a_stride, trans_a) = (a.buf()?, a.usize()?, a.flag()?);
            let (bb, b_stride, trans_b) = (a.buf()?, a.usize()?, a.flag()?);
            let (cb, c_stride) = (a.buf()?, a.usize()?);
            let beta = a.num()? as f32;
            let bias = a.buf()?;
            if batch == 0 || m == 0 || n == 0 {
                return Ok(());
            }
            let (ea, eb, ec) =
                ((batch - 1) * a_stride + m * k, (batch - 1) * b_stride + k * n, (batch - 1) * c_stride + m * n);
            if cb.overlaps(ec, &ab, ea) || cb.overlaps(ec, &bb, eb) {
                return Err(Error::Arg("gemm output overlaps an input".into()));
            }
            let g = linalg::Gemm { batch, m, n, k, a_stride, trans_a, b_stride, trans_b, c_stride, beta };
            linalg::gemm(&g, ab.f32(ea)?, bb.f32(eb)?, cb.f32_mut(ec)?, bias.opt_f32(n)?);
        }
        Kernel::Softmax | Kernel::SoftmaxGrad => {
            let grad = k == Kernel::SoftmaxGrad;
            let y = a.buf()?;
            let gy = if grad { a.buf()? } else { Buf::NULL };
            let out = a.buf()?;
            let (outer, dim, inner, log) = (a.usize()?, a.usize()?, a.usize()?, a.flag()?);
            let n = outer * dim * inner;
            let ys = y.f32(n)?;
            let ky = if y.overlaps(n, &out, n) { Some(ys.to_vec()) } else { None };
            let ys = ky.as_deref().unwrap_or(ys);
            if grad {
                let gs = gy.f32(n)?;
                let kg = if gy.overlaps(n, &out, n) { Some(gs.to_vec()) } else { None };
                softmax::softmax_grad(ys, kg.as_deref().unwrap_or(gs), out.f32_mut(n)?, outer, dim, inner, log);
            } else {
                softmax::softmax(ys, out.f32_mut(n)?, outer, dim, inner, log);
            }
        }
        Kernel::Nll => {
            let (lp, t, w, loss, wo) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let (n, c, inner, ig) = (a.usize()?, a.usize()?, a.usize()?, a.int()?);
            softmax::nll(
                lp.f32(n * c * inner)?,
                &idx_in(t, n * inner, "nll_loss")?,
                w.opt_f32(c)?,
                loss.f32_mut(n * inner)?,
                wo.f32_mut(n * inner)?,
                n,
                c,
                inner,
                ig,
            )
            .map_err(|t| target_error(t, c))?;
        }
        Kernel::NllGrad => {
            let (gl, t, w, gx) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let (n, c, inner, ig) = (a.usize()?, a.usize()?, a.usize()?, a.int()?);
            softmax::nll_grad(
                gl.f32(n * inner)?,
                &idx_in(t, n * inner, "nll_loss")?,
                w.opt_f32(c)?,
                gx.f32_mut(n * c * inner)?,
                n,
                c,
                inner,
                ig,
            )
            .map_err(|t| target_error(t, c))?;
        }
        Kernel::Conv | Kernel::ConvGradInput | Kernel::ConvGradWeight => {
            let mut g = ConvGeom::decode(&a.ints()?)?;
            g.groups = g.groups.max(1);
            if g.c % g.groups != 0 || g.o % g.groups != 0 {
                return Err(Error::Arg("channels not divisible by groups".into()));
            }
            let (p, q, r, s) =
                (a.buf()?, a.buf()?, a.buf()?, if k == Kernel::ConvGradInput { Buf::NULL } else { a.buf()? });
            if g.x_len() == 0 || g.y_len() == 0 || g.w_len() == 0 {
                // zero-size batch, channels or output: nothing to compute; a weight gradient over an
                // empty batch is zero (the kernels' work split divides by these sizes)
                if k == Kernel::ConvGradWeight {
                    r.f32_mut(g.w_len())?.fill(0.0);
                    if let Some(gb) = s.opt_f32_mut(g.o)? {
                        gb.fill(0.0);
                    }
                } else if k == Kernel::Conv {
                    let ep = conv_epilogue(a, &g, s)?;
                    a.buf()?; // packed weights: unused without work
                              // the bias still fills a non-empty output of empty channels/kernel: C == 0
                    let y = s.f32_mut(g.y_len())?;
                    match r.opt_f32(g.o)? {
                        Some(b) if g.y_len() > 0 => {
                            let per = g.y_len() / (g.n * g.o).max(1);
                            for (i, v) in y.iter_mut().enumerate() {
                                *v = b[(i / per) % g.o];
                            }
                        }
                        _ => y.fill(0.0),
                    }
                    for (i, v) in y.iter_mut().enumerate() {
                        *v = ep.one(*v, i);
                    }
                } else {
                    r.f32_mut(g.x_len())?.fill(0.0);
                }
                return Ok(());
            }
            match k {
                Kernel::Conv => {
                    let ep = conv_epilogue(a, &g, s)?;
                    let pb = a.buf()?;
                    let np = conv::packed_len(&g, !r.is_null());
                    let packed = if np == 0 { None } else { pb.opt_f32(np)? };
                    conv::conv_fused_packed(
                        &g,
                        p.f32(g.x_len())?,
                        q.f32(g.w_len())?,
                        r.opt_f32(g.o)?,
                        packed,
                        s.f32_mut(g.y_len())?,
                        ep,
                    )
                }
                Kernel::ConvGradInput => {
                    conv::conv_grad_input(&g, p.f32(g.y_len())?, q.f32(g.w_len())?, r.f32_mut(g.x_len())?)
                }
                _ => conv::conv_grad_weight(
                    &g,
                    p.f32(g.x_len())?,
                    q.f32(g.y_len())?,
                    r.f32_mut(g.w_len())?,
                    s.opt_f32_mut(g.o)?,
                ),
            }
        }
        Kernel::ConvPack => {
            // (geometry, has_bias, w, bias, out, info): with out null, info (one int64) receives
            // the packed length in floats (0: nothing to pack); else w and bias are packed into out
            let mut g = ConvGeom::decode(&a.ints()?)?;
            g.groups = g.groups.max(1);
            if g.c % g.groups != 0 || g.o % g.groups != 0 {
                return Err(Error::Arg("channels not divisible by groups".into()));
            }
            let (has_bias, w, b, out, info) = (a.flag()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let n = conv::packed_len(&g, has_bias);
            if out.is_null() {
                info.slice_mut::<f64>(1)?[0] = n as f64;
            } else {
                if n == 0 || has_bias == b.is_null() {
                    return Err(Error::Arg("convPack: nothing to pack for this geometry and bias".into()));
                }
                if out.overlaps(n, &w, g.w_len()) || out.overlaps(n, &b, g.o) {
                    return Err(Error::Arg("convPack: output overlaps the weights".into()));
                }
                conv::conv_pack(&g, w.f32(g.w_len())?, b.opt_f32(g.o)?, out.f32_mut(n)?);
            }
        }
        Kernel::MaxPool2d | Kernel::AvgPool2d | Kernel::AvgPool2dGrad => {
            let g = PoolGeom::decode(&a.ints()?)?;
            let (ni, no) = (g.nc * g.in_size(), g.nc * g.out_size());
            match k {
                Kernel::MaxPool2d => {
                    let (x, y, ix) = (a.buf()?, a.buf()?, a.buf()?);
                    // positions as i32 in the kernel, then into the int64 (f64) index storage
                    let mut pos = if ix.is_null() { Vec::new() } else { vec![0i32; no] };
                    pool::max_pool2d(
                        &g,
                        x.f32(ni)?,
                        y.f32_mut(no)?,
                        if ix.is_null() { None } else { Some(&mut pos[..]) },
                    );
                    if !ix.is_null() {
                        idx_out(ix, &pos)?;
                    }
                }
                Kernel::AvgPool2d => {
                    let (x, y, cip, d) = (a.buf()?, a.buf()?, a.flag()?, a.int()?);
                    pool::avg_pool2d(&g, x.f32(ni)?, y.f32_mut(no)?, cip, d)
                }
                _ => {
                    let (gy, gx, cip, d) = (a.buf()?, a.buf()?, a.flag()?, a.int()?);
                    pool::avg_pool2d_grad(&g, gy.f32(no)?, gx.f32_mut(ni)?, cip, d)
                }
            }
        }
        Kernel::IndexPoolGrad => {
            let (gy, ix, gx, nc, ins, outs) = (a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?, a.usize()?);
            let ixs = idx_in(ix, nc * outs, "max pool")?;
            if ixs.iter().any(|&j| j >= ins as i32) {
                return Err(Error::Arg("pool index out of range".into()));
            }
            pool::index_pool_grad(gy.f32(nc * outs)?, &ixs, gx.f32_mut(nc * ins)?, nc, ins, outs);
        }
        Kernel::AdaptiveAvgPool2d | Kernel::AdaptiveAvgPool2dGrad | Kernel::AdaptiveMaxPool2d => {
            let (nc, h, w, oh, ow) = (a.usize()?, a.usize()?, a.usize()?, a.usize()?, a.usize()?);
            if oh == 0 || ow == 0 {
                return Ok(());
            }
            let (p, q) = (a.buf()?, a.buf()?);
            let (ni, no) = (nc * h * w, nc * oh * ow);
            match k {
                Kernel::AdaptiveAvgPool2d => pool::adaptive_avg_pool2d(nc, h, w, oh, ow, p.f32(ni)?, q.f32_mut(no)?),
                Kernel::AdaptiveAvgPool2dGrad => {
                    pool::adaptive_avg_pool2d_grad(nc, h, w, oh, ow, p.f32(no)?, q.f32_mut(ni)?)
                }
                _ => {
                    let ix = a.buf()?;
                    let mut pos = vec![0i32; no];
                    pool::adaptive_max_pool2d(nc, h, w, oh, ow, p.f32(ni)?, q.f32_mut(no)?, &mut pos);
                    idx_out(ix, &pos)?
                }
            }
        }
        Kernel::ChannelStats => {
            let (x, n, c, s, m, v) = (a.buf()?, a.usize()?, a.usize()?, a.usize()?, a.buf()?, a.buf()?);
            norm::channel_stats(x.f32(n * c * s)?, n, c, s, m.f32_mut(c)?, v.f32_mut(c)?);
        }
        Kernel::ChannelNormalize => {
            let (x, n, c, s) = (a.buf()?, a.usize()?, a.usize()?, a.usize()?);
            let (m, r, w, b, y) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let len = n * c * s;
            let xs = x.f32(len)?;
            let kx = if x.overlaps(len, &y, len) { Some(xs.to_vec()) } else { None };
            norm::channel_normalize(
                kx.as_deref().unwrap_or(xs),
                n,
                c,
                s,
                m.f32(c)?,
                r.f32(c)?,
                w.opt_f32(c)?,
                b.opt_f32(c)?,
                y.f32_mut(len)?,
            );
        }
        Kernel::BatchNormGrad => {
            let (x, gy, n, c, s) = (a.buf()?, a.buf()?, a.usize()?, a.usize()?, a.usize()?);
            let (m, r, w, training) = (a.buf()?, a.buf()?, a.buf()?, a.flag()?);
            let (gx, gw, gb) = (a.buf()?, a.buf()?, a.buf()?);
            let len = n * c * s;
            let (xs, gys) = (x.f32(len)?, gy.f32(len)?);
            let kg = if gy.overlaps(len, &gx, len) { Some(gys.to_vec()) } else { None };
            norm::batch_norm_grad(
                xs,
                kg.as_deref().unwrap_or(gys),
                n,
                c,
                s,
                m.f32(c)?,
                r.f32(c)?,
                w.opt_f32(c)?,
                training,
                gx.opt_f32_mut(len)?,
                gw.opt_f32_mut(c)?,
                gb.opt_f32_mut(c)?,
            );
        }
        Kernel::LayerNorm => {
            let (x, rows, cols, eps) = (a.buf()?, a.usize()?, a.usize()?, a.num()?);
            let (w, b, y, m, r) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let len = rows * cols;
            let xs = x.f32(len)?;
            let kx = if x.overlaps(len, &y, len) { Some(xs.to_vec()) } else { None };
            norm::layer_norm(
                kx.as_deref().unwrap_or(xs),
                rows,
                cols,
                eps,
                w.opt_f32(cols)?,
                b.opt_f32(cols)?,
                y.f32_mut(len)?,
                m.f32_mut(rows)?,
                r.f32_mut(rows)?,
            );
        }
        Kernel::LayerNormGrad => {
            let (x, gy, rows, cols) = (a.buf()?, a.buf()?, a.usize()?, a.usize()?);
            let (m, r, w, gx, gw, gb) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let len = rows * cols;
            let gys = gy.f32(len)?;
            let kg = if gy.overlaps(len, &gx, len) { Some(gys.to_vec()) } else { None };
            norm::layer_norm_grad(
                x.f32(len)?,
                kg.as_deref().unwrap_or(gys),
                rows,
                cols,
                m.f32(rows)?,
                r.f32(rows)?,
                w.opt_f32(cols)?,
                gx.opt_f32_mut(len)?,
                gw.opt_f32_mut(cols)?,
                gb.opt_f32_mut(cols)?,
            );
        }
        Kernel::RmsNorm => {
            let (x, rows, cols, eps) = (a.buf()?, a.usize()?, a.usize()?, a.num()?);
            let (w, y, r) = (a.buf()?, a.buf()?, a.buf()?);
            let len = rows * cols;
            let xs = x.f32(len)?;
            let kx = if x.overlaps(len, &y, len) { Some(xs.to_vec()) } else { None };
            norm::rms_norm(
                kx.as_deref().unwrap_or(xs),
                rows,
                cols,
                eps,
                w.opt_f32(cols)?,
                y.f32_mut(len)?,
                r.f32_mut(rows)?,
            );
        }
        Kernel::RmsNormGrad => {
            let (x, gy, rows, cols) = (a.buf()?, a.buf()?, a.usize()?, a.usize()?);
            let (r, w, gx, gw) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let len = rows * cols;
            let gys = gy.f32(len)?;
            let kg = if gy.overlaps(len, &gx, len) { Some(gys.to_vec()) } else { None };
            norm::rms_norm_grad(
                x.f32(len)?,
                kg.as_deref().unwrap_or(gys),
                rows,
                cols,
                r.f32(rows)?,
                w.opt_f32(cols)?,
                gx.opt_f32_mut(len)?,
                gw.opt_f32_mut(cols)?,
            );
        }
        Kernel::Embedding => {
            let (w, ix, out, n, dim, ne) = (a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?, a.usize()?);
            embed::embedding(w.f32(ne * dim)?, &idx_in(ix, n, "embedding")?, out.f32_mut(n * dim)?, n, dim, ne)
                .map_err(|t| Error::Range(format!("embedding: index {t} is out of range for {ne} embeddings")))?;
        }
        Kernel::EmbeddingGrad => {
            let (gy, ix, gw, n, dim, pad, gw_len) =
                (a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?, a.int()?, a.usize()?);
            embed::embedding_grad(gy.f32(n * dim)?, &idx_in(ix, n, "embedding")?, gw.f32_mut(gw_len)?, n, dim, pad)
                .map_err(|t| {
                    Error::Range(format!("embedding: index {t} is out of range for {} embeddings", gw_len / dim.max(1)))
                })?;
        }
        Kernel::LstmCell => {
            let (gates, cp, h, c, act, b, hs) =
                (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?);
            let bh = b * hs;
            let cps = cp.f32(bh)?;
            let kc = if cp.overlaps(bh, &c, bh) || cp.overlaps(bh, &h, bh) { Some(cps.to_vec()) } else { None };
            rnn::lstm_cell(
                gates.f32(4 * bh)?,
                kc.as_deref().unwrap_or(cps),
                h.f32_mut(bh)?,
                c.f32_mut(bh)?,
                act.f32_mut(4 * bh)?,
                b,
                hs,
            );
        }
        Kernel::LstmCellGrad => {
            let (act, cp, c, gh, gc, gg, gcp) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let (b, hs) = (a.usize()?, a.usize()?);
            let bh = b * hs;
            let gcs = gc.f32(bh)?;
            let kg = if gc.overlaps(bh, &gcp, bh) { Some(gcs.to_vec()) } else { None };
            rnn::lstm_cell_grad(
                act.f32(4 * bh)?,
                cp.f32(bh)?,
                c.f32(bh)?,
                gh.f32(bh)?,
                kg.as_deref().unwrap_or(gcs),
                gg.f32_mut(4 * bh)?,
                gcp.f32_mut(bh)?,
                b,
                hs,
            );
        }
        Kernel::GruCell => {
            let (gi, gh, hp, h, act, b, hs) =
                (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?);
            let bh = b * hs;
            let hps = hp.f32(bh)?;
            let kh = if hp.overlaps(bh, &h, bh) { Some(hps.to_vec()) } else { None };
            rnn::gru_cell(
                gi.f32(3 * bh)?,
                gh.f32(3 * bh)?,
                kh.as_deref().unwrap_or(hps),
                h.f32_mut(bh)?,
                act.f32_mut(4 * bh)?,
                b,
                hs,
            );
        }
        Kernel::GruCellGrad => {
            let (act, hp, gh, ggi, ggh, ghp, b, hs) =
                (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.usize()?, a.usize()?);
            let bh = b * hs;
            let ghs = gh.f32(bh)?;
            let kg = if gh.overlaps(bh, &ghp, bh) { Some(ghs.to_vec()) } else { None };
            rnn::gru_cell_grad(
                act.f32(4 * bh)?,
                hp.f32(bh)?,
                kg.as_deref().unwrap_or(ghs),
                ggi.f32_mut(3 * bh)?,
                ggh.f32_mut(3 * bh)?,
                ghp.f32_mut(bh)?,
                b,
                hs,
            );
        }
        Kernel::SgdStep => {
            let (p, g, buf, n) = (a.buf()?, a.buf()?, a.buf()?, a.usize()?);
            let (lr, mom, damp, wd, nest, first) = (a.num()?, a.num()?, a.num()?, a.num()?, a.flag()?, a.flag()?);
            optim::sgd_step(p.f32_mut(n)?, g.f32(n)?, buf.opt_f32_mut(n)?, lr, mom, damp, wd, nest, first);
        }
        Kernel::AdamStep => {
            let (p, g, m, v, n) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.usize()?);
            let (lr, b1, b2, eps, wd, step, dec) =
                (a.num()?, a.num()?, a.num()?, a.num()?, a.num()?, a.num()?, a.flag()?);
            optim::adam_step(p.f32_mut(n)?, g.f32(n)?, m.f32_mut(n)?, v.f32_mut(n)?, lr, b1, b2, eps, wd, step, dec);
        }
        Kernel::SetThreads => par::set_threads(a.usize()?),
        Kernel::LstmSeq => {
            let (p, w, c0, h0, h, cs, act) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let (keep, t, b, hs, rev) = (a.flag()?, a.usize()?, a.usize()?, a.usize()?, a.flag()?);
            let (bh, bg) = (b * hs, 4 * b * hs);
            let (np, nw, nh, na) = (t * bg, 4 * hs * hs, t * bh, if keep { t * bg } else { bg });
            let outs = [(p, np), (h, nh), (cs, nh), (act, na)];
            for (i, (o, n)) in outs.iter().enumerate() {
                if o.overlaps(*n, &w, nw)
                    || o.overlaps(*n, &c0, bh)
                    || o.overlaps(*n, &h0, bh)
                    || outs[i + 1..].iter().any(|(q, m)| o.overlaps(*n, q, *m))
                {
                    return Err(Error::Arg("lstmSeq: overlapping storages".into()));
                }
            }
            rnn::lstm_seq(
                p.f32_mut(np)?,
                w.f32(nw)?,
                c0.f32(bh)?,
                h0.f32(bh)?,
                h.f32_mut(nh)?,
                cs.f32_mut(nh)?,
                act.f32_mut(na)?,
                keep,
                t,
                b,
                hs,
                rev,
            );
        }
        Kernel::Attention | Kernel::AttentionGrad => {
            // q, k, v (each from its element offset), the optional additive mask, then the outputs
            let fwd = k == Kernel::Attention;
            let g = attention::Attn::from_dims(&attention::AttnDims::decode(&a.ints()?)?, a.num()? as f32, a.flag()?);
            g.check_rows().map_err(|e| Error::Arg(e.into()))?;
            let (q, k, v, m) = (a.buf()?, a.buf()?, a.buf()?, a.buf()?);
            let (nq, nk, nv, nm) = (g.q_len(), g.k_len(), g.v_len(), g.mask_len());
            let (no, nl) = (g.o_len(), g.bh * g.l);
            let ins = [(q, nq), (k, nk), (v, nv), (m, nm)];
            if !fwd {
                let (o, l, go) = (a.buf()?, a.buf()?, a.buf()?);
                let (dq, dk, dv) = (a.buf()?, a.buf()?, a.buf()?);
                let grads = [(dq, g.dq_len()), (dk, g.dk_len()), (dv, g.dv_len())];
                for (d, n) in grads {
                    d.check(n)?;
                }
                let read = [(o, no), (l, nl), (go, no)];
                if grads.iter().any(|(d, n)| read.iter().chain(ins.iter()).any(|(x, xn)| d.overlaps(*n, x, *xn))) {
                    return Err(Error::Arg("attentionGrad: an output overlaps another storage".into()));
                }
                let shared =
                    (0..3).any(|i| (i + 1..3).any(|j| grads[i].0.overlaps(grads[i].1, &grads[j].0, grads[j].1)));
                let (rq, rk, rv) = (
                    attention::grad_layout_ok(&g, g.dq, g.l, g.e),
                    attention::grad_layout_ok(&g, g.dk, g.s, g.e),
                    attention::grad_layout_ok(&g, g.dv, g.s, g.ev),
                );
                let offs = grads.map(|(d, _)| (d.ptr as isize - dq.ptr as isize) / 4);
                if !(rq && rk && rv) || (shared && !attention::grads_disjoint(&g, offs)) {
                    return Err(Error::Arg(
                        "attentionGrad: the gradient layouts overlap themselves or each other".into(),
                    ));
                }
                // SAFETY: each gradient has room for its span (checked), none overlaps an input, and
                // their layouts reach disjoint elements (checked above).
                unsafe {
                    attention::attention_grad_raw(
                        &g,
                        q.f32(nq)?,
                        k.f32(nk)?,
                        v.f32(nv)?,
                        m.opt_f32(nm)?,
                        o.f32(no)?,
                        l.f32(nl)?,
                        go.f32(no)?,
                        dq.ptr as *mut f32,
                        dk.ptr as *mut f32,
                        dv.ptr as *mut f32,
                    );
                }
                return Ok(());
            }
            let (o, l) = (a.buf()?, a.buf()?);
            if ins.iter().any(|(x, xn)| o.overlaps(no, x, *xn) || l.overlaps(nl, x, *xn)) || o.overlaps(no, &l, nl) {
                return Err(Error::Arg("attention: an output overlaps another storage".into()));
            }
            if !attention::grad_layout_ok(&g, g.o, g.l, g.ev) {
                return Err(Error::Arg("attention: the output layout overlaps itself".into()));
            }
            attention::attention(
                &g,
                q.f32(nq)?,
                k.f32(nk)?,
                v.f32(nv)?,
                m.opt_f32(nm)?,
                o.f32_mut(no)?,
                l.f32_mut(nl)?,
            );
        }
        Kernel::Pad | Kernel::PadGrad => {
            use crate::resize::{PadMode, ResizeDims};
            let g = ResizeDims::decode(&a.ints()?)?;
            let pads = [a.num()? as i64, a.num()? as i64, a.num()? as i64];
            let mode = PadMode::from_code(a.num()? as u32).ok_or_else(|| Error::Arg("pad: unknown mode".into()))?;
            let (ni, no) = (g.nc * g.in_size(), g.nc * g.out_size());
            // every output must read inside the input (the TypeScript side checks the PyTorch rules)
            for (n, o, p) in [(g.i_d, g.o_d, pads[0]), (g.i_h, g.o_h, pads[1]), (g.i_w, g.o_w, pads[2])] {
                if o > 0 && n == 0 && mode != PadMode::Constant {
                    return Err(Error::Arg("pad: empty input dimension".into()));
                }
                if mode == PadMode::Circular && (p > n as i64 || o as i64 - p - n as i64 > n as i64) {
                    return Err(Error::Arg("pad: wraps more than once".into()));
                }
                if mode == PadMode::Reflect && (p >= n as i64 || o as i64 - p - n as i64 >= n as i64) {
                    return Err(Error::Arg("pad: reflect padding too large".into()));
                }
            }
            if k == Kernel::Pad {
                let (value, x, y) = (a.num()? as f32, a.buf()?, a.buf()?);
                crate::resize::pad(&g, pads, mode, value, x.f32(ni)?, y.f32_mut(no)?);
            } else {
                let (gy, gx) = (a.buf()?, a.buf()?);
                crate::resize::pad_grad(&g, pads, mode, gy.f32(no)?, gx.f32_mut(ni)?);
            }
        }
        Kernel::Resample | Kernel::ResampleGrad => {
            use crate::resize::{ResampleMode, ResizeDims};
            let g = ResizeDims::decode(&a.ints()?)?;
            let mode =
                ResampleMode::from_code(a.num()? as u32).ok_or_else(|| Error::Arg("resample: unknown mode".into()))?;
            let align = a.flag()?;
            let scales = [a.num()?, a.num()?, a.num()?];
            if [g.i_d, g.i_h, g.i_w].contains(&0) && g.out_size() > 0 {
                return Err(Error::Arg("resample: empty input".into()));
            }
            let (ni, no) = (g.nc * g.in_size(), g.nc * g.out_size());
            let (p, q) = (a.buf()?, a.buf()?);
            if k == Kernel::Resample {
                crate::resize::resample(&g, mode, align, scales, p.f32(ni)?, q.f32_mut(no)?)
            } else {
                crate::resize::resample_grad(&g, mode, align, scales, p.f32(no)?, q.f32_mut(ni)?)
            }
        }

        Kernel::Gather => {
            let (x, dt, ix, out) = (a.buf()?, a.num()? as u32, a.buf()?, a.buf()?);
            let (outer, n, m, inner, rows) = (a.usize()?, a.usize()?, a.usize()?, a.usize()?, a.flag()?);
            let ni = if rows { m } else { outer * m * inner };
            let ix = ix.slice::<gather::IndexT>(ni)?;
            with_ty!(dt, |T| gather::gather(
                x.slice::<T>(outer * n * inner)?,
                ix,
                out.slice_mut::<T>(outer * m * inner)?,
                outer,
                n,
                m,
                inner,
                rows
            ))
            .map_err(|v| index_error(v, n))?;
        }
        Kernel::Scatter => {
            let (src, dt, value, ix, out) = (a.buf()?, a.num()? as u32, a.num()?, a.buf()?, a.buf()?);
            let (outer, n, m, inner, rows, acc) =
                (a.usize()?, a.usize()?, a.usize()?, a.usize()?, a.flag()?, a.flag()?);
            let ni = if rows { m } else { outer * m * inner };
            let ix = ix.slice::<gather::IndexT>(ni)?;
            with_ty!(dt, |T| {
                let s = if src.is_null() { None } else { Some(src.slice::<T>(outer * m * inner)?) };
                gather::scatter(
                    s,
                    T::from_f64(value),
                    ix,
                    out.slice_mut::<T>(outer * n * inner)?,
                    outer,
                    n,
                    m,
                    inner,
                    rows,
                    acc,
                )
            })
            .map_err(|v| index_error(v, n))?;
        }
        Kernel::WhereStrided => {
            let (c, cd, c_off, cs) = (a.buf()?, a.num()? as u32, a.usize()?, a.ints()?);
            let (x, dt, x_off, xs) = (a.buf()?, a.num()? as u32, a.usize()?, a.ints()?);
            let (y, y_off, ys, out, shape) = (a.buf()?, a.usize()?, a.ints()?, a.buf()?, a.ints()?);
            let shape: Vec<usize> = shape.iter().map(|&s| s.max(0) as usize).collect();
            let st = |v: &[i32]| -> Result<Vec<isize>, Error> {
                if v.len() != shape.len() {
                    return Err(Error::Arg("whereStrided: strides do not match the shape".into()));
                }
                Ok(v.iter().map(|&s| s as isize).collect())
            };
            let (cs, xs, ys) = (st(&cs)?, st(&xs)?, st(&ys)?);
            let n: usize = shape.iter().product();
            if n == 0 {
                return Ok(());
            }
            let r = |off, s: &[isize]| {
                gather::reach(off, &shape, s)
                    .map_err(|_| Error::Arg("whereStrided: a view reaches before its storage".into()))
            };
            let (nc, nx, ny) = (r(c_off, &cs)?, r(x_off, &xs)?, r(y_off, &ys)?);
            with_ty!(cd, |C| with_ty!(dt, |T| {
                let cv = gather::Strided { data: c.slice::<C>(nc)?, off: c_off, strides: &cs };
                let xv = gather::Strided { data: x.slice::<T>(nx)?, off: x_off, strides: &xs };
                let yv = gather::Strided { data: y.slice::<T>(ny)?, off: y_off, strides: &ys };
                let o = out.slice_mut::<T>(n)?;
                if out.overlaps_bytes(n * esize(dt), &x, nx * esize(dt))
                    || out.overlaps_bytes(n * esize(dt), &y, ny * esize(dt))
                {
                    return Err(Error::Arg("whereStrided: output overlaps an input".into()));
                }
                gather::where_strided(cv, xv, yv, o, &shape)
            }));
        }
        Kernel::Scan => {
            let (x, dt, out, outer, n, inner) =
                (a.buf()?, a.num()? as u32, a.buf()?, a.usize()?, a.usize()?, a.usize()?);
            let (prod, rev, excl) = (a.flag()?, a.flag()?, a.flag()?);
            let op = if prod { scan::ScanOp::Prod } else { scan::ScanOp::Sum };
            let len = outer * n * inner;
            with_ty!(dt, |T| scan::scan(op, x.slice::<T>(len)?, out.slice_mut::<T>(len)?, outer, n, inner, rev, excl));
        }
        Kernel::Sort => {
            let (x, dt, vals, ix, outer, n, inner, k, desc) = (
                a.buf()?,
                a.num()? as u32,
                a.buf()?,
                a.buf()?,
                a.usize()?,
                a.usize()?,
                a.usize()?,
                a.usize()?,
                a.flag()?,
            );
            if k > n {
                return Err(Error::Arg(format!("sort: k {k} > n {n}")));
            }
            let nk = outer * k * inner;
            with_ty!(dt, |T| sort::sort(
                x.slice::<T>(outer * n * inner)?,
                vals.slice_mut::<T>(nk)?,
                ix.slice_mut::<gather::IndexT>(nk)?,
                outer,
                n,
                inner,
                k,
                desc
            ));
        }
        Kernel::AssignStrided => {
            let (x, x_off, xs) = (a.buf()?, a.usize()?, a.ints()?);
            let (out, o_off, os) = (a.buf()?, a.usize()?, a.ints()?);
            let (shape, dt) = (a.ints()?, a.num()? as u32);
            let n: usize = shape.iter().map(|&s| s.max(0) as usize).product();
            if n == 0 {
                return Ok(());
            }
            if xs.len() != shape.len() || os.len() != shape.len() {
                return Err(Error::Arg("assignStrided: strides and shape differ in length".into()));
            }
            let (ex, eo) = (extent(x_off, &shape, &xs)?, extent(o_off, &shape, &os)?);
            let es = esize(dt);
            let keep = if x.overlaps_bytes(ex * es, &out, eo * es) { Some(keep_copy(x, ex * es)?) } else { None };
            let xb = keep.as_deref().map(|v| buf_of(v, ex * es)).unwrap_or(x);
            let shape: Vec<usize> = shape.iter().map(|&s| s as usize).collect();
            let xs: Vec<isize> = xs.iter().map(|&s| s as isize).collect();
            let os: Vec<isize> = os.iter().map(|&s| s as isize).collect();
            with_ty!(dt, |T| crate::index::assign_strided(
                xb.slice::<T>(ex)?,
                x_off,
                &xs,
                out.slice_mut::<T>(eo)?,
                o_off,
                &os,
                &shape
            ));
        }
        Kernel::IndexGather | Kernel::IndexPut => {
            let put = k == Kernel::IndexPut;
            let (x, x_off, dt, idx, kk, m) = (a.buf()?, a.usize()?, a.num()? as u32, a.buf()?, a.usize()?, a.usize()?);
            let (sizes, strides, dims) = (a.ints()?, a.ints()?, a.ints()?);
            let (pre, pre_s, post, post_s) = (a.ints()?, a.ints()?, a.ints()?, a.ints()?);
            if sizes.len() != kk || strides.len() != kk || pre.len() != pre_s.len() || post.len() != post_s.len() {
                return Err(Error::Arg("index kernel: inconsistent geometry".into()));
            }
            let u = |v: &[i32]| v.iter().map(|&s| s.max(0) as usize).collect::<Vec<usize>>();
            let i = |v: &[i32]| v.iter().map(|&s| s as isize).collect::<Vec<isize>>();
            let (sizes_u, strides_i, dims_u) = (u(&sizes), i(&strides), u(&dims));
            let (pre_u, pre_i, post_u, post_i) = (u(&pre), i(&pre_s), u(&post), i(&post_s));
            let g = crate::index::AdvGeom { pre: &pre_u, pre_strides: &pre_i, post: &post_u, post_strides: &post_i };
            let nout = pre_u.iter().product::<usize>() * m * post_u.iter().product::<usize>();
            let off = crate::index::adv_offsets(idx.slice::<f64>(kk * m)?, kk, m, &sizes_u, &strides_i, &dims_u)
                .map_err(|(v, d, n)| {
                    Error::Range(format!("index {v} is out of bounds for dimension {d} with size {n}"))
                })?;
            // x's reach: the kept dims plus the largest advanced offset
            let mut shp: Vec<i32> = pre.clone();
            shp.extend(&post);
            shp.extend(sizes.iter());
            let mut sts: Vec<i32> = pre_s.clone();
            sts.extend(&post_s);
            sts.extend(strides.iter());
            let ex = if nout == 0 { 0 } else { extent(x_off, &shp, &sts)? };
            if !put {
                let out = a.buf()?;
                if nout == 0 {
                    return Ok(());
                }
                let es = esize(dt);
                if x.overlaps_bytes(ex * es, &out, nout * es) {
                    return Err(Error::Arg("indexGather: output overlaps the input".into()));
                }
                with_ty!(dt, |T| crate::index::index_gather(
                    x.slice::<T>(ex)?,
                    x_off,
                    &off,
                    &g,
                    out.slice_mut::<T>(nout)?
                ));
            } else {
                let (v, v_off, vs, acc) = (a.buf()?, a.usize()?, a.ints()?, a.flag()?);
                if nout == 0 {
                    return Ok(());
                }
                if vs.len() != pre.len() + 1 + post.len() {
                    return Err(Error::Arg("indexPut: value strides do not match the geometry".into()));
                }
                let mut vshape: Vec<i32> = pre.clone();
                vshape.push(m as i32);
                vshape.extend(&post);
                let ev = extent(v_off, &vshape, &vs)?;
                let es = esize(dt);
                let keep = if v.overlaps_bytes(ev * es, &x, ex * es) { Some(keep_copy(v, ev * es)?) } else { None };
                let vb = keep.as_deref().map(|q| buf_of(q, ev * es)).unwrap_or(v);
                let vs: Vec<isize> = vs.iter().map(|&s| s as isize).collect();
                with_ty!(dt, |T| crate::index::index_put(
                    x.slice_mut::<T>(ex)?,
                    x_off,
                    &off,
                    &g,
                    vb.slice::<T>(ev)?,
                    v_off,
                    &vs,
                    acc
                ));
            }
        }
        Kernel::MaskIndices => {
            let (mask, dt, shape, out, count) = (a.buf()?, a.num()? as u32, a.ints()?, a.buf()?, a.usize()?);
            let shape: Vec<usize> = shape.iter().map(|&s| s.max(0) as usize).collect();
            let n: usize = shape.iter().product();
            let ok = with_ty!(dt, |T| crate::index::mask_indices(
                mask.slice::<T>(n)?,
                &shape,
                out.slice_mut::<f64>(shape.len() * count)?,
                count
            ));
            if !ok {
                return Err(Error::Arg("maskIndices: more nonzeros than counted".into()));
            }
        }
        Kernel::Copy => {
            // a read-back: n 4-byte elements (float32 or int32, copied bit for bit) into a fresh
            // array of the caller (native addon)
            let (src, dst, n) = (a.buf()?, a.buf()?, a.usize()?);
            if dst.overlaps(n, &src, n) {
                return Err(Error::Arg("copy: source and destination overlap".into()));
            }
            ew::copy_par(src.f32(n)?, dst.f32_mut(n)?);
        }
    }
    Ok(())
}

/// The index kernels' out-of-range error (ts/ops adds the dimension, in PyTorch's words).
fn index_error(v: i64, n: usize) -> Error {
    Error::Range(format!("index {v} is out of bounds for size {n}"))
}

fn target_error(t: i32, c: usize) -> Error {
    Error::Range(format!("nll_loss: target {t} is out of bounds for {c} classes"))
}
