//! Kubernetes manifests: pod security, exposure, network policy, secrets, RBAC, and
//! what a model-serving workload needs.

use super::Check;

mod apparmor;
mod capabilities_not_dropped;
mod capability_not_restricted;
mod cluster_admin_binding;
mod dangerous_capability;
mod default_namespace;
mod host_ipc;
mod host_network;
mod host_path;
mod host_pid;
mod host_port;
mod image_latest;
mod image_not_pinned;
mod image_placeholder_digest;
mod inference_plain_http;
mod low_uid;
mod metrics_exposed;
mod model_egress_open;
mod model_ingress_open;
mod model_volume_writable;
mod netpol;
mod pod_network_policy;
mod privilege_escalation;
mod privileged;
mod probes;
mod rbac_secrets_read;
mod rbac_wildcard;
mod resources;
mod run_as_non_root;
mod run_as_root;
mod runtime_socket;
mod seccomp;
mod secret_env_ref;
mod secret_literal_env;
mod service_account_token;
mod service_exposed;
mod util;
mod volume_type;
mod warden;
mod warden_insecure_http;
mod warden_log_payloads;
mod warden_metrics_public;
mod warden_rate_limit_off;
mod warden_signatures_off;
mod writable_root_filesystem;

macro_rules! checks {
    ($($rule:ident),* $(,)?) => {
        pub static CHECKS: &[Check] = &[$(Check { rule: &$rule::RULE, run: $rule::check }),*];
    };
}

checks![
    // Pod and container security context.
    privileged,
    privilege_escalation,
    run_as_root,
    run_as_non_root,
    low_uid,
    writable_root_filesystem,
    capabilities_not_dropped,
    dangerous_capability,
    capability_not_restricted,
    seccomp,
    apparmor,
    // The node's namespaces and filesystem.
    host_network,
    host_pid,
    host_ipc,
    host_path,
    runtime_socket,
    host_port,
    volume_type,
    // Images.
    image_latest,
    image_not_pinned,
    image_placeholder_digest,
    // Availability.
    resources,
    probes,
    // Identity, RBAC and secrets.
    service_account_token,
    default_namespace,
    cluster_admin_binding,
    rbac_wildcard,
    rbac_secrets_read,
    secret_literal_env,
    secret_env_ref,
    // Exposure and network policy.
    service_exposed,
    pod_network_policy,
    model_ingress_open,
    model_egress_open,
    inference_plain_http,
    metrics_exposed,
    // What a model deployment needs.
    model_volume_writable,
    warden_insecure_http,
    warden_log_payloads,
    warden_rate_limit_off,
    warden_signatures_off,
    warden_metrics_public,
];
