// The N-API symbols are provided by the node binary that loads the addon, not at link time.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,--unresolved-symbols=ignore-all");
}
