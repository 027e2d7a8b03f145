//! Placeholder until the live quickstart lands: prints the libsrt version srtfu runs with.
fn main() {
    let (a, b, c) = srtfu::version();
    println!("srtfu runs on libsrt {a}.{b}.{c}");
}
