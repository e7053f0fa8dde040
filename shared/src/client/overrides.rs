//! The global flags that pick kubeconfig entries (`--context`, `--cluster`, `--user`) and
//! override their fields (`--server`, `--token`, `--certificate-authority`,
//! `--client-certificate`, `--client-key`, `--tls-server-name`, `--as`, `--as-group`,
//! `--insecure-skip-tls-verify`, `-n`), as client-go's `ConfigOverrides` and
//! `DirectClientConfig` do. The kubeconfig is only read; what the invocation uses comes out as
//! a [`Selected`].

use kube::config::{AuthInfo, Cluster, Kubeconfig};

use crate::error::{Error, Result};
use crate::flags::GlobalFlags;

/// kubectl's `ConfigOverrides`: the global flags that pick and override kubeconfig entries.
/// An empty value is no override (`--context=""` means the current context), as in client-go.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    pub certificate_authority: Option<String>,
    pub client_certificate: Option<String>,
    pub client_key: Option<String>,
    pub tls_server_name: Option<String>,
    pub as_user: Option<String>,
    pub as_group: Vec<String>,
    pub insecure_skip_tls_verify: bool,
}

impl Overrides {
    /// The overrides the flags make.
    pub fn from_flags(flags: &GlobalFlags) -> Self {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let path =
            |v: &Option<std::path::PathBuf>| v.as_ref().map(|p| p.display().to_string()).filter(|s| !s.is_empty());
        Overrides {
            context: text(&flags.context),
            cluster: text(&flags.cluster),
            user: text(&flags.user),
            namespace: text(&flags.namespace),
            server: text(&flags.server),
            token: text(&flags.token),
            certificate_authority: path(&flags.certificate_authority),
            client_certificate: path(&flags.client_certificate),
            client_key: path(&flags.client_key),
            tls_server_name: text(&flags.tls_server_name),
            as_user: text(&flags.as_user),
            as_group: flags.as_group.clone(),
            insecure_skip_tls_verify: flags.insecure_skip_tls_verify,
        }
    }
}

/// The entries an invocation uses, overrides applied: what client-go's `DirectClientConfig`
/// turns into a REST config.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// The context's name (`--context`, else `current-context`), if there is one.
    pub context: Option<String>,
    /// `-n`, else the context's namespace.
    pub namespace: Option<String>,
    /// The cluster entry's name, if the cluster comes from one.
    pub cluster_name: Option<String>,
    /// The cluster, overrides applied.
    pub cluster: Cluster,
    /// The user entry's name, if the user comes from one.
    pub user_name: Option<String>,
    /// The user, overrides applied.
    pub user: AuthInfo,
    /// The kubeconfig files, for messages.
    pub where_: String,
}

/// Picks the context, cluster and user, and applies the overrides to them, by client-go's
/// rules: an entry a flag names must exist; an entry the context names may be missing when
/// the flags supply what it would have (`--server`), and a missing user is anonymous.
pub(crate) fn select(kc: &Kubeconfig, o: &Overrides, where_: &str) -> Result<Selected> {
    let context_name = o.context.clone().or_else(|| kc.current_context.clone()).filter(|c| !c.is_empty());
    let context = match &context_name {
        Some(name) => match kc.contexts.iter().find(|c| &c.name == name) {
            Some(c) => Some(c.context.clone().unwrap_or_default()),
            None => {
                return Err(Error::runtime(format!("context \"{name}\" does not exist"))
                    .hint(format!("contexts are read from {where_}; list them with kubectl config get-contexts")));
            }
        },
        None if o.cluster.is_none() && o.server.is_none() => {
            return Err(Error::runtime("current-context is not set")
                .hint(format!("pass --context NAME or run kubectl config use-context NAME (kubeconfig: {where_})")));
        }
        None => None,
    };
    let cluster_name =
        o.cluster.clone().or_else(|| context.as_ref().map(|c| c.cluster.clone())).filter(|c| !c.is_empty());
    let found = cluster_name.as_ref().and_then(|n| kc.clusters.iter().find(|c| &c.name == n));
    let mut cluster = match (found, &cluster_name) {
        (Some(c), _) => c.cluster.clone().unwrap_or_default(),
        // A cluster named by --cluster must exist, even with --server (client-go: "required").
        (None, Some(name)) if o.cluster.is_some() || o.server.is_none() => {
            return Err(Error::runtime(format!("cluster \"{name}\" does not exist"))
                .hint(format!("clusters are read from {where_}")));
        }
        (None, _) => Cluster::default(),
    };
    apply_to_cluster(&mut cluster, o);
    let user_name = o.user.clone().or_else(|| context.as_ref().and_then(|c| c.user.clone())).filter(|u| !u.is_empty());
    let mut user = match user_name.as_ref().map(|n| (n, kc.auth_infos.iter().find(|u| &u.name == n))) {
        Some((_, Some(u))) => u.auth_info.clone().unwrap_or_default(),
        Some((name, None)) if o.user.is_some() => {
            return Err(
                Error::runtime(format!("user \"{name}\" does not exist")).hint(format!("users are read from {where_}"))
            );
        }
        _ => AuthInfo::default(),
    };
    apply_to_user(&mut user, o)?;
    Ok(Selected {
        namespace: o.namespace.clone().or_else(|| context.and_then(|c| c.namespace).filter(|n| !n.is_empty())),
        context: context_name,
        cluster_name,
        cluster,
        user_name,
        user,
        where_: where_.to_string(),
    })
}

