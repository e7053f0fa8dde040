// The Gateway API's standard-channel CRDs (config/crd/standard), which `cargo xtask cluster up`
// applies: its version is this require line. Nothing is built from this module.
module kubectl-kit.local/cluster/gateway-api

go 1.26.0

require sigs.k8s.io/gateway-api v1.6.3
