//! N-d convolution (written as 3-d) forward and backward via im2col/col2im and the shared GEMM,
//! with groups. 1x1 / stride 1 / no padding needs no im2col. Workspaces are grow-only per thread.
//! Depthwise convs (groups == C > 1, any channel multiplier) take direct loops (depthwise.rs);
//! every forward path ends with the fused [`Epilogue`] (activation + residual).
//!
//! No full im2col matrix is materialised: the output columns are cut into blocks whose im2col
//! slice fits L2 (`block_cols`), and the tasks (image, group, block) run on the thread pool.
//! Forward: with wide x86 panels and a "shifted rows" geometry (stride 1, same width, e.g. 3x3
//! pad 1) the im2col is written straight into the GEMM's packed-B panels (implicit GEMM, weights
//! packed once); otherwise the block is im2col'ed row-contiguous and read in place by the GEMM.
//! The bias is an extra column of A times a row of ones. Stride-2 inputs are first split into
//! even/odd columns so every im2col segment is a contiguous copy. Grad-input: W^T (packed once)
//! times gy blocks, then col2im, tasks over (image, group, channel chunk) so writes are disjoint.
//! Grad-weight: blocks of the column space of all images concatenated (deep, few GEMM calls),
//! split across threads with per-thread partial sums.
use crate::linalg::SendPtr;
use crate::{gemm, par};
use std::cell::RefCell;

mod blocks;
mod depthwise;
mod grad_input;
mod grad_weight;
mod im2col;
#[cfg(target_arch = "x86_64")]
mod nchwc;
mod panels;
mod pointwise;
mod prepack;
mod spatial;

use blocks::*;
use depthwise::*;
pub use grad_input::conv_grad_input;
pub use grad_weight::conv_grad_weight;
use im2col::*;
#[cfg(target_arch = "x86_64")]
use nchwc::*;
use panels::*;
use pointwise::*;
use prepack::*;
pub use prepack::{conv_pack, packed_len};
use spatial::*;

crate::abi_struct! {
    /// Geometry of an N-d convolution, written as 3-d (conv1d/conv2d set the leading sizes to 1):
    /// x [N, C, inD, inH, inW], w [O, C/groups, kD, kH, kW], y [N, O, outD, outH, outW].
    pub struct ConvGeom {
        n = "N", c = "C", o = "O", groups = "groups",
        in_d = "inD", in_h = "inH", in_w = "inW",
        k_d = "kD", k_h = "kH", k_w = "kW",
        s_d = "sD", s_h = "sH", s_w = "sW",
        p_d = "pD", p_h = "pH", p_w = "pW",
        d_d = "dD", d_h = "dH", d_w = "dW",
        out_d = "outD", out_h = "outH", out_w = "outW",
    }
}

impl ConvGeom {
    pub fn in_size(&self) -> usize {
        self.in_d * self.in_h * self.in_w
    }
    pub fn out_size(&self) -> usize {
        self.out_d * self.out_h * self.out_w
    }
    pub fn k_size(&self) -> usize {
        self.k_d * self.k_h * self.k_w
    }
    /// channels per group
    pub fn cg(&self) -> usize {
        self.c / self.groups
    }
    /// output channels per group
    pub fn og(&self) -> usize {
        self.o / self.groups
    }
    /// rows of one group's im2col matrix
    pub fn kg(&self) -> usize {
        self.cg() * self.k_size()
    }
    /// 1x1 kernel, stride 1, no padding: the input already is the im2col matrix.
    pub fn is_pointwise(&self) -> bool {
        self.k_size() == 1
            && self.s_d == 1
            && self.s_h == 1
            && self.s_w == 1
            && self.p_d == 0
            && self.p_h == 0
            && self.p_w == 0
            && self.out_size() == self.in_size()
    }
    pub fn x_len(&self) -> usize {
        self.n * self.c * self.in_size()
    }
    pub fn y_len(&self) -> usize {
        self.n * self.o * self.out_size()
    }
    pub fn w_len(&self) -> usize {
        self.o * self.cg() * self.k_size()
    }
}

