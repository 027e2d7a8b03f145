//! Runs the benchmark's quick mode (`bench all --quick`) so that it cannot rot: every
//! scenario must run and every contender must deliver (all live payloads of the right size,
//! files received whole). The numbers themselves are not judged.
//!
//! A plain `main` (harness = false): the benchmark re-invokes its own executable as the child
//! receiver processes it measures, and here that executable is this test.

#[path = "../examples/bench/run.rs"]
mod run;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__child") {
        std::process::exit(run::main_with(args));
    }
    if args.iter().any(|a| a == "--list") {
        println!("bench_quick: test");
        return;
    }
    let start = std::time::Instant::now();
    let code = run::main_with(
        ["bench", "all", "--quick"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    let took = start.elapsed();
    println!("bench all --quick took {took:.1?}");
    assert_eq!(code, 0, "the quick benchmark failed (see its output above)");
    assert!(
        took < std::time::Duration::from_secs(60),
        "quick mode must stay well under a minute; took {took:?}"
    );
}
