//! Whole-model inference fast paths: the direct depthwise conv (groups == C, any multiplier)
//! against direct f64 loops, with every epilogue (relu / relu6 / residual), on odd sizes and
//! 1-2 threads; `bench_model_paths` (ignored) times them against the im2col path.
use torchlet_kernels::conv::{self, ConvAct, ConvGeom, Epilogue};
use torchlet_kernels::par;

mod common;
use common::{close, direct, geom, rand};

fn act(a: ConvAct, v: f32) -> f32 {
    match a {
        ConvAct::None => v,
        ConvAct::Relu => {
            if v > 0.0 || v.is_nan() {
                v
            } else {
                0.0
            }
        }
        ConvAct::Relu6 => {
            if v < 0.0 {
                0.0
            } else if v > 6.0 {
                6.0
            } else {
                v
            }
        }
    }
}

fn check(g: &ConvGeom, seed: u64, what: &str) {
    let (mut x, w) = (rand(g.x_len(), seed), rand(g.w_len(), seed + 1));
    for v in &mut x {
        *v *= 2.0;
    }
    if x.len() > 20 {
        x[17] = f32::NAN;
    }
    let bias = rand(g.o, seed + 3);
    let res = rand(g.y_len(), seed + 4);
    let (ry, _, _) = direct(g, &x, &w, &vec![0.0; g.y_len()]);
    let s = g.out_size();
    for a in [ConvAct::None, ConvAct::Relu, ConvAct::Relu6] {
        for with_res in [false, true] {
            for with_bias in [false, true] {
                let mut want = ry.clone();
                for (i, v) in want.iter_mut().enumerate() {
                    let o = (i / s.max(1)) % g.o.max(1);
                    let mut t = *v;
                    if with_bias {
                        t += bias[o];
                    }
                    if with_res {
                        t += res[i];
                    }
                    *v = act(a, t);
                }
                let mut y = vec![f32::NAN; g.y_len()];
                let ep = Epilogue { act: a, res: if with_res { Some(&res) } else { None } };
                conv::conv_fused(g, &x, &w, if with_bias { Some(&bias) } else { None }, &mut y, ep);
                close(&y, &want, 1e-4, 1e-4, &format!("{what} act={a:?} res={with_res} bias={with_bias}"));
            }
        }
    }
}

const ONE: [usize; 3] = [1, 1, 1];

