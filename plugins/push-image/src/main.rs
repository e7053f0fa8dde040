fn main() -> std::process::ExitCode {
    kubectl_kit_core::run_completing(kubectl_push_image::run, kubectl_push_image::complete)
}