thread_local! {
    static COL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PARTIAL: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's grow-only scratch of at least `len` floats.
fn with_col<R>(len: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    COL.with(|c| {
        let mut v = c.borrow_mut();
        // 64-byte aligned start (whole-cache-line panel rows for the 512-bit loads and stores)
        if v.len() < len + 16 {
            v.resize(len + 16, 0.0);
        }
        let skip = v.as_ptr().align_offset(64).min(15);
        f(&mut v[skip..skip + len])
    })
}

/// Maps an output coordinate + kernel tap to an input coordinate (None when in the padding).
#[inline(always)]
fn src(o: usize, s: usize, p: usize, k: usize, d: usize, n: usize) -> Option<usize> {
    let i = (o * s + k * d) as isize - p as isize;
    if i >= 0 && (i as usize) < n {
        Some(i as usize)
    } else {
        None
    }
}

/// C[m x n] (ldc = n) = beta*C + op(A) op(B), rows split across threads when large.
#[allow(clippy::too_many_arguments)]
fn gemm_par(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    ta: bool,
    b: &[f32],
    ldb: usize,
    tb: bool,
    c: &mut [f32],
    beta: f32,
) {
    let work = m * n * k;
    let parts = par::threads().min(m.div_ceil(4)).min(work / crate::linalg::PAR_MIN_FLOPS).max(1);
    if parts <= 1 {
        gemm::sgemm(m, n, k, a, lda, ta, b, ldb, tb, c, n, beta, None);
        return;
    }
    let cp = SendPtr(c.as_mut_ptr());
    let cl = c.len();
    par::run(parts, &|t, _| {
        let (r0, r1) = par::split(m, parts, 4, t);
        if r0 >= r1 {
            return;
        }
        // SAFETY: each task writes only rows [r0, r1) of C.
        let cs = unsafe { core::slice::from_raw_parts_mut(cp.get(), cl) };
        gemm::sgemm_rows(m, n, k, a, lda, ta, b, ldb, tb, cs, n, beta, None, r0, r1);
    });
}

/// Runs `f(image)` for every image, across threads when there are enough images.
fn per_image(g: &ConvGeom, f: &(dyn Fn(usize) + Sync)) {
    if g.n >= 2 && par::threads() > 1 {
        par::run(g.n, &|i, _| f(i));
    } else {
        for i in 0..g.n {
            f(i);
        }
    }
}

thread_local! {
    static BUF_B: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static SPLIT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn with_buf<R>(
    key: &'static std::thread::LocalKey<RefCell<Vec<f32>>>,
    len: usize,
    f: impl FnOnce(&mut [f32]) -> R,
) -> R {
    key.with(|c| {
        let mut v = c.borrow_mut();
        if v.len() < len {
            v.resize(len, 0.0);
        }
        f(&mut v[..len])
    })
}

/// Shifted-row convolutions at least this deep take the fused first-tile im2col on AVX-512.
#[cfg(target_arch = "x86_64")]
const FUSED_MIN_K: usize = 100;
/// Floats of the per-task im2col block: sized to stay in L2 next to the packed weights.
const BLOCK_FLOATS: usize = 96 * 1024;
/// Grad-weight col block: it is the GEMM's depth, so larger blocks mean fewer passes over gw.
const GW_FLOATS: usize = GW_KB * 1024;
const GW_KB: usize = 1024;

static DIRECT_DW: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

/// Test / bench hook: `false` sends depthwise convs (groups == C) through the im2col + GEMM path.
#[doc(hidden)]
pub fn set_direct_depthwise(on: bool) {
    DIRECT_DW.store(on, core::sync::atomic::Ordering::Relaxed);
}

/// Multiply-adds below which a conv forward runs on one thread: (GEMM paths, direct depthwise).
static PAR_MIN_GEMM: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(24 << 20);
static PAR_MIN_DW: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1 << 20);

fn par_min_macs() -> (usize, usize) {
    use core::sync::atomic::Ordering::Relaxed;
    (PAR_MIN_GEMM.load(Relaxed), PAR_MIN_DW.load(Relaxed))
}

/// Test hook: the multiply-adds below which a conv forward runs on one thread, for the GEMM paths
/// and the direct depthwise path (0, 0: every size uses the threads, so tests reach the
/// threaded code with small shapes).
#[doc(hidden)]
pub fn set_par_min_macs(gemm: usize, depthwise: usize) {
    use core::sync::atomic::Ordering::Relaxed;
    PAR_MIN_GEMM.store(gemm, Relaxed);
    PAR_MIN_DW.store(depthwise, Relaxed);
}

static BUDGET_DIV: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(1);

/// Test hook: divides every block budget by `div` (>= 1), so small shapes take the multi-block
/// paths too.
#[doc(hidden)]
pub fn set_block_budget_div(div: usize) {
    BUDGET_DIV.store(div.max(1), core::sync::atomic::Ordering::Relaxed);
}

/// Columns per block for a GEMM with `rows` rows of B (the im2col depth), out of `total`
/// columns, for a block of about `budget` floats; a multiple of `nr`, and small enough that
/// `tasks_outer * blocks` keeps every thread busy.
fn block_cols(budget: usize, rows: usize, total: usize, nr: usize, tasks_outer: usize) -> usize {
    let budget = budget / BUDGET_DIV.load(core::sync::atomic::Ordering::Relaxed).max(1);
    let mut nb = (budget / rows.max(1)) / nr * nr;
    nb = nb.clamp(nr, (64 * nr).max(budget / 64 / nr * nr));
    let threads = par::threads();
    if threads > 1 && tasks_outer < 4 * threads {
        // enough blocks for ~4 tasks per thread (dynamic claiming balances the tail)
        let want = (4 * threads).div_ceil(tasks_outer.max(1));
        let per = total.div_ceil(want).div_ceil(nr) * nr;
        nb = nb.min(per.max(nr));
    }
    if nb >= total {
        total.max(1)
    } else {
        nb
    }
}

/// Copies `src` into `dst` (same length) with inline fixed-size moves: these runs are short
/// (one output row), where a `memcpy` call would cost more than the copy.
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    let n = dst.len();
    assert!(src.len() == n);
    let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
    let mut i = 0;
    // SAFETY: every access is below n in both slices.
    unsafe {
        while i + 8 <= n {
            core::ptr::write_unaligned(
                d.add(i) as *mut [f32; 8],
                core::ptr::read_unaligned(s.add(i) as *const [f32; 8]),
            );
            i += 8;
        }
        if i + 4 <= n {
            core::ptr::write_unaligned(
                d.add(i) as *mut [f32; 4],
                core::ptr::read_unaligned(s.add(i) as *const [f32; 4]),
            );
            i += 4;
        }
        if i + 2 <= n {
            core::ptr::write_unaligned(
                d.add(i) as *mut [f32; 2],
                core::ptr::read_unaligned(s.add(i) as *const [f32; 2]),
            );
            i += 2;
        }
        if i < n {
            *d.add(i) = *s.add(i);
        }
    }
}

