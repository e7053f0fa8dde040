//! kubectl-kit-registry: images and the registries that hold them, for the plugins that push
//! (`kubectl push-image`) and that diagnose pulls (`kubectl trace-svc`).
//!
//! Leaves first; each module uses only those above it:
//! - [`digest`]: `sha256:HEX` digests, checked before a path is built from one, computed whole
//!   or as bytes stream past.
//! - [`oci`]: the OCI image-spec types: media types, descriptors, platforms.
//! - [`reference`]: image references (`[HOST[:PORT]/]REPOSITORY[:TAG]`) by the distribution
//!   grammar, registry hosts, the plain-HTTP (loopback) rule.
//! - [`store`]: an image source's files read in place: a directory, or a tarball indexed once
//!   and never unpacked.
//! - [`stream`]: blob bytes on their way out, hashed as they pass, the last chunk held back
//!   until the digest matches.
//! - [`image`]: the images in a store: OCI layouts and archives, `docker save` (Docker 25+ and
//!   legacy), multi-platform indexes filtered by platform.
//! - [`auth`]: Docker's `config.json`, credential helpers (run without a shell), and
//!   `WWW-Authenticate` challenges.
//! - [`trust`]: the roots a registry's TLS is checked against: the system's, `--ca-file`, the
//!   container tools' `certs.d`.
//! - [`registry`]: the OCI distribution API client: blobs, mounts, uploads, manifests; Basic and
//!   bearer-token auth, bounded retries, redirects that never carry credentials elsewhere.
//! - [`discover`]: the cluster's registry (KEP-1755's `kube-public/local-registry-hosting`) and
//!   its nodes' platforms.
//! - [`probe`]: does the cluster's registry hold the image a pod names.
//!
//! Nothing here prints to stdout; errors are [`kubectl_kit_core::Error`]s, and credentials
//! never reach a message.

pub mod auth;
pub mod digest;
pub mod discover;
pub mod image;
pub mod oci;
pub mod probe;
pub mod reference;
pub mod registry;
pub mod store;
pub mod stream;
pub mod trust;
