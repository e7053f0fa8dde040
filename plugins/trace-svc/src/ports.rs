//! Service ports: which ones a trace looks at, how they are named in its lines, and which
//! container port each reaches on a pod (by number, or by name as the endpoint controller
//! matches it).

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::pod::PodView;
use crate::target::PortSel;

/// `80/TCP (http)`.
pub fn port_label(p: &ServicePort) -> String {
    let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
    match &p.name {
        Some(n) if !n.is_empty() => format!("{}/{proto} ({n})", p.port),
        _ => format!("{}/{proto}", p.port),
    }
}

/// The targetPort as written (a number or a name; the port itself when unset).
pub fn target_label(p: &ServicePort) -> String {
    match &p.target_port {
        Some(IntOrString::String(s)) => s.clone(),
        Some(IntOrString::Int(i)) => i.to_string(),
        None => p.port.to_string(),
    }
}

/// Which container port a Service port reaches on a pod: `Ok(port)`, or why none.
pub fn resolve_target(sp: &ServicePort, pod: &PodView) -> Result<i32, String> {
    let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
    match &sp.target_port {
        Some(IntOrString::String(name)) => {
            match pod.container_ports().find(|p| p.name.as_deref() == Some(name.as_str())) {
                // The endpoint controller matches name and protocol together.
                Some(p) if p.protocol.clone().unwrap_or_else(|| "TCP".into()) == proto => Ok(p.container_port),
                Some(p) => Err(format!(
                    "port {name} is {} on the container but {proto} on the Service",
                    p.protocol.clone().unwrap_or_else(|| "TCP".into())
                )),
                None => Err(format!("no container port is named {name:?}")),
            }
        }
        Some(IntOrString::Int(n)) => Ok(*n),
        None => Ok(sp.port),
    }
}

/// The ports the trace looks at: all, or the one chosen.
pub fn chosen_ports(svc: &Service, sel: Option<&PortSel>) -> Result<Vec<ServicePort>, String> {
    let ports = svc.spec.as_ref().and_then(|s| s.ports.clone()).unwrap_or_default();
    let Some(sel) = sel else { return Ok(ports) };
    let found: Vec<ServicePort> = ports
        .iter()
        .filter(|p| match sel {
            PortSel::Number(n) => p.port == *n,
            PortSel::Name(n) => p.name.as_deref() == Some(n.as_str()),
        })
        .cloned()
        .collect();
    if found.is_empty() {
        let have: Vec<String> = ports.iter().map(port_label).collect();
        return Err(format!(
            "the Service has no port {sel} (it has {})",
            if have.is_empty() { "none".into() } else { have.join(", ") }
        ));
    }
    Ok(found)
}