/// Adds `src` into `dst` (same length), like [`copy_run`].
#[inline(always)]
fn add_run(dst: &mut [f32], src: &[f32]) {
    for (d, &v) in dst.iter_mut().zip(src) {
        *d += v;
    }
}

/// Zeroes a short run inline.
#[inline(always)]
fn zero_run(dst: &mut [f32]) {
    let n = dst.len();
    if n > 16 {
        dst.fill(0.0);
        return;
    }
    let d = dst.as_mut_ptr();
    let mut i = 0;
    // SAFETY: every access is below n.
    unsafe {
        while i + 4 <= n {
            core::ptr::write_unaligned(d.add(i) as *mut [f32; 4], [0.0; 4]);
            i += 4;
        }
        while i < n {
            *d.add(i) = 0.0;
            i += 1;
        }
    }
}

/// Position of flattened output column j: (od, oh, ow).
#[inline(always)]
fn out_pos(g: &ConvGeom, j: usize) -> (usize, usize, usize) {
    let hw = g.out_h * g.out_w;
    let od = j / hw;
    let rem = j - od * hw;
    let oh = rem / g.out_w;
    (od, oh, rem - oh * g.out_w)
}

/// The task a claim number runs: with T threads, claims alternate between T contiguous ranges of
/// the tasks (claim i -> range i % T, its (i / T)-th task), so threads claiming in turn work far
/// apart (different images, not the two sides of one block boundary, whose output cache lines
/// would bounce between the cores) while each walks its range in order (input rows stay hot).
#[inline]
fn spread(i: usize, n: usize) -> usize {
    let t = par::threads();
    if t <= 1 || i >= n {
        return i;
    }
    let per = n.div_ceil(t);
    if (t - 1) * per >= n {
        return i;
    }
    // claims in rounds over the ranges; the last range is shorter (last tasks), so once it is
    // used up the rounds go over the other t - 1
    let last = n - (t - 1) * per;
    let (r, k) =
        if i < last * t { (i % t, i / t) } else { ((i - last * t) % (t - 1), last + (i - last * t) / (t - 1)) };
    r * per + k
}

