//! What a group's cause needs asked after the fold, once per group, turned into evidence and a
//! command: what the cluster's registry holds of an image that cannot be pulled, and the state
//! of the PersistentVolumeClaims a pod waits for. The requests themselves are
//! [`crate::gather`]'s.

use kubectl_kit_registry::probe::{Presence, Probe as RegistryProbe};

use super::{Cause, Followup, first_lines};

impl Cause {
    /// Adds what the cluster's registry says about the image, and the command that follows.
    pub fn add_registry(&mut self, probe: RegistryProbe, ns: &str) {
        let Followup::Image { container, deployment, .. } = &self.followup else { return };
        let target = format!("{}:{}", probe.repository, probe.reference);
        let line = match &probe.presence {
            Presence::Present => {
                format!(
                    "the cluster's registry {} has {target}: the image exists; check the nodes' access to {} (credentials, network)",
                    probe.registry, probe.pull_host
                )
            }
            Presence::OtherHost { pull_reference } => {
                if let Some(d) = deployment {
                    self.command = format!("kubectl set image deployment/{d} {container}={pull_reference} -n {ns}");
                }
                format!(
                    "the cluster's registry {} has {target}, but the nodes pull it from {}: name it {pull_reference}",
                    probe.registry, probe.pull_host
                )
            }
            Presence::TagMissing { tags } => {
                self.command = format!("kubectl push-image SOURCE {target}");
                format!(
                    "the cluster's registry {} has {} but not the tag {} (it has {})",
                    probe.registry,
                    probe.repository,
                    probe.reference,
                    tags.join(", ")
                )
            }
            Presence::NotPushed => {
                self.command = format!("kubectl push-image SOURCE {target}");
                format!(
                    "the cluster's registry {} has no repository {}: the image was never pushed there",
                    probe.registry, probe.repository
                )
            }
            Presence::Unreachable { error } => {
                format!("the cluster's registry {} could not be asked: {}", probe.registry, first_lines(error, 1))
            }
        };
        self.evidence.insert(0, line);
        self.registry = Some(probe);
    }

    /// Adds the state of the PersistentVolumeClaims the pod waits for.
    pub fn add_claims(&mut self, claims: Vec<(String, Option<String>)>) {
        for (name, state) in claims {
            self.evidence.push(match state {
                Some(s) => format!("PersistentVolumeClaim {name}: {s}"),
                None => format!("PersistentVolumeClaim {name} does not exist"),
            });
        }
    }
}