/// `--server`, `--certificate-authority`, `--tls-server-name`, `--insecure-skip-tls-verify`.
fn apply_to_cluster(cluster: &mut Cluster, o: &Overrides) {
    if let Some(s) = &o.server {
        cluster.server = Some(s.clone());
    }
    // client-go: --insecure-skip-tls-verify without a --certificate-authority drops the
    // kubeconfig's authority (they cannot both be set), and --certificate-authority replaces
    // the kubeconfig's authority and its insecure-skip-tls-verify.
    if o.insecure_skip_tls_verify || o.certificate_authority.is_some() {
        cluster.insecure_skip_tls_verify = Some(o.insecure_skip_tls_verify);
        cluster.certificate_authority = o.certificate_authority.clone();
        cluster.certificate_authority_data = None;
    }
    // client-go: a --server names another endpoint, so the kubeconfig's tls-server-name (the
    // name the old one's certificate carries) goes with it unless --tls-server-name is given.
    if o.tls_server_name.is_some() || o.server.is_some() {
        cluster.tls_server_name = o.tls_server_name.clone();
    }
}

/// A user whose only field is `token` (`--token`).
pub(crate) fn token_auth(token: &str) -> Result<AuthInfo> {
    // SecretString is only reachable through deserialization without another dependency.
    serde_json::from_value(serde_json::json!({ "token": token }))
        .map_err(|e| Error::usage("invalid --token").caused_by(e))
}

