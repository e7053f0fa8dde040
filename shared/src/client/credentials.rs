//! The user's credentials checked as client-go checks them, before kube runs anything: an exec
//! plugin needs a command, an apiVersion, named env entries and (from `v1`) an
//! interactiveMode; `interactiveMode: Always` needs a terminal; the `gcp` and `azure`
//! auth-providers have been removed from kubectl, and only `oidc` (its `id-token`) is left.

use kube::config::{AuthInfo, ExecInteractiveMode};

use crate::error::{Error, Result};

/// Checks `user`'s exec plugin and auth-provider, naming the user entry and the files, and
/// gives an exec plugin of an older apiVersion the interactiveMode client-go defaults it to.
pub(crate) fn check_credentials(
    user: &mut AuthInfo,
    name: Option<&str>,
    where_: &str,
    stdin_is_terminal: bool,
) -> Result<()> {
    let who = match name {
        Some(n) => format!("users[{n}] in {where_}"),
        None => "the user".to_string(),
    };
    if let Some(provider) = &user.auth_provider {
        if user.exec.is_some() {
            return Err(Error::runtime(format!("{who} has both an auth-provider and an exec plugin"))
                .hint("kubectl refuses this too: keep one of them"));
        }
        // client-go/plugin/pkg/client/auth/{gcp,azure}: stubs that say where the plugin went.
        match provider.name.as_str() {
            "gcp" => {
                return Err(Error::runtime(format!("{who}: the gcp auth plugin has been removed")).hint(
                    "use the \"gke-gcloud-auth-plugin\" kubectl/client-go credential plugin instead; see https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke",
                ));
            }
            "azure" => {
                return Err(Error::runtime(format!("{who}: the azure auth plugin has been removed"))
                    .hint("use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead"));
            }
            "oidc" if provider.config.get("id-token").is_some_and(|t| !t.is_empty()) => {}
            "oidc" => {
                return Err(Error::runtime(format!("{who}: the oidc auth-provider holds no id-token"))
                    .hint("log in again with your identity provider's tool (for example kubectl oidc-login)"));
            }
            other => {
                return Err(Error::runtime(format!("{who}: no auth provider named \"{other}\""))
                    .hint("kubectl knows the oidc auth-provider and exec credential plugins"));
            }
        }
    }
    let Some(exec) = &mut user.exec else { return Ok(()) };
    let invalid = |what: &str| Error::runtime(format!("{who}: the exec credential plugin {what}"));
    if exec.command.as_deref().is_none_or(str::is_empty) {
        return Err(invalid("has no command"));
    }
    let version = exec.api_version.clone().unwrap_or_default();
    if version.is_empty() {
        return Err(invalid("has no apiVersion").hint("client.authentication.k8s.io/v1 is the current one"));
    }
    if exec.env.iter().flatten().any(|e| e.get("name").is_none_or(String::is_empty)) {
        return Err(invalid("has an env entry without a name"));
    }
    if exec.interactive_mode.is_none() {
        // client-go's defaulting: the older versions were interactive when they could be.
        if version.ends_with("/v1beta1") || version.ends_with("/v1alpha1") {
            exec.interactive_mode = Some(ExecInteractiveMode::IfAvailable);
        } else {
            return Err(
                invalid("has no interactiveMode").hint(format!("{version} requires it: Never, IfAvailable or Always"))
            );
        }
    }
    if exec.interactive_mode == Some(ExecInteractiveMode::Always) && !stdin_is_terminal {
        return Err(invalid("needs a terminal (interactiveMode: Always) and standard input is not one"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fixture::parse;

    /// The first user of a kubeconfig, checked, with stdin a terminal or not.
    fn checked(user_yaml: &str, terminal: bool) -> Result<AuthInfo> {
        let kc = parse(&format!("users:\n- name: u\n  user:\n{user_yaml}"));
        let mut user = kc.auth_infos[0].auth_info.clone().expect("a user");
        check_credentials(&mut user, Some("u"), "/k/config", terminal).map(|()| user)
    }

    fn exec(fields: &str) -> String {
        format!("    exec:\n{}", fields.lines().map(|l| format!("      {l}\n")).collect::<String>())
    }

    #[test]
    fn exec_plugins_are_checked_as_client_go_validates_them() {
        let v1 = "apiVersion: client.authentication.k8s.io/v1\ncommand: aws\n";
        let user = checked(&exec(&format!("{v1}interactiveMode: Never")), false).expect("valid");
        assert_eq!(user.exec.and_then(|e| e.interactive_mode), Some(ExecInteractiveMode::Never));
        let e = checked(&exec(v1), true).expect_err("v1 must say");
        assert_eq!(e.message, "users[u] in /k/config: the exec credential plugin has no interactiveMode");
        // Older versions default to IfAvailable, as client-go's defaulting does.
        let beta = "apiVersion: client.authentication.k8s.io/v1beta1\ncommand: aws\n";
        let user = checked(&exec(beta), false).expect("defaulted");
        assert_eq!(user.exec.and_then(|e| e.interactive_mode), Some(ExecInteractiveMode::IfAvailable));
        let e = checked(&exec("command: aws\ninteractiveMode: Never"), true).expect_err("no apiVersion");
        assert_eq!(e.message, "users[u] in /k/config: the exec credential plugin has no apiVersion");
        let e = checked(&exec("apiVersion: client.authentication.k8s.io/v1\ninteractiveMode: Never"), true)
            .expect_err("no command");
        assert_eq!(e.message, "users[u] in /k/config: the exec credential plugin has no command");
        let e = checked(&exec(&format!("{v1}interactiveMode: Never\nenv: [{{value: x}}]")), true).expect_err("env");
        assert_eq!(e.message, "users[u] in /k/config: the exec credential plugin has an env entry without a name");
        let always = exec(&format!("{v1}interactiveMode: Always"));
        assert!(checked(&always, true).is_ok());
        let e = checked(&always, false).expect_err("no terminal");
        assert!(e.message.ends_with("needs a terminal (interactiveMode: Always) and standard input is not one"));
    }

    #[test]
    fn removed_auth_providers_say_what_replaced_them() {
        let provider =
            |name: &str, config: &str| format!("    auth-provider:\n      name: {name}\n      config: {{{config}}}\n");
        let e = checked(&provider("gcp", "cmd-path: /usr/bin/gcloud, cmd-args: config config-helper"), true)
            .expect_err("gcp is gone");
        assert_eq!(e.message, "users[u] in /k/config: the gcp auth plugin has been removed");
        assert!(e.hints[0].contains("gke-gcloud-auth-plugin"), "{:?}", e.hints);
        let e = checked(&provider("azure", "tenant-id: t"), true).expect_err("azure is gone");
        assert_eq!(e.message, "users[u] in /k/config: the azure auth plugin has been removed");
        assert!(e.hints[0].contains("https://github.com/Azure/kubelogin"), "{:?}", e.hints);
        let e = checked(&provider("vault", ""), true).expect_err("unknown");
        assert_eq!(e.message, "users[u] in /k/config: no auth provider named \"vault\"");
        let user = checked(&provider("oidc", "id-token: eyJ.x.y, idp-issuer-url: https://idp"), true).expect("oidc");
        assert!(user.auth_provider.is_some(), "kube sends the id-token");
        let e = checked(&provider("oidc", "refresh-token: r"), true).expect_err("no id-token");
        assert_eq!(e.message, "users[u] in /k/config: the oidc auth-provider holds no id-token");
        let both = format!("{}{}", provider("oidc", "id-token: t"), exec("apiVersion: v\ncommand: c"));
        let e = checked(&both, true).expect_err("both");
        assert_eq!(e.message, "users[u] in /k/config has both an auth-provider and an exec plugin");
    }
}
