fn main() -> std::process::ExitCode {
    kubectl_kit_core::run_completing(kubectl_cols::run, kubectl_cols::complete)
}
