//! The `opengate` binary: the server and the operator command line.

fn main() -> std::process::ExitCode {
    opengate::cli::main()
}