/// Runs tasks 0..n across the pool (inline when single-threaded).
fn run_tasks(n: usize, f: &(dyn Fn(usize) + Sync)) {
    if n == 0 {
        return;
    }
    if n == 1 || par::threads() <= 1 {
        for t in 0..n {
            f(t);
        }
    } else {
        par::run(n, &|t, _| f(t));
    }
}

crate::abi_enum! {
    /// The activation a conv applies to its output in the kernel (the same numbers as the separate
    /// unary kernel: "relu" as relu, "relu6" as hardtanh(0, 6); NaN stays NaN).
    pub enum ConvAct: "ConvActivation" { None = "none", Relu = "relu", Relu6 = "relu6" }
}

/// What a conv does to its output after the GEMM (bias included): y = act(y + residual).
/// `res` is laid out like the whole output y.
#[derive(Clone, Copy)]
pub struct Epilogue<'a> {
    pub act: ConvAct,
    pub res: Option<&'a [f32]>,
}

impl Epilogue<'_> {
    pub const NONE: Epilogue<'static> = Epilogue { act: ConvAct::None, res: None };
    pub fn is_none(&self) -> bool {
        self.act == ConvAct::None && self.res.is_none()
    }
    /// Applies the epilogue to `rows` rows of `cols` floats at stride `ld` of `yb`, whose first
    /// element is y[off].
    #[inline]
    pub(crate) fn apply(&self, yb: &mut [f32], off: usize, rows: usize, cols: usize, ld: usize) {
        if rows == 0 || cols == 0 {
            return;
        }
        if let Some(r) = self.res {
            add_rows(yb, &r[off..off + (rows - 1) * ld + cols], rows, cols, ld);
        }
        match self.act {
            ConvAct::None => {}
            ConvAct::Relu => relu_rows(yb, rows, cols, ld),
            ConvAct::Relu6 => relu6_rows(yb, rows, cols, ld),
        }
    }
    /// The scalar epilogue of one value (v already holds conv + bias).
    #[inline(always)]
    pub(crate) fn one(&self, v: f32, off: usize) -> f32 {
        let v = match self.res {
            Some(r) => v + r[off],
            None => v,
        };
        act_one(self.act, v)
    }
}

/// The activation of one value, as the unary kernels compute it.
#[inline(always)]
pub(crate) fn act_one(act: ConvAct, x: f32) -> f32 {
    match act {
        ConvAct::None => x,
        ConvAct::Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        ConvAct::Relu6 => crate::activation::hardtanh(x, 0.0, 6.0),
    }
}

