//! The generated TypeScript side of the ABI (ts/backends/abi.gen.ts, written by
//! scripts/gen-abi.mjs) against what the compiler sees: every declaration, same names, same order.
use torchlet_kernels::abi;

/// ConvGeom -> CONV_GEOM (as upperSnake in scripts/gen-abi.mjs).
fn upper_snake(s: &str) -> String {
    let mut out = String::new();
    let cs: Vec<char> = s.chars().collect();
    for (i, &c) in cs.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() && (cs[i - 1].is_ascii_lowercase() || cs[i - 1].is_ascii_digit()) {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[test]
fn abi_gen_ts_matches() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ts/backends/abi.gen.ts");
    let ts = std::fs::read_to_string(path).expect("ts/backends/abi.gen.ts: run `node scripts/gen-abi.mjs`");
    let decls = abi::declarations();
    for (name, what, names) in &decls {
        let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
        let line = format!("export const {}_{what} = [{}] as const;", upper_snake(name), list.join(", "));
        assert!(
            ts.contains(&line),
            "abi.gen.ts differs from the Rust {name}: expected\n{line}\n(run `node scripts/gen-abi.mjs`)"
        );
    }
    let generated = ts
        .lines()
        .filter(|l| l.starts_with("export const ") && (l.contains("_NAMES = [") || l.contains("_FIELDS = [")))
        .count();
    assert_eq!(
        generated,
        decls.len(),
        "abi.gen.ts has {generated} declarations, abi::declarations() lists {}: list the new one there",
        decls.len()
    );
}

#[test]
fn every_kernel_id_dispatches() {
    // an id past the table is a clean error, and every declared id decodes to itself
    for (i, k) in abi::Kernel::ALL.iter().enumerate() {
        assert_eq!(abi::Kernel::from_code(i as u32), Some(*k));
        assert_eq!(k.name(), abi::Kernel::NAMES[i]);
    }
    assert!(abi::Kernel::from_code(abi::Kernel::COUNT as u32).is_none());
}
