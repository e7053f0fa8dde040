//! What a group's cause needs asked after the fold, once per group, turned into evidence and a
//! command: what the cluster's registry holds of an image that cannot be pulled, the state of
//! the PersistentVolumeClaims a pod waits for (and why they do not bind), the kubelet's Killing
//! events for a container its probe killed, and with `--logs` the last error lines of a crashed
//! container's previous run. The requests themselves are [`crate::gather`]'s.

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

    /// Adds the state of the PersistentVolumeClaims the pod waits for: each claim's phase and
    /// StorageClass (`None`: it does not exist), and the latest event that says why it does
    /// not bind (the PersistentVolume controller's or the provisioner's `ProvisioningFailed`).
    pub fn add_claims(&mut self, claims: Vec<(String, Option<String>, Option<String>)>) {
        for (name, state, event) in claims {
            self.evidence.push(match state {
                Some(s) => format!("PersistentVolumeClaim {name}: {s}"),
                None => format!("PersistentVolumeClaim {name} does not exist"),
            });
            if let Some(e) = event {
                self.evidence.push(format!("  {e}"));
            }
            if self.object.is_none() {
                self.object = Some(format!("PersistentVolumeClaim/{name}"));
            }
        }
    }

    /// Adds the kubelet's Killing event for the container (`Container app failed liveness
    /// probe, will be restarted`), when one was found.
    pub fn add_killing(&mut self, line: Option<String>) {
        if let Some(l) = line {
            self.evidence.insert(1.min(self.evidence.len()), l);
        }
    }

    /// Adds the last error lines of `pod`'s previous container log (`--logs`), or why it could
    /// not be read.
    pub fn add_logs(&mut self, pod: &str, log: Result<String, String>) {
        let container = self.container.clone().unwrap_or_default();
        match log {
            Ok(text) => {
                let lines = error_lines(&text);
                if lines.is_empty() {
                    self.evidence.push(format!("logs --previous of {pod} -c {container}: empty"));
                    return;
                }
                self.evidence.push(format!("logs --previous of {pod} -c {container} (last error lines):"));
                self.evidence.extend(lines.iter().map(|l| format!("  | {l}")));
                self.logs = lines;
            }
            Err(why) => self.evidence.push(format!("logs --previous of {pod} -c {container}: {why}")),
        }
    }
}

/// Words that mark a log line as an error line, compared without case.
const ERROR_WORDS: &[&str] = &[
    "error",
    "fatal",
    "panic",
    "exception",
    "traceback",
    "failed",
    "failure",
    "refused",
    "denied",
    "cannot",
    "could not",
    "unable",
    "killed",
    "segmentation",
    "critical",
    "emerg",
];

/// At most this many lines of a log are kept.
const LOG_LINES: usize = 5;

/// The last error lines of a log (its last lines when none reads as an error), each cut as
/// messages are.
pub fn error_lines(text: &str) -> Vec<String> {
    let all: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&str> = all
        .iter()
        .copied()
        .filter(|l| {
            let lower = l.to_lowercase();
            ERROR_WORDS.iter().any(|w| lower.contains(w))
        })
        .collect();
    let pick = if errors.is_empty() { &all } else { &errors };
    pick.iter().skip(pick.len().saturating_sub(LOG_LINES)).map(|l| first_lines(l, 1)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_last_error_lines_of_a_log() {
        let log = "starting\nlistening on :8080\nERROR db: connection refused\nretrying\nFATAL: giving up\n";
        assert_eq!(super::error_lines(log), ["ERROR db: connection refused", "FATAL: giving up"]);
        assert_eq!(super::error_lines("a\nb\n\n"), ["a", "b"]);
        let many: String = (0..20).map(|i| format!("error {i}\n")).collect();
        assert_eq!(super::error_lines(&many).len(), 5);
        assert_eq!(super::error_lines(&many)[4], "error 19");
    }
}
