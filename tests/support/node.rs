//! The `opengate` binary, built inside the test package so that end-to-end tests can
//! run a real backend process (and SIGKILL it): `env!("CARGO_BIN_EXE_opengate-node")`.

fn main() -> std::process::ExitCode {
    opengate::cli::main()
}