/// y = conv(x, w) + bias, then relu when `relu` (the older entry point of [`conv_fused`]).
#[inline(never)]
pub fn conv(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], relu: bool) {
    let act = if relu { ConvAct::Relu } else { ConvAct::None };
    conv_fused(g, x, w, bias, y, Epilogue { act, res: None })
}

/// y = act(conv(x, w) + bias + residual) (see [`Epilogue`]).
#[inline(never)]
pub fn conv_fused(g: &ConvGeom, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32], ep: Epilogue) {
    conv_fused_packed(g, x, w, bias, None, y, ep)
}

/// [`conv_fused`] with the weights (and bias) also given packed by [`conv_pack`]: the GEMM paths
/// read `packed` instead of packing w themselves when it was made for this geometry, bias and
/// kernel (else they pack w as usual; the direct depthwise path always reads w).
#[inline(never)]
pub fn conv_fused_packed(
    g: &ConvGeom,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    packed: Option<&[f32]>,
    y: &mut [f32],
    ep: Epilogue,
) {
    let ep = Epilogue { act: ep.act, res: ep.res.map(|r| &r[..g.y_len()]) };
    // small convs (mobilenet's, resnet's downsample 1x1s at batch 1) run on one thread: split over
    // two cores they are slower than on one (the next layer's input then sits in the other
    // core's cache), measured on 2-core Zen 5 for every such layer of mobilenet_v2
    let macs = (g.n * g.o * g.out_size()).saturating_mul(g.kg());
    let dw = depthwise_case(g) && DIRECT_DW.load(core::sync::atomic::Ordering::Relaxed);
    let (gemm_min, dw_min) = par_min_macs();
    if par::threads() > 1 && macs < if dw { dw_min } else { gemm_min } {
        return par::serial(|| conv_fused_packed(g, x, w, bias, packed, y, ep));
    }
    if dw {
        return conv_depthwise(g, x, w, bias, y, &ep);
    }
    let kb = g.kg() + bias.is_some() as usize;
    let packed = packed_panels(g, kb, packed);
    #[cfg(target_arch = "x86_64")]
    if nchwc_case(g) {
        return conv_nchwc(g, x, w, bias, packed, y, &ep);
    }
    if spatial_case(g, kb) && g.out_size() > 0 {
        return conv_spatial(g, x, w, bias, packed, y, &ep);
    }
    if g.is_pointwise() {
        return conv_pointwise(g, x, w, bias, packed, y, &ep);
    }
    if subsampled_case(g) && g.out_size() > 0 {
        return conv_subsampled(g, x, w, bias, packed, y, &ep);
    }
    let (x, w) = (&x[..g.x_len()], &w[..g.w_len()]);
    let y = &mut y[..g.y_len()];
    if g.out_size() == 0 || g.og() == 0 {
        return;
    }
    if panel_case(g, g.kg() + bias.is_some() as usize) {
        return conv_panels(g, x, w, bias, packed, y, &ep);
    }
    let xs = split_stride2(g, x);
    conv_blocks(
        g,
        match &xs {
            Some(v) => &v[..x.len()],
            None => x,
        },
        xs.is_some(),
        w,
        bias,
        packed,
        y,
        &ep,
    );
    split_done(xs);
}

/// The fused ReLU of a conv output block: `rows` rows of `cols` floats, stride `ld`, in place
/// (same values as the unary relu kernel: NaN stays, everything not above 0 becomes +0). On x86
/// explicit max instructions: LLVM compiles the in-place select of the portable loop into masked
/// stores (vmaskmovps), microcoded on AMD.
fn relu_rows(y: &mut [f32], rows: usize, cols: usize, ld: usize) {
    if !clamp_rows_x86::<false>(y, rows, cols, ld) {
        relu_rows_portable(y, rows, cols, ld)
    }
}

