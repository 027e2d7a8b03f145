//! srtfu's benchmark: srtfu side by side with raw srt-sys loops and the SRT tools.
//!
//! ```text
//! cargo run --release --example bench -- all            # every scenario, full size
//! cargo run --release --example bench -- live --quick   # one scenario, a few seconds
//! cargo run --release --example bench -- --help
//! ```
//!
//! See BENCHMARKS.md for what each scenario measures and the latest table.

mod run;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(run::main_with(args));
}
