fn main() -> std::process::ExitCode {
    kubectl_kit_core::run_completing(kubectl_shortname::run, kubectl_shortname::complete)
}