/// relu (SIX = false) or relu6 of the rows with x86's max / min instructions when AVX2 is there
/// and rows hold 8 floats or more; false when the caller must run its portable loop.
#[inline(always)]
fn clamp_rows_x86<const SIX: bool>(y: &mut [f32], rows: usize, cols: usize, ld: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() && cols >= 8 {
        for r in 0..rows {
            let row = &mut y[r * ld..r * ld + cols];
            // SAFETY: AVX2 checked; row holds cols >= 8 floats.
            unsafe { x86_act::clamp_run::<SIX>(row.as_mut_ptr(), cols) };
        }
        return true;
    }
    let _ = (y, rows, cols, ld);
    false
}

crate::simd_fn! {
fn relu_rows_portable(y: &mut [f32], rows: usize, cols: usize, ld: usize) {
    for r in 0..rows {
        // an unconditional store of a select: vectorises (a branch per element would not)
        for v in &mut y[r * ld..r * ld + cols] {
            let x = *v;
            *v = if x > 0.0 || x.is_nan() { x } else { 0.0 };
        }
    }
}
}

/// The fused ReLU6 (hardtanh(0, 6), same values as the unary kernel: NaN and -0 stay).
fn relu6_rows(y: &mut [f32], rows: usize, cols: usize, ld: usize) {
    if !clamp_rows_x86::<true>(y, rows, cols, ld) {
        relu6_rows_portable(y, rows, cols, ld)
    }
}

crate::simd_fn! {
fn relu6_rows_portable(y: &mut [f32], rows: usize, cols: usize, ld: usize) {
    for r in 0..rows {
        for v in &mut y[r * ld..r * ld + cols] {
            let x = *v;
            let a = if x < 0.0 { 0.0 } else { x };
            *v = if x > 6.0 { 6.0 } else { a };
        }
    }
}
}

#[cfg(target_arch = "x86_64")]
mod x86_act {
    use core::arch::x86_64::*;
    /// In place over p[..n] (n >= 8; the last 8 again from n - 8, both ops being idempotent):
    /// SIX = false: relu as max(0, x) + 0 (maxps returns its second operand for a NaN or equal
    /// zeros, so NaN stays and -0 becomes -0 + 0 = +0); SIX = true: hardtanh(0, 6) as
    /// min(6, max(0, x)) (NaN and -0 stay).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn clamp_run<const SIX: bool>(p: *mut f32, n: usize) {
        let (z, six) = (_mm256_setzero_ps(), _mm256_set1_ps(6.0));
        let f = |x: __m256| {
            let m = _mm256_max_ps(z, x);
            if SIX {
                _mm256_min_ps(six, m)
            } else {
                _mm256_add_ps(m, z)
            }
        };
        let mut i = 0;
        while i + 8 <= n {
            _mm256_storeu_ps(p.add(i), f(_mm256_loadu_ps(p.add(i))));
            i += 8;
        }
        if i < n {
            _mm256_storeu_ps(p.add(n - 8), f(_mm256_loadu_ps(p.add(n - 8))));
        }
    }
}

crate::simd_fn! {
/// y += res over `rows` rows of `cols` floats, both at stride `ld`.
fn add_rows(y: &mut [f32], res: &[f32], rows: usize, cols: usize, ld: usize) {
    for r in 0..rows {
        for (v, &a) in y[r * ld..r * ld + cols].iter_mut().zip(&res[r * ld..r * ld + cols]) {
            *v += a;
        }
    }
}
}

#[cfg(test)]
mod spread_tests {
    #[test]
    fn spread_is_a_permutation() {
        for threads in [1, 2, 3, 4, 7] {
            crate::par::set_threads(threads);
            for n in 0..60 {
                let mut seen = vec![false; n];
                for i in 0..n {
                    let j = super::spread(i, n);
                    assert!(j < n && !seen[j], "threads {threads} n {n}: claim {i} -> {j}");
                    seen[j] = true;
                }
            }
        }
        crate::par::set_threads(1);
    }
}