fn dw_geoms() -> Vec<(&'static str, ConvGeom)> {
    vec![
        ("3x3 s1 p1 m1", geom(1, 7, 7, 7, [1, 13, 17], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("3x3 s1 p1 m1 b3 wide", geom(3, 4, 4, 4, [1, 9, 45], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("3x3 s2 p1 even", geom(1, 6, 6, 6, [1, 16, 16], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("3x3 s2 p1 odd b3", geom(3, 5, 5, 5, [1, 15, 37], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("3x3 p0 m2", geom(1, 3, 6, 3, [1, 10, 11], [1, 3, 3], ONE, [0, 0, 0], ONE)),
        ("3x3 s2 p2 m2", geom(3, 3, 6, 3, [1, 13, 21], [1, 3, 3], [1, 2, 2], [0, 2, 2], ONE)),
        ("3x3 d2 p2", geom(1, 5, 5, 5, [1, 14, 19], [1, 3, 3], ONE, [0, 2, 2], [1, 2, 2])),
        ("5x5 p2", geom(1, 9, 9, 9, [1, 12, 23], [1, 5, 5], ONE, [0, 2, 2], ONE)),
        ("5x5 s2 p2 b3", geom(3, 4, 4, 4, [1, 17, 19], [1, 5, 5], [1, 2, 2], [0, 2, 2], ONE)),
        ("5x5 d2 p1 m2", geom(1, 2, 4, 2, [1, 15, 16], [1, 5, 5], ONE, [0, 1, 1], [1, 2, 2])),
        ("3x5 s2x1 p1x2", geom(1, 3, 3, 3, [1, 11, 14], [1, 3, 5], [1, 2, 1], [0, 1, 2], ONE)),
        ("s3 7x7", geom(1, 3, 3, 3, [1, 20, 23], [1, 7, 7], [1, 3, 3], [0, 3, 3], ONE)),
        ("7x7 image", geom(1, 32, 32, 32, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("pad beyond reach", geom(1, 2, 2, 2, [1, 3, 4], [1, 3, 3], ONE, [0, 3, 2], ONE)),
        ("1x1 image", geom(2, 3, 3, 3, [1, 1, 1], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("1x1 kernel m2", geom(1, 4, 8, 4, [1, 5, 6], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("1-d k5", geom(2, 6, 6, 6, [1, 1, 29], [1, 1, 5], ONE, [0, 0, 2], ONE)),
        ("3-d", geom(1, 3, 3, 3, [4, 5, 6], [3, 3, 3], ONE, [1, 1, 1], ONE)),
        ("3-d s2", geom(2, 2, 4, 2, [5, 6, 9], [3, 3, 3], [2, 2, 2], [1, 1, 1], ONE)),
        ("96 ch s2", geom(1, 96, 96, 96, [1, 21, 21], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        // several 16-column chunks (AVX-512 rows): stride 2 over 32-column windows, dilation
        ("3x3 s2 p1 wide", geom(2, 3, 3, 3, [1, 9, 62], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("5x5 s2 d2 p3 wide m2", geom(1, 2, 4, 2, [1, 11, 53], [1, 5, 5], [1, 2, 2], [0, 3, 3], [1, 2, 2])),
        ("3x3 s1 p1 33 wide, 6 rows", geom(1, 5, 5, 5, [1, 6, 33], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("zero batch", geom(0, 3, 3, 3, [1, 5, 5], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        // multiples of 16 channels, outputs up to 28x28: the 16-channel block path on AVX-512
        ("16 ch 3x3 s1 p1 b3", geom(3, 16, 16, 16, [1, 9, 13], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("32 ch 5x5 s2 p2", geom(1, 32, 32, 32, [1, 17, 15], [1, 5, 5], [1, 2, 2], [0, 2, 2], ONE)),
        ("48 ch 3x3 d2 p2", geom(1, 48, 48, 48, [1, 11, 12], [1, 3, 3], ONE, [0, 2, 2], [1, 2, 2])),
        ("16 ch 28x28 out", geom(1, 16, 16, 16, [1, 28, 28], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("16 ch 3x1 s2x1 b2", geom(2, 16, 16, 16, [1, 10, 7], [1, 3, 1], [1, 2, 1], [0, 1, 0], ONE)),
        ("960 ch 7x7", geom(1, 960, 960, 960, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
    ]
}

/// Channels in and out multiples of 16, outputs up to 28x28: the direct channel-block conv of
/// nchwc.rs on AVX-512 (the GEMM paths elsewhere); 1-4 channel blocks per weight group (tiles of
/// 12, 8 and 6 positions), tiles across output rows, strides, dilation, padding, odd sizes.
fn nchwc_geoms() -> Vec<(&'static str, ConvGeom)> {
    vec![
        ("3x3 s1 p1 16->16 odd", geom(1, 16, 16, 1, [1, 13, 11], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("3x3 s1 p1 32->48 b3", geom(3, 32, 48, 1, [1, 7, 9], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("3x3 s2 p1 16->80", geom(1, 16, 80, 1, [1, 15, 14], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("3x3 s2 p1 48->128 b2", geom(2, 48, 128, 1, [1, 14, 14], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("3x3 p0 64->32", geom(1, 64, 32, 1, [1, 9, 10], [1, 3, 3], ONE, [0, 0, 0], ONE)),
        ("3x3 d2 p2 16->64", geom(1, 16, 64, 1, [1, 12, 9], [1, 3, 3], ONE, [0, 2, 2], [1, 2, 2])),
        ("5x5 s2 p2 32->112", geom(2, 32, 112, 1, [1, 17, 19], [1, 5, 5], [1, 2, 2], [0, 2, 2], ONE)),
        ("3x1 p1x0 16->16", geom(1, 16, 16, 1, [1, 10, 6], [1, 3, 1], ONE, [0, 1, 0], ONE)),
        ("1x3 s1x2 16->32", geom(1, 16, 32, 1, [1, 5, 21], [1, 1, 3], [1, 1, 2], [0, 0, 1], ONE)),
        ("7x7 image 48->256", geom(1, 48, 256, 1, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("28x28 out 16->16", geom(1, 16, 16, 1, [1, 28, 28], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("pad beyond reach", geom(1, 16, 16, 1, [1, 3, 4], [1, 3, 3], ONE, [0, 3, 2], ONE)),
        ("1x1 image", geom(2, 16, 32, 1, [1, 1, 1], [1, 3, 3], ONE, [0, 1, 1], ONE)),
    ]
}

#[test]
fn nchwc_matches_direct() {
    conv::set_par_min_macs(0, 0);
    for threads in [1, 2] {
        par::set_threads(threads);
        for (i, (name, g)) in nchwc_geoms().iter().enumerate() {
            check(g, 300 + i as u64, &format!("nchwc {name} threads={threads}"));
            // weights packed once (as a model's): the same numbers
            let (x, w, b) = (rand(g.x_len(), 7), rand(g.w_len(), 8), rand(g.o, 9));
            let mut pk = vec![0f32; conv::packed_len(g, true)];
            conv::conv_pack(g, &w, Some(&b), &mut pk);
            let (mut y0, mut y1) = (vec![0f32; g.y_len()], vec![0f32; g.y_len()]);
            let ep = Epilogue { act: ConvAct::Relu, res: None };
            conv::conv_fused(g, &x, &w, Some(&b), &mut y0, ep);
            conv::conv_fused_packed(g, &x, &w, Some(&b), Some(&pk), &mut y1, ep);
            assert_eq!(y0, y1, "nchwc {name}: packed weights give other numbers");
        }
    }
    par::set_threads(1);
}

#[test]
fn depthwise_matches_direct() {
    // small shapes take the threaded paths too (convs below the size threshold run on one thread)
    conv::set_par_min_macs(0, 0);
    for threads in [1, 2] {
        par::set_threads(threads);
        for (i, (name, g)) in dw_geoms().iter().enumerate() {
            check(g, 100 + i as u64, &format!("depthwise {name} threads={threads}"));
        }
    }
    par::set_threads(1);
}

#[test]
fn epilogue_on_every_forward_path() {
    for (i, (name, g)) in [
        ("pointwise", geom(2, 12, 7, 1, [1, 9, 11], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("1x1 s2 subsampled", geom(2, 12, 7, 1, [1, 9, 12], [1, 1, 1], [1, 2, 2], [0, 0, 0], ONE)),
        ("pointwise b1 wide", geom(1, 24, 40, 1, [1, 20, 23], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise column blocks", geom(1, 8, 40, 1, [1, 50, 41], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise column blocks b2 groups 2", geom(2, 6, 44, 2, [1, 37, 53], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("1x1 s3 batch 1", geom(1, 40, 33, 1, [1, 16, 17], [1, 1, 1], [1, 3, 3], [0, 0, 0], ONE)),
        ("blocks", geom(1, 5, 9, 1, [1, 13, 11], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("packed K288", geom(1, 32, 17, 1, [1, 15, 13], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("stem panels", geom(1, 3, 16, 1, [1, 29, 31], [1, 7, 7], [1, 2, 2], [0, 3, 3], ONE)),
        ("groups 2", geom(1, 8, 6, 2, [1, 7, 9], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("spatial 7x7 b3", geom(3, 16, 64, 1, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("spatial 1x1 s2 to 5x5", geom(1, 36, 32, 1, [1, 9, 9], [1, 1, 1], [1, 2, 2], [0, 0, 0], ONE)),
    ]
    .iter()
    .enumerate()
    {
        check(g, 300 + i as u64, name);
    }
}

/// Weights packed once (conv_pack) give the same numbers as the conv packing them itself, on every
/// GEMM forward path, and a buffer packed for another geometry or bias is not used.
#[test]
fn prepacked_weights_on_every_forward_path() {
    // small shapes take the threaded paths too (convs below the size threshold run on one thread)
    conv::set_par_min_macs(0, 0);
    let cases = [
        ("pointwise", geom(2, 12, 9, 1, [1, 9, 11], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise groups 3", geom(1, 12, 9, 3, [1, 5, 7], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise b1 wide (columns split)", geom(1, 24, 40, 1, [1, 20, 23], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise column blocks", geom(1, 8, 40, 1, [1, 50, 41], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise column blocks b2 groups 2", geom(2, 6, 44, 2, [1, 37, 53], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("pointwise rows split (one block)", geom(1, 16, 72, 1, [1, 3, 5], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("1x1 s2 (subsampled)", geom(2, 16, 24, 1, [1, 13, 13], [1, 1, 1], [1, 2, 2], [0, 0, 0], ONE)),
        ("1x1 3-d s1x2x3 groups 2", geom(3, 6, 8, 2, [4, 7, 8], [1, 1, 1], [1, 2, 3], [0, 0, 0], [2, 1, 1])),
        ("1x1 s2 padded (blocks)", geom(1, 16, 24, 1, [1, 9, 10], [1, 1, 1], [1, 2, 2], [0, 1, 1], ONE)),
        ("blocks", geom(1, 5, 9, 1, [1, 13, 11], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("fused shifted K145", geom(2, 16, 19, 1, [1, 15, 13], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("packed K288", geom(1, 32, 17, 1, [1, 15, 13], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("deep narrow 7x7", geom(1, 64, 40, 1, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("spatial 7x7 b2", geom(2, 24, 64, 1, [1, 7, 7], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("spatial 1x1 7x7", geom(1, 40, 96, 1, [1, 7, 7], [1, 1, 1], ONE, [0, 0, 0], ONE)),
        ("spatial s2 d2", geom(2, 12, 32, 1, [1, 13, 14], [1, 3, 3], [1, 2, 2], [0, 2, 2], [1, 2, 2])),
        ("spatial 3-d", geom(1, 5, 64, 1, [3, 3, 5], [3, 3, 3], ONE, [1, 1, 1], ONE)),
        ("stem panels", geom(1, 3, 16, 1, [1, 29, 31], [1, 7, 7], [1, 2, 2], [0, 3, 3], ONE)),
        ("s2 panels", geom(3, 16, 40, 1, [1, 15, 15], [1, 3, 3], [1, 2, 2], [0, 1, 1], ONE)),
        ("groups 2", geom(1, 8, 6, 2, [1, 7, 9], [1, 3, 3], ONE, [0, 1, 1], ONE)),
        ("dilated 1-d", geom(2, 6, 10, 1, [1, 1, 40], [1, 1, 5], ONE, [0, 0, 4], [1, 1, 2])),
        ("3-d", geom(1, 4, 9, 1, [4, 5, 6], [3, 3, 3], ONE, [1, 1, 1], ONE)),
    ];
    for (threads, div) in [(1, 1), (2, 1), (2, 16)] {
        par::set_threads(threads);
        conv::set_block_budget_div(div);
        for (i, (name, g)) in cases.iter().enumerate() {
            let what = format!("{name} threads={threads} div={div}");
            let (x, w) = (rand(g.x_len(), 900 + i as u64), rand(g.w_len(), 950 + i as u64));
            let bias = rand(g.o, 990 + i as u64);
            let res = rand(g.y_len(), 995 + i as u64);
            let (ry, _, _) = direct(g, &x, &w, &vec![0.0; g.y_len()]);
            let s = g.out_size();
            for with_bias in [false, true] {
                let b = if with_bias { Some(&bias[..]) } else { None };
                let n = conv::packed_len(g, with_bias);
                assert!(n > 0, "{what}: a GEMM path packs");
                let mut packed = vec![f32::NAN; n];
                conv::conv_pack(g, &w, b, &mut packed);
                let ep = Epilogue { act: ConvAct::Relu, res: Some(&res) };
                let want: Vec<f32> = ry
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| act(ConvAct::Relu, v + if with_bias { bias[(j / s) % g.o] } else { 0.0 } + res[j]))
                    .collect();
                let mut y = vec![f32::NAN; g.y_len()];
                conv::conv_fused_packed(g, &x, &w, b, Some(&packed), &mut y, ep);
                close(&y, &want, 1e-4, 1e-4, &format!("{what} bias={with_bias} packed"));
                // the other bias setting's packing does not fit: ignored, same numbers
                let other = if with_bias { None } else { Some(&bias[..]) };
                let mut wrong = vec![0f32; conv::packed_len(g, !with_bias)];
                conv::conv_pack(g, &w, other, &mut wrong);
                let mut y2 = vec![f32::NAN; g.y_len()];
                conv::conv_fused_packed(g, &x, &w, b, Some(&wrong), &mut y2, ep);
                close(&y2, &want, 1e-4, 1e-4, &format!("{what} bias={with_bias} mismatched packing"));
                // a truncated buffer or a damaged header is not used either
                let mut y3 = vec![f32::NAN; g.y_len()];
                let mut bad = packed.clone();
                bad[4] = f32::from_bits(bad[4].to_bits() + 1);
                conv::conv_fused_packed(g, &x, &w, b, Some(&bad), &mut y3, ep);
                close(&y3, &want, 1e-4, 1e-4, &format!("{what} bias={with_bias} damaged header"));
                conv::conv_fused_packed(g, &x, &w, b, Some(&packed[..n - 1]), &mut y3, ep);
                close(&y3, &want, 1e-4, 1e-4, &format!("{what} bias={with_bias} short buffer"));
            }
        }
    }
    conv::set_block_budget_div(1);
    par::set_threads(1);
    // direct depthwise convs read w itself: nothing to pack
    let dw = geom(1, 8, 8, 8, [1, 9, 9], [1, 3, 3], ONE, [0, 1, 1], ONE);
    assert_eq!(conv::packed_len(&dw, true), 0);
}

fn median_ms(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = std::time::Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[reps / 2]
}

/// `cargo test --release --test model_paths bench -- --ignored --nocapture`: the depthwise convs
/// of MobileNetV2 (batch 1) direct vs im2col + GEMM, interleaved in one process.
#[test]
#[ignore]
fn bench_model_paths() {
    let threads: usize = std::env::var("THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    par::set_threads(threads);
    let mut rows = vec![];
    for (c, hw, s) in [
        (32, 112, 1),
        (96, 112, 2),
        (144, 56, 1),
        (144, 56, 2),
        (192, 28, 1),
        (192, 28, 2),
        (384, 14, 1),
        (576, 14, 1),
        (576, 14, 2),
        (960, 7, 1),
    ] {
        rows.push(geom(1, c, c, c, [1, hw, hw], [1, 3, 3], [1, s, s], [0, 1, 1], ONE));
    }
    for g in rows {
        let (x, w, b) = (rand(g.x_len(), 1), rand(g.w_len(), 2), rand(g.o, 3));
        let mut y = vec![0f32; g.y_len()];
        let ep = Epilogue { act: ConvAct::Relu6, res: None };
        let mut run = |direct: bool| {
            conv::set_direct_depthwise(direct);
            median_ms(|| conv::conv_fused(&g, &x, &w, Some(&b), &mut y, ep), 15)
        };
        let (a, d) = (run(false), run(true));
        let (a2, d2) = (run(false), run(true));
        let gf = 2.0 * (g.y_len() * g.k_size()) as f64 / 1e6;
        println!(
            "dw C={} {}x{} s{}: im2col {:.3} ms, direct {:.3} ms ({:.1} GFLOPS), x{:.1}",
            g.c,
            g.in_h,
            g.in_w,
            g.s_w,
            a.min(a2),
            d.min(d2),
            gf / d.min(d2),
            a.min(a2) / d.min(d2)
        );
    }
    conv::set_direct_depthwise(true);
}

/// `cargo test --release --test model_paths bench_resnet -- --ignored --nocapture`: ResNet18's
/// 3x3 convs (batch 1): time and GFLOPS.
#[test]
#[ignore]
fn bench_resnet_convs() {
    let threads: usize = std::env::var("THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    par::set_threads(threads);
    // COLD=1: caches flushed before each run (see below)
    let cold = std::env::var("COLD").is_ok_and(|v| v == "1");
    let mut flush = vec![0f32; if cold { 16 << 20 } else { 0 }];
    for (c, o, hw, s) in
        [(64, 64, 56, 1), (128, 128, 28, 1), (256, 256, 14, 1), (512, 512, 7, 1), (256, 512, 14, 2), (128, 256, 28, 2)]
    {
        if std::env::var("ONLY").is_ok_and(|v| v.parse() != Ok(c)) {
            continue;
        }
        let g = geom(1, c, o, 1, [1, hw, hw], [1, 3, 3], [1, s, s], [0, 1, 1], ONE);
        let (x, w, b) = (rand(g.x_len(), 1), rand(g.w_len(), 2), rand(g.o, 3));
        let mut y = vec![0f32; g.y_len()];
        let ep = Epilogue { act: ConvAct::Relu, res: None };
        // weights packed once, as a model's parameters are
        let mut pk = vec![0f32; conv::packed_len(&g, true)];
        conv::conv_pack(&g, &w, Some(&b), &mut pk);
        let d = if cold {
            // as in a model's forward: 64 MiB written between runs (other layers' weights and
            // activations), so this conv's weights come from DRAM / L3
            let mut t: Vec<f64> = (0..21)
                .map(|_| {
                    flush.iter_mut().for_each(|v| *v += 1.0);
                    let t0 = std::time::Instant::now();
                    conv::conv_fused_packed(&g, &x, &w, Some(&b), Some(&pk), &mut y, ep);
                    t0.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_by(|a, b| a.partial_cmp(b).unwrap());
            t[10]
        } else {
            median_ms(|| conv::conv_fused_packed(&g, &x, &w, Some(&b), Some(&pk), &mut y, ep), 21)
        };
        let gf = 2.0 * (g.y_len() * c * 9) as f64 / 1e6;
        println!("conv {c}->{o} {hw}x{hw} s{s} threads={threads} cold={cold}: {d:.3} ms ({:.0} GFLOPS)", gf / d);
    }
}
