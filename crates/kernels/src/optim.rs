//! In-place optimiser steps with PyTorch's update rules: SGD (momentum, dampening, Nesterov,
//! weight decay) and Adam / AdamW (decoupled weight decay).
use crate::simd_fn;

simd_fn! {
/// p -= lr * d, d = g + wd p, with momentum buffer b = first ? d : mom b + (1 - damp) d.
pub fn sgd_step(p: &mut [f32], g: &[f32], buf: Option<&mut [f32]>, lr: f64, momentum: f64, dampening: f64,
                weight_decay: f64, nesterov: bool, first_step: bool) {
    let n = p.len();
    let g = &g[..n];
    let (lr, mom, damp1, wd) = (lr as f32, momentum as f32, (1.0 - dampening) as f32, weight_decay as f32);
    match buf {
        Some(bf) if momentum != 0.0 => {
            for ((pv, &gv), bv) in p.iter_mut().zip(g).zip(bf[..n].iter_mut()) {
                let d = if weight_decay != 0.0 { gv + wd * *pv } else { gv };
                let b = if first_step { d } else { mom * *bv + damp1 * d };
                *bv = b;
                let d = if nesterov { d + mom * b } else { b };
                *pv -= lr * d;
            }
        }
        _ => {
            for (pv, &gv) in p.iter_mut().zip(g) {
                let d = if weight_decay != 0.0 { gv + wd * *pv } else { gv };
                *pv -= lr * d;
            }
        }
    }
}
}

simd_fn! {
/// Adam (decoupled = false) or AdamW (decoupled = true) step number `step` (1-based).
pub fn adam_step(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], lr: f64, beta1: f64, beta2: f64,
                 eps: f64, weight_decay: f64, step: f64, decoupled: bool) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let bc1 = 1.0 - beta1.powf(step);
    let bc2 = 1.0 - beta2.powf(step);
    let step_size = (lr / bc1) as f32;
    let inv_bc2s = (1.0 / bc2.sqrt()) as f32;
    let (b1, b2, ob1, ob2, epsf) = (beta1 as f32, beta2 as f32, (1.0 - beta1) as f32, (1.0 - beta2) as f32, eps as f32);
    let decay = (1.0 - lr * weight_decay) as f32;
    let wd = weight_decay as f32;
    for (((pv, &gv), mv), vv) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let mut d = gv;
        if decoupled { *pv *= decay; } else if weight_decay != 0.0 { d += wd * *pv; }
        let mn = b1 * *mv + ob1 * d;
        let vn = b2 * *vv + ob2 * d * d;
        *mv = mn;
        *vv = vn;
        let denom = vn.sqrt() * inv_bc2s + epsf;
        *pv -= step_size * (mn / denom);
    }
}
}
