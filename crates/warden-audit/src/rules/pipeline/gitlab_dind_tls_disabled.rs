//! A `docker:dind` service with TLS turned off (`DOCKER_TLS_CERTDIR: ""`, or
//! `DOCKER_HOST: tcp://...:2375`): a root-equivalent Docker daemon listening
//! without authentication on the job's network. Jobs are read with what they
//! inherit: global variables and services, `extends:` templates and `<<:` merges.

use crate::context::Context;
use crate::finding::Findings;
use crate::rule::{Layer, Rule, Severity, Stride, Threat};
use crate::yaml::Node;

use super::gitlab::{Pipeline, image_name, pipelines};

pub static RULE: Rule = Rule {
    id: "gitlab-dind-tls-disabled",
    title: "Docker-in-Docker service without TLS",
    severity: Severity::High,
    stride: Stride::ElevationOfPrivilege,
    threat: Threat::CicdInjection,
    layer: Layer::Pipeline,
    why: "dind runs privileged; without TLS its API on port 2375 takes commands from anything on the job's network (other services, a compromised dependency), which is root on the runner host for shared or Kubernetes runners.",
    fix: "services:\n  - name: docker:27.3.1-dind@sha256:<digest>\n    alias: docker\nvariables:\n  DOCKER_HOST: tcp://docker:2376\n  DOCKER_TLS_CERTDIR: \"/certs\"\n  DOCKER_TLS_VERIFY: \"1\"\n  DOCKER_CERT_PATH: \"/certs/client\"",
    equivalents: &[],
};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for pipeline in pipelines(cx) {
        for (name, job) in pipeline.jobs() {
            if !uses_dind(&pipeline, job) {
                continue;
            }
            let subject = format!("job {}", name.as_str().unwrap_or("?"));
            for (key, value) in pipeline.job_variables(job) {
                if let Some(message) = tls_off(key.as_str().unwrap_or(""), value.as_str().unwrap_or("")) {
                    out.add(&RULE, &pipeline.file.path, key.pos, subject.clone(), message);
                }
            }
        }
    }
}

/// The job's services (its own, inherited, or else the global or default ones)
/// include a dind image.
fn uses_dind(pipeline: &Pipeline<'_>, job: &Node) -> bool {
    let services = pipeline
        .resolve(job, "services")
        .or_else(|| pipeline.doc.path(&["default", "services"]).or_else(|| pipeline.doc.get("services")));
    let items = services.map(Node::items).unwrap_or_default();
    items.iter().filter_map(image_name).filter_map(Node::as_str).any(|s| s.contains("dind"))
}

fn tls_off(name: &str, value: &str) -> Option<String> {
    match name {
        "DOCKER_TLS_CERTDIR" if value.is_empty() => {
            Some("DOCKER_TLS_CERTDIR is empty: the dind daemon listens without TLS".into())
        }
        "DOCKER_HOST" if value.starts_with("tcp://") && value.trim_end_matches('/').ends_with(":2375") => {
            Some(format!("DOCKER_HOST {value} talks to dind over plain TCP, without TLS"))
        }
        _ => None,
    }
}
