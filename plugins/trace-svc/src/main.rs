fn main() -> std::process::ExitCode {
    kubectl_kit_core::run_completing(kubectl_trace_svc::run, kubectl_trace_svc::complete)
}