/// `--token`, `--client-certificate`, `--client-key`, `--as`, `--as-group`.
fn apply_to_user(user: &mut AuthInfo, o: &Overrides) -> Result<()> {
    if let Some(token) = &o.token {
        user.token = token_auth(token)?.token;
        user.token_file = None;
    }
    if let Some(cert) = &o.client_certificate {
        user.client_certificate = Some(cert.clone());
        user.client_certificate_data = None;
    }
    if let Some(key) = &o.client_key {
        user.client_key = Some(key.clone());
        user.client_key_data = None;
    }
    if let Some(who) = &o.as_user {
        user.impersonate = Some(who.clone());
    }
    if !o.as_group.is_empty() {
        user.impersonate_groups = Some(o.as_group.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fixture::{kubeconfig, parse};

    fn pick(o: Overrides) -> Result<Selected> {
        select(&kubeconfig(), &o, "/k/config")
    }

    /// The user's token, as it would be written back to a kubeconfig.
    fn token(u: &AuthInfo) -> Option<String> {
        serde_json::to_value(u).ok().and_then(|v| v["token"].as_str().map(str::to_string))
    }

    #[test]
    fn context_cluster_and_user_are_picked_as_kubectl_picks_them() {
        let s = pick(Overrides::default()).expect("current context");
        assert_eq!(s.context.as_deref(), Some("dev"));
        assert_eq!((s.cluster_name.as_deref(), s.user_name.as_deref()), (Some("dev-cluster"), Some("dev-user")));
        assert_eq!(
            (s.cluster.server.as_deref(), token(&s.user).as_deref()),
            (Some("https://dev.example.com:6443"), Some("dev-token"))
        );
        assert_eq!(s.namespace.as_deref(), Some("team-a"));
        let s = pick(Overrides { context: Some("prod".into()), ..Default::default() }).expect("--context");
        assert_eq!((s.cluster_name.as_deref(), s.user_name.as_deref()), (Some("prod-cluster"), Some("prod-user")));
        assert_eq!(s.namespace, None, "the context sets none: the caller's default");
        // --cluster and --user replace the context's choice of each, not the context.
        let s = pick(Overrides { cluster: Some("prod-cluster".into()), ..Default::default() }).expect("--cluster");
        assert_eq!((s.cluster_name.as_deref(), s.user_name.as_deref()), (Some("prod-cluster"), Some("dev-user")));
        assert_eq!(s.namespace.as_deref(), Some("team-a"));
        let s = pick(Overrides { user: Some("prod-user".into()), ..Default::default() }).expect("--user");
        assert_eq!((s.cluster_name.as_deref(), s.user_name.as_deref()), (Some("dev-cluster"), Some("prod-user")));
        assert_eq!(s.user.token_file.as_deref(), Some("/var/run/prod-token"));
    }

    #[test]
    fn entries_a_flag_names_must_exist() {
        let e = pick(Overrides { context: Some("nope".into()), ..Default::default() }).expect_err("no such context");
        assert_eq!(e.message, "context \"nope\" does not exist");
        assert_eq!(e.hints, ["contexts are read from /k/config; list them with kubectl config get-contexts"]);
        let e = pick(Overrides { cluster: Some("nope".into()), ..Default::default() }).expect_err("no such cluster");
        assert_eq!(e.message, "cluster \"nope\" does not exist");
        // client-go: an explicit --cluster is required even when --server says where to go.
        let o = Overrides { cluster: Some("nope".into()), server: Some("https://x".into()), ..Default::default() };
        assert_eq!(pick(o).expect_err("still missing").message, "cluster \"nope\" does not exist");
        let e = pick(Overrides { user: Some("nope".into()), ..Default::default() }).expect_err("no such user");
        assert_eq!(e.message, "user \"nope\" does not exist");
    }

    #[test]
    fn entries_a_context_names_may_be_missing_when_flags_supply_them() {
        let lonely = || Overrides { context: Some("lonely".into()), ..Default::default() };
        let e = pick(lonely()).expect_err("no cluster, no --server");
        assert_eq!(e.message, "cluster \"gone-cluster\" does not exist");
        let s = pick(Overrides { server: Some("https://x:6443".into()), ..lonely() }).expect("--server supplies it");
        assert_eq!(s.cluster.server.as_deref(), Some("https://x:6443"));
        assert_eq!(s.user_name.as_deref(), Some("gone-user"));
        assert!(token(&s.user).is_none() && s.user.exec.is_none(), "a missing user is anonymous");
        let s = pick(Overrides { server: Some("https://x".into()), token: Some("t".into()), ..lonely() }).expect("ok");
        assert_eq!(token(&s.user).as_deref(), Some("t"), "overrides apply to the anonymous user");
    }

    #[test]
    fn without_a_current_context_only_flags_can_say_where_to_go() {
        let kc = parse("clusters:\n- name: c\n  cluster:\n    server: https://c:6443\ncurrent-context: \"\"\n");
        let e = select(&kc, &Overrides::default(), "/k/config").expect_err("nothing picked");
        assert_eq!(e.message, "current-context is not set");
        let o = Overrides { cluster: Some("c".into()), ..Default::default() };
        let s = select(&kc, &o, "/k/config").expect("--cluster");
        assert_eq!((s.context, s.cluster.server.as_deref()), (None, Some("https://c:6443")));
        let o = Overrides { server: Some("https://s:6443".into()), token: Some("t".into()), ..Default::default() };
        let s = select(&kc, &o, "/k/config").expect("--server alone");
        assert_eq!(
            (s.cluster_name, s.cluster.server.as_deref(), token(&s.user).as_deref()),
            (None, Some("https://s:6443"), Some("t"))
        );
    }

    #[test]
    fn empty_flags_override_nothing() {
        let flags = GlobalFlags {
            context: Some(String::new()),
            cluster: Some(String::new()),
            user: Some(String::new()),
            namespace: Some(String::new()),
            server: Some(String::new()),
            token: Some(String::new()),
            certificate_authority: Some(std::path::PathBuf::new()),
            ..Default::default()
        };
        let o = Overrides::from_flags(&flags);
        let s = pick(o).expect("as if no flag was given");
        assert_eq!((s.context.as_deref(), s.namespace.as_deref()), (Some("dev"), Some("team-a")));
        assert_eq!(
            (s.cluster.server.as_deref(), token(&s.user).as_deref()),
            (Some("https://dev.example.com:6443"), Some("dev-token"))
        );
        assert_eq!(s.cluster.tls_server_name.as_deref(), Some("dev-api"));
    }

    #[test]
    fn global_flags_override_the_selected_entries() {
        let flags = GlobalFlags {
            namespace: Some("other".into()),
            token: Some("flag-token".into()),
            client_certificate: Some("/c.crt".into()),
            client_key: Some("/c.key".into()),
            as_user: Some("jane".into()),
            as_group: vec!["ops".into(), "dev".into()],
            ..Default::default()
        };
        let o = Overrides { context: Some("prod".into()), ..Overrides::from_flags(&flags) };
        let s = pick(o).expect("overridden");
        assert_eq!(s.namespace.as_deref(), Some("other"));
        assert_eq!((token(&s.user).as_deref(), s.user.token_file.as_deref()), (Some("flag-token"), None));
        assert_eq!(
            (s.user.client_certificate.as_deref(), s.user.client_certificate_data.as_deref()),
            (Some("/c.crt"), None)
        );
        assert_eq!(s.user.client_key.as_deref(), Some("/c.key"));
        assert!(s.user.client_key_data.is_none(), "the file flag replaces the inline key");
        assert_eq!(s.user.impersonate.as_deref(), Some("jane"));
        assert_eq!(s.user.impersonate_groups, Some(vec!["ops".to_string(), "dev".to_string()]));
    }

    #[test]
    fn server_and_tls_flags_override_as_client_go_does() {
        // --server drops the kubeconfig's tls-server-name (it named the old endpoint's certificate).
        let s = pick(Overrides { server: Some("https://other:6443".into()), ..Default::default() }).expect("ok");
        assert_eq!((s.cluster.server.as_deref(), s.cluster.tls_server_name), (Some("https://other:6443"), None));
        let o = Overrides { server: Some("https://o".into()), tls_server_name: Some("n".into()), ..Default::default() };
        assert_eq!(pick(o).expect("ok").cluster.tls_server_name.as_deref(), Some("n"));
        let s = pick(Overrides { tls_server_name: Some("n".into()), ..Default::default() }).expect("ok");
        assert_eq!(s.cluster.server.as_deref(), Some("https://dev.example.com:6443"));
        // --certificate-authority replaces the inline authority and insecure-skip-tls-verify.
        let s = pick(Overrides { certificate_authority: Some("/ca.crt".into()), ..Default::default() }).expect("ok");
        assert_eq!(s.cluster.certificate_authority.as_deref(), Some("/ca.crt"));
        assert_eq!(s.cluster.insecure_skip_tls_verify, Some(false));
        let prod = || Overrides { context: Some("prod".into()), ..Default::default() };
        let s = pick(Overrides { certificate_authority: Some("/ca.crt".into()), ..prod() }).expect("ok");
        assert_eq!(
            (s.cluster.certificate_authority.as_deref(), s.cluster.certificate_authority_data),
            (Some("/ca.crt"), None)
        );
        // --insecure-skip-tls-verify drops the kubeconfig's authority (they cannot both be set).
        let s = pick(Overrides { insecure_skip_tls_verify: true, ..prod() }).expect("ok");
        assert_eq!(s.cluster.insecure_skip_tls_verify, Some(true));
        assert!(s.cluster.certificate_authority.is_none() && s.cluster.certificate_authority_data.is_none());
    }
}
