fn main() -> std::process::ExitCode {
    kubectl_kit_core::run(kubectl_detach::run)
}
