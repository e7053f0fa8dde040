fn main() -> std::process::ExitCode {
    kubectl_kit_core::run_completing(kubectl_detach::run, kubectl_detach::complete)
}
